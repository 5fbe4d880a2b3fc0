"""What real servers send, against the sandbox over HTTP (both clients): tokens without a refresh token or
an expiry, a plain-text 500 for an unknown token, a users route that refuses the token, a client context.

The sandbox on main still issues refresh tokens and answers 401 to a bad token; a transport that forwards
every request to it over loopback rewrites the few answers that differ on eternaltwin.org (fault
injection, as the suite's rules allow).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from eternaltwin.clients import endpoints
from eternaltwin.clients._calls import parse_self_user_id
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.exceptions import EternaltwinWarning, ServerError, UnauthorizedError
from eternaltwin.sandbox import Sandbox
from eternaltwin.tokens import Token

from .conftest import CLASSES, close, resolve

Rewrite = Callable[[httpx.Request, httpx.Response], "httpx.Response | None"]
_USER_PATH = re.compile(r"^/api/v1/users/[0-9a-f-]{36}$")


class Forwarding(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends every request to the real server, records it, and lets ``rewrite`` replace its answer."""

    def __init__(self, rewrite: Rewrite | None = None) -> None:
        self.rewrite = rewrite
        self.requests: list[tuple[str, str]] = []
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def count(self, method: str, path: str) -> int:
        return sum(1 for sent in self.requests if sent == (method, path))

    def _after(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        replaced = None if self.rewrite is None else self.rewrite(request, response)
        return response if replaced is None else replaced

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._sync.handle_request(request)
        response.read()
        return self._after(request, response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._async.handle_async_request(request)
        await response.aread()
        return self._after(request, response)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def token_reply(drop: tuple[str, ...], **values: Any) -> Rewrite:
    """Rewrite the token endpoint's reply: members in ``drop`` removed, ``values`` set."""

    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if request.url.path != endpoints.TOKEN or response.status_code != 200:
            return None
        body = {k: v for k, v in response.json().items() if k not in drop} | values
        return httpx.Response(200, json=body)

    return rewrite


@pytest.fixture
def forwarding(flavour: str, sandbox: Sandbox) -> Iterator[Callable[..., tuple[ClientABC, Forwarding]]]:
    """``make(rewrite=None, **options) -> (client, transport)``: a client of the flavour on the shared
    sandbox, through a :class:`Forwarding` transport."""
    made: list[ClientABC] = []

    def make(rewrite: Rewrite | None = None, **options: Any) -> tuple[ClientABC, Forwarding]:
        transport = Forwarding(rewrite)
        client = CLASSES[flavour](**sandbox.connection_config(), transport=transport, **options)
        made.append(client)
        return client, transport

    yield make
    for client in made:
        if hasattr(client, "close"):
            client.close()


async def log_in(client: ClientABC, authorize: Any, username: str = "bob", **options: Any) -> Any:
    state, url = client.start_login()
    code, callback_state = authorize(url, username)
    return await resolve(client.complete_login(code, callback_state, state, **options))


def bob_id(sandbox: Sandbox) -> str:
    return next(user.id for user in sandbox.demo_users if user.username == "bob")


# -- tokens -------------------------------------------------------------------------------------------


async def test_a_2021_token_logs_in_and_automatic_refresh_steps_aside(
    forwarding: Any, authorize: Any, sandbox: Sandbox
) -> None:
    client, sent = forwarding(token_reply(("refresh_token",), expires_in=1_000_000_000))
    user = await log_in(client, authorize)
    token = user.token
    assert isinstance(token, Token) and token.refresh_token is None and not token.can_refresh
    assert token.kind == "long-lived" and token.expires_in == 1_000_000_000
    assert user.identifier == bob_id(sandbox) and user.created_at is not None  # the full record too
    token.expiration = 0  # writable, as in the older client: the kit now thinks it expired
    assert token.has_expired() and token.kind == "short-lived"
    me = await resolve(client.me())  # no refresh is attempted, and the server still takes it
    assert me.identifier == user.identifier
    assert sent.count("POST", endpoints.TOKEN) == 1  # the code exchange only
    await close(client)


async def test_a_token_reply_without_expires_in_never_expires(
    forwarding: Any, authorize: Any, sandbox: Sandbox
) -> None:
    client, sent = forwarding(token_reply(("refresh_token", "expires_in")))
    user = await log_in(client, authorize)
    token = user.token
    assert token.expires_in is None and token.expiration is None and token.seconds_left is None
    assert not token.has_expired() and not token.expires and token.kind == "long-lived"
    assert "no expiry" in repr(token) and token.access_token not in repr(token)
    assert (await resolve(client.me())).identifier == bob_id(sandbox)
    assert sent.count("POST", endpoints.TOKEN) == 1
    await close(client)


async def test_a_refused_token_without_refresh_token_says_to_log_in_again(forwarding: Any) -> None:
    client, sent = forwarding()
    token = Token(access_token="not-a-token", token_type="Bearer")
    with pytest.raises(UnauthorizedError) as caught:
        await resolve(client.user_of_token(token))
    message = str(caught.value)
    assert caught.value.status_code == 401 and "Log in again" in message and "no refresh token" in message
    assert "not-a-token" not in message
    assert sent.count("POST", endpoints.TOKEN) == 0  # nothing to refresh with: no attempt
    await close(client)


def plain_text_500(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
    """The 2021 server's answer to an unknown Bearer token (spec 11.7); and a clock that fails."""
    bearer = request.headers.get("authorization", "").startswith("Bearer ")
    if (bearer and response.status_code == 401) or request.url.path == endpoints.CLOCK:
        return httpx.Response(500, text="Internal Server Error", headers={"content-type": "text/plain"})
    return None


async def test_a_plain_text_500_for_a_bad_token_is_explained(forwarding: Any) -> None:
    client, sent = forwarding(plain_text_500)
    with pytest.raises(ServerError) as caught:
        await resolve(client.user_of_token("not-a-token"))
    error = caught.value
    assert not isinstance(error, UnauthorizedError) and error.code is None and error.status_code == 500
    assert "2021 Eternaltwin server" in str(error) and "Log in again" in str(error)
    assert sent.count("GET", endpoints.SELF) == 1  # a 500 is not retried
    with pytest.raises(ServerError) as without_token:  # a call without a token: nothing about tokens
        await resolve(client.clock.now())
    assert "access token" not in str(without_token.value)
    await close(client)


# -- identity: auth/self, then the full record when it can be read --------------------------------------


def users_route_refuses_tokens(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
    if _USER_PATH.match(request.url.path) and "authorization" in request.headers:
        return httpx.Response(403, json={"error": "Forbidden"})
    return None


async def test_login_survives_a_users_route_that_refuses_the_token(
    forwarding: Any, authorize: Any, sandbox: Sandbox
) -> None:
    client, sent = forwarding(users_route_refuses_tokens)
    user = await log_in(client, authorize)  # full=None: no warning (warnings are errors here)
    assert (user.identifier, user.display_name) == (bob_id(sandbox), "Bob")
    assert user.token is not None and client.user is user
    assert user.created_at is None and user.is_administrator is None and not user.has_links
    user_path = endpoints.USER.format(user_id=user.identifier)
    assert sent.count("GET", user_path) == 1
    again = await resolve(client.me())  # refused once: not asked again on this connection
    assert again.identifier == user.identifier and sent.count("GET", user_path) == 1
    with pytest.warns(EternaltwinWarning, match="full record could not be read"):
        asked = await resolve(client.me(full=True))
    assert asked.display_name == "Bob" and sent.count("GET", user_path) == 2
    await close(client)


async def test_one_call_for_identity_when_asked(forwarding: Any, authorize: Any, sandbox: Sandbox) -> None:
    client, sent = forwarding()
    user = await log_in(client, authorize, full=False)
    assert sent.requests[-2:] == [("POST", endpoints.TOKEN), ("GET", endpoints.SELF)]
    assert user.display_name == "Bob" and user.created_at is None and user.token is not None
    full = await resolve(client.me())  # the default reads the full record
    assert full.created_at is not None and full.is_administrator is False and full.has_links
    await close(client)


async def test_a_full_record_that_fails_for_a_transport_reason_does_not_fail_the_login(
    forwarding: Any, authorize: Any
) -> None:
    def cut(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if _USER_PATH.match(request.url.path):
            raise httpx.ConnectError("cut")  # retried, then given up: the login stands
        return None

    client, _ = forwarding(cut, max_retries=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        user = await log_in(client, authorize)
    assert user.display_name == "Bob" and user.created_at is None
    assert not client._full_record_refused  # a transport failure is not a refusal
    await close(client)


# -- auth contexts ------------------------------------------------------------------------------------


async def test_a_client_context_is_named_as_such(client: ClientABC) -> None:
    basic = {"Authorization": "Basic " + client._basic_auth_token()}
    response = await resolve(client.get(endpoints.SELF, headers=basic))
    assert response.json()["type"] == "OauthClient"
    with pytest.raises(UnauthorizedError) as caught:
        parse_self_user_id(response)
    message = str(caught.value)
    assert "OAuth client context" in message and "demo_app@clients" in message
    assert "does not recognise" not in message and client.client_secret not in message


async def test_a_guest_context_says_the_token_is_unknown(forwarding: Any) -> None:
    def guest(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if request.url.path == endpoints.SELF:
            return httpx.Response(200, content=json.dumps({"type": "Guest", "scope": "Default"}).encode())
        return None

    client, _ = forwarding(guest)
    with pytest.raises(UnauthorizedError, match="does not recognise this token"):
        await resolve(client.user_of_token("whatever"))
    await close(client)
