"""Notebook widgets: choose the active connection, and log in with Eternaltwin.

::

    from eternaltwin.widgets import panel
    panel()          # the picker and the login widget together (what ``%eternaltwin login`` shows)

- :class:`AliasPicker`: a dropdown of the configured aliases, following the registry; choosing one is
  ``connections.use(alias)`` on the sync and async registries.
- :class:`LoginWidget`: the "Log in with Eternaltwin" button (OAuth authorization code), finishing the
  login by itself when the ``redirect_uri`` is a loopback address, else through a paste box.
- :func:`panel`: both, wired together.
- :class:`LoginSession`: the login widget's logic (state machine, callback server, remembered logins),
  usable without any widget.

The widgets load ipywidgets when one of them is first imported (``import eternaltwin`` never does; nor
does ``import eternaltwin.widgets`` alone). Their logic does not need it: the login's state machine and
remembered logins (:mod:`~eternaltwin.widgets._session`), the loopback callback server
(:mod:`~eternaltwin.widgets._callback`), the login cache (:mod:`~eternaltwin.widgets._token_cache`) and
the registry watch (:mod:`~eternaltwin.widgets._registry`) import no ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eternaltwin.widgets._login import LoginWidget
    from eternaltwin.widgets._panel import LoginPanel, panel
    from eternaltwin.widgets._picker import AliasPicker
    from eternaltwin.widgets._session import LoginSession

__all__ = ["AliasPicker", "LoginPanel", "LoginSession", "LoginWidget", "panel"]

#: Where each public name lives (each of those modules but ``_session`` imports ipywidgets).
_HOMES = {
    "AliasPicker": "_picker",
    "LoginPanel": "_panel",
    "LoginSession": "_session",
    "LoginWidget": "_login",
    "panel": "_panel",
}

#: The packages the widgets need, from the ``kernel`` extra.
_NEEDED = ("ipywidgets", "traitlets")


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'eternaltwin.widgets' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"eternaltwin.widgets.{home}")
    except ModuleNotFoundError as error:
        if error.name not in _NEEDED:
            raise
        raise ImportError(
            f"eternaltwin.widgets.{name} needs {error.name}, which is not installed: "
            "pip install 'eternaltwin-kit[kernel]'"
        ) from error
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
