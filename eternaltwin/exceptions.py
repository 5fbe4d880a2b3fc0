"""The kit's exceptions: one tree, rooted at :class:`EternalTwinError`.

::

    EternalTwinError
    ├── InvalidStateError            an OAuth state that is malformed, forged, expired or unexpected
    ├── InvalidArgumentError (ValueError)  an argument refused before any request (the message says why)
    │   ├── InvalidUserIdError       not an Eternaltwin user id
    │   └── InvalidForumIdError      not a forum section, thread or post id (or key), nor an announcement id
    ├── NotAuthenticatedError        no token to act with (nobody logged in, or nothing to refresh)
    ├── ConfigurationError (ValueError)
    │   ├── MissingCredentialsError  a method needs client_id / client_secret / redirect_uri / state_key
    │   └── UnknownAliasError (KeyError)   no connection under that alias
    ├── TransportError               no HTTP response at all
    │   ├── RequestTimeout
    │   └── ConnectionFailed
    ├── UnexpectedResponseError      a response whose body is not the JSON that was expected
    ├── PageFetchError               a page of a bulk fetch failed for good (``offset``; cause chained)
    ├── UserFetchError               a user's full record failed for good in a bulk fetch (``user_id``)
    ├── ArchiveFetchError            an archived account or dinoz failed for good in a bulk fetch
    └── RequestError                 the server answered with a status >= 300
        ├── ValidationError          400, 422
        ├── UnauthorizedError        401, 403
        ├── NotFoundError            404
        ├── RateLimitedError         429 (``retry_after`` in seconds, when the server said)
        └── ServerError              5xx

One warning: :class:`OlderClientWarning` (a ``UserWarning``), from ``import eternaltwin`` when the older
``eternaltwin`` 1.0 distribution is installed too.

Warnings (not stopping the work) have their own root::

    EternaltwinWarning (UserWarning)  the server's data changed during a bulk fetch, a short state_key,
    │                                 a login finished without expected_state...
    └── OlderClientWarning           the older ``eternaltwin`` distribution is installed beside the kit

Lower-level errors (``httpx`` ones) are translated in one place, the clients' send path. Messages never
contain secrets: tokens and client secrets are masked before they reach a message.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import warnings
from datetime import UTC
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eternaltwin.responses import Response

__all__ = [
    "ArchiveFetchError",
    "ConfigurationError",
    "ConnectionFailed",
    "EternalTwinError",
    "EternaltwinWarning",
    "InvalidArgumentError",
    "InvalidForumIdError",
    "InvalidStateError",
    "InvalidUserIdError",
    "MissingCredentialsError",
    "NotAuthenticatedError",
    "NotFoundError",
    "OlderClientWarning",
    "PageFetchError",
    "RateLimitedError",
    "RequestError",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnknownAliasError",
    "UserFetchError",
    "ValidationError",
    "request_error_for",
    "warn",
]

_BODY_PREVIEW = 500


class EternalTwinError(Exception):
    """Base class of every exception raised by the kit."""


class EternaltwinWarning(UserWarning):
    """Base class of the kit's warnings: something worth knowing that does not stop the work (the server's
    data changed during a bulk fetch, for instance)."""


def warn(message: str, category: type[Warning] = EternaltwinWarning) -> None:
    """Warn, pointing at the first caller outside the kit (the line of the user's code that led here)."""
    package = os.path.dirname(os.path.abspath(__file__))
    level, frame = 2, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


class InvalidStateError(EternalTwinError):
    """An OAuth ``state`` that cannot be trusted.

    Parameters
    ----------
    message : str
        What is wrong with the state.
    state : str
        The state as received (a JWT; it is not a secret, its signing key is).
    """

    def __init__(self, message: str, state: str) -> None:
        super().__init__(message)
        self.message = message
        self.state = state

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(EternalTwinError, ValueError):
    """An argument the API cannot take, refused before any request; the message says what it must be."""


class InvalidUserIdError(InvalidArgumentError):
    """A value that is not an Eternaltwin user id (a canonical UUID), refused before any request.

    Attributes
    ----------
    value : object
        What was given.
    """

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"{_shown(value)} is not an Eternaltwin user id; expected a UUID such as "
            f"'3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11'."
        )


class InvalidForumIdError(InvalidArgumentError):
    """A value that cannot name a forum section, thread or post, or an announcement (refused before any
    request).

    Attributes
    ----------
    value : object
        What was given.
    what : str
        What it was meant to name (``"forum section id or key"``, ``"forum post id"``...).
    """

    def __init__(self, value: object, what: str, expected: str) -> None:
        self.value = value
        self.what = what
        super().__init__(f"{_shown(value)} is not a {what}; expected {expected}.")


def _shown(value: object) -> str:
    """``value`` for a message: short strings as their repr, anything else by its type."""
    return repr(value) if isinstance(value, str) and len(value) <= 80 else type(value).__name__


class NotAuthenticatedError(EternalTwinError):
    """An operation needs a token and there is none to use (nobody logged in, or no refresh token)."""


class ConfigurationError(EternalTwinError, ValueError):
    """A connection configuration that cannot be used (unknown key, wrong type, missing url...)."""


class MissingCredentialsError(ConfigurationError):
    """A method needs a credential that the connection was configured without.

    Parameters
    ----------
    missing : list of str
        The configuration keys that are missing (``client_id``, ``client_secret``...).
    action : str
        What was being attempted, for the message.
    """

    def __init__(self, missing: list[str], action: str) -> None:
        self.missing = list(missing)
        self.action = action
        keys = ", ".join(missing)
        super().__init__(
            f"{action} needs {keys}, but this connection was configured without "
            f"{'it' if len(missing) == 1 else 'them'}: pass {keys} to configure() "
            f"(or set the ETERNALTWIN_* environment variables)."
        )


class UnknownAliasError(ConfigurationError, KeyError):
    """No connection is registered under the alias that was asked for.

    It is also a :class:`KeyError`, as the older client raised one.
    """

    def __init__(self, alias: str, known: list[str], registry: str = "connections") -> None:
        self.alias = alias
        self.known = sorted(known)
        if self.known:
            where = "configured aliases: " + ", ".join(repr(a) for a in self.known)
        else:
            where = "no alias is configured"
        close = difflib.get_close_matches(str(alias), self.known, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        # create_connection adds one and keeps the others (configure() would replace them all).
        add = (
            f"{registry}.create_connection({alias!r}, url=...)"
            if self.known
            else f"configure({alias}={{'url': ...}})"
        )
        message = (
            f"No connection named {alias!r} ({where}).{hint} Add one with eternaltwin.connections.{add}, "
            f"or set the ETERNALTWIN_URL environment variable for 'default'."
        )
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TransportError(EternalTwinError):
    """The request got no HTTP response (time-out, refused connection, broken network).

    Attributes
    ----------
    method, url : str
        The request that failed.
    """

    #: How many times the request was sent, the client's retries included.
    attempts: int = 1

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class RequestTimeout(TransportError):
    """The server did not answer within the connection's ``timeout``."""


class ConnectionFailed(TransportError):
    """The server could not be reached (refused connection, DNS failure, TLS error...)."""


class UnexpectedResponseError(EternalTwinError):
    """A successful response whose body is not the JSON the kit expected.

    Attributes
    ----------
    response : Response or None
        The response, when there is one.
    """

    def __init__(self, message: str, response: Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class PageFetchError(EternalTwinError):
    """A page of a bulk fetch (``User.search_frame``, the forum frames) could not be fetched; the fetch was
    abandoned.

    Attributes
    ----------
    offset, limit : int
        The page that failed (``limit=0``: the request for the number of items).
    attempts : int
        How many times it was asked for (each through the client's own retries).
    listing : str or None
        Which listing the page belongs to (``"the threads of forum section 'en_main'"``...); None for a
        user search.

    The error that ended the last attempt is ``__cause__``.
    """

    def __init__(
        self,
        offset: int,
        limit: int,
        attempts: int,
        cause: BaseException | None,
        listing: str | None = None,
    ) -> None:
        self.offset = offset
        self.limit = limit
        self.attempts = attempts
        self.listing = listing
        #: ``(offset, rows)`` of each missing part (the failed page alone, unless made by :meth:`missing`).
        self.gaps: list[tuple[int, int]] = [(offset, limit)]
        page = f"offset {offset} (limit {limit})"
        if listing is None:
            what = "the match count (limit=0)" if limit == 0 else f"the page at {page}"
        else:
            what = f"the count of {listing}" if limit == 0 else f"{listing} at {page}"
        tries = "once" if attempts == 1 else f"{attempts} times"
        super().__init__(f"Could not fetch {what}, asked {tries}: {cause}")

    @classmethod
    def missing(
        cls,
        promised: int,
        received: int,
        gaps: list[tuple[int, int]],
        duplicates: int = 0,
        listing: str | None = None,
    ) -> PageFetchError:
        """The error for rows the server's count promised that did not come, even when asked again.

        Parameters
        ----------
        promised, received : int
            The rows the count promised, and the distinct items received.
        gaps : list of (offset, rows)
            The parts still missing.
        duplicates : int
            How many items came more than once (a server that ignores ``offset`` sends only those).
        listing : str, optional
            Which listing (None: a user search).
        """
        offset, limit = gaps[0] if gaps else (received, promised - received)
        item = "user" if listing is None else "item"
        parts = []
        if gaps:
            where = ", ".join(f"offset {start} ({rows} missing)" for start, rows in gaps)
            parts.append(f"the rows at {where} did not come, even when asked again")
        if duplicates:
            parts.append(f"{duplicates} {item}(s) came more than once (does the server ignore offset?)")
        counted = "matching users" if listing is None else f"items in {listing}"
        error = cls.__new__(cls)
        EternalTwinError.__init__(
            error,
            f"The server counted {promised} {counted} but sent {received}: {'; '.join(parts)}. "
            "Nothing is returned rather than a partial result; try again later.",
        )
        error.offset, error.limit, error.attempts, error.gaps = offset, limit, 2, list(gaps)
        error.listing = listing
        return error


class UserFetchError(EternalTwinError):
    """A user's full record could not be fetched in a bulk fetch (``details``); nothing was returned.

    Attributes
    ----------
    user_id : str
    attempts : int
        How many times it was asked for (each through the client's own retries).

    The error that ended the last attempt is ``__cause__``.
    """

    def __init__(self, user_id: str, attempts: int, cause: BaseException) -> None:
        self.user_id = user_id
        self.attempts = attempts
        tries = "once" if attempts == 1 else f"{attempts} times"
        super().__init__(f"Could not fetch the user {user_id}, asked {tries}: {cause}")


class ArchiveFetchError(EternalTwinError):
    """An archived game account or dinoz could not be fetched in a bulk fetch (``dinoz_frame``); nothing
    was returned.

    Attributes
    ----------
    kind : str
        ``"Dinoparc user"`` or ``"Dinoparc dinoz"``.
    server, id : str
        Which one.
    owner : str or None
        For a dinoz, the account that lists it (``"en.dinoparc.com/58"``).
    attempts : int
        How many times it was asked for (each through the client's own retries).

    The error that ended the last attempt is ``__cause__``.
    """

    def __init__(
        self, kind: str, server: str, id: str, attempts: int, cause: BaseException, owner: str | None = None
    ) -> None:
        self.kind = kind
        self.server = server
        self.id = id
        self.owner = owner
        self.attempts = attempts
        tries = "once" if attempts == 1 else f"{attempts} times"
        listed = f" (listed by the Dinoparc user {owner})" if owner else ""
        super().__init__(f"Could not fetch the {kind} {server}/{id}{listed}, asked {tries}: {cause}")


class RequestError(EternalTwinError):
    """The server answered with an HTTP status of 300 or more.

    Parameters
    ----------
    response : Response
        The server's response.
    message : str, optional
        A message to use instead of the default one, which names the url, the status and the body.

    Attributes
    ----------
    response : Response
    status_code : int
    url : str
    code : str or None
        The server's error code, e.g. ``"UserNotFound"``, read from a JSON error body in any of the shapes
        servers use: ``{"error": "UserNotFound"}`` (2021; also OAuth's ``{"error": "invalid_grant"}``),
        ``{"error": {"code": "OauthCodeTimeError", ...}}``, ``{"code": "..."}`` or
        ``{"errors": [{"code": "..."}, ...]}`` (the first). None for a body without one, such as the
        2021 server's plain-text ``Internal Server Error``.
    """

    #: How many times the request was sent, the client's retries included.
    attempts: int = 1

    def __init__(self, response: Response, message: str | None = None) -> None:
        self.response = response
        self.status_code: int = response.status_code
        self.url: str = str(response.url)
        self.code: str | None = _error_code(response.content)
        if message is None:
            body = response.content.decode("utf-8", "replace")
            if len(body) > _BODY_PREVIEW:
                body = body[:_BODY_PREVIEW] + "…"
            message = f"{self.url} answered {self.status_code}: {body}"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class ValidationError(RequestError):
    """The server refused the request's input (400 or 422)."""


class UnauthorizedError(RequestError):
    """Credentials are missing, wrong or expired (401), or not enough (403)."""


class NotFoundError(RequestError):
    """The thing asked for does not exist (404)."""


class RateLimitedError(RequestError):
    """Too many requests (429).

    Attributes
    ----------
    retry_after : float or None
        Seconds the server asked to wait, from its ``Retry-After`` header.
    """

    def __init__(self, response: Response, message: str | None = None) -> None:
        super().__init__(response, message)
        self.retry_after: float | None = parse_retry_after(response.headers.get("retry-after"))


class ServerError(RequestError):
    """The server failed (5xx)."""


class OlderClientWarning(EternaltwinWarning):
    """The older ``eternaltwin`` distribution (1.0) is installed beside this kit.

    Both install the same ``eternaltwin`` package, so each overwrites the other's files, and uninstalling
    either deletes files the other needs; ``pip check`` sees nothing wrong. ``import eternaltwin`` warns
    once with the commands that fix it: uninstall both, then reinstall the kit (which runs code written
    for 1.0 unchanged).
    """


def _error_code(content: bytes) -> str | None:
    """The error code of a JSON error body (see :class:`RequestError`'s ``code``), or None."""
    try:
        data: Any = json.loads(content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, str):
        return error or None
    for holder in (error, data, *(data["errors"][:1] if isinstance(data.get("errors"), list) else ())):
        if isinstance(holder, dict):
            code = holder.get("code")
            if isinstance(code, str) and code:
                return code
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_BY_STATUS: dict[int, type[RequestError]] = {
    400: ValidationError,
    422: ValidationError,
    401: UnauthorizedError,
    403: UnauthorizedError,
    404: NotFoundError,
    429: RateLimitedError,
}


def request_error_for(response: Response, message: str | None = None) -> RequestError:
    """The :class:`RequestError` subclass that fits ``response.status_code``."""
    status = response.status_code
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else RequestError
    return cls(response, message)
