"""Screenshot a notebook showing the kit's rich displays and magics: ``docs/img/reprs.png``.

    python docs/make_screenshots.py [--output PATH] [--dark PATH] [--keep]

What it does, all offline:

1. writes a small notebook in a temporary folder: ``%load_ext eternaltwin``, ``%et sandbox`` (a local
   sandbox started in the kernel), then the connection table, a user search, a user card, a search page,
   an archived Hammerfest account, the forum's sections, a thread with its posts, a Dinoparc account and
   one of its dinoz, a token, an OAuth state, a server error, and a magic error;
2. executes it with nbclient (a real ipykernel) and exports it to HTML with nbconvert's ``lab`` template,
   light theme (and dark with ``--dark``);
3. renders the HTML in headless Chromium (Debian's ``/usr/bin/chromium`` through Playwright) and saves a
   full-page PNG.

Exit status 0 when all of it worked. Needs the ``dev`` extra (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _chromium import CHROMIUM, launch  # docs/ is on sys.path: these scripts run as files

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "img" / "reprs.png"
WIDTH = 1100

#: The notebook's cells: (source, tags). A tag "raises-exception" lets nbclient go on past that cell.
CELLS: list[tuple[str, list[str]]] = [
    ("%load_ext eternaltwin", []),
    ("%et sandbox --population 40", []),
    ("%et aliases", []),
    ("%et search ali --limit 3", []),
    ("from eternaltwin import User\n\nalice = User.search('alice')[0]\n%et user {alice.identifier}", []),
    ("User.search(limit=4, offset=8)", []),
    (
        "from eternaltwin.connections import connections\n\n"
        "connections['sandbox'].archive.hammerfest_user('hammerfest.fr', '127')",
        [],
    ),
    ("%et forum", []),
    ("%et forum en_welcome --limit 3", []),
    (
        "bob_dinoparc = connections['sandbox'].archive.dinoparc_user('en.dinoparc.com', '58')\nbob_dinoparc",
        [],
    ),
    ("%et dinoz en.dinoparc.com {bob_dinoparc.dinoz[0].id}", []),
    (
        "from eternaltwin.tokens import Token\n\n"
        "Token(access_token='not-shown', refresh_token='not-shown', expires_in=3600, token_type='Bearer')",
        [],
    ),
    (
        "from eternaltwin.connections import connections\n\n"
        "client = connections['sandbox']\n"
        "client.validate_state(client.generate_state())",
        [],
    ),
    (
        "from eternaltwin.exceptions import NotFoundError\n\n"
        "try:\n    User.get('00000000-0000-4000-8000-000000000000')\n"
        "except NotFoundError as error:\n    not_found = error\nnot_found",
        [],
    ),
    ("%et user 00000000-0000-4000-8000-000000000000", ["raises-exception"]),
    (
        "import asyncio\n\n"
        "async def main():\n    return await User.acount()\n\n"
        "asyncio.run(main())  # script-style code runs in a cell too",
        [],
    ),
]


def build_notebook() -> Any:
    """The notebook, as an nbformat node."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# The eternaltwin kit in a notebook")]
    for source, tags in CELLS:
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {}))
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def execute(notebook: Any, folder: Path) -> Any:
    """Run every cell in a fresh kernel started in ``folder``; a cell that fails unexpectedly raises."""
    from nbclient import NotebookClient

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    resources = {"metadata": {"path": str(folder)}}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources=resources)
    client.execute()
    return notebook


def export_html(notebook: Any, theme: str) -> str:
    """The notebook as a stand-alone HTML page (nbconvert's ``lab`` template)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", theme=theme)
    body, _ = exporter.from_notebook_node(notebook)
    return str(body)


def screenshot(html_file: Path, output: Path) -> None:
    """Render ``html_file`` in headless Chromium and save a full-page PNG."""
    from playwright.sync_api import sync_playwright

    output.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 800}, device_scale_factor=1)
            page.goto(html_file.as_uri())
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(output), full_page=True)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Make the screenshot(s); see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the light-theme PNG")
    parser.add_argument("--dark", type=Path, default=None, help="also save a dark-theme PNG there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"No Chromium at {CHROMIUM} (set ETERNALTWIN_CHROMIUM).", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="eternaltwin-reprs-"))
    try:
        notebook = execute(build_notebook(), folder)
        import nbformat

        nbformat.write(notebook, folder / "reprs.ipynb")
        for theme, output in (("light", args.output), ("dark", args.dark)):
            if output is None:
                continue
            page = folder / f"reprs-{theme}.html"
            page.write_text(export_html(notebook, theme), encoding="utf-8")
            screenshot(page, output)
            print(f"Saved {output}")
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
