"""Flows: plain generators that yield what to do and receive what happened.

A flow yields an :class:`httpx.Request` (the driver sends it and sends back a
:class:`~eternaltwin.responses.Response`, or throws in a
:class:`~eternaltwin.exceptions.TransportError`) or a :class:`Sleep` (the driver waits). Its return value
is the result. Retries, token refresh and multi-request operations (the OAuth login) are written once,
here, and driven by :meth:`Eternaltwin._run <eternaltwin.clients.sync.clients.Eternaltwin._run>` (sync) and
its async twin, which are the only places that do I/O.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import httpx

from eternaltwin.clients import _calls
from eternaltwin.clients._calls import Call
from eternaltwin.exceptions import (
    ConnectionFailed,
    RequestTimeout,
    TransportError,
    parse_retry_after,
    request_error_for,
)
from eternaltwin.responses import Response
from eternaltwin.tokens import Token

if TYPE_CHECKING:
    from eternaltwin.clients.abc.clients import ClientABC
    from eternaltwin.users import User

__all__ = [
    "RETRY_STATUSES",
    "Flow",
    "RetryPolicy",
    "Sleep",
    "execute",
    "login_with_code",
    "refresh_if_expired",
    "send",
    "to_response",
    "transport_error",
    "user_of_token",
]

T = TypeVar("T")

#: Statuses after which an idempotent request is retried.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Sleep:
    """An instruction to the driver: wait ``seconds`` then resume the flow."""

    seconds: float


Step: TypeAlias = "httpx.Request | Sleep"
Flow: TypeAlias = Generator["httpx.Request | Sleep", "Response | None", T]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long to wait before sending an idempotent request again.

    Attributes
    ----------
    max_retries : int
        Retries after the first attempt (0 disables retrying).
    backoff : float
        The first delay in seconds; doubled at each retry.
    max_backoff : float
        The longest delay; also the longest ``Retry-After`` honoured (a server asking for longer gets
        its :class:`~eternaltwin.exceptions.RateLimitedError` at once rather than an early retry).
    jitter : float
        Up to this fraction of the delay is added at random, so that clients do not retry in step.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 10.0
    jitter: float = 0.1

    def backoff_delay(self, attempt: int) -> float:
        """The delay before retry number ``attempt + 1`` (capped exponential backoff with jitter)."""
        delay = min(self.max_backoff, self.backoff * 2.0**attempt)
        return delay + random.uniform(0, self.jitter * delay)

    def delay_after(self, response: Response, attempt: int) -> float | None:
        """The delay before retrying after ``response``, or None to give up (Retry-After beyond the cap)."""
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None:
            return self.backoff_delay(attempt)
        if retry_after > self.max_backoff:
            return None
        return retry_after


def to_response(response: httpx.Response) -> Response:
    """The kit's :class:`Response` for an httpx one (whose body has been read)."""
    return Response(str(response.url), response.status_code, response.content, response.headers)


def transport_error(exc: httpx.HTTPError, request: httpx.Request) -> TransportError:
    """The kit's exception for an httpx failure that left no response (the one place they are translated)."""
    method, url = request.method, str(request.url.copy_with(query=None))
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(f"{method} {url} timed out ({type(exc).__name__}).", method=method, url=url)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TransportError):
        return ConnectionFailed(f"{method} {url} failed: {detail}", method=method, url=url)
    return TransportError(f"{method} {url} failed: {detail}", method=method, url=url)


def send(policy: RetryPolicy, request: httpx.Request, retryable: bool) -> Flow[Response]:
    """Send ``request``; retry it (when ``retryable``) on connection failures and on 429/502/503/504."""
    attempt = 0
    while True:
        try:
            response = yield request
        except ConnectionFailed as exc:
            if not retryable or attempt >= policy.max_retries:
                if attempt:
                    exc.add_note(f"(gave up after {attempt} retries)")
                raise
            delay = policy.backoff_delay(attempt)
        else:
            assert response is not None
            if not retryable or response.status_code not in RETRY_STATUSES or attempt >= policy.max_retries:
                return response
            wait = policy.delay_after(response, attempt)
            if wait is None:
                return response
            delay = wait
        attempt += 1
        yield Sleep(delay)


def execute(client: ClientABC, call: Call[T]) -> Flow[T]:
    """Run one call: refresh an expired token first if possible, send with retries, check, parse."""
    token = call.token
    if isinstance(token, Token) and token.refresh_token and client.client_secret is not None:
        yield from refresh_if_expired(client, token)
    request = client.build_request(call)
    response = yield from send(client.retry_policy, request, call.retryable)
    if call.raise_on_error and response.status_code >= 300:
        raise request_error_for(response)
    return call.parse(response)


#: How often a call polls for a refresh of its token that another call has in flight, and for how long.
REFRESH_POLL_SECONDS = 0.01
REFRESH_WAIT_SECONDS = 30.0


def refresh_if_expired(client: ClientABC, token: Token) -> Flow[None]:
    """Refresh ``token`` in place if it has expired, once even when several calls need it at once.

    Refresh tokens may rotate (each can be used once), so concurrent calls holding the same expired
    token must not each send the refresh grant: the first one does, the others wait for it.
    """
    waited = 0.0
    while id(token) in client._refreshing and waited < REFRESH_WAIT_SECONDS:
        yield Sleep(REFRESH_POLL_SECONDS)
        waited += REFRESH_POLL_SECONDS
    if not token.has_expired() or client.client_id is None:
        return
    client._refreshing.add(id(token))
    try:
        yield from execute(client, _calls.token_refresh(token))
    finally:
        client._refreshing.discard(id(token))


def user_of_token(client: ClientABC, token: Token | str, using: str | None) -> Flow[User]:
    """The user a token belongs to: ``auth/self`` for the id, then the user's full view."""
    user_id = yield from execute(client, _calls.auth_self(token).parsed(_calls.parse_self_user_id))
    user_token = token if isinstance(token, Token) else None
    call = _calls.get_user(user_id, token).parsed(_calls.parse_user(using, user_token))
    return (yield from execute(client, call))


def login_with_code(
    client: ClientABC, code: str, callback_state: str, expected_state: str | None, using: str | None
) -> Flow[User]:
    """The end of an OAuth login: check the state, exchange the code, fetch the user, remember it."""
    client.validate_state(callback_state, expected_state)
    token = yield from execute(client, _calls.token_from_code(code))
    user = yield from user_of_token(client, token, using)
    client.user = user
    return user
