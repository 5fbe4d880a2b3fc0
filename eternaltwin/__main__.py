"""Command line: ``eternaltwin {lab,notebooks,sandbox}`` (also ``python -m eternaltwin ...``).

- ``lab``: the demo notebooks in JupyterLab (each notebook starts its own embedded sandbox). From a wheel,
  the notebooks are first copied into ``./eternaltwin-notebooks/`` (only the missing ones: edits are kept).
- ``notebooks``: execute the demo notebooks headless and write them as HTML (for machines with no browser);
  works from any folder.
- ``sandbox``: the local Eternaltwin-compatible server (same as ``eternaltwin-sandbox``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser(prog: str = "eternaltwin") -> argparse.ArgumentParser:
    """The command-line parser (``sandbox`` takes its own options: see ``eternaltwin sandbox -h``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The eternaltwin kit's main jobs: the demo notebooks in JupyterLab or headless, "
        "and the sandbox server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser(
        "lab",
        help="open the demo notebooks in JupyterLab",
        description="Open the demo notebooks in JupyterLab: the clone's notebooks/ in an editable install; "
        "from a wheel, a copy in ./eternaltwin-notebooks/ (only missing notebooks are copied: your edits "
        "are kept). SIGINT, SIGTERM or SIGHUP to this process stop JupyterLab too.",
    )
    lab.add_argument("--dir", help="open this folder of notebooks instead, as it is")
    lab.add_argument("--port", type=int, default=None, help="JupyterLab's port")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    run = commands.add_parser(
        "notebooks",
        help="execute the demo notebooks headless, to HTML",
        description="Execute the demo notebooks (those installed with the kit) top to bottom with a real "
        "kernel and write them as HTML.",
    )
    run.add_argument("--dir", help="run the notebooks of this folder instead")
    run.add_argument("--output", default="build/notebooks", help="where the HTML goes (build/notebooks)")
    run.add_argument("names", nargs="*", help="only notebooks whose file name contains one of these")
    commands.add_parser("sandbox", help="run the local sandbox server (see eternaltwin sandbox -h)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eternaltwin`` command and of ``python -m eternaltwin``; returns the exit code.

    Exit codes: 0 done, 1 a notebook cell failed, 2 a usage error (a missing folder, a name that matches
    no notebook, JupyterLab not installed), else JupyterLab's own code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        from eternaltwin.sandbox.__main__ import main as sandbox_main

        return int(sandbox_main(args[1:]) or 0)

    invoked_as_module = Path(sys.argv[0]).name == "__main__.py"
    options = build_parser("python -m eternaltwin" if invoked_as_module else "eternaltwin").parse_args(args)

    from eternaltwin import _lab

    try:
        if options.command == "lab":
            return _lab.launch_lab(options.dir, port=options.port, open_browser=not options.no_browser)
        written = _lab.run_notebooks(options.dir, options.output, names=options.names)
        print(f"{len(written)} notebook(s) executed; open {options.output}/ in a browser to read them.")
        return 0
    except (OSError, RuntimeError) as error:  # FileNotFoundError included: a missing folder or name
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if type(error).__name__ != "CellExecutionError":  # nbclient's; imported only when used
            raise
        print(f"error: a notebook cell failed:\n{error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
