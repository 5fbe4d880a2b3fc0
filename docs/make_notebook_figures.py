"""Run a demo notebook and save its figures as one picture for the README.

    python docs/make_notebook_figures.py [NOTEBOOK] [--output PATH] [--tag TAG]

What it does, all offline:

1. executes ``notebooks/NOTEBOOK.ipynb`` (default ``05-explore-forum-and-archives``) headless, with a real
   kernel, as ``eternaltwin notebooks`` does (its embedded sandbox included);
2. takes the PNG figures of the code cells tagged ``TAG`` (default ``readme-figure``), in order;
3. stacks them into one image (white background, the widest figure's width) and saves it to ``--output``
   (default ``docs/img/explore-forum-and-archives.png``).

Exit status 0 when all of it worked. Needs the ``notebook`` extra (matplotlib brings Pillow).
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK = "05-explore-forum-and-archives"
DEFAULT_OUTPUT = ROOT / "docs" / "img" / "explore-forum-and-archives.png"
GAP = 12  # pixels between two figures


def figures(notebook: Any, tag: str) -> list[bytes]:
    """The PNG outputs of the executed notebook's code cells tagged ``tag``."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or tag not in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            png = output.get("data", {}).get("image/png")
            if png:
                found.append(base64.b64decode(png))
    return found


def stack(pngs: list[bytes], output: Path) -> tuple[int, int]:
    """Stack the images vertically into ``output``; return its size."""
    from PIL import Image

    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    width = max(image.width for image in images)
    height = sum(image.height for image in images) + GAP * (len(images) - 1)
    sheet = Image.new("RGB", (width, height), "white")
    top = 0
    for image in images:
        sheet.paste(image, ((width - image.width) // 2, top))
        top += image.height + GAP
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, optimize=True)
    return width, height


def main(argv: list[str] | None = None) -> int:
    """Make the picture; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("notebook", nargs="?", default=DEFAULT_NOTEBOOK, help="a notebook of notebooks/")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the PNG to write")
    parser.add_argument("--tag", default="readme-figure", help="the tag of the cells whose figures to keep")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from eternaltwin._lab import execute_notebook

    path = ROOT / "notebooks" / f"{args.notebook.removesuffix('.ipynb')}.ipynb"
    if not path.is_file():
        print(f"No notebook at {path}.", file=sys.stderr)
        return 2
    pngs = figures(execute_notebook(path), args.tag)
    if not pngs:
        print(f"No figure in the cells tagged {args.tag!r} of {path.name}.", file=sys.stderr)
        return 1
    width, height = stack(pngs, args.output)
    print(f"Saved {args.output} ({len(pngs)} figures, {width}x{height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
