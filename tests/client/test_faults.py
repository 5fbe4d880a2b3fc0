"""Faults injected with httpx.MockTransport (and one real refused connection), for both clients.

Waits go through an injected ``sleep`` that records the delays instead of sleeping.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from eternaltwin.clients import endpoints
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.exceptions import (
    ConnectionFailed,
    EternalTwinError,
    NotFoundError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    UnexpectedResponseError,
)
from eternaltwin.tokens import Token

from .conftest import CLASSES, close, resolve

USER_ID = "3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11"
USER_JSON = {"type": "User", "id": USER_ID, "display_name": {"current": {"value": "Mira"}}}
CREDENTIALS = {
    "client_id": "app@clients",
    "client_secret": "app-secret",
    "redirect_uri": "http://localhost/cb",
    "state_key": "k" * 32,
}


class Script:
    """A MockTransport handler answering from a list of (status, body, headers) or exceptions."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer if len(answer) == 3 else (*answer, {})
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def make(flavour: str) -> Iterator[Callable[..., tuple[ClientABC, list[float]]]]:
    """``make(script, **options) -> (client, delays)``: a client on a MockTransport, recording its waits."""
    made: list[ClientABC] = []

    def build(script: Script, **options: Any) -> tuple[ClientABC, list[float]]:
        delays: list[float] = []
        if flavour == "sync":

            def sleep(seconds: float) -> None:
                delays.append(seconds)

        else:

            async def sleep(seconds: float) -> None:  # type: ignore[misc]
                delays.append(seconds)

        options = {
            "url": "http://etwin.test/",
            "sleep": sleep,
            "transport": httpx.MockTransport(script),
            **options,
        }
        client = CLASSES[flavour](**options)
        made.append(client)
        return client, delays

    yield build
    for client in made:
        if hasattr(client, "close"):
            client.close()


async def test_timeout_is_request_timeout_and_not_retried(make: Any) -> None:
    script = Script(httpx.ReadTimeout("slow"))
    client, delays = make(script)
    with pytest.raises(RequestTimeout) as caught:
        await resolve(client.users.get(USER_ID))
    assert isinstance(caught.value, EternalTwinError)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.method == "GET" and caught.value.url.endswith(f"/api/v1/users/{USER_ID}")
    assert len(script.requests) == 1 and delays == []
    await close(client)


async def test_server_error_then_success_is_retried(make: Any) -> None:
    script = Script((503, {"error": "Busy"}), (502, b"bad gateway"), (200, USER_JSON))
    client, delays = make(script, retry_backoff=0.5)
    response = await resolve(client.users.get(USER_ID))
    assert response.json()["id"] == USER_ID
    assert len(script.requests) == 3
    assert len(delays) == 2
    assert 0.5 <= delays[0] <= 0.55 and 1.0 <= delays[1] <= 1.1  # doubling, with at most 10 % jitter
    await close(client)


async def test_retries_give_up_after_max_retries(make: Any) -> None:
    script = Script((504, {"error": "GatewayTimeout"}))
    client, delays = make(script, max_retries=2)
    with pytest.raises(ServerError) as caught:
        await resolve(client.users.search("x"))
    assert caught.value.status_code == 504 and caught.value.code == "GatewayTimeout"
    assert len(script.requests) == 3 and len(delays) == 2
    await close(client)


async def test_max_retries_zero_disables_retries(make: Any) -> None:
    script = Script((503, b""))
    client, delays = make(script, max_retries=0)
    with pytest.raises(ServerError):
        await resolve(client.clock.now())
    assert len(script.requests) == 1 and delays == []
    await close(client)


async def test_backoff_is_capped(make: Any) -> None:
    script = Script((503, b""))
    client, delays = make(script, max_retries=4, retry_backoff=2, retry_max_backoff=3)
    with pytest.raises(ServerError):
        await resolve(client.clock.now())
    assert len(delays) == 4
    assert 2 <= delays[0] <= 2.2
    assert all(3 <= delay <= 3.3 for delay in delays[1:])
    await close(client)


async def test_429_retry_after_is_obeyed(make: Any) -> None:
    script = Script((429, {"error": "TooManyRequests"}, {"Retry-After": "2"}), (200, USER_JSON))
    client, delays = make(script)
    response = await resolve(client.users.get(USER_ID))
    assert response.status_code == 200
    assert delays == [2.0]
    await close(client)


async def test_429_retry_after_beyond_the_cap_raises_at_once(make: Any) -> None:
    script = Script((429, {"error": "TooManyRequests"}, {"Retry-After": "120"}), (200, USER_JSON))
    client, delays = make(script, retry_max_backoff=10)
    with pytest.raises(RateLimitedError) as caught:
        await resolve(client.users.get(USER_ID))
    assert caught.value.retry_after == 120 and caught.value.code == "TooManyRequests"
    assert len(script.requests) == 1 and delays == []
    await close(client)


async def test_429_without_retry_after_backs_off(make: Any) -> None:
    script = Script((429, b""), (200, USER_JSON))
    client, delays = make(script, retry_backoff=0.25)
    await resolve(client.users.get(USER_ID))
    assert len(delays) == 1 and 0.25 <= delays[0] <= 0.275
    await close(client)


async def test_404_is_not_retried(make: Any) -> None:
    script = Script((404, {"error": "UserNotFound"}))
    client, delays = make(script)
    with pytest.raises(NotFoundError):
        await resolve(client.users.get(USER_ID))
    assert len(script.requests) == 1 and delays == []
    await close(client)


async def test_connection_error_is_retried_then_succeeds(make: Any) -> None:
    script = Script(httpx.ConnectError("refused"), (200, {"time": "2021-11-15T00:00:00.000Z"}))
    client, delays = make(script)
    now = await resolve(client.clock.now())
    assert now.year == 2021 and len(delays) == 1
    await close(client)


async def test_post_is_never_retried(make: Any) -> None:
    script = Script((503, b""), (200, {}))
    client, delays = make(script)
    with pytest.raises(ServerError):
        await resolve(client.post("/api/v1/anything", json={"a": 1}))
    assert len(script.requests) == 1 and delays == []
    failing = Script(httpx.ConnectError("refused"))
    client, delays = make(failing)
    with pytest.raises(ConnectionFailed):
        await resolve(client.post("/api/v1/anything"))
    assert len(failing.requests) == 1 and delays == []


async def test_token_endpoint_is_never_retried(make: Any) -> None:
    script = Script((503, b""), (200, {"access_token": "a", "expires_in": 3600, "token_type": "Bearer"}))
    client, delays = make(script, **CREDENTIALS)
    with pytest.raises(ServerError):
        await resolve(client.token("code"))
    assert len(script.requests) == 1 and delays == []
    request = script.requests[0]
    assert request.method == "POST" and request.url.path == endpoints.TOKEN
    assert request.headers["authorization"] == "Basic " + client._basic_auth_token()
    assert request.read() == b'{"grant_type":"authorization_code","code":"code"}'


async def test_refresh_request_shape(make: Any) -> None:
    script = Script((200, {"access_token": "new", "expires_in": 3600, "token_type": "Bearer"}))
    client, _ = make(script, **CREDENTIALS)
    token = Token(access_token="old", expires_in=3600, token_type="Bearer", refresh_token="r1")
    assert await resolve(client.refresh(token)) is token
    assert (token.access_token, token.refresh_token) == ("new", "r1")  # no new refresh token: keep the old
    body = script.requests[0].read()
    assert body == b'{"grant_type":"refresh_token","refresh_token":"r1"}'


async def test_no_automatic_refresh_without_client_credentials(make: Any) -> None:
    script = Script((200, {"type": "Guest", "scope": "Default"}))
    client, _ = make(script)
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    await resolve(client.users.me(token=token))
    assert [r.url.path for r in script.requests] == [endpoints.SELF]
    assert script.requests[0].headers["authorization"] == "Bearer old"


async def test_expired_token_refreshed_once_before_the_call(make: Any) -> None:
    script = Script(
        (200, {"access_token": "fresh", "expires_in": 3600, "token_type": "Bearer", "refresh_token": "r2"}),
        (200, {"type": "AccessToken"}),
    )
    client, _ = make(script, **CREDENTIALS)
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    await resolve(client.users.me(token=token))
    assert [r.url.path for r in script.requests] == [endpoints.TOKEN, endpoints.SELF]
    assert script.requests[1].headers["authorization"] == "Bearer fresh"
    assert (token.access_token, token.refresh_token) == ("fresh", "r2")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"type": "User"}', "'id'"),
        (b"[1, 2]", "JSON object"),
        (b'{"id": "x", "display_name": 3}', "display_name"),
    ],
)
async def test_malformed_json_is_unexpected_response(make: Any, api: Any, body: bytes, what: str) -> None:
    script = Script((200, body))
    client, _ = make(script)
    from eternaltwin.connections import async_connections, connections

    registry = connections if isinstance(client, CLASSES["sync"]) else async_connections
    registry["faulty"] = client
    try:
        with pytest.raises(UnexpectedResponseError, match=what) as caught:
            await resolve(api("get")(USER_ID, using="faulty"))
        assert not isinstance(caught.value, KeyError)
        assert caught.value.response is not None and caught.value.response.status_code == 200
    finally:
        registry.clear()


@pytest.mark.parametrize(
    ("body", "call"),
    [
        (b'{"count": 1}', "search"),
        (b'{"items": []}', "count"),
        (b'{"time": 12}', "clock"),
        (b'{"expires_in": 1}', "token"),
    ],
)
async def test_missing_members_are_unexpected_response(make: Any, body: bytes, call: str) -> None:
    client, _ = make(Script((200, body)), **CREDENTIALS)
    from eternaltwin.clients import _calls

    calls = {
        "search": _calls.search_users("x").parsed(_calls.parse_search_page(0, 20)),
        "count": _calls.search_users("x", 0).parsed(_calls.parse_count),
        "clock": _calls.clock(),
        "token": _calls.token_from_code("c"),
    }
    with pytest.raises(UnexpectedResponseError):
        await resolve(client._run(client._flow(calls[call])))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_on_a_closed_port(flavour: str) -> None:
    delays: list[float] = []

    def record(seconds: float) -> None:
        delays.append(seconds)

    async def arecord(seconds: float) -> None:
        delays.append(seconds)

    client = CLASSES[flavour](
        url=f"http://127.0.0.1:{_closed_port()}/",
        max_retries=2,
        sleep=record if flavour == "sync" else arecord,
    )
    try:
        with pytest.raises(ConnectionFailed) as caught:
            await resolve(client.users.me())
        assert "127.0.0.1" in str(caught.value)
        assert len(delays) == 2  # two retries, then the error
        assert any("gave up after 2 retries" in note for note in getattr(caught.value, "__notes__", []))
    finally:
        await close(client)


async def test_one_refresh_for_concurrent_calls_with_the_same_expired_token() -> None:
    import asyncio

    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

    script = Script(
        (200, {"access_token": "fresh", "expires_in": 3600, "token_type": "Bearer", "refresh_token": "r2"}),
        (200, {"type": "AccessToken"}),
    )

    async def yield_control(seconds: float) -> None:
        await asyncio.sleep(0)

    client = AsyncEternaltwin(
        url="http://etwin.test/", transport=httpx.MockTransport(script), sleep=yield_control, **CREDENTIALS
    )
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    await asyncio.gather(*(client.users.me(token=token) for _ in range(3)))
    paths = [request.url.path for request in script.requests]
    assert paths.count(endpoints.TOKEN) == 1 and paths.count(endpoints.SELF) == 3
    assert all(
        r.headers["authorization"] == "Bearer fresh" for r in script.requests if r.url.path == endpoints.SELF
    )
    await client.aclose()


async def test_a_slow_server_times_out_over_real_http(flavour: str) -> None:
    """Every engine (httpx sync, aiohttp, httpx async) turns a read that is too slow into RequestTimeout.

    The server is a listening socket that never answers (the kernel accepts the connection, nobody reads
    the request): the read cannot win against the timeout, however loaded the machine is.
    """
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        client = CLASSES[flavour](url=f"http://127.0.0.1:{port}", timeout=0.1, max_retries=0)
        try:
            with pytest.raises(RequestTimeout) as caught:
                await resolve(client.clock.now())
            assert "127.0.0.1" in str(caught.value)
        finally:
            await close(client)
