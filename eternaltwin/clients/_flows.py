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
import threading
from collections.abc import Callable, Generator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import httpx

from eternaltwin.clients import _calls
from eternaltwin.clients._calls import Call
from eternaltwin.clients._transports import REPLY_RECEIVED
from eternaltwin.exceptions import (
    ConnectionFailed,
    EternalTwinError,
    RequestError,
    RequestTimeout,
    TransportError,
    parse_retry_after,
    request_error_for,
    warn,
)
from eternaltwin.responses import Response
from eternaltwin.tokens import Token

if TYPE_CHECKING:
    from eternaltwin.clients.abc.clients import ClientABC
    from eternaltwin.users import SearchPage, User

__all__ = [
    "RETRY_STATUSES",
    "Flow",
    "RetryPolicy",
    "Sleep",
    "UserPages",
    "execute",
    "login_with_code",
    "on_reply",
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
    """The kit's exception for an httpx failure that left no response (the one place they are translated);
    its ``__cause__`` is ``exc``."""
    method, url = request.method, str(request.url.copy_with(query=None))
    error: TransportError
    if isinstance(exc, httpx.TimeoutException):
        error = RequestTimeout(f"{method} {url} timed out ({type(exc).__name__}).", method=method, url=url)
    elif isinstance(exc, httpx.TransportError):
        error = ConnectionFailed(
            f"{method} {url} failed: {exc or type(exc).__name__}", method=method, url=url
        )
    else:
        error = TransportError(f"{method} {url} failed: {exc or type(exc).__name__}", method=method, url=url)
    error.__cause__ = exc
    return error


def send(policy: RetryPolicy, request: httpx.Request, retryable: bool) -> Flow[tuple[Response, int]]:
    """Send ``request``; retry it (when ``retryable``) on connection failures and on 429/502/503/504.

    Returns the last response and how many times the request was sent; a transport error that ends it
    carries that number as its ``attempts``.
    """
    attempt = 0
    while True:
        try:
            response = yield request
        except TransportError as exc:
            exc.attempts = attempt + 1
            if not isinstance(exc, ConnectionFailed) or not retryable or attempt >= policy.max_retries:
                if attempt:
                    exc.add_note(f"(gave up after {attempt} retries)")
                raise
            delay = policy.backoff_delay(attempt)
        else:
            assert response is not None
            if not retryable or response.status_code not in RETRY_STATUSES or attempt >= policy.max_retries:
                return response, attempt + 1
            wait = policy.delay_after(response, attempt)
            if wait is None:
                return response, attempt + 1
            delay = wait
        attempt += 1
        yield Sleep(delay)


#: Set around one call (by the bulk fetches): a callable that the call's own request carries to the
#: engine (not a token refresh made first), called once the call's successful reply is in (see
#: :data:`~eternaltwin.clients._transports.REPLY_RECEIVED`; engines that do not say so never call it).
on_reply: ContextVar[Callable[[], None] | None] = ContextVar("eternaltwin_on_reply", default=None)


def execute(client: ClientABC, call: Call[T]) -> Flow[T]:
    """Run one call: refresh an expired token first if possible, send with retries, check, parse."""
    # (No local of this frame holds a token: a verbose traceback shows locals, and call's repr masks it.)
    if isinstance(call.token, Token) and call.token.refresh_token and client.client_secret is not None:
        yield from refresh_if_expired(client, call.token)
    request = client.build_request(call)
    received = on_reply.get()
    if received is not None:
        request.extensions[REPLY_RECEIVED] = received
    response, attempts = yield from send(client.retry_policy, request, call.retryable)
    if call.raise_on_error and response.status_code >= 300:
        error = request_error_for(response)
        advice = _advice(call, response)
        if advice:
            error = request_error_for(response, f"{error} ({advice})")
        error.attempts = attempts
        raise error
    return call.parse(response)


def _advice(call: Call[Any], response: Response) -> str:
    """What a failed call's message adds: the call's hint for a refused request, or what to do about a
    refused access token."""
    status = response.status_code
    if call.hint and status in (400, 422):
        return call.hint
    if call.token is None:
        return ""
    if status == 401:
        refresh = (
            ""
            if isinstance(call.token, Token) and call.token.can_refresh
            else ", and it has no refresh token"
        )
        return (
            f"the server refused the access token: it has expired or been revoked{refresh}. Log in again "
            "(User.start_authorization(), or the login widget)"
        )
    if status == 500 and not _is_json(response):
        # Spec 11.7: the 2021 server's answer to an unknown or malformed Bearer token (no 401 exists).
        return (
            "a plain-text 500 is how the 2021 Eternaltwin server answers an access token it does not know: "
            "expired, revoked, or issued by another server. Log in again; if the token is good, the server "
            "itself failed: try again later"
        )
    return ""


def _is_json(response: Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


#: How often a call polls for a refresh of its token that another call has in flight, and for how long.
REFRESH_POLL_SECONDS = 0.01
REFRESH_WAIT_SECONDS = 30.0


#: The tokens (by id) whose refresh is under way, in any client of this process, sync or async, in any
#: thread: a token shared by the twins of one alias is refreshed once.
_refreshing: set[int] = set()
_refreshing_lock = threading.Lock()


def _claim_refresh(token: Token) -> bool:
    """Mark ``token`` as being refreshed by the caller; False when someone else already is (atomic)."""
    with _refreshing_lock:
        if id(token) in _refreshing:
            return False
        _refreshing.add(id(token))
        return True


def refresh_if_expired(client: ClientABC, token: Token) -> Flow[None]:
    """Refresh ``token`` in place if it has expired, once even when several calls need it at once.

    Refresh tokens may rotate (each can be used once), so concurrent calls holding the same expired
    token must not each send the refresh grant: the first one does (whichever client, sync or async,
    and thread it runs in), the others wait for it and then find the token fresh.
    """
    waited = 0.0
    while True:
        if not token.has_expired() or client.client_id is None:
            return
        if _claim_refresh(token):
            break
        if waited >= REFRESH_WAIT_SECONDS:  # the other refresh is stuck: do it here after all
            _refreshing.add(id(token))
            break
        yield Sleep(REFRESH_POLL_SECONDS)
        waited += REFRESH_POLL_SECONDS
    try:
        yield from execute(client, _calls.token_refresh(token))
    finally:
        with _refreshing_lock:
            _refreshing.discard(id(token))


def user_of_token(client: ClientABC, token: Token | str, full: bool | None = None) -> Flow[User]:
    """The user a token belongs to: ``auth/self`` (what games read: id and display name), then, unless
    ``full`` is False, the user's full record (``GET /api/v1/users/{id}``).

    The second call never fails the whole: if it fails, the user is the one auth/self gave (with a
    warning when ``full`` is True). With ``full=None`` it is skipped once the server has refused it a
    token on this connection (401 or 403: a newer server may not accept the token's scope there).
    """
    user_token = token if isinstance(token, Token) else None
    user = yield from execute(
        client, _calls.auth_self(token).parsed(_calls.parse_self_user(client.alias, user_token))
    )
    if full is False or (full is None and client._full_record_refused):
        return user
    call = _calls.get_user(user.identifier, token).parsed(_calls.parse_user(client.alias, user_token))
    try:
        return (yield from execute(client, call))
    except EternalTwinError as exc:
        if isinstance(exc, RequestError) and exc.status_code in (401, 403):
            client._full_record_refused = True
        if full:
            warn(
                f"The user's full record could not be read ({type(exc).__name__}: {exc}); the user has only "
                "what auth/self gives: id, display name (created_at, links and the rest are None or empty)."
            )
        return user


def login_with_code(
    client: ClientABC, code: str, callback_state: str, expected_state: str | None, full: bool | None = None
) -> Flow[User]:
    """The end of an OAuth login: check the state, exchange the code, read the user (see
    :func:`user_of_token` for ``full``), remember it.

    The state is checked when the flow is built, before any request (so a bad state raises at the call).
    """
    client._accept_state(callback_state, expected_state)
    return _login(client, code, full)


def _login(client: ClientABC, code: str, full: bool | None) -> Flow[User]:
    token = yield from execute(client, _calls.token_from_code(code))
    user = yield from user_of_token(client, token, full)
    client.user = user
    return user


class UserPages:
    """The pages of a search walked one after the other (``iter_users``): which page to ask next, and
    which of its users are new.

    Both clients drive it the same way: ``while (flow := pages.next_flow()) is not None:`` run the flow,
    then yield what :meth:`accept` returns. Offsets are counted here (what was received from where it was
    asked), never taken from the server's echo; the walk ends at the end of the count, at an empty page, or
    at a page that brings no user not seen yet, so that a server (or a cache) that ignores ``offset`` and
    answers the first page again cannot make it loop forever.

    Raises
    ------
    ValueError
        For a ``page_size`` that is not a positive int.
    """

    __slots__ = ("_client", "_done", "_offset", "_query", "_seen", "_size")

    def __init__(self, client: ClientABC, query: str | None, page_size: int) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a positive int, got {page_size!r}")
        self._client = client
        self._query = query
        self._size = page_size
        self._offset = 0
        self._seen: set[str] = set()
        self._done = False

    def next_flow(self) -> Flow[SearchPage] | None:
        """The flow that fetches the next page, or None when the walk is over."""
        if self._done:
            return None
        offset, size = self._offset, self._size
        call = _calls.search_users(self._query, size, offset)
        return execute(self._client, call.parsed(_calls.parse_search_page(offset, size, self._client.alias)))

    def accept(self, page: SearchPage) -> list[User]:
        """The users of ``page`` not seen before, in order; decides whether another page follows."""
        fresh = [user for user in page if user.identifier not in self._seen]
        self._seen.update(user.identifier for user in fresh)
        self._offset += len(page)
        self._done = not fresh or self._offset >= page.count
        return fresh
