"""The kit's main jobs: the demo notebooks in JupyterLab, or executed headless to HTML.

``eternaltwin lab`` and ``eternaltwin notebooks`` (also ``python -m eternaltwin ...``; see
:mod:`eternaltwin.__main__`). The notebooks start their own embedded sandbox (``%eternaltwin sandbox``), so
neither job needs credentials or a network.

Where the demo notebooks come from (:func:`demo_notebooks`): a wheel carries them as package data
(``eternaltwin/notebooks/``); an editable install from a clone uses the clone's ``notebooks/``. JupyterLab
never opens the packaged copy itself (edits there would vanish with the next upgrade): ``lab`` copies it
into ``./eternaltwin-notebooks/`` first, copying only the files missing there, so a person's edited copy
is never overwritten. From a clone, ``lab`` opens the clone's ``notebooks/`` directly, as before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "WORKSPACE",
    "copy_notebooks",
    "demo_notebooks",
    "execute_notebook",
    "find_notebooks",
    "lab_folder",
    "launch_lab",
    "run_notebooks",
    "select_notebooks",
]

#: Seconds a single cell may run before the headless run gives up on it.
CELL_TIMEOUT = 300

#: Where ``eternaltwin lab`` copies the packaged demo notebooks, relative to the current folder.
WORKSPACE = "eternaltwin-notebooks"

#: Seconds JupyterLab gets to shut down cleanly after a stop signal, before it is killed.
STOP_GRACE = 30.0

#: Signals that, sent to ``eternaltwin lab``, stop JupyterLab too (those this platform has).
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def demo_notebooks() -> Path:
    """The folder that holds the kit's demo notebooks.

    The copy packaged in the wheel (``eternaltwin/notebooks/``) when there is one, else the ``notebooks/``
    folder of the clone this package is imported from (an editable install).

    Returns
    -------
    Path
        The folder (read it; do not edit the packaged copy: :func:`copy_notebooks` makes a writable one).

    Raises
    ------
    FileNotFoundError
        When neither exists (an installation without its package data), saying how to reinstall.
    """
    packaged = resources.files("eternaltwin") / "notebooks"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    clone = Path(__file__).resolve().parent.parent / "notebooks"
    if _in_clone(clone) and clone.is_dir():
        return clone
    raise FileNotFoundError(
        f"The demo notebooks are missing from this installation of the kit ({Path(__file__).parent}): "
        f'reinstall it (pip install --force-reinstall "eternaltwin-kit[notebook]"), or pass --dir.'
    )


def _in_clone(folder: Path) -> bool:
    """Whether ``folder`` is a source tree's ``notebooks/`` (beside a pyproject.toml), not package data."""
    return (folder.parent / "pyproject.toml").is_file()


def find_notebooks(directory: str | os.PathLike[str]) -> list[Path]:
    """The notebooks in ``directory``, in name order.

    Raises
    ------
    FileNotFoundError
        When the directory does not exist or holds no notebook, saying what to pass instead.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No notebooks folder at {folder.resolve()}: pass --dir a folder that holds .ipynb files, "
            f"or leave --dir out to use the kit's demo notebooks."
        )
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise FileNotFoundError(f"{folder.resolve()} holds no .ipynb file.")
    return found


def select_notebooks(notebooks: Sequence[Path], names: Sequence[str] = ()) -> list[Path]:
    """The notebooks whose file name contains one of ``names`` (all of them when ``names`` is empty).

    Raises
    ------
    FileNotFoundError
        When one of ``names`` matches no notebook (a typo would otherwise run nothing and look fine),
        listing the notebooks there are.
    """
    unmatched = [name for name in names if not any(name in path.name for path in notebooks)]
    if unmatched:
        available = ", ".join(path.stem for path in notebooks) or "none"
        quoted = ", ".join(repr(name) for name in unmatched)
        raise FileNotFoundError(
            f"No notebook matches {quoted}: the notebooks are {available} "
            f"(a name selects the notebooks whose file name contains it)."
        )
    if not names:
        return list(notebooks)
    return [path for path in notebooks if any(name in path.name for name in names)]


def copy_notebooks(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Copy the notebooks of ``source`` that ``target`` lacks into ``target``; return the copied paths.

    A notebook already in ``target`` is kept as it is, whatever it holds (a person's edits are never
    overwritten); ``echo`` receives a line on what was copied and a line on what was kept.

    Raises
    ------
    OSError
        When ``target`` cannot be created or written, saying where to run from instead.
    """
    destination = Path(target)
    copied: list[Path] = []
    kept: list[str] = []
    edited: list[str] = []
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for notebook in find_notebooks(source):
            content = notebook.read_bytes()
            path = destination / notebook.name
            try:
                with path.open("xb") as file:  # "x": fails rather than replace a file that exists
                    file.write(content)
            except FileExistsError:
                (kept if _same_bytes(path, content) else edited).append(notebook.name)
                continue
            copied.append(path)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise OSError(
            f"Cannot copy the demo notebooks into {destination.resolve()} ({error.strerror or error}): "
            f"run this from a folder you can write to, or pass --dir."
        ) from error
    where = destination.resolve()
    if copied:
        echo(f"Copied {_count(len(copied))} into {where} (your copies: edit them freely).")
    if kept:
        echo(f"Kept {_count(len(kept))} already in {where}.")
    if edited:
        echo(
            f"Kept your edited {', '.join(edited)} in {where} (not overwritten; delete a file to get "
            f"this version's copy back)."
        )
    return copied


def _count(number: int) -> str:
    return f"{number} demo notebook{'s' if number != 1 else ''}"


def _same_bytes(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False


def lab_folder(
    directory: str | os.PathLike[str] | None = None,
    *,
    workspace: str | os.PathLike[str] = WORKSPACE,
    echo: Callable[[str], None] = print,
) -> Path:
    """The folder ``eternaltwin lab`` opens.

    Parameters
    ----------
    directory : path, optional
        A folder of notebooks to open as it is. When omitted: the clone's ``notebooks/`` in an editable
        install, else ``workspace`` after :func:`copy_notebooks` filled in the demo notebooks it lacks.
    workspace : path
        Where the packaged demo notebooks are copied (default ``./eternaltwin-notebooks``).
    echo : callable
        Receives what was copied and kept.

    Raises
    ------
    FileNotFoundError
        When ``directory`` holds no notebook, or the demo notebooks cannot be found.
    OSError
        When ``workspace`` cannot be written.
    """
    if directory is not None:
        find_notebooks(directory)
        return Path(directory)
    source = demo_notebooks()
    if _in_clone(source):
        return source
    copy_notebooks(source, workspace, echo=echo)
    return Path(workspace)


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
    directory: str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] = "build/notebooks",
    *,
    names: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Execute notebooks and write each as HTML into ``output``; return the HTML paths.

    Parameters
    ----------
    directory : path, optional
        Where the notebooks are; the kit's demo notebooks (:func:`demo_notebooks`) when omitted, so this
        works from any folder.
    output : path
        Where the HTML files go (created if needed).
    names : sequence of str
        Only the notebooks whose file name contains one of these strings (all when empty).
    echo : callable
        Receives one progress line per notebook.

    Raises
    ------
    FileNotFoundError
        When there is no notebook to run, or one of ``names`` matches none (before anything runs).
    RuntimeError
        When nbclient or nbconvert is not installed (the ``notebook`` extra brings them).
    """
    folder = demo_notebooks() if directory is None else Path(directory)
    selected = select_notebooks(find_notebooks(folder), names)
    _require_runner()
    from nbconvert import HTMLExporter

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()  # type: ignore[no-untyped-call]
    written: list[Path] = []
    for notebook_path in selected:
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


def _require_runner() -> None:
    """Raise a RuntimeError naming the extra when the headless runner's libraries are missing."""
    missing = [name for name in ("nbformat", "nbclient", "nbconvert") if not _has_module(name)]
    if missing:
        raise RuntimeError(
            f"Running notebooks headless needs {', '.join(missing)}, which are not installed here: "
            f'pip install "eternaltwin-kit[notebook]".'
        )


def launch_lab(
    directory: str | os.PathLike[str] | None = None,
    *,
    port: int | None = None,
    open_browser: bool = True,
    extra_args: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> int:
    """Run JupyterLab on the notebooks (blocks until it stops) and return its exit code.

    The folder is :func:`lab_folder`'s (copied there first, when the notebooks come from the wheel, even
    if JupyterLab turns out to be missing: they can then be opened in another Jupyter). The browser
    opens on its first notebook. As root (a container),
    JupyterLab is told that this is intended, since it refuses to start otherwise. SIGINT, SIGTERM or
    SIGHUP sent to this process stop JupyterLab cleanly (a second Ctrl-C kills it); on Linux it is also
    stopped if this process dies without a chance to forward anything (SIGKILL).
    """
    folder = lab_folder(directory, echo=echo)
    notebooks = find_notebooks(folder)
    if not _has_module("jupyterlab"):
        raise RuntimeError(
            f"JupyterLab is not installed here: open {folder.resolve()} in your own Jupyter (VS Code, "
            f'JupyterLab from another environment), or pip install "eternaltwin-kit[notebook]".'
        )
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder.resolve()}"]
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    command.append(str(notebooks[0].resolve()))  # the file the browser opens first
    command.extend(extra_args)
    echo(f"Opening {folder.resolve()} in JupyterLab.")
    return run_until_stopped(command, echo=echo)


class _StopRequested(Exception):
    """Raised by the signal handler of :func:`run_until_stopped` to end its unbounded wait."""


def run_until_stopped(
    command: Sequence[str], *, grace: float = STOP_GRACE, echo: Callable[[str], None] = print
) -> int:
    """Run ``command`` and wait for it; the stop signals this process receives stop it too.

    The child runs in its own session, so a terminal's Ctrl-C reaches this process only, which then asks
    the child to stop (SIGTERM: JupyterLab's clean shutdown, kernels included) and keeps waiting for it;
    a second Ctrl-C, or ``grace`` seconds without an exit, kill it. On Linux the child also gets SIGTERM
    if this process dies first (``PR_SET_PDEATHSIG``). Returns the child's exit code (128 + N when
    signal N ended it). ``echo`` receives a line naming both processes once the child started.
    """
    child = subprocess.Popen(
        list(command),
        start_new_session=os.name == "posix",
        preexec_fn=_die_with_parent_hook(),
    )
    echo(f"JupyterLab runs as PID {child.pid}; Ctrl-C here (or SIGTERM to PID {os.getpid()}) stops it.")
    stopping: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        if child.poll() is not None:
            return
        if stopping:
            if signum == signal.SIGINT:
                _say(f"Killing JupyterLab (PID {child.pid}).")
                child.kill()
            else:
                child.send_signal(signal.SIGTERM)
            return
        stopping.append(signum)
        _say(f"Stopping JupyterLab (PID {child.pid}); Ctrl-C again to kill it.")
        child.send_signal(signal.SIGTERM)
        raise _StopRequested  # out of the unbounded wait, into the one bounded by ``grace``

    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
    try:
        try:
            if threading.current_thread() is threading.main_thread():  # where signal handlers live
                previous = {signum: signal.getsignal(signum) for signum in FORWARDED_SIGNALS}
                for signum in previous:
                    signal.signal(signum, forward)
            returncode = child.wait()
        except _StopRequested:
            try:
                returncode = child.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _say(f"JupyterLab (PID {child.pid}) did not stop within {grace:g}s: killing it.")
                child.kill()
                returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if child.poll() is None:  # leaving on an unexpected error: do not leave JupyterLab behind
            child.kill()
            child.wait()
    return returncode if returncode >= 0 else 128 - returncode


def _say(message: str) -> None:
    """A line on stderr from a signal handler; a closed terminal (SIGHUP) must not break the stop."""
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that makes the child receive SIGTERM when this process dies.

    Everything is looked up before the fork: the hook itself only calls ``prctl``, imports nothing and
    takes no lock, which keeps ``preexec_fn`` safe even with other threads around.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG, <linux/prctl.h>
    stop = int(signal.SIGTERM)

    def hook() -> None:
        prctl(set_parent_death_signal, stop, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), stop)

    return hook


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
