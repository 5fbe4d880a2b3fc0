"""The "Log in with Eternaltwin" widget: the view of a :class:`~eternaltwin.widgets._session.LoginSession`.

The session holds the logic (the OAuth state machine, the callback server's lifetime, remembered logins)
and no ipywidgets; this module lays it out, mirrors its state in traits and forwards clicks to it.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import traitlets

from eternaltwin import _hub
from eternaltwin.exceptions import EternalTwinError
from eternaltwin.users import User
from eternaltwin.widgets._session import CALLBACK_GRACE, LoginSession
from eternaltwin.widgets._token_cache import TokenCache

__all__ = ["CALLBACK_GRACE", "LoginWidget"]

#: Seconds during which the browser may still act on the "open a tab" script once it reaches it.
_OPEN_TAB_WINDOW = 30

_COLOURS = {"info": "var(--jp-ui-font-color1, #1f2328)", "ok": "#1a7f37", "error": "#b42318"}

#: The session's state that the widget mirrors in traits of the same names.
_MIRRORED = ("status_kind", "status", "mode", "authorization_url", "user", "remember")


class LoginWidget(widgets.VBox):  # type: ignore[misc]
    """Log in with Eternaltwin (OAuth authorization code) from a notebook.

    The button starts the login of the connection ``using`` names. When that connection's
    ``redirect_uri`` is a loopback address (``http://localhost:PORT/...`` or ``http://127.0.0.1:PORT/...``,
    or on JupyterHub/Binder a jupyter-server-proxy URL of this server), a small server listens on that
    port for the length of the login and finishes it by itself ("loopback" mode); otherwise the person
    pastes the address their browser was sent back to ("paste" mode). Either way the state is checked,
    the code exchanged, and the authenticated :class:`~eternaltwin.users.User` stored on the connection
    (sync and async twins), where ``User.me(using=...)``, the magics and :class:`AliasPicker` find it.

    Parameters
    ----------
    using : str, optional
        The connection alias; None follows the active alias (``connections.use``).
    remember : bool, optional
        Keep the login in the user's config directory so that a later session logs in silently: its
        refresh token when the server gave one, else its access token until it expires (see
        :mod:`eternaltwin.widgets._token_cache`). None (the default) means: only if it was turned on
        before for this connection, i.e. a saved login exists. Off unless asked for.
    open_tab : bool
        Whether :meth:`start` also asks the front end to open the login page in a new tab (browsers may
        block it; the link is always shown).
    state_expiration : int
        Seconds the login may take before its state expires (600). A redirect that comes later is refused
        by the state check ("Authorization expired").
    callback_lifetime : float, optional
        In loopback mode, seconds the callback server listens at most before the login ends as timed
        out; by default ``state_expiration`` plus :data:`CALLBACK_GRACE` (ten minutes). It is a bound on
        how long the port stays taken, not the state's expiry. Must be above 0
        (:class:`~eternaltwin.exceptions.ConfigurationError` otherwise).
    token_cache : TokenCache, optional
        Where remembered logins go; the user's config directory by default.
    watch : bool
        Follow registry changes made elsewhere (another widget, ``configure``, ``use``).

    Attributes
    ----------
    authorization_url : str
        The URL the button opens, set by :meth:`start` ("" when no login is under way).
    user : User or None
        The logged-in user of the connection.
    status : str
        A short sentence saying where things stand ("Logged in as Alice", an error...).
    status_kind : str
        ``"info"``, ``"ok"`` or ``"error"``.
    mode : str
        ``"loopback"`` or ``"paste"`` while a login is under way, else ``""``.
    remember : bool
        See the parameter; the "Remember me" checkbox.
    on_login : list of callable
        Each is called with the :class:`User` after a successful login (in the thread that completed it:
        the callback server's thread in loopback mode).
    on_logout : list of callable
        Each is called with the :class:`User` that logged out.

    session : LoginSession
        The logic this widget shows (state machine, callback server, remembered logins); the widget only
        lays it out and forwards clicks.

    Notes
    -----
    None of the traits above is synced to the front end, and the widgets this one shows never hold a
    token, a client secret or an authorization code: the paste box is emptied as soon as it is used, and
    the login link is removed once the login ends. The link carries the OAuth state, which is signed but
    not secret.
    """

    authorization_url = traitlets.Unicode("")
    user = traitlets.Instance(User, allow_none=True)
    status = traitlets.Unicode("")
    status_kind = traitlets.Enum(("info", "ok", "error"), default_value="info")
    mode = traitlets.Enum(("", "loopback", "paste"), default_value="")
    remember = traitlets.Bool(False)

    def __init__(
        self,
        using: str | None = None,
        *,
        remember: bool | None = None,
        open_tab: bool = True,
        state_expiration: int = 600,
        callback_lifetime: float | None = None,
        token_cache: TokenCache | None = None,
        watch: bool = True,
        **kwargs: Any,
    ) -> None:
        self.session = LoginSession(
            using,
            remember=remember,
            state_expiration=state_expiration,
            callback_lifetime=callback_lifetime,
            token_cache=token_cache,
            watch=watch,
        )
        self.open_tab = open_tab
        self._mirroring = False

        self.status_html = widgets.HTML()
        self.login_button = widgets.Button(
            description="Log in with Eternaltwin",
            button_style="primary",
            icon="sign-in",
            tooltip="Open the Eternaltwin login page",
            layout=widgets.Layout(width="auto"),
        )
        self.logout_button = widgets.Button(
            description="Log out", icon="sign-out", layout=widgets.Layout(width="auto")
        )
        self.cancel_button = widgets.Button(description="Cancel", layout=widgets.Layout(width="auto"))
        self.link_html = widgets.HTML()
        self.paste_box = widgets.Text(
            placeholder="Paste here the address your browser was sent to after logging in",
            layout=widgets.Layout(flex="1 1 auto", width="auto"),
        )
        self.finish_button = widgets.Button(
            description="Finish", button_style="success", layout=widgets.Layout(width="auto")
        )
        self.paste_row = widgets.HBox([self.paste_box, self.finish_button])
        self.remember_box = widgets.Checkbox(description="Remember me on this computer", indent=False)
        self._opener = widgets.Output(layout=widgets.Layout(display="none"))

        self.login_button.on_click(lambda _: self._run_button(lambda: self.start(open_tab=self.open_tab)))
        self.logout_button.on_click(lambda _: self._run_button(self.logout))
        self.cancel_button.on_click(lambda _: self._run_button(self.cancel))
        self.finish_button.on_click(lambda _: self._finish_from_box())
        self.remember_box.observe(self._on_remember_box, names="value")

        buttons = widgets.HBox([self.login_button, self.logout_button, self.cancel_button])
        super().__init__(
            [self.status_html, buttons, self.link_html, self.paste_row, self.remember_box, self._opener],
            **kwargs,
        )
        self.add_class("eternaltwin-login")
        self.observe(self._on_remember_trait, names="remember")
        self.session.on_change = self._mirror
        self.refresh()

    # -- public API (the session's, shown) ------------------------------------------------------------

    @property
    def using(self) -> str | None:
        """The connection alias given (None: the active alias)."""
        return self.session.using

    @using.setter
    def using(self, value: str | None) -> None:
        self.session.using = value

    @property
    def alias(self) -> str:
        """The alias this widget logs in to: ``using``, or the registry's active alias."""
        return self.session.alias

    @property
    def state_expiration(self) -> int:
        """Seconds a login may take before its state expires."""
        return self.session.state_expiration

    @property
    def callback_lifetime(self) -> float:
        """Seconds the loopback callback server listens at most."""
        return self.session.callback_lifetime

    @property
    def on_login(self) -> list[Callable[[User], Any]]:
        """Called with the :class:`User` after a successful login (see the class)."""
        return self.session.on_login

    @property
    def on_logout(self) -> list[Callable[[User], Any]]:
        """Called with the :class:`User` that logged out."""
        return self.session.on_logout

    def start(self, *, open_tab: bool = False) -> str:
        """Start a login: a new state, the authorization URL and, in loopback mode, the callback server.

        Parameters
        ----------
        open_tab : bool
            Also ask the front end to open the URL in a new tab (the button passes the widget's
            ``open_tab``).

        Returns
        -------
        str
            The authorization URL (also in :attr:`authorization_url`).

        Raises
        ------
        EternalTwinError
            When the connection is unknown or lacks OAuth credentials (also shown in :attr:`status`).
        """
        url = self.session.start()
        if open_tab:
            self._open_tab(_hub.browser_url(url))
        return url

    def complete(self, redirected_url: str) -> User:
        """Finish the login with the address the browser was redirected to.

        Checks the state against the one :meth:`start` made (a wrong, expired or already used state is
        refused), exchanges the code, stores the user on the connection and calls :attr:`on_login`.

        Parameters
        ----------
        redirected_url : str
            The full redirect (``https://app/callback?code=...&state=...``), or just its query.

        Returns
        -------
        User
            The authenticated user (its ``token`` set).

        Raises
        ------
        InvalidStateError
            No login under way (never started, cancelled, or already completed: a replay), or a state
            that is wrong, forged or expired.
        ValueError
            The address holds no code (or Eternaltwin answered with an ``error``).
        RequestError, TransportError
            The code exchange failed.

        Every failure is also shown in :attr:`status`, and ends the login: start a new one to retry.
        """
        return self.session.complete(redirected_url)

    def cancel(self) -> None:
        """Abandon the login under way (its state will be refused) and stop the callback server."""
        self.session.cancel()

    def logout(self) -> None:
        """Forget the logged-in user of the connection (both twins) and any remembered login."""
        self.session.logout()

    def login_from_cache(self) -> User | None:
        """Log in silently with the remembered login of the connection, if there is one.

        Returns
        -------
        User or None
            The user, or None when nothing is remembered or the saved login did not work (:attr:`status`
            says why).
        """
        return self.session.login_from_cache()

    def refresh(self) -> None:
        """Show the connection's current state again (after a change made elsewhere)."""
        self.session.refresh()
        self._mirror()

    def close(self) -> None:
        """Stop any callback server and the registry watch, then close the widgets."""
        session = self.__dict__.get("session")
        if session is None:  # __init__ refused its arguments before building anything
            super().close()
            return
        session.on_change = None
        session.close()
        for child in (
            self.status_html,
            self.login_button,
            self.logout_button,
            self.cancel_button,
            self.link_html,
            self.paste_box,
            self.finish_button,
            self.paste_row,
            self.remember_box,
            self._opener,
        ):
            child.close()
        super().close()

    # -- the view -------------------------------------------------------------------------------------

    def _mirror(self) -> None:
        """Copy the session's state into the traits, then draw (the session calls this on each change)."""
        session = self.session
        self._mirroring = True
        try:
            with self.hold_trait_notifications():
                for name in _MIRRORED:
                    setattr(self, name, getattr(session, name))  # observers hear of actual changes only
        finally:
            self._mirroring = False
        if not session.pending:
            # Whatever was pasted holds a code: never keep it in the widget state; the tab script goes too.
            self.paste_box.value = ""
            self._opener.outputs = ()
        self._render()

    def _render(self) -> None:
        colour = _COLOURS.get(self.status_kind, _COLOURS["info"])
        self.status_html.value = (
            f'<span class="eternaltwin-login-status" style="color:{colour}">{html.escape(self.status)}</span>'
        )
        pending = self.mode != ""
        client = self.session.client
        self.login_button.disabled = client is None or bool(_missing_credentials(client))
        self.login_button.description = "Start again" if pending else "Log in with Eternaltwin"
        self.login_button.button_style = "" if pending else "primary"
        _show(self.login_button, self.user is None or pending)
        _show(self.logout_button, self.user is not None and not pending)
        _show(self.cancel_button, pending)
        _show(self.paste_row, pending)
        self.paste_box.placeholder = (
            "Not done by itself? Paste here the address of the page you land on"
            if self.mode == "loopback"
            else "Paste here the address your browser was sent to after logging in"
        )
        if pending and self.authorization_url:
            href = html.escape(_hub.browser_url(self.authorization_url), quote=True)
            self.link_html.value = (
                f'<a href="{href}" target="_blank" rel="noopener noreferrer" class="eternaltwin-login-link" '
                'style="color:var(--jp-content-link-color, #1a73e8);text-decoration:underline">'
                "Open the Eternaltwin login page ↗</a>"
            )
        else:
            self.link_html.value = ""
        _show(self.link_html, pending)
        if self.remember_box.value != self.remember:
            self.remember_box.value = self.remember

    def _open_tab(self, url: str) -> None:
        deadline_ms = int((time.time() + _OPEN_TAB_WINDOW) * 1000)
        script = (
            f"if (Date.now() < {deadline_ms}) {{ window.open({json.dumps(url)}, '_blank', 'noopener'); }}"
        )
        self._opener.outputs = (
            {
                "output_type": "display_data",
                "data": {"application/javascript": script, "text/plain": ""},
                "metadata": {},
            },
        )

    def _finish_from_box(self) -> None:
        text = self.paste_box.value.strip()
        if not text:
            self.session.set_status("Paste the address your browser was sent to first.", "error")
            return
        self._run_button(lambda: self.complete(text))

    def _run_button(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except (EternalTwinError, ValueError):
            pass  # already in the status line
        except Exception as error:  # a click must not end in a traceback in the log
            self.session.set_status(f"Unexpected error: {type(error).__name__}: {error}", "error")

    def _on_remember_box(self, change: Any) -> None:
        self.remember = bool(change["new"])

    def _on_remember_trait(self, change: Any) -> None:
        remember = bool(change["new"])
        if self.remember_box.value != remember:
            self.remember_box.value = remember
        if not self._mirroring and remember != self.session.remember:
            self.session.set_remember(remember)  # the person's choice (the box, or the trait set in code)


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _missing_credentials(client: Any) -> list[str]:
    return list(getattr(client, "missing_credentials", ()))
