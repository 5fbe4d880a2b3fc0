"""Command line: ``python -m eternaltwin {lab,notebooks,sandbox}``.

- ``lab``: the demo notebooks in JupyterLab (each notebook starts its own embedded sandbox).
- ``notebooks``: execute the demo notebooks headless and write them as HTML (for machines with no browser).
- ``sandbox``: the local Eternaltwin-compatible server (same as ``python -m eternaltwin.sandbox``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m eternaltwin``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        from eternaltwin.sandbox.__main__ import main as sandbox_main

        return int(sandbox_main(args[1:]) or 0)

    parser = argparse.ArgumentParser(
        prog="python -m eternaltwin",
        description="The eternaltwin kit's main jobs: the demo notebooks in JupyterLab or headless, "
        "and the sandbox server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser("lab", help="open the demo notebooks in JupyterLab")
    lab.add_argument("--dir", default="notebooks", help="the notebooks folder (default: notebooks)")
    lab.add_argument("--port", type=int, default=None, help="JupyterLab's port")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    run = commands.add_parser("notebooks", help="execute the demo notebooks headless, to HTML")
    run.add_argument("--dir", default="notebooks", help="the notebooks folder (default: notebooks)")
    run.add_argument("--output", default="build/notebooks", help="where the HTML goes")
    run.add_argument("names", nargs="*", help="only notebooks whose file name contains one of these")
    commands.add_parser("sandbox", help="run the local sandbox server (see python -m eternaltwin.sandbox -h)")
    options = parser.parse_args(args)

    from eternaltwin import _lab

    try:
        if options.command == "lab":
            return _lab.launch_lab(options.dir, port=options.port, open_browser=not options.no_browser)
        written = _lab.run_notebooks(options.dir, options.output, names=options.names)
        print(f"{len(written)} notebook(s) executed; open {options.output}/ in a browser to read them.")
        return 0
    except (FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if type(error).__name__ != "CellExecutionError":  # nbclient's; imported only when used
            raise
        print(f"error: a notebook cell failed:\n{error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
