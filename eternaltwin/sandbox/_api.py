"""The REST API under ``/api/v1`` (spec §4): auth/self, users, clock, config and the game archives."""

from __future__ import annotations

from collections.abc import Callable, Collection

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._archive import archive_view, dinoz_view
from eternaltwin.sandbox._auth import GUEST, check_login
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._http import (
    JsonResponse,
    RawJsonResponse,
    handles_errors,
    parse_hex_password,
    query_int,
    query_value,
    read_body,
)
from eternaltwin.sandbox._records import UNSET, GameKind, Unset, User
from eternaltwin.sandbox._state import SandboxState, caller, sandbox_state
from eternaltwin.sandbox._validation import (
    DINOPARC_SERVERS,
    HAMMERFEST_SERVERS,
    is_display_name,
    is_lower_uuid,
    is_twinoid_id,
    is_username,
    parse_dinoparc_id,
    parse_hammerfest_id,
)
from eternaltwin.sandbox._views import complete_user, default_user
from eternaltwin.sandbox._web import set_session_cookie

__all__ = ["api_routes"]

_AUTH_METHODS = ("Etwin", "Dinoparc", "Hammerfest", "Twinoid")
_MAX_LOGIN_CHARS = 100


def _bad_body(message: str | None = None) -> ApiError:
    return ApiError(
        _choices.INVALID_REQUEST_BODY_STATUS, _choices.INVALID_REQUEST_BODY_ERROR, message=message
    )


def _invalid_credentials() -> ApiError:
    return ApiError(_choices.INVALID_CREDENTIALS_STATUS, _choices.INVALID_CREDENTIALS_ERROR)


@handles_errors
async def api_root(request: Request) -> Response:
    """GET /api/v1/ -> {"status": "OK"} (public: credentials are not read)."""
    return JsonResponse({"status": "OK"})


@handles_errors
async def auth_self(request: Request) -> Response:
    """GET, PUT (login) and DELETE (logout) /api/v1/auth/self (spec §4.2)."""
    state = sandbox_state(request)
    if request.method == "GET":
        return JsonResponse(caller(request).to_json())
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
    user = check_login(state.store, login, password)
    if user is None:
        raise _invalid_credentials()
    session = state.store.create_session(user, state.clock.now())
    response = JsonResponse(complete_user(user, state.store))
    set_session_cookie(response, session.id)
    return response


@handles_errors
async def users_collection(request: Request) -> Response:
    """GET /api/v1/users (search, spec §3.8) and POST /api/v1/users (registration, spec §4.3)."""
    state = sandbox_state(request)
    if request.method == "POST":
        return await _register(request, state)
    caller(request)
    query = query_value(request, "q") or ""
    limit = query_int(request, "limit", _choices.SEARCH_DEFAULT_LIMIT, _choices.SEARCH_MAX_LIMIT)
    offset = query_int(request, "offset", 0, _choices.SEARCH_MAX_OFFSET)
    # The items are the users' pre-rendered JSON (``Store.search_page_json``), which the store keeps in
    # step with every change: a page costs a join, not an encoding (issue 15).
    if state.options.habits == "2021":  # spec §3.8: the fewest members a server is known to send
        count, items = state.store.search_page_json(query, offset, limit, short=True)
        return RawJsonResponse(b'{"count":%d,"items":[%b]}' % (count, items))
    count, items = state.store.search_page_json(query, offset, limit)
    return RawJsonResponse(
        b'{"offset":%d,"limit":%d,"count":%d,"items":[%b]}' % (offset, limit, count, items)
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
    set_session_cookie(response, session.id)
    return response


@handles_errors
async def user_by_id(request: Request) -> Response:
    """GET /api/v1/users/{user_id}: default or complete view by caller (spec §3.3, §4.4); PATCH: change
    the display name, username or password (spec §4.5)."""
    state = sandbox_state(request)
    context = caller(request)
    user_id = request.path_params["user_id"]
    if not is_lower_uuid(user_id):
        raise ApiError(422, "InvalidId")
    user = state.store.user(user_id)
    if user is None:
        raise ApiError(404, "UserNotFound")
    viewer = context.user if context.kind == "User" else None
    if request.method == "PATCH":
        return await _update_user(request, state, viewer, user)
    if viewer is not None and (viewer.is_administrator or viewer.id == user.id):
        return JsonResponse(complete_user(user, state.store))
    return JsonResponse(default_user(user, state.store))


def _update_refused(message: str) -> ApiError:
    return ApiError.of(_choices.USER_UPDATE_FORBIDDEN, message)


async def _update_user(request: Request, state: SandboxState, viewer: User | None, user: User) -> Response:
    """PATCH /api/v1/users/{user_id} (spec §4.5; see ``_choices.USER_UPDATE_*``)."""
    if viewer is None:
        raise _update_refused(
            "only the user or an administrator may change a user, signed in with a session or HTTP Basic "
            "user credentials (an access token or an OAuth client may not)"
        )
    if viewer.id != user.id and not viewer.is_administrator:
        raise _update_refused("only the user or an administrator may change a user")
    body = await read_body(request)
    unknown = sorted(set(body) - set(_choices.USER_UPDATE_FIELDS))
    if unknown:
        raise _bad_body(f"unknown member {unknown[0]!r}: a patch holds display_name, username or password")
    display_name: str | None = None
    if "display_name" in body:
        value = body["display_name"]
        if not isinstance(value, str) or not is_display_name(value.strip()):
            raise _bad_body(
                "display_name must be 2 to 64 letters, digits (not first), spaces, '_', '(' or ')'"
            )
        display_name = value.strip()
    username: str | Unset | None = UNSET
    if "username" in body:
        value = body["username"]
        if value is not None and (not isinstance(value, str) or not is_username(value)):
            raise _bad_body("username must be null or 2 to 32 of a-z, 0-9 and '_', not starting with a digit")
        username = value
    password: bytes | Unset | None = UNSET
    if "password" in body:
        password = None if body["password"] is None else parse_hex_password(body["password"])
    state.store.update_user(
        user, state.clock.now(), display_name=display_name, username=username, password=password
    )
    return JsonResponse(default_user(user, state.store))


@handles_errors
async def clock_endpoint(request: Request) -> Response:
    """GET /api/v1/clock (spec §4.7; public, spec §11.2)."""
    return JsonResponse({"time": format_instant(sandbox_state(request).clock.now())})


@handles_errors
async def config_endpoint(request: Request) -> Response:
    """GET /api/v1/config (spec §4.7; public, spec §11.2)."""
    return JsonResponse(
        {
            "forum": {
                "threads_per_page": _choices.FORUM_THREADS_PER_PAGE,
                "posts_per_page": _choices.FORUM_POSTS_PER_PAGE,
            }
        }
    )


def _archive_bad_path() -> Response:
    """A router rejection: 404 with an empty body (spec §11.2)."""
    return Response(status_code=_choices.ARCHIVE_BAD_PATH_STATUS)


def _archive_reply(request: Request, kind: GameKind, server: str, account_id: str, missing: str) -> Response:
    state = sandbox_state(request)
    account = state.store.archived(kind, server, account_id)
    if account is None:
        raise ApiError(404, missing)
    return JsonResponse(archive_view(account, state.store))


def _game_server_path(
    request: Request, servers: Collection[str], parse_id: Callable[[str], int | None], name: str
) -> tuple[str, str] | None:
    """The server and the (canonical) id of an archive path, or None when the router would reject it."""
    server, raw_id = request.path_params["server"], request.path_params[name]
    number = parse_id(raw_id)
    if server not in servers or number is None:
        return None
    return server, str(number)


# The archive routes are public (spec §4.8, §11.2): they never read credentials.


@handles_errors
async def hammerfest_user(request: Request) -> Response:
    """GET /api/v1/archive/hammerfest/{server}/users/{user_id} (spec §4.8)."""
    path = _game_server_path(request, HAMMERFEST_SERVERS, parse_hammerfest_id, "user_id")
    if path is None:
        return _archive_bad_path()
    return _archive_reply(request, "hammerfest", *path, "HammerfestUserNotFound")


@handles_errors
async def dinoparc_user(request: Request) -> Response:
    """GET /api/v1/archive/dinoparc/{server}/users/{user_id} (spec §4.8)."""
    path = _game_server_path(request, DINOPARC_SERVERS, parse_dinoparc_id, "user_id")
    if path is None:
        return _archive_bad_path()
    return _archive_reply(request, "dinoparc", *path, "DinoparcUserNotFound")


@handles_errors
async def dinoparc_dinoz(request: Request) -> Response:
    """GET /api/v1/archive/dinoparc/{server}/dinoz/{dinoz_id} (spec §4.8, §11.3)."""
    path = _game_server_path(request, DINOPARC_SERVERS, parse_dinoparc_id, "dinoz_id")
    if path is None:
        return _archive_bad_path()
    state = sandbox_state(request)
    dinoz = dinoz_view(state.store, *path)
    if dinoz is None:
        raise ApiError(404, "DinoparcDinozNotFound")
    return JsonResponse(dinoz)


@handles_errors
async def twinoid_user(request: Request) -> Response:
    """GET /api/v1/archive/twinoid/users/{user_id} (spec §4.8)."""
    raw_id = request.path_params["user_id"]
    if not is_twinoid_id(raw_id):
        raise ApiError(422, "InvalidDinoparcServerOrDinoparcUserId")  # sic, spec §1.2
    return _archive_reply(request, "twinoid", "twinoid.com", raw_id, "TwinoidUserNotFound")


def api_routes(prefix: str = "/api/v1") -> list[Route]:
    """The routes of this module, under ``prefix``."""
    return [
        Route(prefix, api_root, methods=["GET"]),
        Route(f"{prefix}/", api_root, methods=["GET"]),
        Route(f"{prefix}/auth/self", auth_self, methods=["GET", "PUT", "DELETE"]),
        Route(f"{prefix}/users", users_collection, methods=["GET", "POST"]),
        Route(f"{prefix}/users/{{user_id}}", user_by_id, methods=["GET", "PATCH"]),
        Route(f"{prefix}/clock", clock_endpoint, methods=["GET"]),
        Route(f"{prefix}/config", config_endpoint, methods=["GET"]),
        Route(f"{prefix}/archive/hammerfest/{{server}}/users/{{user_id}}", hammerfest_user, methods=["GET"]),
        Route(f"{prefix}/archive/dinoparc/{{server}}/users/{{user_id}}", dinoparc_user, methods=["GET"]),
        Route(f"{prefix}/archive/dinoparc/{{server}}/dinoz/{{dinoz_id}}", dinoparc_dinoz, methods=["GET"]),
        Route(f"{prefix}/archive/twinoid/users/{{user_id}}", twinoid_user, methods=["GET"]),
    ]
