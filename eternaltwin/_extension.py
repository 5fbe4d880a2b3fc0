"""What ``%load_ext eternaltwin`` does, and what ``%unload_ext eternaltwin`` undoes.

Loading:

1. registers the ``%eternaltwin`` / ``%et`` magics (:mod:`eternaltwin.magics`) and their traitlets
   settings (``%config EternaltwinMagics``);
2. registers IPython display formatters for the kit's classes that have no ``_repr_mimebundle_`` of their
   own (connection registries and clients, OAuth states, request errors, Dinoparc dinoz and dinoz
   references); the others (users, search pages, tokens, the forum's objects, archived accounts) carry it
   through :class:`eternaltwin._repr.RichRepr` and need nothing;
3. configures connections, when none are configured yet, from the ``ETERNALTWIN_*`` environment variables
   or else from ``./eternaltwin.toml``, and says in one line which aliases it found;
4. lets script-style ``asyncio.run(main())`` run in a cell. In a Jupyter kernel the cell already runs
   inside the kernel's event loop, where the standard ``asyncio.run`` refuses to start. The extension
   wraps ``asyncio.run`` so that a call made by a cell's code while that loop runs does what it does in a
   script: ``main()`` runs on a new event loop, closed afterwards, here in a worker thread while the cell
   waits (an interruption cancels it). Every other call (another thread, no running loop) goes straight
   to the original, with the same arguments (``loop_factory`` included). Nothing else of asyncio is
   touched: no loop, task class or policy is patched, so libraries beside the kit (a uvicorn server in a
   thread, say) run as without the extension, on every Python. Objects bound to the notebook's loop (made
   by cells that ``await``) cannot be used on the new loop; such an error gets a note saying to write
   ``await main()`` instead. (The kit's async connections close the pools they opened on a loop when it
   ends.) If nest-asyncio already patched asyncio, the extension leaves ``asyncio.run`` to it.

Loading twice is harmless. Unloading removes the magics, the formatters, the event hook, puts back the
original ``asyncio.run`` and stops a sandbox started by ``%eternaltwin sandbox``; it does not undo the
connection configuration (which belongs to the user's session by then).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eternaltwin import display
from eternaltwin._blocking import run_in_thread
from eternaltwin.magics import EternaltwinMagics

__all__ = ["load", "unload"]

#: The configuration file looked for in the working directory.
CONFIG_FILE = "eternaltwin.toml"
_PREFIX = "eternaltwin:"
T = TypeVar("T")


@dataclass
class _Loaded:
    """What :func:`load` added to one shell, so that :func:`unload` can take exactly that away."""

    magics: EternaltwinMagics
    # (formatter, class, the printer it had before or None)
    formatters: list[tuple[Any, type, Any]] = field(default_factory=list)
    hook: Any = None


_loaded: weakref.WeakKeyDictionary[Any, _Loaded] = weakref.WeakKeyDictionary()
_noted: set[str] = set()


def load(ipython: Any) -> None:
    """Register the magics and display formatters, configure connections, patch a running loop.

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The shell (``get_ipython()``).
    """
    if ipython in _loaded:
        return
    magics = EternaltwinMagics(shell=ipython)
    ipython.register_magics(magics)  # Magics.__init__ added it to ipython.configurables (for %config)
    state = _Loaded(magics)
    _loaded[ipython] = state
    bundles = ipython.display_formatter.mimebundle_formatter
    plain = ipython.display_formatter.formatters["text/plain"]
    for cls in display.displayable_types():
        if not hasattr(cls, "_repr_mimebundle_"):
            # text/plain too: IPython's own printers (exceptions have one) win over a bundle's text/plain.
            state.formatters.append((bundles, cls, bundles.for_type(cls, _bundle)))
            state.formatters.append((plain, cls, plain.for_type(cls, _pretty)))
    print(_configure())
    state.hook = _mark_cell_thread
    ipython.events.register("pre_run_cell", state.hook)
    _mark_cell_thread()
    _install_cell_run()


def unload(ipython: Any) -> None:
    """Remove what :func:`load` added to ``ipython`` (nothing happens if it was not loaded).

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The shell.
    """
    state = _loaded.pop(ipython, None)
    if state is None:
        return
    state.magics.stop_sandbox()
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        table = manager.magics[kind]
        for name in ("eternaltwin", "et"):
            bound = table.get(name)
            if getattr(bound, "__self__", None) is state.magics:
                del table[name]
    manager.registry.pop(type(state.magics).__name__, None)
    ipython.configurables[:] = [c for c in ipython.configurables if c is not state.magics]
    for formatter, cls, previous in reversed(state.formatters):
        formatter.pop(cls, None)
        if previous is not None:
            formatter.for_type(cls, previous)
    if state.hook is not None:
        ipython.events.unregister("pre_run_cell", state.hook)
    if not _loaded:
        _uninstall_cell_run()
    display.set_style("html")


def _bundle(obj: Any) -> dict[str, str]:
    return display.mimebundle(obj)


def _pretty(obj: Any, printer: Any, cycle: bool) -> None:
    printer.text(display.text(obj))


def _configure() -> str:
    """Configure connections from the environment or ``./eternaltwin.toml`` if none are; one line about it."""
    from eternaltwin import connections as module
    from eternaltwin.exceptions import EternalTwinError

    existing = list(module.connections)
    if existing:
        return f"{_PREFIX} connections {_names(existing)} already configured{_active(module)}."
    path = Path.cwd() / CONFIG_FILE
    try:
        if os.environ.get("ETERNALTWIN_URL"):
            module.configure_from_env()
            source = "the ETERNALTWIN_* environment variables"
        elif path.is_file():
            module.configure_from_file(path)
            source = CONFIG_FILE
        else:
            return (
                f"{_PREFIX} no connection configured; %eternaltwin sandbox starts a local server, "
                "%%eternaltwin config takes a TOML cell."
            )
    except EternalTwinError as exc:
        return f"{_PREFIX} connections not configured: {exc}"
    return f"{_PREFIX} {_names(list(module.connections))} from {source}{_active(module)}."


def _names(aliases: list[str]) -> str:
    return ", ".join(sorted(aliases)) or "none"


def _active(module: Any) -> str:
    active = module.connections.active
    return f" (active: {active})" if active in module.connections else ""


def _note(message: str) -> None:
    """Print a one-line note once per process."""
    if message not in _noted:
        _noted.add(message)
        print(f"{_PREFIX} {message}")


# -- asyncio.run in a cell -------------------------------------------------------------------------------

#: The threads that run cells (marked before each cell; thread-local, so a new thread is never marked).
_cells = threading.local()
#: What ``asyncio.run`` was before :func:`_install_cell_run` replaced it; every call that does not divert
#: goes there (also from code that kept a reference to :func:`_cell_run` after unloading, as uvicorn does).
_original_run: Callable[..., Any] = asyncio.run
#: The keyword arguments of ``asyncio.run`` besides ``debug``.
_RUN_OPTIONS = frozenset({"loop_factory"} if sys.version_info >= (3, 12) else ())
_DIFFERENT_LOOP = re.compile(r"different (event )?loop")
DIFFERENT_LOOP_NOTE = (
    f"{_PREFIX} asyncio.run() in a cell runs main() on a new event loop in another thread, as a script "
    "would, and objects made on the notebook's loop (by cells that await) cannot be used there: "
    "write `await main()` in the cell instead."
)


def _mark_cell_thread(*_: Any) -> None:
    """``pre_run_cell`` hook: the thread about to run a cell is one whose ``asyncio.run`` calls divert."""
    _cells.marked = True


def _install_cell_run() -> None:
    """Put :func:`_cell_run` in place of ``asyncio.run`` (once; not over nest-asyncio's patch)."""
    global _original_run
    if asyncio.run is _cell_run:
        return
    if getattr(asyncio, "_nest_patched", False):
        _note("asyncio is patched by nest-asyncio already: asyncio.run() in cells is left to it.")
        return
    _original_run = asyncio.run
    asyncio.run = _cell_run


def _uninstall_cell_run() -> None:
    """Put the original ``asyncio.run`` back, unless something replaced :func:`_cell_run` since."""
    if asyncio.run is _cell_run:
        asyncio.run = _original_run


def _diverts() -> bool:
    """Whether an ``asyncio.run`` call made here runs in a worker: from a cell, inside a running loop."""
    if not _loaded or not getattr(_cells, "marked", False):
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _cell_run(main: Coroutine[Any, Any, T], *, debug: bool | None = None, **options: Any) -> T:
    """``asyncio.run`` as the extension installs it: a cell's call inside the kernel's loop runs in a worker.

    Parameters
    ----------
    main : coroutine
        What to run.
    debug : bool, optional
        The event loop's debug mode.
    **options
        ``loop_factory`` (Python 3.12+), as for :func:`asyncio.run`.

    Returns
    -------
    What ``main`` returns.

    Raises
    ------
    RuntimeError, ValueError, TypeError
        As :func:`asyncio.run` would, and whatever ``main`` raises.
    """
    if not _diverts() or not options.keys() <= _RUN_OPTIONS:
        # Not a cell's call inside the kernel's loop (or an argument the original refuses): as without us.
        return _original_run(main, debug=debug, **options)  # type: ignore[no-any-return]
    if not asyncio.iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    try:
        return run_in_thread(
            lambda: main,
            debug=debug,
            loop_factory=options.get("loop_factory"),
            name="eternaltwin-asyncio-run",
        )
    except (RuntimeError, ValueError) as error:
        if _DIFFERENT_LOOP.search(str(error)) and DIFFERENT_LOOP_NOTE not in getattr(error, "__notes__", ()):
            error.add_note(DIFFERENT_LOOP_NOTE)
        raise
