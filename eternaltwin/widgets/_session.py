"""A login with Eternaltwin from a notebook, without its widgets: the login widget's logic.

:class:`LoginSession` is what :class:`~eternaltwin.widgets.LoginWidget` shows: the OAuth state machine
(start, complete, cancel, log out), the lifetime of the loopback callback server that finishes a login by
itself, following the connection registries, and "Remember me" (the opt-in
:class:`~eternaltwin.widgets._token_cache.TokenCache`). It imports no ipywidgets: it can be driven and
tested alone, and tells its view of every change through one callback, ``on_change``.

It calls the client's typed operations directly: ``client.start_login``, ``client.complete_login``,
``client.refresh`` and ``client.user_of_token``.

Remembered logins
-----------------
The cache keeps what the server gave (see :mod:`~eternaltwin.widgets._token_cache`): the refresh token
when there is one, else the access token until it expires. A later session logs in silently from it:
with the refresh grant then ``user_of_token``, or with ``user_of_token`` alone for an access token.

A client renews an expired access token by itself, and a refresh may rotate the refresh token (the old
one stops working). So that the saved login stays usable, the session watches the token of the login it
remembers (:meth:`Token.on_renewal <eternaltwin.tokens.Token.on_renewal>`: every holder of the token,
sync twin, async twin and notebook variable alike, shares the one object, renewed in place), and saves
each new refresh token at once, in the thread that refreshed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from eternaltwin import _hub
from eternaltwin.exceptions import (
    ConfigurationError,
    EternalTwinError,
    InvalidArgumentError,
    InvalidStateError,
    MissingCredentialsError,
    RequestError,
    TransportError,
    UnknownAliasError,
)
from eternaltwin.tokens import Token
from eternaltwin.users import User
from eternaltwin.widgets._callback import CallbackPage, CallbackServer, TimerFactory, thread_timer
from eternaltwin.widgets._registry import WATCH, Registries, registries, set_user
from eternaltwin.widgets._token_cache import SavedLogin, TokenCache

__all__ = ["CALLBACK_GRACE", "LoginSession"]

#: Seconds the loopback callback server keeps listening after the state has expired (by default): a
#: redirect arriving late then gets the state check's "Authorization expired" page, not a connection error.
CALLBACK_GRACE = 600.0

#: What a status is: ``"info"``, ``"ok"`` or ``"error"``.
STATUS_KINDS = ("info", "ok", "error")


class _Over(Exception):
    """A redirect for a login that is no longer the session's current one (internal)."""


@dataclass
class _Pending:
    """A login that was started and is waiting for its redirect."""

    alias: str
    state: str
    redirect_uri: str
    mode: str
    server: CallbackServer | None = None
    started: float = field(default_factory=time.monotonic)


class LoginSession:
    """The logic of one login widget: start, finish, cancel and forget logins of one connection.

    Parameters
    ----------
    using : str, optional
        The connection alias; None follows the active alias (``connections.use``).
    remember : bool, optional
        Keep the login in the user's config directory so that a later session logs in silently (see
        :mod:`~eternaltwin.widgets._token_cache`). None (the default) means: only if it was turned on
        before for this connection, i.e. a saved login exists.
    state_expiration : int
        Seconds the login may take before its state expires (600).
    callback_lifetime : float, optional
        In loopback mode, seconds the callback server listens at most before the login ends as timed
        out; by default ``state_expiration`` plus :data:`CALLBACK_GRACE`.
    token_cache : TokenCache, optional
        Where remembered logins go; the user's config directory by default.
    watch : bool
        Follow registry changes made elsewhere (another widget, ``configure``, ``use``).
    regs : Registries, optional
        The registries to work on (the global sync and async ones by default).
    timer_factory : callable, optional
        Makes the callback server's lifetime timer (:func:`~eternaltwin.widgets._callback.thread_timer`).
    on_change : callable, optional
        Called with no argument after the state below changed, in the thread that changed it (the
        callback server's, for a login it finishes). Settable later as the attribute of that name.

    Attributes
    ----------
    status : str
        A short sentence saying where things stand ("Logged in as Alice", an error...).
    status_kind : str
        ``"info"``, ``"ok"`` or ``"error"``.
    mode : str
        ``"loopback"`` or ``"paste"`` while a login is under way, else ``""``.
    authorization_url : str
        The login page of the login under way ("" when none is).
    user : User or None
        The logged-in user of the connection.
    remember : bool
        Whether logins of this connection are remembered.
    on_login, on_logout : list of callable
        Called with the :class:`~eternaltwin.users.User` after a login (in the thread that finished it)
        or a logout.

    Raises
    ------
    ConfigurationError
        For a ``callback_lifetime`` that is not a number above 0.

    Notes
    -----
    Nothing here happens at construction: call :meth:`refresh` to show the connection's state (which
    also logs in silently from a remembered login).
    """

    def __init__(
        self,
        using: str | None = None,
        *,
        remember: bool | None = None,
        state_expiration: int = 600,
        callback_lifetime: float | None = None,
        token_cache: TokenCache | None = None,
        watch: bool = True,
        regs: Registries | None = None,
        timer_factory: TimerFactory = thread_timer,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if callback_lifetime is None:
            callback_lifetime = max(state_expiration, 0) + CALLBACK_GRACE
        elif not callback_lifetime > 0:  # also refuses NaN
            raise ConfigurationError(
                f"callback_lifetime is the seconds the login's callback server listens: a number above 0, "
                f"not {callback_lifetime!r} (leave it out for state_expiration plus ten minutes)."
            )
        self.using = using
        self.state_expiration = state_expiration
        self.callback_lifetime = float(callback_lifetime)
        self.on_change = on_change
        self.on_login: list[Callable[[User], Any]] = []
        self.on_logout: list[Callable[[User], Any]] = []
        self._regs = regs if regs is not None else registries()
        self._cache = token_cache if token_cache is not None else TokenCache()
        self._timer_factory = timer_factory
        self._remember_asked = remember
        self._lock = threading.RLock()
        self._pending: _Pending | None = None
        self._shown: tuple[Any, ...] | None = None
        self._cache_tried: set[str] = set()
        self._watched: Token | None = None  # the token of the remembered login (see the module)
        self._stop_watching: Callable[[], None] | None = None
        self._watched_key: tuple[str, str] = ("", "")
        self.status = ""
        self.status_kind = "info"
        self.mode = ""
        self.authorization_url = ""
        self.user: User | None = None
        self.remember = False
        self._unwatch_registry: Callable[[], None] | None = None
        if watch:
            self._unwatch_registry = WATCH.subscribe(self._regs, self._on_registry_change)

    # -- public API -----------------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        """The alias this session logs in to: ``using``, or the registry's active alias."""
        if self.using is not None:
            return self.using
        return self._regs.active() or "default"

    @property
    def client(self) -> Any:
        """The sync client of :attr:`alias`, or None when it is not configured."""
        return self._regs.get(self.alias)

    @property
    def pending(self) -> bool:
        """Whether a login is under way."""
        return self._pending is not None

    def start(self) -> str:
        """Start a login: a new state, the authorization URL and, in loopback mode, the callback server.

        A login already under way is abandoned (its state will be refused).

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
                login: tuple[str, str] = client.start_login(self.state_expiration)
                state, url = login
            except EternalTwinError as error:
                self._set_status(_describe(error), "error")
                raise
            redirect_uri = str(client.redirect_uri)
            pending = _Pending(alias, state, redirect_uri, mode="paste")
            note = ""
            local = _local_endpoint(redirect_uri)
            if local is not None:
                port, path = local
                # The server answers this login's redirect only, for at most callback_lifetime seconds.
                server = CallbackServer.for_redirect_uri(
                    redirect_uri,
                    lambda query: self._on_redirect(pending, query),
                    port=port,
                    path=path,
                    state=state,
                    timeout=self.callback_lifetime,
                    on_timeout=lambda: self._on_timeout(pending),
                    timer_factory=self._timer_factory,
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
            return url

    def complete(self, redirected_url: str) -> User:
        """Finish the login with the address the browser was redirected to.

        Checks the state against the one :meth:`start` made (a wrong, expired or already used state is
        refused), exchanges the code, stores the user on the connection (sync and async twins) and calls
        :attr:`on_login`.

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

    def cancel(self) -> None:
        """Abandon the login under way (its state will be refused) and stop the callback server."""
        with self._lock:
            if self._pending is None:
                return
            self._end_pending()
            self._show_connection(force=True)
            self._changed()

    def logout(self) -> None:
        """Forget the logged-in user of the connection (both twins) and any remembered login."""
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
            self._sync_watch()
            self._set_status("Logged out.")
        if user is not None:
            _notify(self.on_logout, user)

    def login_from_cache(self) -> User | None:
        """Log in silently with the remembered login of the connection, if there is one.

        A refresh token is renewed (refresh grant) then identified (``client.user_of_token``); an access
        token is identified as it is.

        Returns
        -------
        User or None
            The user, or None when nothing is remembered or the saved login did not work: when the server
            refused it, it is forgotten; when the server could not be reached, it is kept. :attr:`status`
            says which.
        """
        with self._lock:
            alias = self.alias
            client = self._regs.get(alias)
            if client is None or not getattr(client, "client_id", None):
                return None
            try:
                saved = self._cache.get(str(client.url), str(client.client_id))
            except ConfigurationError as error:
                self._set_status(f"The saved login was not read: {error}", "error")
                return None
            if saved is None:
                return None
            token = saved.token()
            try:
                if saved.kind == "refresh_token":
                    client.refresh(token)
                    # The refresh may have rotated the saved token away: keep the new one, come what may.
                    self._save(client, token)
                user: User = client.user_of_token(token)
            except RequestError as error:
                self._forget_saved(client)
                self._set_remember_quietly(False)
                self._set_status(
                    f"The saved login no longer works ({_describe(error)}); log in again.", "error"
                )
                return None
            except EternalTwinError as error:
                self._set_status(
                    f"The saved login could not be used now ({_describe(error)}); it is kept: log in, or "
                    "try again later.",
                    "error",
                )
                return None
            self._set_remember_quietly(True)
            self._logged_in(alias, user)
        _notify(self.on_login, user)
        return user

    def set_remember(self, remember: bool) -> None:
        """The person's choice for "Remember me": save the current login now, or forget the saved one."""
        with self._lock:
            self._remember_asked = remember
            self.remember = remember
            client = self._regs.get(self.alias)
            if client is not None:
                if remember and self.user is not None:
                    problem = self._save(client, self.user.token)
                    if problem:
                        self._set_status(problem, "error")
                elif not remember:
                    self._forget_saved(client)
            self._sync_watch()
            self._changed()

    def refresh(self) -> None:
        """Show the connection's current state again (after a change made elsewhere).

        Also logs in silently from a remembered login (once per connection), and saves the login again
        when its token changed since it was saved.
        """
        with self._lock:
            if self._pending is None:
                self._show_connection()
                self._keep_saved_login_current()
                self._sync_watch()
            self._changed()

    def set_status(self, text: str, kind: str = "info") -> None:
        """Show a message of the view's own in :attr:`status` (``kind``: ``"info"``, ``"ok"``, ``"error"``).

        Raises
        ------
        InvalidArgumentError
            For another ``kind``.
        """
        if kind not in STATUS_KINDS:
            raise InvalidArgumentError(f"kind must be one of {', '.join(STATUS_KINDS)}, not {kind!r}")
        with self._lock:
            self._set_status(text, kind)

    def close(self) -> None:
        """Stop any callback server, the registry watch and the token watch."""
        with self._lock:
            self._end_pending()
            if self._unwatch_registry is not None:
                self._unwatch_registry()
                self._unwatch_registry = None
            self._unwatch_token()

    # -- the login under way --------------------------------------------------------------------------

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
                client = self._client(pending.alias)
                user: User = client.complete_login(code, state, expected_state=pending.state)
            except (EternalTwinError, ValueError) as error:
                self._set_status("Login failed: " + _describe(error), "error")
                raise
            self._logged_in(pending.alias, user)
        _notify(self.on_login, user)
        return user

    def _end_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending.server is not None:
            pending.server.stop()
        self.authorization_url = ""
        self.mode = ""

    def _on_redirect(self, pending: _Pending, query: str) -> CallbackPage:
        """What the callback server of ``pending`` calls, in its own thread."""
        base = pending.redirect_uri.split("?", 1)[0]
        try:
            user = self._complete(f"{base}?{query}", pending)
        except _Over:  # replaced, cancelled or already finished: the notebook shows another login now
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

    # -- the connection -------------------------------------------------------------------------------

    def _client(self, alias: str) -> Any:
        client = self._regs.get(alias)
        if client is None:
            raise UnknownAliasError(alias, self._regs.aliases())
        return client

    def _logged_in(self, alias: str, user: User) -> None:
        set_user(self._regs, alias, user)
        client = self._regs.get(alias)
        problem = ""
        if self.remember and client is not None:
            problem = self._save(client, user.token)
        if alias == self.alias:
            self.user = user
            self._shown = _shown_key(alias, client)
        self._sync_watch()
        name = user.display_name or user.identifier
        if problem:
            self._set_status(f"Logged in as {name}, but {problem[0].lower()}{problem[1:]}", "error")
        else:
            self._set_status(f"Logged in as {name}", "ok")

    def _show_connection(self, *, force: bool = False) -> None:
        """Reflect the connection's user in the state, when it changed since last shown."""
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
        problem = ""
        try:
            remembered = bool(getattr(client, "client_id", None)) and (
                self._cache.get(str(client.url), str(client.client_id)) is not None
            )
        except ConfigurationError as error:
            remembered, problem = False, str(error)
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
        if problem:
            self._set_status(f"Not logged in. Remember me is unavailable: {problem}", "error")
            return
        self._set_status("Not logged in.")

    # -- remembered logins ----------------------------------------------------------------------------

    def _save(self, client: Any, token: Token | None) -> str:
        """Save the login of ``token`` for ``client``; "" when done, else a sentence saying why not."""
        if token is None or not getattr(client, "client_id", None):
            return ""
        try:
            self._cache.put(str(client.url), str(client.client_id), token)
        except ConfigurationError as error:
            return f"Not remembered: {error}"
        except OSError as error:
            return f"Not remembered: the login cache could not be written ({error.strerror or error})."
        return ""

    def _forget_saved(self, client: Any) -> None:
        if not getattr(client, "client_id", None):
            return
        # A cache that cannot be used holds nothing this session saved.
        with contextlib.suppress(ConfigurationError, OSError):
            self._cache.delete(str(client.url), str(client.client_id))

    def _keep_saved_login_current(self) -> None:
        """Save the login again when its token no longer matches what is saved (a renewal made while
        the token was not watched: a token of a class of its own, or one swapped in elsewhere)."""
        if not self.remember or self.user is None or self.user.token is None:
            return
        client = self._regs.get(self.alias)
        if client is None or not getattr(client, "client_id", None):
            return
        wanted = SavedLogin.of(self.user.token)
        try:
            saved = self._cache.get(str(client.url), str(client.client_id))
        except ConfigurationError:
            return
        if (wanted is None and saved is None) or (wanted is not None and wanted.same_as(saved)):
            return
        problem = self._save(client, self.user.token)
        if problem:
            self._set_status(problem, "error")

    def _sync_watch(self) -> None:
        """Watch the token of the remembered login (and only that one) for renewals."""
        client = self._regs.get(self.alias)
        token = self.user.token if self.user is not None else None
        if not self.remember or token is None or client is None or not getattr(client, "client_id", None):
            self._unwatch_token()
            return
        if token is self._watched:
            return
        self._unwatch_token()
        self._watched = token
        self._watched_key = (str(client.url), str(client.client_id))
        self._stop_watching = token.on_renewal(self._on_token_renewed)

    def _unwatch_token(self) -> None:
        stop, self._stop_watching = self._stop_watching, None
        self._watched = None
        if stop is not None:
            stop()

    def _on_token_renewed(self, token: Token) -> None:
        """A watched token got a new refresh token (a refresh rotated it): save it now.

        Runs in the thread that refreshed, maybe while another holds this session's lock waiting for
        that refresh: so it takes no lock, and never raises into the refresh.
        """
        if token is not self._watched or not self.remember:
            return
        url, client_id = self._watched_key
        try:
            self._cache.put(url, client_id, token)
        except (ConfigurationError, OSError) as error:
            self._set_status(
                f"The renewed login could not be saved ({error}): log in again next time.", "error"
            )

    def _set_remember_quietly(self, value: bool) -> None:
        """Reflect the saved state without taking it as the person's choice."""
        self.remember = value

    # -- notifications --------------------------------------------------------------------------------

    def _set_status(self, text: str, kind: str = "info") -> None:
        self.status_kind = kind
        self.status = text
        self._changed()

    def _changed(self) -> None:
        listener = self.on_change
        if listener is not None:
            listener()

    def _on_registry_change(self) -> None:
        self.refresh()


def _notify(callbacks: list[Callable[[User], Any]], user: User) -> None:
    for callback in list(callbacks):
        callback(user)


# -- helpers --------------------------------------------------------------------------------------------


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
