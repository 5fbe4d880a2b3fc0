"""The client contract (seed-api.md), for the sync and the async client, against the sandbox over HTTP."""

from __future__ import annotations

import base64
import ssl
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from eternaltwin.archive import DinoparcUser, HammerfestUser, TwinoidUser
from eternaltwin.clients import endpoints
from eternaltwin.clients._transports import AiohttpTransport
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.abc.users import UserClientABC
from eternaltwin.clients.asyncio import users as async_users
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync import users as sync_users
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.enums import AuthorizationType
from eternaltwin.exceptions import (
    ConfigurationError,
    EternaltwinWarning,
    InvalidStateError,
    MissingCredentialsError,
    NotFoundError,
    RequestError,
    UnauthorizedError,
)
from eternaltwin.responses import Response
from eternaltwin.sandbox import Sandbox
from eternaltwin.states import State
from eternaltwin.tokens import Token

from .conftest import CLASSES, close, resolve

CREDENTIALS = {
    "client_id": "demo_app@clients",
    "client_secret": "dev_secret",
    "redirect_uri": "http://localhost:8000/oauth/callback",
    "state_key": "state-secret-of-at-least-32-bytes!",
}


def alice(sandbox: Sandbox) -> Any:
    return next(user for user in sandbox.demo_users if user.username == "alice")


# -- construction ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_signature_positional_credentials(cls: type[ClientABC]) -> None:
    with pytest.warns(EternaltwinWarning, match="state_key is shorter than 32 bytes"):
        client = cls("app@clients", "secret", "http://localhost/cb", "key", url="http://example.test/")
    assert (client.client_id, client.client_secret, client.redirect_uri) == (
        "app@clients",
        "secret",
        "http://localhost/cb",
    )
    assert client.state_key is not None and client.state_key.algorithm == "HS256"
    assert (client.timeout, client.verify_ssl, client.allow_redirects) == (5, True, False)


def test_a_short_state_key_warns_once_when_configured_and_never_from_pyjwt() -> None:
    import warnings

    with pytest.warns(EternaltwinWarning, match="state_key is shorter") as caught:
        client = SyncEternaltwin("app@clients", "secret", "http://localhost/cb", "key", url="http://x.test/")
    assert caught[0].filename == __file__  # it points at the line that configured the key
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing more: signing and checking states stay quiet
        assert client.validate_state(client.generate_state()).a == "authorize"


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_url_from_scheme_host_port_prefix(cls: type[ClientABC]) -> None:
    assert cls(host="example.test").url == "http://example.test/"
    assert cls(scheme="https", host="example.test", port=8443, prefix="/etwin/").url == (
        "https://example.test:8443/etwin/"
    )
    assert cls(url="https://eternaltwin.org/", host="ignored.test").url == "https://eternaltwin.org/"


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_no_url_nor_host_is_a_value_error_naming_both(cls: type[ClientABC]) -> None:
    with pytest.raises(ValueError, match="url") as caught:
        cls()
    assert "host" in str(caught.value)


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_read_only_connection_names_missing_credentials(cls: type[ClientABC]) -> None:
    client = cls(url="http://example.test/")
    assert client.is_read_only
    assert client.missing_credentials == ["client_id", "client_secret", "redirect_uri", "state_key"]
    with pytest.raises(MissingCredentialsError, match="client_id, redirect_uri") as caught:
        client.authorization_url("state")
    assert caught.value.missing == ["client_id", "redirect_uri"]
    with pytest.raises(MissingCredentialsError, match="state_key"):
        client.generate_state()
    with pytest.raises(MissingCredentialsError, match="client_id, client_secret"):
        client._basic_auth_token()
    assert not cls(url="http://example.test/", **CREDENTIALS).is_read_only


def test_equality_and_hash_follow_the_contract_fields() -> None:
    one = SyncEternaltwin(**CREDENTIALS, url="http://example.test/")
    two = SyncEternaltwin(
        **{**CREDENTIALS, "state_key": "another key, also 32 bytes or more"}, url="http://example.test/"
    )
    assert one == two and hash(one) == hash(two)
    assert one == AsyncEternaltwin(**CREDENTIALS, url="http://example.test/")
    for change in (
        {"url": "http://other.test/"},
        {"client_secret": "other"},
        {"client_id": "other@clients"},
        {"redirect_uri": "http://localhost/other"},
        {"timeout": 6},
        {"verify_ssl": False},
        {"allow_redirects": True},
    ):
        options: dict[str, Any] = {**CREDENTIALS, "url": "http://example.test/", **change}
        assert SyncEternaltwin(**options) != one, change
    assert one != "not a client"


def test_endpoint_constants() -> None:
    assert endpoints.AUTHORIZATION == "/oauth/authorize"
    assert endpoints.TOKEN == "/oauth/token"
    assert endpoints.SELF == "/api/v1/auth/self"
    assert endpoints.USER == "/api/v1/users/{user_id}"
    assert endpoints.USERS == "/api/v1/users"


def test_subclient_classes_at_their_paths() -> None:
    assert issubclass(sync_users.UserClient, UserClientABC)
    assert issubclass(async_users.UserClient, UserClientABC)
    assert isinstance(SyncEternaltwin(url="http://x.test/").users, sync_users.UserClient)
    assert isinstance(AsyncEternaltwin(url="http://x.test/").users, async_users.UserClient)
    assert issubclass(SyncEternaltwin, ClientABC) and issubclass(AsyncEternaltwin, ClientABC)


# -- OAuth without I/O ----------------------------------------------------------------------------


def test_authorization_url_parameter_order() -> None:
    client = SyncEternaltwin(**CREDENTIALS, url="https://eternaltwin.org/")
    url = client.authorization_url("S T")
    assert url == (
        "https://eternaltwin.org/oauth/authorize?response_type=code&access_type=offline"
        "&client_id=demo_app%40clients&scope=base&state=S+T"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Foauth%2Fcallback"
    )
    assert [key for key, _ in parse_qsl(urlsplit(url).query)] == [
        "response_type",
        "access_type",
        "client_id",
        "scope",
        "state",
        "redirect_uri",
    ]


def test_endpoints_are_joined_with_urljoin_semantics() -> None:
    client = SyncEternaltwin(**CREDENTIALS, url="https://eternaltwin.org/api/v1/")
    assert client.authorization_url("s").startswith("https://eternaltwin.org/oauth/authorize?")
    call_url = client.build_request(_raw("GET", "/api/v1/users")).url
    assert str(call_url) == "https://eternaltwin.org/api/v1/users"
    assert str(client.build_request(_raw("GET", "users/x")).url) == "https://eternaltwin.org/api/v1/users/x"


@pytest.mark.parametrize(
    ("options", "users", "authorize"),
    [
        ({"url": "https://example.test/etwin/"}, "/etwin/api/v1/users", "/etwin/oauth/authorize"),
        ({"url": "https://example.test/etwin"}, "/etwin/api/v1/users", "/etwin/oauth/authorize"),
        ({"url": "https://example.test/etwin/api/v1"}, "/etwin/api/v1/users", "/etwin/oauth/authorize"),
        ({"host": "example.test", "prefix": "/etwin/"}, "/etwin/api/v1/users", "/etwin/oauth/authorize"),
        ({"host": "example.test", "port": "8080"}, "/api/v1/users", "/oauth/authorize"),
    ],
)
def test_a_path_in_the_url_or_a_prefix_is_where_the_server_is(
    options: dict[str, Any], users: str, authorize: str
) -> None:
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json={"offset": 0, "limit": 20, "count": 0, "items": []})

    client = SyncEternaltwin(**CREDENTIALS, **options, transport=httpx.MockTransport(record))
    try:
        client.search_users("x")
        assert sent == [users]
        assert urlsplit(client.authorization_url("s")).path == authorize
    finally:
        client.close()


def test_port_as_a_string_of_digits_as_the_older_clients_tests_pass_it() -> None:
    client = SyncEternaltwin(**CREDENTIALS, scheme="http", host="localhost", port="50320")  # type: ignore[arg-type]
    assert client.url == "http://localhost:50320/"
    for bad in ("80a", "-1", "70000", ""):
        with pytest.raises(ConfigurationError, match="port must be an int"):
            SyncEternaltwin(host="localhost", port=bad)  # type: ignore[arg-type]


def _raw(method: str, endpoint: str) -> Any:
    from eternaltwin.clients import _calls

    return _calls.raw(method, endpoint)


def test_generate_and_validate_state() -> None:
    client = SyncEternaltwin(**CREDENTIALS, url="https://eternaltwin.org/")
    state = client.generate_state(expiration=60, nonce="ab" * 4)
    decoded = client.validate_state(state, expected=state)
    assert isinstance(decoded, State)
    assert (decoded.a, decoded.as_, decoded.nonce, decoded.exp - decoded.iat) == (
        "authorize",
        "https://eternaltwin.org/",
        "abababab",
        60,
    )
    with pytest.raises(InvalidStateError, match="does not match"):
        client.validate_state(state, expected=client.generate_state())
    other = SyncEternaltwin(**CREDENTIALS, url="https://other.test/")
    with pytest.raises(InvalidStateError, match=r"^Expected authorization server"):
        other.validate_state(state)
    forged = SyncEternaltwin(
        **{**CREDENTIALS, "state_key": "forger key forger key forger key!"}, url="https://eternaltwin.org/"
    )
    with pytest.raises(InvalidStateError) as caught:
        forged.validate_state(state)
    assert caught.value.state == state
    with pytest.raises(InvalidStateError, match=r"^Authorization expired"):
        client.validate_state(client.generate_state(expiration=-1))


def test_basic_auth_token() -> None:
    client = SyncEternaltwin(**CREDENTIALS, url="https://eternaltwin.org/")
    assert client._basic_auth_token() == base64.b64encode(b"demo_app@clients:dev_secret").decode()


# -- requests against the sandbox -----------------------------------------------------------------


async def test_get_returns_a_response(client: ClientABC) -> None:
    response = await resolve(client.get(endpoints.USERS, params={"q": "alice", "limit": 1}))
    assert isinstance(response, Response)
    assert repr(response) == "<Response [200]>"
    assert response.json()["items"][0]["display_name"]["current"]["value"] == "Alice"


async def test_get_error_raises_request_error_with_details(client: ClientABC) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError) as caught:
        await resolve(client.get(endpoints.USER.format(user_id=missing)))
    error = caught.value
    assert isinstance(error, RequestError)
    assert (error.status_code, error.code) == (404, "UserNotFound")
    assert error.response.status_code == 404
    assert missing in str(error) and "404" in str(error) and "UserNotFound" in str(error)
    response = await resolve(client.get(endpoints.USER.format(user_id=missing), raise_on_error=False))
    assert response.status_code == 404


async def test_url_with_api_prefix_still_reaches_endpoints(flavour: str, sandbox: Sandbox) -> None:
    prefixed = CLASSES[flavour](url=sandbox.url + "/api/v1/")
    try:
        response = await resolve(prefixed.users.search("alice"))
        assert response.json()["count"] >= 1
    finally:
        await close(prefixed)


async def test_users_subclient_returns_responses(client: ClientABC, sandbox: Sandbox) -> None:
    me = await resolve(client.users.me())
    assert me.json()["type"] == AuthorizationType.GUEST
    user = await resolve(client.users.get(alice(sandbox).id))
    assert user.json()["display_name"]["current"]["value"] == "Alice"
    page = (await resolve(client.users.search("alice", limit=1))).json()
    assert page["count"] >= 1 and len(page["items"]) == 1
    everyone = (await resolve(client.users.search(None, limit=0))).json()
    assert everyone["count"] >= 53 and everyone["items"] == []  # 50 generated + alice, bob, charlie
    second = (await resolve(client.users.search("", limit=1, offset=1))).json()
    first_two = (await resolve(client.users.search("", limit=2))).json()
    assert second["items"][0]["id"] == first_two["items"][1]["id"]


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_token_exchange_and_bearer(client: ClientABC, authorize: Any) -> None:
    code, state = authorize(client.authorization_url(client.generate_state()))
    client.validate_state(state)
    token = await resolve(client.token(code))
    assert isinstance(token, Token) and token.token_type == "Bearer" and token.refresh_token
    context = (await resolve(client.users.me(token=token))).json()
    assert context["type"] == AuthorizationType.ACCESSTOKEN
    assert context["user"]["display_name"]["current"]["value"] == "Bob"
    # A plain access-token string works too, and an explicit Authorization header wins over token=.
    context = (await resolve(client.get(endpoints.SELF, token=token.access_token))).json()
    assert context["type"] == "AccessToken"
    overridden = await resolve(
        client.get(
            endpoints.SELF, token=token, headers={"Authorization": "Bearer nope"}, raise_on_error=False
        )
    )
    assert overridden.status_code == 401


async def test_bad_bearer_is_unauthorized(client: ClientABC) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        await resolve(client.users.me(token="not-a-token"))
    assert caught.value.status_code == 401


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_token_with_a_used_code_fails_without_retry(client: ClientABC, authorize: Any) -> None:
    code, _ = authorize(client.authorization_url(client.generate_state()))
    await resolve(client.token(code))
    with pytest.raises(RequestError):
        await resolve(client.token(code))


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_refresh_updates_the_token_in_place(client: ClientABC, authorize: Any) -> None:
    code, _ = authorize(client.authorization_url(client.generate_state()))
    token = await resolve(client.token(code))
    before = (token.access_token, token.refresh_token)
    same = await resolve(client.refresh(token))
    assert same is token
    assert token.access_token != before[0]
    assert (await resolve(client.users.me(token=token))).json()["type"] == "AccessToken"


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_expired_token_is_refreshed_before_the_call(client: ClientABC, authorize: Any) -> None:
    code, _ = authorize(client.authorization_url(client.generate_state()))
    token = await resolve(client.token(code))
    old_access = token.access_token
    token.expiration = 0
    assert token.has_expired()
    context = (await resolve(client.users.me(token=token))).json()
    assert context["type"] == "AccessToken"
    assert token.access_token != old_access and not token.has_expired()


async def test_archive_and_clock_subclients(client: ClientABC, sandbox: Sandbox) -> None:
    hammerfest = await resolve(client.archive.hammerfest_user("hammerfest.fr", 127))
    assert isinstance(hammerfest, HammerfestUser)
    assert (hammerfest.server, hammerfest.id, hammerfest.username) == ("hammerfest.fr", "127", "alice")
    assert hammerfest.etwin_user is not None and hammerfest.etwin_user.identifier == alice(sandbox).id
    assert hammerfest.raw["type"] == "HammerfestUser"
    dinoparc = await resolve(client.archive.dinoparc_user("en.dinoparc.com", "58"))
    assert isinstance(dinoparc, DinoparcUser) and dinoparc.username == "bob" and dinoparc.dinoz
    assert isinstance(dinoparc.coins, int)
    twinoid = await resolve(client.archive.twinoid_user(38))
    assert isinstance(twinoid, TwinoidUser) and twinoid.display_name == "Alice"
    with pytest.raises(NotFoundError) as caught:
        await resolve(client.archive.hammerfest_user("hammerfest.fr", 999_999_998))
    assert caught.value.code == "HammerfestUserNotFound"
    now = await resolve(client.clock.now())
    assert isinstance(now, datetime) and now.tzinfo is not None


# -- transport: one pool per client, timeouts, TLS, redirects, User-Agent ------------------------------


async def test_one_pooled_httpx_client_reused_and_closed(client: ClientABC) -> None:
    await resolve(client.clock.now())
    pool = client.http  # type: ignore[attr-defined]
    await resolve(client.users.search("a"))
    assert client.http is pool  # type: ignore[attr-defined]
    await close(client)
    assert pool.is_closed
    await resolve(client.clock.now())  # a closed client reopens a pool when used again
    assert client.http is not pool  # type: ignore[attr-defined]


def test_sync_context_manager_closes(sandbox: Sandbox) -> None:
    with SyncEternaltwin(url=sandbox.url) as client:
        client.clock.now()
        pool = client.http
    assert pool.is_closed


async def test_async_context_manager_closes(sandbox: Sandbox) -> None:
    async with AsyncEternaltwin(url=sandbox.url) as client:
        await client.clock.now()
        pool = client.http
    assert pool.is_closed


def _ssl_context(http: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    transport: Any = http._transport
    if isinstance(transport, AiohttpTransport):
        return transport._ssl
    return transport._pool._ssl_context  # type: ignore[no-any-return]


async def test_timeout_and_verify_ssl_reach_httpx(flavour: str) -> None:
    client = CLASSES[flavour](url="https://example.test/", timeout=2.5, verify_ssl=False)
    try:
        http = client.http  # type: ignore[attr-defined]
        assert http.timeout == httpx.Timeout(2.5, pool=None)  # queued requests wait for a free slot
        assert _ssl_context(http).verify_mode == ssl.CERT_NONE
        request = client.build_request(_raw("GET", "/api/v1/clock"))
        assert request.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": None}
    finally:
        await close(client)
    strict = CLASSES[flavour](url="https://example.test/")
    try:
        assert _ssl_context(strict.http).verify_mode == ssl.CERT_REQUIRED  # type: ignore[attr-defined]
    finally:
        await close(strict)


def _redirecting(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/old":
        return httpx.Response(302, headers={"Location": "/api/v1/clock"})
    return httpx.Response(200, json={"time": "2021-11-15T00:00:00.000Z"})


@pytest.mark.parametrize("allow", [False, True])
async def test_allow_redirects(flavour: str, allow: bool) -> None:
    client = CLASSES[flavour](
        url="http://example.test/", allow_redirects=allow, transport=httpx.MockTransport(_redirecting)
    )
    try:
        response = await resolve(client.get("/old", raise_on_error=False))
        assert response.status_code == (200 if allow else 302)
        if not allow:
            with pytest.raises(RequestError):
                await resolve(client.get("/old"))
    finally:
        await close(client)


async def test_user_agent_default_and_override(flavour: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, json={"time": "2021-11-15T00:00:00.000Z"})

    default = CLASSES[flavour](url="http://example.test/", transport=httpx.MockTransport(handler))
    custom = CLASSES[flavour](
        url="http://example.test/", user_agent="my-bot/1.0", transport=httpx.MockTransport(handler)
    )
    try:
        await resolve(default.clock.now())
        await resolve(custom.clock.now())
    finally:
        await close(default)
        await close(custom)
    assert seen[0].startswith("eternaltwin-kit/") and "httpx" in seen[0]
    assert seen[1] == "my-bot/1.0"
    assert default.user_agent == seen[0]


async def test_max_connections_bounds_the_pool(flavour: str, sandbox: Sandbox) -> None:
    client = CLASSES[flavour](url=sandbox.url, max_connections=3)
    try:
        transport: Any = client.http._transport  # type: ignore[attr-defined]
        if isinstance(transport, AiohttpTransport):
            assert transport._get_session().connector.limit == 3  # type: ignore[union-attr]
        else:
            pool = transport._pool
            assert pool._max_connections == 3 and pool._max_keepalive_connections == 3
        assert CLASSES[flavour](url=sandbox.url).max_connections == 10
    finally:
        await close(client)


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_requests_beyond_the_pool_wait_instead_of_failing(sandbox: Sandbox, backend: str) -> None:
    import asyncio

    client = AsyncEternaltwin(url=sandbox.url, max_connections=2, timeout=5, async_backend=backend)
    try:
        results = await asyncio.gather(*(client.clock.now() for _ in range(40)))
        assert len(results) == 40
        transport: Any = client.http._transport
        if isinstance(transport, AiohttpTransport):
            connector = transport._get_session().connector
            opened = sum(len(idle) for idle in connector._conns.values())
        else:
            opened = len(transport._pool.connections)
        assert 1 <= opened <= 2
    finally:
        await client.aclose()
