"""What ``%load_ext eternaltwin`` does, and what ``%unload_ext eternaltwin`` undoes.

Loading:

1. registers the ``%eternaltwin`` / ``%et`` magics (:mod:`eternaltwin.magics`) and their traitlets
   settings (``%config EternaltwinMagics``);
2. registers IPython display formatters for the kit's classes that have no ``_repr_mimebundle_`` of their
   own (connection registries and clients, OAuth states, request errors); the others (users, search pages,
   tokens) carry it through :class:`eternaltwin._repr.RichRepr` and need nothing;
3. configures connections, when none are configured yet, from the ``ETERNALTWIN_*`` environment variables
   or else from ``./eternaltwin.toml``, and says in one line which aliases it found;
4. lets script-style ``asyncio.run(main())`` run in a cell: when the cell runs inside an event loop (as in
   Jupyter kernels) that loop is patched with nest-asyncio. That patch is skipped on Python 3.14 and later,
   where it is known to break, and on loops it does not support (uvloop), with a one-line note. Nothing in
   the kit depends on it: its sync API never runs on the notebook's loop.

Loading twice is harmless. Unloading removes the magics, the formatters, the event hook and stops a
sandbox started by ``%eternaltwin sandbox``; it does not undo nest-asyncio (which cannot be undone) nor the
connection configuration (which belongs to the user's session by then).
"""

from __future__ import annotations

import asyncio
import os
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eternaltwin import display
from eternaltwin.magics import EternaltwinMagics

__all__ = ["load", "unload"]

#: The configuration file looked for in the working directory.
CONFIG_FILE = "eternaltwin.toml"
#: nest-asyncio is known to break on these Pythons: the patch is skipped there.
NEST_ASYNCIO_BREAKS = sys.version_info >= (3, 14)
_PREFIX = "eternaltwin:"


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
    state.hook = _patch_running_loop
    ipython.events.register("pre_run_cell", state.hook)
    _patch_running_loop()


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


def _patch_running_loop(*_: Any) -> None:
    """Apply nest-asyncio to the running event loop, where that is known to be safe (once per loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop in this cell: asyncio.run() works as it is
    if getattr(loop, "_nest_patched", False):
        return
    if NEST_ASYNCIO_BREAKS:
        _note(
            "nest-asyncio is skipped on Python 3.14+: use top-level await instead of asyncio.run() in cells."
        )
        return
    if not isinstance(loop, asyncio.BaseEventLoop):
        _note(f"nest-asyncio does not support {type(loop).__name__}: use top-level await, not asyncio.run().")
        return
    try:
        import nest_asyncio
    except ImportError:
        _note("pip install nest-asyncio to run asyncio.run() in cells; top-level await works without it.")
        return
    nest_asyncio.apply(loop)
