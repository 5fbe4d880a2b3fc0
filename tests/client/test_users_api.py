"""The high-level ``eternaltwin.users.User`` API, sync and async, against the sandbox over HTTP."""

from __future__ import annotations

import itertools
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import (
    EternaltwinWarning,
    InvalidStateError,
    InvalidUserIdError,
    NotAuthenticatedError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from eternaltwin.sandbox import Sandbox
from eternaltwin.tokens import Token
from eternaltwin.users import SearchPage, User

from .conftest import collect, resolve


def registry(flavour: str) -> Any:
    return connections if flavour == "sync" else async_connections


def demo(sandbox: Sandbox, username: str) -> Any:
    return next(user for user in sandbox.demo_users if user.username == username)


async def login(api: Any, authorize: Any, username: str = "bob") -> User:
    state, url = User.start_authorization()
    code, callback_state = authorize(url, username)
    return await resolve(api("from_authorization_code")(code, callback_state, state))  # type: ignore[no-any-return]


def test_start_authorization(connected: Sandbox) -> None:
    state, url = User.start_authorization(expiration=120, nonce="abc")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(connected.url + "/oauth/authorize?")
    assert query["state"] == [state] and query["client_id"] == ["demo_app@clients"]
    decoded = connections.get_connection().validate_state(state)
    assert decoded.nonce == "abc" and decoded.exp - decoded.iat == 120


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_full_oauth_flow(connected: Sandbox, api: Any, authorize: Any, flavour: str) -> None:
    user = await login(api, authorize, "bob")
    assert isinstance(user, User) and user.is_authenticated
    assert user.identifier == demo(connected, "bob").id and user.display_name == "Bob" == user.username
    assert isinstance(user.token, Token) and user.token.refresh_token
    assert user.created_at is not None and user.is_administrator is False and user.using == "default"
    client = registry(flavour).get_connection()
    assert client.user is user
    me = await resolve(api("me")())
    assert me == user and me.token is user.token
    explicit = await resolve(api("me")(user.token))
    assert explicit.identifier == user.identifier
    user.logout()
    user.logout()
    assert not user.is_authenticated and user.token is None


async def test_unexpected_state_is_refused(connected: Sandbox, api: Any, authorize: Any) -> None:
    _, url = User.start_authorization()
    code, callback_state = authorize(url)
    other, _ = User.start_authorization()
    with pytest.raises(InvalidStateError, match="does not match"):
        await resolve(api("from_authorization_code")(code, callback_state, other))
    with pytest.raises(InvalidStateError):
        await resolve(api("from_authorization_code")(code, callback_state + "x"))


async def test_a_replayed_state_is_refused(connected: Sandbox, api: Any, authorize: Any) -> None:
    state, url = User.start_authorization()
    code, callback_state = authorize(url, "bob")
    await resolve(api("from_authorization_code")(code, callback_state, state))
    # The same redirect again (a replay, within the state's 10 minutes): refused before any request.
    with pytest.raises(InvalidStateError, match="already used"):
        await resolve(api("from_authorization_code")(code, callback_state, state))


async def test_leaving_out_expected_state_warns_of_login_csrf(
    connected: Sandbox, api: Any, authorize: Any
) -> None:
    _, url = User.start_authorization()
    code, callback_state = authorize(url, "bob")
    with pytest.warns(EternaltwinWarning, match="login CSRF"):
        user = await resolve(api("from_authorization_code")(code, callback_state))
    assert user.display_name == "Bob"


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_expired_token_is_refreshed_in_place(connected: Sandbox, api: Any, authorize: Any) -> None:
    user = await login(api, authorize, "charlie")
    token = user.token
    assert token is not None
    old = token.access_token
    token.expiration = 0
    me = await resolve(api("me")())
    assert me.identifier == user.identifier
    assert user.token is token and token.access_token != old and not token.has_expired()


async def test_refresh_after_the_server_clock_moves(flavour: str, authorize: Any) -> None:
    with Sandbox(refresh_tokens=True) as server:
        client = (AsyncEternaltwin if flavour != "sync" else connections.client_class)(
            **server.connection_config()
        )
        try:
            code, _ = authorize(client.authorization_url(client.generate_state()), "bob", server=server)
            token = await resolve(client.token(code))
            server.clock.advance(token.expires_in + 10)
            with pytest.raises(UnauthorizedError):
                await resolve(client.users.me(token=token))
            await resolve(client.refresh(token))
            assert (await resolve(client.users.me(token=token))).json()["type"] == "AccessToken"
        finally:
            if flavour != "sync":
                await client.aclose()  # type: ignore[union-attr]
            else:
                client.close()  # type: ignore[union-attr]


async def test_from_token(connected: Sandbox, api: Any, authorize: Any) -> None:
    user = await login(api, authorize, "alice")
    assert user.token is not None
    again = await resolve(api("from_token")(user.token))
    assert again == user and again.token is user.token and again.is_administrator is True
    by_string = await resolve(api("from_token")(user.token.access_token))
    assert by_string == user and by_string.token is None
    with pytest.raises(UnauthorizedError):
        await resolve(api("from_token")("not-a-token"))


async def test_me_without_anybody_logged_in(connected: Sandbox, api: Any) -> None:
    with pytest.raises(NotAuthenticatedError, match="Nobody is logged in on connection 'default'"):
        await resolve(api("me")())


async def test_get(connected: Sandbox, api: Any) -> None:
    alice = demo(connected, "alice")
    user = await resolve(api("get")(alice.id))
    assert isinstance(user, User) and user.identifier == alice.id and user.display_name == "Alice"
    assert user.is_administrator is True and user.has_links and "hammerfest_fr" in user.links
    assert user.links["hammerfest_fr"].id == "127"
    assert (await resolve(api("get")(alice.id.upper()))) == user
    assert (await resolve(api("get")(uuid.UUID(alice.id)))) == user
    with pytest.raises(NotFoundError) as caught:
        await resolve(api("get")(str(uuid.uuid4())))
    assert caught.value.code == "UserNotFound"


@pytest.mark.parametrize(
    "bad", ["alice", "3f1c2a58-7d0b-4e8e-9a51", "3f1c2a587d0b4e8e9a510b6f4f2d9c11xxxx", 42, None]
)
async def test_invalid_user_id_is_refused_before_any_request(api: Any, flavour: str, bad: Any) -> None:
    registry(flavour).create_connection("dead", url="http://127.0.0.1:9/", max_retries=0)
    try:
        with pytest.raises(InvalidUserIdError) as caught:
            await resolve(api("get")(bad, using="dead"))
        assert isinstance(caught.value, ValueError)
    finally:
        registry(flavour).clear()


async def test_search_and_count(connected: Sandbox, api: Any) -> None:
    page = await resolve(api("search")("ali"))
    assert isinstance(page, SearchPage) and page.offset == 0 and page.limit == 20
    names = [user.display_name for user in page]
    assert "Alice" in names and len(page) == len(names) and page[0] is page.items[0]
    total = await resolve(api("count")())
    assert isinstance(total, int) and total >= 53
    assert await resolve(api("count")("alice")) == (await resolve(api("search")("alice"))).count
    window = await resolve(api("search")(None, limit=5, offset=5))
    assert (window.offset, window.limit, len(window), window.count) == (5, 5, 5, total)
    assert window.next_offset == 10
    empty = await resolve(api("search")("no such user at all"))
    assert empty.count == 0 and list(empty) == [] and empty.next_offset is None


async def test_iter_search_walks_every_page(connected: Sandbox, api: Any, flavour: str) -> None:
    total = await resolve(api("count")())
    users = await collect(api("iter_search")(page_size=7))
    assert len(users) == total == len({user.identifier for user in users})
    only_b = await collect(api("iter_search")("b", page_size=2))
    assert len(only_b) == await resolve(api("count")("b"))
    with pytest.raises(ValueError, match="page_size"):
        await collect(api("iter_search")(page_size=0))


def test_iter_search_is_lazy(connected: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    client = connections.get_connection()
    calls: list[int] = []
    run = client._run

    def counting(flow: Any) -> Any:
        calls.append(1)
        return run(flow)

    monkeypatch.setattr(client, "_run", counting)
    first_three = list(itertools.islice(User.iter_search(page_size=3), 3))
    assert len(first_three) == 3 and len(calls) == 1
    list(itertools.islice(User.iter_search(page_size=3), 4))
    assert len(calls) == 3


async def test_using_selects_the_alias(connected: Sandbox, api: Any, flavour: str) -> None:
    registry(flavour).create_connection("dead", url="http://127.0.0.1:9/", max_retries=0)
    registry(flavour).create_connection("sandbox", url=connected.url)
    page = await resolve(api("search")("alice", using="sandbox"))
    assert page.items[0].using == "sandbox"
    from eternaltwin.exceptions import ConnectionFailed

    with pytest.raises(ConnectionFailed):
        await resolve(api("count")(using="dead"))
    with pytest.raises(KeyError, match="'nowhere'"):
        await resolve(api("count")(using="nowhere"))


@pytest.mark.sandbox_options(refresh_tokens=True)  # eternaltwin.org issues no refresh token
async def test_concurrent_calls_with_one_expired_token(connected: Sandbox, authorize: Any) -> None:
    import asyncio

    state, url = User.start_authorization()
    code, callback_state = authorize(url, "bob")
    user = await User.afrom_authorization_code(code, callback_state, state)
    assert user.token is not None
    user.token.expiration = 0
    results = await asyncio.gather(*(User.ame() for _ in range(4)))
    assert {result.identifier for result in results} == {user.identifier}
    assert not user.token.has_expired()


async def test_a_search_limit_above_a_page_says_the_maximum(connected: Sandbox, api: Any) -> None:
    with pytest.raises(ValidationError, match=r"limit=500: a search page holds at most 100 users") as caught:
        await resolve(api("search")(limit=500))
    assert caught.value.code == "InvalidQueryParameters"
    assert "iter_search" in str(caught.value)
