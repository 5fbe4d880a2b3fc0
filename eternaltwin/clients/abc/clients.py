"""The shared base of the sync and async clients: configuration and everything that does no I/O.

:class:`ClientABC` holds a connection's settings, builds requests, makes OAuth states and authorization
URLs, and defines every API method once (as flow builders, see
:mod:`eternaltwin.clients._operations`). The sync and async ``Eternaltwin`` classes only add a driver
that sends requests and the lifetime of their pooled httpx client.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from eternaltwin import config
from eternaltwin._secrets import mask
from eternaltwin._version import __version__
from eternaltwin.clients import _calls, _flows, endpoints
from eternaltwin.clients._calls import Call
from eternaltwin.clients._flows import Flow, RetryPolicy
from eternaltwin.clients._operations import operation
from eternaltwin.config import ConnectionSettings
from eternaltwin.exceptions import InvalidStateError, MissingCredentialsError, NotAuthenticatedError, warn
from eternaltwin.keys import Key
from eternaltwin.states import State
from eternaltwin.tokens import Token

if TYPE_CHECKING:
    from eternaltwin.clients.abc.announcements import AnnouncementClientABC
    from eternaltwin.clients.abc.archive import ArchiveClientABC
    from eternaltwin.clients.abc.clock import ClockClientABC
    from eternaltwin.clients.abc.forum import ForumClientABC
    from eternaltwin.clients.abc.users import UserClientABC
    from eternaltwin.forum import ServerConfig
    from eternaltwin.responses import Response
    from eternaltwin.users import SearchPage, SearchRecords, User

__all__ = ["DEFAULT_USER_AGENT", "ClientABC"]

#: The ``User-Agent`` sent unless a connection sets ``user_agent``.
DEFAULT_USER_AGENT = (
    f"eternaltwin-kit/{__version__} (+https://eternaltwin.org; python-httpx/{httpx.__version__})"
)

T = TypeVar("T")
_C = TypeVar("_C", bound="ClientABC")

_CREDENTIALS = ("client_id", "client_secret", "redirect_uri", "state_key")
_STATES_LOCK = threading.Lock()
_API_ROOT = "/api/v1"


class _Setting(Generic[T]):
    """A read-only attribute of a client that reads one field of its :class:`ConnectionSettings`."""

    __slots__ = ("name",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, client: ClientABC, owner: type | None = None) -> T:
        value: T = getattr(client.settings, self.name)
        return value


class ClientABC:
    """A connection to an Eternaltwin server (shared base of the sync and async clients).

    Parameters
    ----------
    client_id, client_secret, redirect_uri, state_key : optional
        The OAuth app's credentials. They may be left out for a read-only connection; a method that
        needs one raises :class:`~eternaltwin.exceptions.MissingCredentialsError` naming it.
        ``state_key`` is a string (an HS256 secret) or a :class:`~eternaltwin.keys.Key`.
    scope : str or list of str
        The OAuth scopes the authorization URL asks for (``"base"``, eternaltwin.org's; newer games ask
        for ``"base forum:write"``). :meth:`authorization_url` can override it for one login.
    url : str, optional
        The server, e.g. ``"https://eternaltwin.org/"``. Or give ``scheme``, ``host`` and optionally
        ``port`` and ``prefix``, which build ``scheme://host[:port]prefix``.
    timeout : float or None
        Seconds before a request times out (5).
    verify_ssl : bool
        Check TLS certificates (True).
    allow_redirects : bool
        Follow HTTP redirects (False).
    user_agent : str, optional
        Replaces the kit's ``User-Agent``.
    max_connections : int
        Requests in flight at once (10); more wait for a free connection, with no time limit (the
        ``timeout`` applies to connecting, sending and reading). Polite to the server, and faster than a
        large pool with httpx under heavy concurrency.
    max_retries, retry_backoff, retry_max_backoff
        Retries of GET requests on connection failures and on 429, 502, 503, 504: up to
        ``max_retries`` (3; 0 disables) retries, waiting ``retry_backoff`` (0.5 s) doubled at each
        retry, at most ``retry_max_backoff`` (10 s), plus up to 10 % of jitter. A ``Retry-After``
        header is obeyed when it asks for at most ``retry_max_backoff``; longer, the error is raised
        at once. POST requests (the token endpoint included) are never retried.
    async_backend : {"auto", "aiohttp", "httpx"}
        What the async client sends through: aiohttp (several times faster under concurrency; the
        ``fast`` extra installs it), httpx's own pool, or ``"auto"``: aiohttp when it is installed.
        Either way the client speaks httpx (same requests, responses, errors). The sync client ignores it.
    transport : httpx transport, optional
        Send through this transport (tests use :class:`httpx.MockTransport`); overrides ``async_backend``.
    sleep : callable, optional
        How to wait between retries (``time.sleep``/``asyncio.sleep`` by default; tests inject one).

    Attributes
    ----------
    user : User or None
        The user logged in on this connection (set by ``User.from_authorization_code``); used by
        ``User.me()`` when no token is given.

    Notes
    -----
    Two clients are equal (and hash equal) when their url, client_id, client_secret, redirect_uri,
    timeout, verify_ssl and allow_redirects are. Secrets never appear in the repr.
    """

    _flavour: ClassVar[str] = "abc"
    _user_client_class: ClassVar[type[UserClientABC]]
    _archive_client_class: ClassVar[type[ArchiveClientABC]]
    _clock_client_class: ClassVar[type[ClockClientABC]]
    _forum_client_class: ClassVar[type[ForumClientABC]]
    _announcement_client_class: ClassVar[type[AnnouncementClientABC]]

    #: The options this client was built with, checked (one object: see :mod:`eternaltwin.config`).
    settings: ConnectionSettings
    url = _Setting[str]()
    client_id = _Setting["str | None"]()
    client_secret = _Setting["str | None"]()
    redirect_uri = _Setting["str | None"]()
    state_key = _Setting["Key | None"]()
    scope = _Setting[str]()
    timeout = _Setting["float | None"]()
    verify_ssl = _Setting[bool]()
    allow_redirects = _Setting[bool]()
    max_connections = _Setting[int]()
    async_backend = _Setting[str]()

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        state_key: str | Key | None = None,
        *,
        scope: str | list[str] = config.DEFAULT_SCOPE,
        url: str | None = None,
        scheme: str = "http",
        host: str | None = None,
        port: int | None = None,
        prefix: str = "/",
        timeout: float | None = 5,
        verify_ssl: bool = True,
        allow_redirects: bool = False,
        user_agent: str | None = None,
        max_connections: int = 10,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        retry_max_backoff: float = 10.0,
        async_backend: str = "auto",
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        options = {name: value for name, value in locals().items() if name in config.OPTIONS}
        self._setup(config.validate_options(**options, source=type(self).__name__), transport, sleep)

    @classmethod
    def from_settings(
        cls: type[_C],
        settings: ConnectionSettings,
        *,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> _C:
        """A client with checked ``settings`` (another client's ``settings``, to make its twin).

        Parameters
        ----------
        settings : ConnectionSettings
            From :func:`eternaltwin.config.validate_options` or another client.
        transport, sleep : optional
            The Python-only hooks (see the class's parameters).
        """
        client = cls.__new__(cls)
        client._setup(settings, transport, sleep)
        return client

    def _setup(
        self,
        settings: ConnectionSettings,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Any] | None,
    ) -> None:
        self.settings = settings
        self.user_agent: str = settings.user_agent or DEFAULT_USER_AGENT
        self.retry_policy = RetryPolicy(
            max_retries=settings.max_retries,
            backoff=settings.retry_backoff,
            max_backoff=settings.retry_max_backoff,
        )
        #: The alias this client is registered under (set by the registry; recorded on the users it reads).
        self.alias: str | None = None
        self.user: User | None = None
        self._used_states: dict[str, float] = {}  # states accepted by a login, until they expire
        # Whether the server refused a token the full user record (401/403) after a login: then
        # user_of_token(full=None) stops asking for it (see _flows.user_of_token).
        self._full_record_refused = False
        self._transport = transport
        self._sleep_override = sleep
        # How the driver waits between retries: the injected function, else the flavour's own sleep.
        self._sleep: Callable[[float], Any] = sleep or self._wait
        parts = urlsplit(settings.url)
        path = parts.path.rstrip("/")
        if path.endswith(_API_ROOT):  # the older client's habit: a url at the API's root means its server
            path = path[: -len(_API_ROOT)]
        #: What endpoint paths are joined onto: the url's origin and path (a server under a prefix).
        self._base = f"{parts.scheme}://{parts.netloc}{path}"
        # Waiting for a free pooled connection is not limited: max_connections queues requests on purpose.
        self._httpx_timeout = httpx.Timeout(settings.timeout, pool=None)
        self._timeout_extension = self._httpx_timeout.as_dict()
        self.users = self._user_client_class(self)
        self.archive = self._archive_client_class(self)
        self.clock = self._clock_client_class(self)
        self.forum = self._forum_client_class(self)
        self.announcements = self._announcement_client_class(self)

    # -- credentials --------------------------------------------------------------------------------

    @property
    def missing_credentials(self) -> list[str]:
        """The OAuth credentials this connection was configured without."""
        return [name for name in _CREDENTIALS if getattr(self, name) is None]

    @property
    def is_read_only(self) -> bool:
        """Whether the connection lacks any credential the OAuth login needs (it can still read)."""
        return bool(self.missing_credentials)

    def _require(self, action: str, *names: str) -> None:
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise MissingCredentialsError(missing, action)

    def _basic_auth_token(self) -> str:
        """The base64 of ``client_id:client_secret``, for HTTP Basic authentication as the OAuth client."""
        self._require("Authenticating as the OAuth client", "client_id", "client_secret")
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return base64.b64encode(raw).decode("ascii")

    # -- requests (no I/O) --------------------------------------------------------------------------

    def _join(self, endpoint: str) -> str:
        """The url of ``endpoint``: a path from the server's root (``/api/v1/users``) goes under the url's
        own path (``https://example.org/etwin/`` serves ``/etwin/api/v1/users``); anything else is joined
        as a browser would."""
        if endpoint.startswith("/") and not endpoint.startswith("//"):
            return self._base + endpoint
        return urljoin(self.url, endpoint)

    def build_request(self, call: Call[Any]) -> httpx.Request:
        """The :class:`httpx.Request` for ``call``: url joined, ``User-Agent`` and authentication set.

        A ``token`` adds ``Authorization: Bearer <access token>`` unless the call's headers already
        have an ``Authorization``.
        """
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }
        if call.basic_auth:
            headers["Authorization"] = "Basic " + self._basic_auth_token()
        elif call.token is not None:
            # Inline, so that no local of this frame holds the access token (tracebacks may show locals).
            headers["Authorization"] = "Bearer " + (
                call.token.access_token if isinstance(call.token, Token) else call.token
            )
        if call.headers:
            if call.token is not None and any(k.lower() == "authorization" for k in call.headers):
                headers.pop("Authorization", None)
            headers.update(call.headers)
        return httpx.Request(
            call.method,
            self._join(call.path),
            params=call.params,
            json=call.json,
            data=call.data,
            content=call.content,
            headers=headers,
            cookies=dict(call.cookies) if call.cookies else None,
            extensions={"timeout": self._timeout_extension},
        )

    def _flow(self, call: Call[T]) -> Flow[T]:
        return _flows.execute(self, call)

    @staticmethod
    def _wait(seconds: float) -> Any:
        """The flavour's own sleep (``time.sleep`` or ``asyncio.sleep``)."""
        raise NotImplementedError

    def _run(self, flow: Flow[T]) -> Any:
        """Drive ``flow`` (sync: its result; async: an awaitable of it). Defined by the subclasses."""
        raise NotImplementedError

    # -- OAuth (no I/O) -----------------------------------------------------------------------------

    def authorization_url(self, state: str, scope: str | list[str] | None = None) -> str:
        """The authorization page to send the browser to.

        Parameters
        ----------
        state : str
            The state (see :meth:`generate_state`).
        scope : str or list of str, optional
            The scopes to ask for this time (``"base forum:write"``); the connection's ``scope`` option
            (``"base"`` unless configured) when None.

        Returns
        -------
        str
            ``…/oauth/authorize?response_type=code&access_type=offline&client_id=…&scope=base&state=…
            &redirect_uri=…`` (the older client's order; a space between scopes is sent as ``+``).

        Raises
        ------
        ConfigurationError
            For a ``scope`` that is empty or not made of scope names.
        """
        self._require("Building the authorization URL", "client_id", "redirect_uri")
        asked = self.scope if scope is None else config.check_scope(scope, key="scope")
        query = urlencode(
            [
                ("response_type", "code"),
                ("access_type", "offline"),
                ("client_id", self.client_id),
                ("scope", asked),
                ("state", state),
                ("redirect_uri", self.redirect_uri),
            ]
        )
        return f"{self._join(endpoints.AUTHORIZATION)}?{query}"

    def generate_state(self, expiration: int = 600, nonce: str | None = None) -> str:
        """A new signed state (a JWT) for :meth:`authorization_url`.

        Parameters
        ----------
        expiration : int
            Seconds of validity (600).
        nonce : str, optional
            Defaults to 128 random hex characters.
        """
        self._require("Generating an OAuth state", "state_key")
        assert self.state_key is not None
        return State.new(self.url, self.state_key, expiration, nonce).jwt

    def validate_state(self, state: str, expected: str | None = None) -> State:
        """Check a state received by the redirect URI.

        Parameters
        ----------
        state : str
            The ``state`` query parameter of the callback.
        expected : str, optional
            The state that was sent; when given, ``state`` must be equal to it.

        Returns
        -------
        State

        Raises
        ------
        InvalidStateError
        """
        self._require("Checking an OAuth state", "state_key")
        assert self.state_key is not None
        decoded = State.from_jwt(state, self.url, self.state_key)
        if expected is not None and state != expected:
            raise InvalidStateError("The state does not match the one that was sent.", state)
        return decoded

    def _accept_state(self, state: str, expected: str | None) -> State:
        """Check the state of a login's callback, once: :meth:`validate_state`, then refuse a state this
        connection has already accepted (a replayed redirect), and warn when nothing says it is the state
        this browser was sent with.

        Raises
        ------
        InvalidStateError
        """
        decoded = self.validate_state(state, expected)
        with _STATES_LOCK:
            now = time.time()
            self._used_states = {jwt: exp for jwt, exp in self._used_states.items() if exp > now}
            if state in self._used_states:
                raise InvalidStateError(
                    "This state was already used for a login on this connection: a redirect cannot be "
                    "replayed. Start a new login.",
                    state,
                )
            self._used_states[state] = decoded.exp
        if expected is None:
            warn(
                "complete_login / from_authorization_code without expected_state accepts any state signed "
                "with this connection's state_key, including one an attacker started in their own browser "
                "(login CSRF): pass the state that start_authorization() returned for this browser."
            )
        return decoded

    # -- API methods (one definition for sync and async) ---------------------------------------------

    @operation
    def get(
        self, /, endpoint: str, raise_on_error: bool = True, token: Token | str | None = None, **kwargs: Any
    ) -> Flow[Response]:
        """GET ``endpoint`` (joined onto the url).

        Parameters
        ----------
        endpoint : str
            A path such as ``"/api/v1/users"`` (or an absolute url).
        raise_on_error : bool
            Raise a :class:`~eternaltwin.exceptions.RequestError` for a status >= 300 (True).
        token : Token or str, optional
            Sends ``Authorization: Bearer …`` unless ``headers`` has an Authorization.
        **kwargs
            ``params``, ``json``, ``data``, ``content``, ``headers``, ``cookies``.

        Returns
        -------
        Response
        """
        return self._flow(_calls.raw("GET", endpoint, raise_on_error=raise_on_error, token=token, **kwargs))

    @operation
    def post(
        self, /, endpoint: str, raise_on_error: bool = True, token: Token | str | None = None, **kwargs: Any
    ) -> Flow[Response]:
        """POST to ``endpoint`` (never retried); same parameters as :meth:`get`.

        Returns
        -------
        Response
        """
        return self._flow(_calls.raw("POST", endpoint, raise_on_error=raise_on_error, token=token, **kwargs))

    @operation
    def token(self, authorization_code: str) -> Flow[Token]:
        """Exchange an authorization code for a token (HTTP Basic as the OAuth client; never retried).

        Parameters
        ----------
        authorization_code : str
            The ``code`` query parameter of the callback.

        Returns
        -------
        Token
        """
        return self._flow(_calls.token_from_code(authorization_code))

    @operation
    def refresh(self, token: Token) -> Flow[Token]:
        """Renew ``token`` with the ``refresh_token`` grant; the Token object is updated in place.

        Expired tokens are also refreshed automatically before an authenticated call, when the token has
        a refresh token and the connection has its client credentials.

        Returns
        -------
        Token
            ``token`` itself, updated.

        Raises
        ------
        NotAuthenticatedError
            When the token has no refresh token.
        """
        return self._flow(_calls.token_refresh(token))

    @operation
    def server_config(self) -> Flow[ServerConfig]:
        """The server's public configuration (``GET /api/v1/config``): the forum's paging defaults.

        Returns
        -------
        ServerConfig
        """
        return self._flow(_calls.server_config())

    # -- typed operations: models in, models out (what User's classmethods delegate to) -------------

    def start_login(
        self, expiration: int = 600, nonce: str | None = None, scope: str | list[str] | None = None
    ) -> tuple[str, str]:
        """Start an OAuth login: a new signed state and the authorization URL to open in a browser.

        Parameters
        ----------
        expiration : int
            Seconds the state stays valid (600).
        nonce : str, optional
            Defaults to random hex.
        scope : str or list of str, optional
            The scopes to ask for (see :meth:`authorization_url`); the connection's ``scope`` when None.

        Returns
        -------
        (state, url) : tuple of str
            Keep ``state`` to check the callback (``expected_state`` of :meth:`complete_login`).
        """
        if scope is not None:  # checked before a state is made
            scope = config.check_scope(scope, key="scope")
        state = self.generate_state(expiration, nonce)
        return state, self.authorization_url(state, scope)

    @operation
    def complete_login(
        self, code: str, callback_state: str, expected_state: str | None = None, full: bool | None = None
    ) -> Flow[User]:
        """Finish an OAuth login: check the state, exchange the code, fetch the authenticated user.

        The user (with its ``token``) also becomes this connection's logged-in user (:attr:`user`).

        Parameters
        ----------
        code : str
            The ``code`` query parameter of the callback.
        callback_state : str
            The ``state`` query parameter of the callback.
        expected_state : str, optional
            The state :meth:`start_login` returned; when given, they must be equal.
        full : bool or None
            Whether to read the user's full record after ``auth/self`` (see :meth:`user_of_token`).

        Returns
        -------
        User

        Raises
        ------
        InvalidStateError
            Forged, expired or unexpected state (before any request).
        RequestError
            The server refused the code.
        """
        return _flows.login_with_code(self, code, callback_state, expected_state, full)

    @operation
    def user_of_token(self, token: Token | str, full: bool | None = None) -> Flow[User]:
        """The user ``token`` belongs to, with ``token`` set on it (when it is a :class:`Token`).

        One call identifies the user, as games do: ``GET /api/v1/auth/self`` gives the id and display name
        (and, for a session context, the administrator flag). The full record (``GET /api/v1/users/{id}``:
        creation date, administrator flag, linked accounts) is a second call, which never fails the whole:
        if it fails, the user has only what auth/self gave, and ``created_at``, ``deleted_at``,
        ``login_name``, ``email_address``, ``has_password`` (and usually ``is_administrator``) are None,
        ``links`` is empty and ``has_links`` False.

        Parameters
        ----------
        token : Token or str
            An OAuth token (or its access token).
        full : bool or None
            False: auth/self only (one request). True: also the full record, with a warning
            (:class:`~eternaltwin.exceptions.EternaltwinWarning`) if it cannot be read. None (default):
            also the full record, silently left out when it cannot be read, and no longer asked for once
            the server has refused it a token on this connection (401/403).

        Returns
        -------
        User

        Raises
        ------
        UnauthorizedError
            When the server answers 401 to the token, or a context without a user (a guest context: the
            token is unknown; an OAuth client context: HTTP Basic credentials, not a user's token).
        ServerError
            The 2021 server (eternaltwin.org's code as published) answers an unknown or malformed token
            with a plain-text 500 rather than a 401: the message says so; log in again.
        """
        return _flows.user_of_token(self, token, full)

    @operation
    def me(self, token: Token | str | None = None, full: bool | None = None) -> Flow[User]:
        """The authenticated user, fetched afresh: :meth:`user_of_token` for ``token``, or for the token of
        the connection's logged-in user (:attr:`user`) when none is given (``full`` as there).

        Raises
        ------
        NotAuthenticatedError
            No token given and nobody logged in on this connection.
        """
        if token is None:
            if self.user is None or self.user.token is None:
                raise NotAuthenticatedError(
                    f"Nobody is logged in on connection {self.alias or self.url!r}: pass token=..., or log "
                    "in first (User.start_authorization() then User.from_authorization_code())."
                )
            token = self.user.token
        return _flows.user_of_token(self, token, full)

    @operation
    def get_user(self, user_id: str | uuid.UUID) -> Flow[User]:
        """One user by id.

        Parameters
        ----------
        user_id : str or uuid.UUID
            The user's UUID (any letter case).

        Returns
        -------
        User

        Raises
        ------
        InvalidUserIdError
            When ``user_id`` is not a UUID (before any request).
        NotFoundError
            When there is no such user.
        """
        call = _calls.get_user(_calls.normalize_user_id(user_id))
        return self._flow(call.parsed(_calls.parse_user(self.alias)))

    @operation
    def search_users(self, query: str | None = None, limit: int = 20, offset: int = 0) -> Flow[SearchPage]:
        """One page of users matching ``query``.

        Parameters
        ----------
        query : str, optional
            None matches everyone.
        limit : int
            Page size (20).
        offset : int
            Index of the first result (0).

        Returns
        -------
        SearchPage
        """
        call = _calls.search_users(query, limit, offset)
        return self._flow(call.parsed(_calls.parse_search_page(offset, limit, self.alias)))

    @operation
    def search_records(
        self, query: str | None, limit: int, offset: int, *, compact: bool = False
    ) -> Flow[SearchRecords]:
        """One page of a search as checked JSON records, not :class:`User` objects (for bulk readers,
        which build their own rows: see :mod:`eternaltwin.pandas`).

        With ``compact=True`` (what the frames ask), a plain page's items come as compact rows
        (:class:`eternaltwin._compact.UserRow`: only the members a users frame reads, decoded by
        msgspec when it is installed) instead of JSON objects; any other page as JSON.

        Returns
        -------
        SearchRecords
        """
        parse = _calls.parse_search_rows if compact else _calls.parse_search_records
        return self._flow(_calls.search_users(query, limit, offset).parsed(parse))

    @operation
    def user_record(self, user_id: str) -> Flow[Mapping[str, Any]]:
        """One user's full record as checked JSON (for bulk readers).

        Raises
        ------
        InvalidUserIdError
            When ``user_id`` is not a UUID (before any request).
        """
        call = _calls.get_user(_calls.normalize_user_id(user_id))
        return self._flow(call.parsed(_calls.parse_user_record))

    @operation
    def count_users(self, query: str | None = None) -> Flow[int]:
        """How many users match ``query`` (asked with ``limit=0``)."""
        return self._flow(_calls.search_users(query, 0, 0).parsed(_calls.parse_count))

    # -- comparison and repr ------------------------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return (
            self.url,
            self.client_id,
            self.client_secret,
            self.redirect_uri,
            self.timeout,
            self.verify_ssl,
            self.allow_redirects,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientABC):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        parts = [f"url={self.url!r}"]
        if self.is_read_only and not any(getattr(self, name) for name in _CREDENTIALS):
            parts.append("read-only")
        else:
            parts.append(f"client_id={self.client_id!r}")
            parts.append(f"client_secret={mask(self.client_secret)}")
            parts.append(f"redirect_uri={self.redirect_uri!r}")
            parts.append(f"state_key={mask(None) if self.state_key is None else self.state_key!r}")
        if self.user is not None:
            parts.append(f"user={self.user.display_name!r}")
        return f"<{type(self).__name__} ({self._flavour}) {' '.join(parts)}>"
