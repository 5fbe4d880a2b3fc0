"""The kit's main jobs: the demo notebooks in JupyterLab, or executed headless to HTML.

``python -m eternaltwin lab`` and ``python -m eternaltwin notebooks`` (see :mod:`eternaltwin.__main__`).
The notebooks start their own embedded sandbox (``%eternaltwin sandbox``), so neither job needs
credentials or a network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["execute_notebook", "find_notebooks", "launch_lab", "run_notebooks"]

#: Seconds a single cell may run before the headless run gives up on it.
CELL_TIMEOUT = 300


def find_notebooks(directory: str | os.PathLike[str] = "notebooks") -> list[Path]:
    """The demo notebooks in ``directory``, in name order.

    Raises
    ------
    FileNotFoundError
        When the directory does not exist or holds no notebook, with a hint on where to run from.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No notebooks folder at {folder.resolve()}: run this from a clone of the eternaltwin kit "
            f"(the folder holding notebooks/), or pass --dir."
        )
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise FileNotFoundError(f"{folder.resolve()} holds no .ipynb file.")
    return found


def execute_notebook(path: str | os.PathLike[str], *, timeout: int = CELL_TIMEOUT) -> NotebookNode:
    """Execute a notebook top to bottom with a real kernel and return the executed notebook.

    The kernel runs in the notebook's own folder. Any cell error raises ``nbclient``'s
    ``CellExecutionError``, naming the cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def run_notebooks(
    directory: str | os.PathLike[str] = "notebooks",
    output: str | os.PathLike[str] = "build/notebooks",
    *,
    names: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Execute every demo notebook and write each as HTML into ``output``; return the HTML paths.

    Parameters
    ----------
    directory : path
        Where the notebooks are.
    output : path
        Where the HTML files go (created if needed).
    names : sequence of str
        Only the notebooks whose file name contains one of these strings (all when empty).
    echo : callable
        Receives one progress line per notebook.
    """
    from nbconvert import HTMLExporter

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()  # type: ignore[no-untyped-call]
    written: list[Path] = []
    for notebook_path in find_notebooks(directory):
        if names and not any(n in notebook_path.name for n in names):
            continue
        started = time.perf_counter()
        try:
            executed = execute_notebook(notebook_path)
        except Exception:
            echo(f"FAILED {notebook_path.name} after {time.perf_counter() - started:.1f}s")
            raise
        body, _ = exporter.from_notebook_node(executed)
        target = out / (notebook_path.stem + ".html")
        target.write_text(body, encoding="utf-8")
        written.append(target)
        echo(f"ran {notebook_path.name} in {time.perf_counter() - started:.1f}s -> {target}")
    return written


def launch_lab(
    directory: str | os.PathLike[str] = "notebooks",
    *,
    port: int | None = None,
    open_browser: bool = True,
    extra_args: Sequence[str] = (),
) -> int:
    """Run JupyterLab on the demo notebooks (blocks until it stops) and return its exit code.

    The browser opens on the first notebook (``01-quickstart.ipynb``). As root (a container), JupyterLab
    is told that this is intended, since it refuses to start otherwise.
    """
    notebooks = find_notebooks(directory)
    if shutil.which("jupyter") is None and not _has_module("jupyterlab"):
        raise RuntimeError('JupyterLab is not installed: pip install "eternaltwin-kit[notebook]"')
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(directory).resolve()}"]
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    command.append(str(notebooks[0].resolve()))  # the file the browser opens first
    command.extend(extra_args)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
