"""The OAuth 2 provider (spec §5): ``GET /oauth/authorize`` and ``POST /oauth/token``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._auth import parse_basic, unauthorized
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._http import JsonResponse, handles_errors, query_value, read_body
from eternaltwin.sandbox._records import Grant, OauthClient
from eternaltwin.sandbox._secrets import spend_one_hash
from eternaltwin.sandbox._state import caller, sandbox_state
from eternaltwin.sandbox._store import Store
from eternaltwin.sandbox._validation import is_client_key, is_lower_uuid
from eternaltwin.sandbox._web import external_base, navigate, with_query

__all__ = ["oauth_routes"]


def _is_client_ref(ref: str) -> bool:
    """A client key, a client UUID, or ``UUID@clients`` (spec §5.1, §5.5)."""
    return is_client_key(ref) or is_lower_uuid(ref) or (ref.endswith("@clients") and is_lower_uuid(ref[:-8]))


def _client_from_ref(store: Store, ref: str) -> OauthClient | None:
    return store.client_by_ref(ref) if _is_client_ref(ref) else None


@handles_errors
async def authorize(request: Request) -> Response:
    """GET /oauth/authorize (spec §5.2); checks in the order of the spec."""
    state = sandbox_state(request)
    client_ref = query_value(request, "client_id")
    if not client_ref or not _is_client_ref(client_ref):
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
    context = caller(request)
    if context.kind == "Guest":
        query = request.scope.get("query_string", b"").decode("latin-1")
        next_path = request.url.path + (f"?{query}" if query else "")
        location = f"{external_base(request)}/login?next={quote(next_path, safe='')}"
        return navigate(location, _choices.LOGIN_REDIRECT_STATUS)
    if context.kind != "User" or context.user is None:
        raise ApiError.of(_choices.AUTHORIZE_NOT_A_USER)
    code = state.store.create_code(client, context.user, state.clock.now())
    params = [("code", code.value)]
    oauth_state = query_value(request, "state")
    if oauth_state is not None:
        params.append(("state", oauth_state))
    return navigate(with_query(client.oauth_callback, params), _choices.AUTHORIZE_REDIRECT_STATUS)


def _token_client(
    request: Request, store: Store, body: dict[str, Any], *, body_credentials: bool
) -> OauthClient:
    """Client authentication for /oauth/token: HTTP Basic (spec §5.4), and with ``body_credentials`` also
    the body's ``client_id``/``client_secret`` (RFC 6749 §2.3.1)."""
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
    if login is None and body_credentials:
        body_id, body_secret = body.get("client_id"), body.get("client_secret")
        if isinstance(body_id, str) and isinstance(body_secret, str):
            login, secret = body_id, body_secret.encode("utf-8")
    if login is None or secret is None:
        raise unauthorized("Basic", None if body_credentials else _choices.TOKEN_BASIC_ONLY_MESSAGE)
    client = _client_from_ref(store, login)
    if client is None:
        spend_one_hash(secret)  # as long as a wrong secret: the time does not tell which clients exist
        raise unauthorized("Basic")
    if not client.secret.matches(secret):
        raise unauthorized("Basic")
    return client


def _code_grant(body: dict[str, Any], client: OauthClient, store: Store, now: datetime) -> Grant:
    """eternaltwin.org's token endpoint (spec §5.4, §11.1): it reads ``code`` and nothing else."""
    code = body.get("code")
    if not isinstance(code, str) or not code:
        if body.get("grant_type") == "refresh_token":  # read only to say why this cannot work
            raise ApiError.of(_choices.TOKEN_UNSUPPORTED_GRANT_TYPE, _choices.TOKEN_NO_REFRESH_MESSAGE)
        raise ApiError.of(_choices.TOKEN_MISSING_CODE)
    return store.redeem_code(code, client, now)


def _rfc_grant(body: dict[str, Any], client: OauthClient, store: Store, now: datetime) -> Grant:
    """The ``refresh_tokens`` option's token endpoint (RFC 6749 §4.1.3, §6): it reads ``grant_type``
    (absent means ``authorization_code``), checks a given ``redirect_uri`` and takes refresh tokens."""
    grant_type = body.get("grant_type", _choices.DEFAULT_GRANT_TYPE)
    if grant_type == "authorization_code":
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise ApiError.of(_choices.TOKEN_MISSING_CODE)
        redirect_uri = body.get("redirect_uri")
        if redirect_uri is not None and redirect_uri != client.oauth_callback:
            raise ApiError.of(_choices.AUTHORIZE_REDIRECT_URI_MISMATCH)
        return store.redeem_code(code, client, now)
    if grant_type == "refresh_token":
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise ApiError(_choices.INVALID_REQUEST_BODY_STATUS, _choices.INVALID_REQUEST_BODY_ERROR)
        return store.use_refresh_token(refresh, client, now)
    raise ApiError.of(_choices.TOKEN_UNSUPPORTED_GRANT_TYPE)


@handles_errors
async def token(request: Request) -> Response:
    """POST /oauth/token (spec §5.4): a code for an access token; with the ``refresh_tokens`` option, the
    RFC 6749 endpoint with its ``refresh_token`` grant."""
    state = sandbox_state(request)
    body = await read_body(request)
    rfc = state.options.refresh_tokens
    client = _token_client(request, state.store, body, body_credentials=rfc)
    now = state.clock.now()
    grant = (_rfc_grant if rfc else _code_grant)(body, client, state.store, now)
    access, refresh_token = state.store.issue_tokens(grant, now)
    # Spec §3.7, §11.1: the members in the order the real server writes them; refresh_token only if issued.
    reply: dict[str, object] = {
        "token_type": "Bearer",
        "access_token": access.value,
        "expires_in": state.store.access_token_lifetime,
    }
    if refresh_token is not None:
        reply["refresh_token"] = refresh_token.value
    return JsonResponse(reply, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def oauth_routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
    ]
