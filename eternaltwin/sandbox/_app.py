"""The Starlette application: routes of spec §4 and §5, served from an in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._archive import archive_view
from eternaltwin.sandbox._auth import GUEST, AuthContext, authenticate, parse_basic, unauthorized
from eternaltwin.sandbox._clock import VirtualClock, format_instant
from eternaltwin.sandbox._config import ConfigLike, SandboxConfig
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._forum_api import forum_routes
from eternaltwin.sandbox._http import (
    JsonResponse,
    error_response,
    handles_errors,
    logger,
    parse_hex_password,
    query_int,
    query_value,
    read_body,
)
from eternaltwin.sandbox._pages import continue_page, home_page, login_page
from eternaltwin.sandbox._seed import DemoUser, SeededApp, seed_store
from eternaltwin.sandbox._store import GameKind, OauthClient, Store, User
from eternaltwin.sandbox._validation import (
    DINOPARC_SERVERS,
    HAMMERFEST_SERVERS,
    is_client_key,
    is_display_name,
    is_lower_uuid,
    is_twinoid_id,
    is_username,
    parse_dinoparc_id,
    parse_hammerfest_id,
)
from eternaltwin.sandbox._views import complete_user, default_user, search_item

__all__ = ["SandboxState", "create_app"]

_AUTH_METHODS = ("Etwin", "Dinoparc", "Hammerfest", "Twinoid")
_MAX_LOGIN_CHARS = 100
_MAX_NEXT_CHARS = 4096


@dataclass(slots=True)
class SandboxState:
    """What the handlers share, available as ``app.state.sandbox``.

    Attributes
    ----------
    store : Store
        The in-memory data.
    clock : VirtualClock
        Server time.
    apps : list of SeededApp
        Apps registered at start-up (with plain-text secrets).
    demo_users : list of DemoUser
        Users seeded at start-up (with plain-text passwords).
    external_url : str or None
        Base URL a browser uses to reach the server; None means the bound address of the request's socket.
    """

    store: Store
    clock: VirtualClock
    apps: list[SeededApp]
    demo_users: list[DemoUser]
    external_url: str | None = None


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _context(request: Request) -> AuthContext:
    state = _state(request)
    return authenticate(
        state.store,
        request.headers.get("authorization"),
        request.cookies.get(_choices.SESSION_COOKIE),
        state.clock.now(),
    )


def _bound_base(request: Request) -> str:
    """``http://HOST:PORT`` of the socket that accepted ``request``, or ``""`` when the server has none.

    Read from the ASGI ``server`` address, never from the ``Host`` or ``X-Forwarded-*`` headers: those are
    whatever the client (or a page that makes a browser send requests here) says, and would let it point
    the login form and every redirect at another server.
    """
    server = request.scope.get("server")
    if not server or server[1] is None:  # a Unix socket: no address a browser could use
        return ""
    host, port = server
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _external_base(request: Request) -> str:
    """Where browsers reach this server: ``external_url`` (absolute, or an origin-relative path behind a
    proxy whose public origin is unknown), else the bound address."""
    state = _state(request)
    if state.external_url:
        return state.external_url
    return _bound_base(request)


#: What ``quote`` keeps in a URL sent in a header (the set Starlette's ``RedirectResponse`` keeps).
_URL_SAFE = ":/%#?=@[]!$&'()*+,;"


def _navigate(target: str, status: int) -> Response:
    """Send the browser to ``target``: a real redirect when it is absolute, else a page that refreshes.

    Behind jupyter-server-proxy the browser-facing URLs are ``{prefix}proxy/{port}/...``. When the hub's
    public origin is known they are absolute, and an absolute ``Location`` is left alone by every release
    of the proxy, so this answers ``status`` (302/303, as eternaltwin.org does; also off a hub, where the
    base is the bound address). When the origin is unknown (Binder) the URL is an origin-relative path,
    and no ``Location`` then works with every release: 4.4 passes it on as it is, 4.5 and later prefix
    any ``Location`` without a host with ``{prefix}proxy/{port}`` once more (upstream issue #574; 4.5 does
    it to relative paths too, 4.6 only to paths starting with ``/``), which doubles the prefix into a 404.
    The proxy only ever rewrites the ``Location`` of a 3xx answer, so the browser is sent on with a 200
    page and a ``Refresh: 0`` header instead (which every browser follows). Its body does not repeat
    ``target``, which may carry an authorization code.
    """
    location = quote(target, safe=_URL_SAFE)
    parts = urlsplit(location)
    if parts.scheme and parts.netloc:
        return RedirectResponse(location, status_code=status)
    response = _html(continue_page())
    response.headers["Refresh"] = f"0; url={location}"
    return response


def _set_session_cookie(response: Response, session_id: str) -> None:
    response.set_cookie(
        _choices.SESSION_COOKIE,
        session_id,
        path="/",
        httponly=True,
        samesite=_choices.SESSION_COOKIE_SAMESITE,
    )


def _bad_body() -> ApiError:
    return ApiError(_choices.INVALID_REQUEST_BODY_STATUS, _choices.INVALID_REQUEST_BODY_ERROR)


def _invalid_credentials() -> ApiError:
    return ApiError(_choices.INVALID_CREDENTIALS_STATUS, _choices.INVALID_CREDENTIALS_ERROR)


def _find_login(store: Store, login: str) -> User | None:
    """Spec §4.2: a login with ``@`` is an email (no sandbox user has one), else a username."""
    if "@" in login or not is_username(login):
        return None
    return store.user_by_username(login)


# ------------------------------------------------------------------------------------------ /api/v1


@handles_errors
async def api_root(request: Request) -> Response:
    """GET /api/v1/ -> {"status": "OK"}."""
    _context(request)
    return JsonResponse({"status": "OK"})


@handles_errors
async def auth_self(request: Request) -> Response:
    """GET, PUT (login) and DELETE (logout) /api/v1/auth/self (spec §4.2)."""
    state = _state(request)
    if request.method == "GET":
        return JsonResponse(_context(request).to_json())
    if request.method == "DELETE":
        session_id = request.cookies.get(_choices.SESSION_COOKIE)
        if session_id and _choices.REVOKE_SESSION_ON_LOGOUT:
            state.store.revoke_session(session_id)
        response = JsonResponse(GUEST.to_json())
        response.delete_cookie(
            _choices.SESSION_COOKIE, path="/", httponly=True, samesite=_choices.SESSION_COOKIE_SAMESITE
        )
        return response
    methods = request.query_params.getlist("method")
    method = methods[0] if len(methods) == 1 else None
    if method not in _AUTH_METHODS:
        raise ApiError(422, "InvalidMethod")
    if method != "Etwin":
        raise ApiError(_choices.AUTH_METHOD_NOT_SUPPORTED_STATUS, _choices.AUTH_METHOD_NOT_SUPPORTED_ERROR)
    body = await read_body(request)
    login = body.get("login")
    if not isinstance(login, str) or not login or len(login) > _MAX_LOGIN_CHARS:
        raise _bad_body()
    password = parse_hex_password(body.get("password"))
    user = _find_login(state.store, login)
    if user is None or user.deleted_at is not None or not user.check_password(password):
        raise _invalid_credentials()
    session = state.store.create_session(user, state.clock.now())
    response = JsonResponse(complete_user(user, state.store))
    _set_session_cookie(response, session.id)
    return response


@handles_errors
async def users_collection(request: Request) -> Response:
    """GET /api/v1/users (search, spec §3.8) and POST /api/v1/users (registration, spec §4.3)."""
    state = _state(request)
    if request.method == "POST":
        return await _register(request, state)
    _context(request)
    query = query_value(request, "q") or ""
    limit = query_int(request, "limit", _choices.SEARCH_DEFAULT_LIMIT, _choices.SEARCH_MAX_LIMIT)
    offset = query_int(request, "offset", 0, _choices.SEARCH_MAX_OFFSET)
    count, users = state.store.search_users(query, offset, limit)
    return JsonResponse(
        {
            "offset": offset,
            "limit": limit,
            "count": count,
            "items": [search_item(user, state.store) for user in users],
        }
    )


async def _register(request: Request, state: SandboxState) -> Response:
    body = await read_body(request)
    if "email_token" in body:
        raise ApiError(_choices.INVALID_REQUEST_BODY_STATUS, _choices.EMAIL_REGISTRATION_ERROR)
    username, display_name = body.get("username"), body.get("display_name")
    if not isinstance(username, str) or not is_username(username):
        raise _bad_body()
    if not isinstance(display_name, str) or not is_display_name(display_name.strip()):
        raise _bad_body()
    password = parse_hex_password(body.get("password"))
    now = state.clock.now()
    user = state.store.add_user(
        username=username, display_name=display_name.strip(), created_at=now, password=password
    )
    session = state.store.create_session(user, now)
    response = JsonResponse(default_user(user, state.store))
    _set_session_cookie(response, session.id)
    return response


@handles_errors
async def user_by_id(request: Request) -> Response:
    """GET /api/v1/users/{user_id}: default or complete view by caller (spec §3.3, §4.4)."""
    state = _state(request)
    context = _context(request)
    user_id = request.path_params["user_id"]
    if not is_lower_uuid(user_id):
        raise ApiError(422, "InvalidId")
    user = state.store.user(user_id)
    if user is None:
        raise ApiError(404, "UserNotFound")
    viewer = context.user if context.kind == "User" else None
    if viewer is not None and (viewer.is_administrator or viewer.id == user.id):
        return JsonResponse(complete_user(user, state.store))
    return JsonResponse(default_user(user, state.store))


@handles_errors
async def clock_endpoint(request: Request) -> Response:
    """GET /api/v1/clock (spec §4.7)."""
    _context(request)
    return JsonResponse({"time": format_instant(_state(request).clock.now())})


@handles_errors
async def config_endpoint(request: Request) -> Response:
    """GET /api/v1/config (spec §4.7)."""
    _context(request)
    return JsonResponse(
        {
            "forum": {
                "threads_per_page": _choices.FORUM_THREADS_PER_PAGE,
                "posts_per_page": _choices.FORUM_POSTS_PER_PAGE,
            }
        }
    )


def _archive_bad_path() -> ApiError:
    return ApiError(_choices.ARCHIVE_BAD_PATH_STATUS, _choices.NOT_FOUND_ERROR)


def _archive_reply(request: Request, kind: GameKind, server: str, account_id: str, missing: str) -> Response:
    state = _state(request)
    account = state.store.archived(kind, server, account_id)
    if account is None:
        raise ApiError(404, missing)
    return JsonResponse(archive_view(account, state.store))


def _game_server_reply(
    request: Request,
    kind: GameKind,
    servers: Collection[str],
    parse_id: Callable[[str], int | None],
    missing: str,
) -> Response:
    """An archive route with a game server and a numeric id in its path."""
    _context(request)
    server, raw_id = request.path_params["server"], request.path_params["user_id"]
    number = parse_id(raw_id)
    if server not in servers or number is None:
        raise _archive_bad_path()
    return _archive_reply(request, kind, server, str(number), missing)


@handles_errors
async def hammerfest_user(request: Request) -> Response:
    """GET /api/v1/archive/hammerfest/{server}/users/{user_id} (spec §4.8)."""
    return _game_server_reply(
        request, "hammerfest", HAMMERFEST_SERVERS, parse_hammerfest_id, "HammerfestUserNotFound"
    )


@handles_errors
async def dinoparc_user(request: Request) -> Response:
    """GET /api/v1/archive/dinoparc/{server}/users/{user_id} (spec §4.8)."""
    return _game_server_reply(
        request, "dinoparc", DINOPARC_SERVERS, parse_dinoparc_id, "DinoparcUserNotFound"
    )


@handles_errors
async def twinoid_user(request: Request) -> Response:
    """GET /api/v1/archive/twinoid/users/{user_id} (spec §4.8)."""
    _context(request)
    raw_id = request.path_params["user_id"]
    if not is_twinoid_id(raw_id):
        raise ApiError(422, "InvalidDinoparcServerOrDinoparcUserId")  # sic, spec §1.2
    return _archive_reply(request, "twinoid", "twinoid.com", raw_id, "TwinoidUserNotFound")


# ------------------------------------------------------------------------------------------- /oauth


def _client_from_ref(store: Store, ref: str) -> OauthClient | None:
    if is_client_key(ref) or is_lower_uuid(ref) or (ref.endswith("@clients") and is_lower_uuid(ref[:-8])):
        return store.client_by_ref(ref)
    return None


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@handles_errors
async def authorize(request: Request) -> Response:
    """GET /oauth/authorize (spec §5.2); checks in the order of the spec."""
    state = _state(request)
    client_ref = query_value(request, "client_id")
    if not client_ref or not (
        is_client_key(client_ref)
        or is_lower_uuid(client_ref)
        or (client_ref.endswith("@clients") and is_lower_uuid(client_ref[:-8]))
    ):
        raise ApiError.of(_choices.AUTHORIZE_INVALID_CLIENT_ID)
    client = _client_from_ref(state.store, client_ref)
    if client is None:
        raise ApiError.of(_choices.AUTHORIZE_CLIENT_NOT_FOUND)
    redirect_uri = query_value(request, "redirect_uri")
    if redirect_uri is not None and redirect_uri != client.oauth_callback:
        raise ApiError.of(_choices.AUTHORIZE_REDIRECT_URI_MISMATCH)
    response_type = query_value(request, "response_type")
    if response_type == "token":
        raise ApiError.of(_choices.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE)
    if response_type != "code":
        raise ApiError.of(_choices.AUTHORIZE_INVALID_RESPONSE_TYPE)
    scope = query_value(request, "scope")
    if scope is not None and any(s not in _choices.ALLOWED_SCOPES for s in scope.split()):
        raise ApiError.of(_choices.AUTHORIZE_INVALID_SCOPE)
    context = _context(request)
    if context.kind == "Guest":
        query = request.scope.get("query_string", b"").decode("latin-1")
        next_path = request.url.path + (f"?{query}" if query else "")
        location = f"{_external_base(request)}/login?next={quote(next_path, safe='')}"
        return _navigate(location, _choices.LOGIN_REDIRECT_STATUS)
    if context.kind != "User" or context.user is None:
        raise ApiError.of(_choices.AUTHORIZE_NOT_A_USER)
    code = state.store.create_code(client, context.user, state.clock.now())
    params = [("code", code.value)]
    oauth_state = query_value(request, "state")
    if oauth_state is not None:
        params.append(("state", oauth_state))
    return _navigate(_with_query(client.oauth_callback, params), _choices.AUTHORIZE_REDIRECT_STATUS)


def _token_client(request: Request, store: Store, body: dict[str, Any]) -> OauthClient:
    """Client authentication for /oauth/token: HTTP Basic, else body client_id/client_secret."""
    header = request.headers.get("authorization")
    login: str | None = None
    secret: bytes | None = None
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "basic":
            credentials = parse_basic(value)
            if credentials is None:
                raise unauthorized("Basic")
            login, secret = credentials
    if login is None and _choices.TOKEN_ACCEPTS_BODY_CLIENT_CREDENTIALS:
        body_id, body_secret = body.get("client_id"), body.get("client_secret")
        if isinstance(body_id, str) and isinstance(body_secret, str):
            login, secret = body_id, body_secret.encode("utf-8")
    if login is None or secret is None:
        raise unauthorized("Basic")
    client = _client_from_ref(store, login)
    if client is None or not client.secret.matches(secret):
        raise unauthorized("Basic")
    return client


@handles_errors
async def token(request: Request) -> Response:
    """POST /oauth/token (spec §5.4): ``authorization_code`` and ``refresh_token`` grants."""
    state = _state(request)
    body = await read_body(request)
    client = _token_client(request, state.store, body)
    grant_type = body.get("grant_type", _choices.DEFAULT_GRANT_TYPE)
    now = state.clock.now()
    if grant_type == "authorization_code":
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise ApiError.of(_choices.TOKEN_MISSING_CODE)
        redirect_uri = body.get("redirect_uri")
        if redirect_uri is not None and redirect_uri != client.oauth_callback:
            raise ApiError.of(_choices.AUTHORIZE_REDIRECT_URI_MISMATCH)
        user = state.store.redeem_code(code, client, now)
    elif grant_type == "refresh_token":
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise _bad_body()
        user = state.store.use_refresh_token(refresh, client, now)
    else:
        raise ApiError.of(_choices.TOKEN_UNSUPPORTED_GRANT_TYPE)
    access, refresh_token = state.store.issue_tokens(client, user, now)
    return JsonResponse(
        {
            "access_token": access.value,
            "expires_in": _choices.ACCESS_TOKEN_LIFETIME_SECONDS,
            "token_type": "Bearer",
            "refresh_token": refresh_token.value,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# ------------------------------------------------------------------------------------------- pages


def safe_next(value: str | None) -> str:
    """``value`` if it is a local path (no scheme, no host, no backslash, no control char), else ``/``."""
    if (
        not value
        or len(value) > _MAX_NEXT_CHARS
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    ):
        return "/"
    return value


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


@handles_errors
async def login(request: Request) -> Response:
    """GET /login shows the form; POST /login checks it, sets ``sid`` and continues to ``next``."""
    state = _state(request)
    action = f"{_external_base(request)}/login"
    if request.method == "GET":
        return _html(login_page(action, safe_next(request.query_params.get("next"))))
    body = await request.body()
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        form = {}
    next_path = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    password = form.get("password", "")
    user = _find_login(state.store, username)
    if user is None or user.deleted_at is not None or not user.check_password(password.encode("utf-8")):
        page = login_page(action, next_path, username=username, error="Wrong username or password.")
        return _html(page, status=_choices.INVALID_CREDENTIALS_STATUS)
    session = state.store.create_session(user, state.clock.now())
    response = _navigate(f"{_external_base(request)}{next_path}", _choices.LOGIN_CONTINUE_STATUS)
    _set_session_cookie(response, session.id)
    return response


@handles_errors
async def home(request: Request) -> Response:
    """GET /: a small landing page."""
    try:
        context = _context(request)
    except ApiError:
        context = GUEST
    name = context.user.display_name if context.user is not None else None
    return _html(home_page(f"{_external_base(request)}/api/v1/", name))


# ------------------------------------------------------------------------------------ app assembly


async def _latency_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class LatencyMiddleware:
    """Pure ASGI middleware delaying every HTTP response by a fixed time (``--latency-ms``)."""

    def __init__(self, app: ASGIApp, delay_ms: float) -> None:
        self.app = app
        self.delay = max(0.0, delay_ms) / 1000.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Sleep, then hand the request on."""
        if scope["type"] == "http" and self.delay:
            await _latency_sleep(self.delay)
        await self.app(scope, receive, send)


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = exc.headers if isinstance(exc, HTTPException) else None
    code = {404: _choices.NOT_FOUND_ERROR, 405: _choices.METHOD_NOT_ALLOWED_ERROR}.get(
        status, _choices.INTERNAL_ERROR_ERROR
    )
    return error_response(status, code, dict(headers) if headers else None)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_choices.INTERNAL_ERROR_STATUS, _choices.INTERNAL_ERROR_ERROR)


def create_app(
    config: ConfigLike = None,
    *,
    population: int = 0,
    latency_ms: float = 0.0,
    redirect_uri: str | None = None,
    external_url: str | None = None,
    clock: VirtualClock | None = None,
) -> Starlette:
    """Build the sandbox ASGI application (seeded store included).

    Parameters
    ----------
    config : SandboxConfig, mapping, str, os.PathLike or None
        Seeds (see :meth:`SandboxConfig.load`); None gives the demo app and users.
    population : int
        Number of generated users (deterministic for a given number).
    latency_ms : float
        Fixed delay added to every response.
    redirect_uri : str, optional
        Replaces the OAuth callback of the first app (an absolute URL, or an origin-relative path).
    external_url : str, optional
        Base URL browsers use (e.g. behind a proxy path; may be origin-relative); used for the login
        redirect and form. Without it, the address of the socket that took the request (never the
        ``Host`` header).
    clock : VirtualClock, optional
        Server time; a fresh one by default.

    Returns
    -------
    Starlette
        The app; ``app.state.sandbox`` is its :class:`SandboxState`.
    """
    seeds = SandboxConfig.load(config)
    if redirect_uri is not None:
        seeds = seeds.with_callback(redirect_uri)
    clock = clock or VirtualClock()
    store, apps, demo_users = seed_store(seeds, population, clock.now())
    state = SandboxState(
        store=store,
        clock=clock,
        apps=apps,
        demo_users=demo_users,
        external_url=external_url.rstrip("/") if external_url else None,
    )
    api = "/api/v1"
    routes = [
        Route("/", home, methods=["GET"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route(api, api_root, methods=["GET"]),
        Route(f"{api}/", api_root, methods=["GET"]),
        Route(f"{api}/auth/self", auth_self, methods=["GET", "PUT", "DELETE"]),
        Route(f"{api}/users", users_collection, methods=["GET", "POST"]),
        Route(f"{api}/users/{{user_id}}", user_by_id, methods=["GET"]),
        Route(f"{api}/clock", clock_endpoint, methods=["GET"]),
        Route(f"{api}/config", config_endpoint, methods=["GET"]),
        Route(f"{api}/archive/hammerfest/{{server}}/users/{{user_id}}", hammerfest_user, methods=["GET"]),
        Route(f"{api}/archive/dinoparc/{{server}}/users/{{user_id}}", dinoparc_user, methods=["GET"]),
        Route(f"{api}/archive/twinoid/users/{{user_id}}", twinoid_user, methods=["GET"]),
        *forum_routes(api),
    ]
    middleware = [Middleware(LatencyMiddleware, delay_ms=latency_ms)] if latency_ms > 0 else []
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception, Exception: _internal_error},
    )
    app.state.sandbox = state
    return app
