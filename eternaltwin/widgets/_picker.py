"""The connection picker: which configured Eternaltwin instance the notebook talks to."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import traitlets

from eternaltwin.widgets._registry import WATCH, Registries, activate, registries

__all__ = ["AliasPicker"]


class AliasPicker(widgets.VBox):  # type: ignore[misc]
    """A dropdown of the configured connection aliases; choosing one makes it the active alias.

    Choosing is the same as ``connections.use(alias)``, done on the sync registry and its async twin. Under
    the dropdown, the chosen connection's url and logged-in user are shown.

    The widget stays in step with the registry: aliases that are configured, removed or reconfigured
    later, a ``use()`` made elsewhere and logins are picked up without rebuilding it (see
    :mod:`eternaltwin.widgets._registry` for how; :meth:`refresh` forces it).

    Parameters
    ----------
    connections : Connections, optional
        The sync registry; the global ``eternaltwin.connections.connections`` by default (its async twin
        ``async_connections`` follows every choice).
    async_connections : Connections, optional
        The async twin of a registry passed as ``connections``.
    watch : bool
        Follow changes made elsewhere (True). With False, call :meth:`refresh` yourself.
    **kwargs
        Passed to ``ipywidgets.VBox``; the default ``layout`` makes the picker as wide as its content
        (at least 22em), not the whole output area.

    Attributes
    ----------
    alias : str or None
        The chosen alias (None when nothing is configured). Not synced to the front end.
    dropdown : ipywidgets.Dropdown
    info : ipywidgets.HTML
        The url and user line.
    """

    alias = traitlets.Unicode(None, allow_none=True)

    def __init__(
        self,
        connections: Any = None,
        *,
        async_connections: Any = None,
        watch: bool = True,
        **kwargs: Any,
    ) -> None:
        self._regs: Registries = registries(connections, async_connections)
        self._lock = threading.RLock()
        self._syncing = False
        self._unwatch: Callable[[], None] | None = None
        self.dropdown = widgets.Dropdown(
            options=[],
            value=None,
            description="Connection",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto", min_width="16em"),
        )
        self.info = widgets.HTML()
        # As wide as its content (the dropdown and the url line), not the whole output area; a layout
        # passed by the caller wins.
        kwargs.setdefault("layout", widgets.Layout(width="fit-content", min_width="22em", max_width="100%"))
        super().__init__([self.dropdown, self.info], **kwargs)
        self.add_class("eternaltwin-alias-picker")
        self.dropdown.observe(self._on_choice, names="value")
        self.refresh()
        if watch:
            self._unwatch = WATCH.subscribe(self._regs, self.refresh)

    @property
    def aliases(self) -> tuple[str, ...]:
        """The aliases offered."""
        return tuple(self.dropdown.options)

    def select(self, alias: str) -> None:
        """Choose ``alias`` (as if picked in the dropdown): it becomes the active alias of both registries.

        Raises
        ------
        UnknownAliasError
            When no connection has that alias.
        """
        from eternaltwin.exceptions import UnknownAliasError

        with self._lock:
            self.refresh()
            if alias not in self.dropdown.options:
                raise UnknownAliasError(alias, list(self.dropdown.options))
            activate(self._regs, alias)
            self.refresh()

    def refresh(self) -> None:
        """Read the registry again: aliases, the active one, the chosen connection's url and user."""
        with self._lock:
            names = tuple(self._regs.aliases())
            active = self._regs.active()
            current = active if active in names else None
            self._syncing = True
            try:
                if tuple(self.dropdown.options) != names:
                    self.dropdown.options = names
                if self.dropdown.value != current:
                    self.dropdown.value = current
                self.dropdown.disabled = not names
            finally:
                self._syncing = False
            self.alias = current
            self.info.value = self._describe(current, names)

    def close(self) -> None:
        """Stop following the registry and close the widgets."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self.dropdown.close()
        self.info.close()
        super().close()

    def _on_choice(self, change: Any) -> None:
        if self._syncing or change["new"] is None:
            return
        with self._lock:
            activate(self._regs, change["new"])
            self.refresh()

    def _describe(self, alias: str | None, names: tuple[str, ...]) -> str:
        if not names:
            return (
                '<span class="eternaltwin-alias-info" style="color:#b42318">No connection is configured: '
                "call <code>eternaltwin.connections.configure(name={'url': ...})</code> "
                "or <code>%eternaltwin sandbox</code>.</span>"
            )
        if alias is None:
            active = self._regs.active()
            missing = (
                f" (the active alias <code>{html.escape(active)}</code> is not configured)" if active else ""
            )
            return f'<span class="eternaltwin-alias-info">Choose a connection{missing}.</span>'
        client = self._regs.get(alias)
        url = html.escape(str(getattr(client, "url", "")))
        user = getattr(client, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            name = html.escape(str(getattr(user, "display_name", None) or getattr(user, "identifier", "")))
            who = f"logged in as <b>{name}</b>"
        else:
            who = "not logged in"
        return f'<span class="eternaltwin-alias-info"><code>{url}</code> · {who}</span>'
