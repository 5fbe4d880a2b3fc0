"""The "Log in with Eternaltwin" widget."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets as widgets
import traitlets

from eternaltwin import _hub
from eternaltwin.exceptions import (
    ConfigurationError,
    EternalTwinError,
    InvalidStateError,
    MissingCredentialsError,
    RequestError,
    TransportError,
    UnknownAliasError,
)
from eternaltwin.tokens import Token
from eternaltwin.users import User
from eternaltwin.widgets._callback import CallbackPage, CallbackServer
from eternaltwin.widgets._registry import WATCH, Registries, registries, set_user
from eternaltwin.widgets._token_cache import TokenCache

__all__ = ["LoginWidget"]

#: Seconds during which the browser may still act on the "open a tab" script once it reaches it.
_OPEN_TAB_WINDOW = 30

#: Seconds the loopback callback server keeps listening after the state has expired (by default): a
#: redirect arriving late then gets the state check's "Authorization expired" page, not a connection error.
CALLBACK_GRACE = 600.0

_COLOURS = {"info": "var(--jp-ui-font-color1, #1f2328)", "ok": "#1a7f37", "error": "#b42318"}


class _Over(Exception):
    """A redirect for a login that is no longer the widget's current one (internal)."""


@dataclass
class _Pending:
    """A login that was started and is waiting for its redirect."""

    alias: str
    state: Any
    redirect_uri: str
    mode: str
    server: CallbackServer | None = None
    started: float = field(default_factory=time.monotonic)


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
        Keep the refresh token in the user's config directory so that a later session logs in silently
        (see :mod:`eternaltwin.widgets._token_cache`). None (the default) means: only if it was turned on
        before for this connection, i.e. a saved token exists. Off unless asked for.
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
        if callback_lifetime is None:
            callback_lifetime = max(state_expiration, 0) + CALLBACK_GRACE
        elif not callback_lifetime > 0:  # also refuses NaN
            raise ConfigurationError(
                f"callback_lifetime is the seconds the login's callback server listens: a number above 0, "
                f"not {callback_lifetime!r} (leave it out for state_expiration plus ten minutes)."
            )
        self.using = using
        self.open_tab = open_tab
        self.state_expiration = state_expiration
        self.callback_lifetime = float(callback_lifetime)
        self.on_login: list[Callable[[User], Any]] = []
        self.on_logout: list[Callable[[User], Any]] = []
        self._regs: Registries = registries()
        self._cache = token_cache if token_cache is not None else TokenCache()
        self._remember_asked = remember
        self._lock = threading.RLock()
        self._pending: _Pending | None = None
        self._shown: tuple[Any, ...] | None = None
        self._cache_tried: set[str] = set()
        self._unwatch: Callable[[], None] | None = None
        self._quiet = False

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
        self.observe(self._render, names=["status", "status_kind", "mode", "user", "authorization_url"])
        self.observe(self._on_remember_trait, names="remember")
        self.refresh()
        if watch:
            self._unwatch = WATCH.subscribe(self._regs, self._on_registry_change)

    # -- public API -----------------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        """The alias this widget logs in to: ``using``, or the registry's active alias."""
        if self.using is not None:
            return self.using
        return self._regs.active() or "default"

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
        with self._lock:
            self._end_pending()
            alias = self.alias
            try:
                client = self._client(alias)
                missing = _missing_credentials(client)
                if missing:
                    raise MissingCredentialsError(missing, "Logging in with Eternaltwin")
                state, url = User.start_authorization(expiration=self.state_expiration, using=alias)
            except EternalTwinError as error:
                self._set_status(_describe(error), "error")
                raise
            redirect_uri = str(client.redirect_uri)
            pending = _Pending(alias, state, redirect_uri, mode="paste")
            note = ""
            local = _local_endpoint(redirect_uri)
            if local is not None:
                port, path = local
                # The server answers for this login only, for at most callback_lifetime seconds.
                server = CallbackServer.for_redirect_uri(
                    redirect_uri,
                    lambda query: self._on_redirect(pending, query),
                    port=port,
                    path=path,
                    timeout=self.callback_lifetime,
                    on_timeout=lambda: self._on_timeout(pending),
                )
                try:
                    server.start()
                except OSError as error:
                    note = f" (Port {port} is busy ({error.strerror}), so the redirect must be pasted.)"
                else:
                    pending.server = server
                    pending.mode = "loopback"
            self._pending = pending
            self.authorization_url = url
            self.mode = pending.mode
            if pending.mode == "loopback":
                self._set_status(
                    "Waiting for you to log in on Eternaltwin, in the new tab or through the link."
                )
            elif _hub.loopback_port(redirect_uri) is not None and not note:
                self._set_status(
                    "Open the link and log in. Your browser then fails to load a page on 127.0.0.1 or "
                    "localhost (it is this kernel's machine, not yours): paste that page's address below."
                )
            else:
                self._set_status(
                    "Open the link, log in, then paste below the address your browser lands on." + note
                )
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
        return self._complete(redirected_url, None)

    def _complete(self, redirected_url: str, only: _Pending | None) -> User:
        """:meth:`complete`; with ``only``, a login other than that one is left alone (:class:`_Over`)."""
        with self._lock:
            pending = self._pending
            if only is not None and pending is not only:
                raise _Over
            self._end_pending()
            try:
                if pending is None:
                    raise InvalidStateError(
                        "No login is under way (it was already completed, cancelled or timed out): "
                        "click 'Log in with Eternaltwin' to start a new one.",
                        _query_value(redirected_url, "state") or "",
                    )
                code, state = _code_and_state(redirected_url)
                user = User.from_authorization_code(
                    code, state, expected_state=pending.state, using=pending.alias
                )
            except (EternalTwinError, ValueError) as error:
                self._set_status("Login failed: " + _describe(error), "error")
                raise
            self._logged_in(pending.alias, user)
        self._notify(self.on_login, user)
        return user

    def cancel(self) -> None:
        """Abandon the login under way (its state will be refused) and stop the callback server."""
        with self._lock:
            if self._pending is None:
                return
            self._end_pending()
            self._show_connection(force=True)

    def logout(self) -> None:
        """Forget the logged-in user of the connection (both twins) and any remembered token."""
        with self._lock:
            self._end_pending()
            alias = self.alias
            client = self._regs.get(alias)
            user = self.user
            if user is None and client is not None:
                user = getattr(client, "user", None)
            if user is not None:
                user.logout()
            set_user(self._regs, alias, None)
            if client is not None:
                self._forget_saved(client)
            self.user = None
            self._shown = None
            self._show_connection()
            self._set_status("Logged out.")
        if user is not None:
            self._notify(self.on_logout, user)

    def login_from_cache(self) -> User | None:
        """Log in silently with a remembered refresh token, if there is one for the connection.

        Returns
        -------
        User or None
            The user, or None when nothing is remembered or the saved login no longer works (it is then
            forgotten, and :attr:`status` says so).
        """
        with self._lock:
            alias = self.alias
            client = self._regs.get(alias)
            if client is None or not getattr(client, "client_id", None):
                return None
            refresh_token = self._cache.get(str(client.url), str(client.client_id))
            if refresh_token is None:
                return None
            try:
                # refresh() renews a Token in place: start from one that holds only the refresh token.
                token = Token(access_token="", expires_in=0, token_type="Bearer", refresh_token=refresh_token)
                client.refresh(token)
                user = User.from_token(token, using=alias)
            except EternalTwinError as error:
                self._forget_saved(client)
                self._set_remember_quietly(False)
                self._set_status(
                    f"The saved login no longer works ({_describe(error)}); log in again.", "error"
                )
                return None
            # The refresh grant rotates the token: keep the new one (the person opted in earlier).
            self._set_remember_quietly(True)
            self._logged_in(alias, user)
        self._notify(self.on_login, user)
        return user

    def refresh(self) -> None:
        """Show the connection's current state again (after a change made elsewhere)."""
        with self._lock:
            if self._pending is None:
                self._show_connection()
                self._keep_saved_token_current()
            self._render()

    def close(self) -> None:
        """Stop any callback server and the registry watch, then close the widgets."""
        if "_lock" not in self.__dict__:  # __init__ refused its arguments before building anything
            super().close()
            return
        with self._lock:
            self._end_pending()
            if self._unwatch is not None:
                self._unwatch()
                self._unwatch = None
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

    # -- internals ------------------------------------------------------------------------------------

    def _client(self, alias: str) -> Any:
        client = self._regs.get(alias)
        if client is None:
            raise UnknownAliasError(alias, self._regs.aliases())
        return client

    def _end_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending.server is not None:
            pending.server.stop()
        self._opener.outputs = ()
        self.paste_box.value = ""  # whatever was pasted holds a code: never keep it in the widget state
        self.authorization_url = ""
        self.mode = ""

    def _logged_in(self, alias: str, user: User) -> None:
        set_user(self._regs, alias, user)
        client = self._regs.get(alias)
        if self.remember and client is not None:
            self._save(client, user)
        if alias == self.alias:
            self.user = user
            self._shown = _shown_key(alias, client)
        self._set_status(f"Logged in as {user.display_name or user.identifier}", "ok")

    def _save(self, client: Any, user: User) -> None:
        refresh_token = getattr(user.token, "refresh_token", None)
        if refresh_token and getattr(client, "client_id", None):
            self._cache.put(str(client.url), str(client.client_id), refresh_token)

    def _keep_saved_token_current(self) -> None:
        """A client renews an expired token by itself, which rotates the refresh token: save the new one."""
        if not self.remember or self.user is None:
            return
        client = self._regs.get(self.alias)
        refresh_token = getattr(self.user.token, "refresh_token", None)
        if client is None or not refresh_token or not getattr(client, "client_id", None):
            return
        if self._cache.get(str(client.url), str(client.client_id)) != refresh_token:
            self._save(client, self.user)

    def _forget_saved(self, client: Any) -> None:
        if getattr(client, "client_id", None):
            self._cache.delete(str(client.url), str(client.client_id))

    def _show_connection(self, *, force: bool = False) -> None:
        """Reflect the connection's user in the traits, when it changed since last shown."""
        alias = self.alias
        client = self._regs.get(alias)
        key = _shown_key(alias, client)
        if key == self._shown and not force:
            return
        self._shown = key
        if client is None:
            self.user = None
            known = self._regs.aliases()
            hint = f" (configured: {', '.join(known)})" if known else ""
            self._set_status(f"No connection named {alias!r}{hint}.", "error")
            return
        remembered = bool(getattr(client, "client_id", None)) and (
            self._cache.get(str(client.url), str(client.client_id)) is not None
        )
        self._set_remember_quietly(remembered if self._remember_asked is None else self._remember_asked)
        user = getattr(client, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            self.user = user
            self._set_status(f"Logged in as {user.display_name or user.identifier}", "ok")
            return
        self.user = None
        missing = _missing_credentials(client)
        if missing:
            self._set_status(
                f"Connection {alias!r} cannot log in: it was configured without {', '.join(missing)}."
            )
            return
        cache_key = f"{alias} {id(client)}"
        if remembered and self._remember_asked is not False and cache_key not in self._cache_tried:
            self._cache_tried.add(cache_key)
            self._set_status("Logging in with the saved login…")
            if self.login_from_cache() is not None:
                self._shown = _shown_key(alias, client)
            return
        self._set_status("Not logged in.")

    def _set_status(self, text: str, kind: str = "info") -> None:
        with self.hold_trait_notifications():
            self.status_kind = kind
            self.status = text

    def _render(self, change: Any = None) -> None:
        colour = _COLOURS.get(self.status_kind, _COLOURS["info"])
        self.status_html.value = (
            f'<span class="eternaltwin-login-status" style="color:{colour}">{html.escape(self.status)}</span>'
        )
        pending = self.mode != ""
        client = self._regs.get(self.alias)
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

    def _on_redirect(self, pending: _Pending, query: str) -> CallbackPage:
        """What the callback server of ``pending`` calls, in its own thread."""
        base = pending.redirect_uri.split("?", 1)[0]
        try:
            user = self._complete(f"{base}?{query}", pending)
        except _Over:  # replaced, cancelled or already finished: the widget shows another login now
            return CallbackPage(False, "Login failed", "This login is over: start a new one in the notebook.")
        except (EternalTwinError, ValueError) as error:
            return CallbackPage(False, "Login failed", "Login failed: " + _describe(error))
        return CallbackPage(
            True, f"Logged in as {user.display_name or user.identifier}", "The notebook has your login."
        )

    def _on_timeout(self, pending: _Pending) -> None:
        """The callback server of ``pending`` reached the end of its lifetime."""
        with self._lock:
            if self._pending is not pending:  # finished, cancelled or replaced meanwhile: nothing to end
                return
            self._end_pending()
            self._set_status("The login timed out: click 'Log in with Eternaltwin' to try again.", "error")

    def _on_registry_change(self) -> None:
        self.refresh()

    def _finish_from_box(self) -> None:
        text = self.paste_box.value.strip()
        if not text:
            self._set_status("Paste the address your browser was sent to first.", "error")
            return
        self._run_button(lambda: self.complete(text))

    def _run_button(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except (EternalTwinError, ValueError):
            pass  # already in the status line
        except Exception as error:  # a click must not end in a traceback in the log
            self._set_status(f"Unexpected error: {type(error).__name__}: {error}", "error")

    def _on_remember_box(self, change: Any) -> None:
        self.remember = bool(change["new"])

    def _set_remember_quietly(self, value: bool) -> None:
        """Reflect the saved state without taking it as the person's choice."""
        self._quiet = True
        try:
            self.remember = value
        finally:
            self._quiet = False

    def _on_remember_trait(self, change: Any) -> None:
        remember = bool(change["new"])
        if self.remember_box.value != remember:
            self.remember_box.value = remember
        if self._quiet:
            return
        self._remember_asked = remember
        client = self._regs.get(self.alias)
        if client is None:
            return
        if remember and self.user is not None:
            self._save(client, self.user)
        elif not remember:
            self._forget_saved(client)

    @staticmethod
    def _notify(callbacks: list[Callable[[User], Any]], user: User) -> None:
        for callback in list(callbacks):
            callback(user)


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _missing_credentials(client: Any) -> list[str]:
    return list(getattr(client, "missing_credentials", ()))


def _shown_key(alias: str, client: Any) -> tuple[Any, ...]:
    user = getattr(client, "user", None)
    return (alias, id(client), id(user), id(getattr(user, "token", None)))


def _local_endpoint(redirect_uri: str) -> tuple[int, str] | None:
    """The port and path a local server must answer for ``redirect_uri``, or None (paste mode).

    A loopback ``redirect_uri`` only counts when the browser is on this machine; on a hub, one that goes
    through jupyter-server-proxy to a local port counts too.
    """
    proxied = _hub.proxied_port(redirect_uri)
    if proxied is not None:
        return proxied
    port = _hub.loopback_port(redirect_uri)
    if port is not None and not _hub.is_remote_kernel():
        return port, urlsplit(redirect_uri).path or "/"
    return None


def _query_of(text: str) -> str:
    text = text.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    return text.split("#", 1)[0]


def _query_value(text: str, name: str) -> str | None:
    values = parse_qs(_query_of(text)).get(name)
    return values[0] if values else None


def _code_and_state(redirected_url: str) -> tuple[str, str]:
    params = parse_qs(_query_of(redirected_url))
    if "error" in params:
        reason = params.get("error_description", params["error"])[0]
        raise ValueError(f"Eternaltwin did not authorize the app: {reason}")
    code = params.get("code", [""])[0]
    state = params.get("state", [""])[0]
    if not code:
        raise ValueError("That address holds no authorization code (no 'code=' in it).")
    if not state:
        raise ValueError("That address holds no state (no 'state=' in it).")
    return code, state


def _describe(error: BaseException) -> str:
    """A one-line message for the status; never a secret (the kit's messages mask them)."""
    if isinstance(error, RequestError):
        what = f"{error.code} " if error.code else ""
        verb = "failed" if error.status_code >= 500 else "refused it"
        return f"Eternaltwin {verb}: {what}(HTTP {error.status_code})"
    if isinstance(error, TransportError):
        return f"Eternaltwin could not be reached: {error}"
    return str(error)
