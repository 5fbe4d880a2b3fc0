"""Every endpoint, described once: a pure request description (:class:`Call`) and a pure response parser.

Nothing here does I/O. A :class:`Call` says what to send (method, path, query, body, which
authentication) and how to read the answer (``parse``); :mod:`eternaltwin.clients._flows` turns calls into
requests and the sync and async clients send them.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from eternaltwin._parsing import expect_mapping, parse_datetime, require_str
from eternaltwin._secrets import mask
from eternaltwin.clients import endpoints
from eternaltwin.exceptions import (
    InvalidArgumentError,
    InvalidForumIdError,
    InvalidUserIdError,
    UnexpectedResponseError,
)
from eternaltwin.responses import Response
from eternaltwin.tokens import Token

if TYPE_CHECKING:
    from eternaltwin.archive import DinoparcDinoz, DinoparcUser, HammerfestUser, TwinoidUser
    from eternaltwin.forum import (
        Announcement,
        ForumPost,
        ForumSection,
        ForumThread,
        ListingRecords,
        Page,
        ServerConfig,
    )
    from eternaltwin.users import SearchPage, SearchRecords, User

__all__ = [
    "FORUM_PAGE_LIMIT",
    "LISTING_MAX",
    "Call",
    "announcement",
    "announcements",
    "archive_dinoparc_dinoz",
    "archive_dinoparc_user",
    "archive_hammerfest_user",
    "archive_twinoid_user",
    "auth_self",
    "check_window",
    "clock",
    "forum_post",
    "forum_posts_records",
    "forum_section",
    "forum_sections",
    "forum_thread",
    "forum_threads_records",
    "get_user",
    "normalize_id_or_key",
    "normalize_user_id",
    "normalize_uuid",
    "raw",
    "read_json",
    "search_users",
    "server_config",
    "token_from_code",
    "token_refresh",
]

T = TypeVar("T")
U = TypeVar("U")

#: Keyword arguments accepted by the clients' ``get``/``post`` and passed on to the request.
REQUEST_KWARGS = frozenset({"params", "json", "data", "content", "headers", "cookies"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most users a search page holds (the sandbox's maximum, and the page size of bulk fetches; the real
#: server's is not documented).
SEARCH_PAGE_LIMIT = 100
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Offsets and limits of the forum and announcement listings are unsigned 16-bit integers (spec §4.9).
LISTING_MAX = 65535
#: The most items a forum listing declares (spec §11.5): the page size of bulk fetches.
FORUM_PAGE_LIMIT = 100
_UUID_EXAMPLE = "a UUID such as '3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11'"


def _response(response: Response) -> Response:
    return response


@dataclass(frozen=True, slots=True, repr=False)
class Call(Generic[T]):
    """One request to make and how to read its answer.

    Attributes
    ----------
    method : str
        HTTP method.
    path : str
        Endpoint path (joined onto the connection url) or absolute url.
    parse : callable
        ``Response -> T``, applied to a successful response.
    params, json, data, content, headers, cookies
        Passed to the request (``json=None`` means no JSON body).
    token : Token or str or None
        Bearer authentication (a :class:`Token` is refreshed first if it has expired and can be).
    basic_auth : bool
        Authenticate as the OAuth client (HTTP Basic with client_id:client_secret).
    raise_on_error : bool
        Raise a :class:`~eternaltwin.exceptions.RequestError` for a status >= 300 (else parse anyway).
    action : str
        What the call does, for messages ("the token exchange"...).
    hint : str
        Added to the message of a 400 or 422 answer: what was probably wrong with the request.
    """

    method: str
    path: str
    parse: Callable[[Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    content: bytes | str | None = None
    headers: Mapping[str, str] | None = None
    cookies: Mapping[str, str] | None = None
    token: Token | str | None = None
    basic_auth: bool = False
    raise_on_error: bool = True
    action: str = "this request"
    hint: str = ""

    @property
    def retryable(self) -> bool:
        """Whether the call may be sent again after a failure (idempotent methods only)."""
        return self.method in _IDEMPOTENT

    def __repr__(self) -> str:
        # Bodies and tokens hold secrets (codes, refresh tokens, access tokens): a verbose traceback, a
        # debugger or an error tracker shows this repr, so it says only what is there, never its value.
        parts = [f"{self.method} {self.path} ({self.action})"]
        if self.params:
            parts.append(f"params={sorted(self.params)}")
        for name in ("json", "data", "content", "headers", "cookies"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={sorted(value) if isinstance(value, Mapping) else mask(b'?')}")
        if self.token is not None:
            parts.append(f"token={mask('?')}")
        if self.basic_auth:
            parts.append("basic_auth")
        return f"<Call {' '.join(parts)}>"

    def parsed(self, parse: Callable[[Response], U]) -> Call[U]:
        """The same request, read with another parser."""
        # Positional construction: several times faster than dataclasses.replace on a hot path.
        return Call(
            self.method,
            self.path,
            parse,
            self.params,
            self.json,
            self.data,
            self.content,
            self.headers,
            self.cookies,
            self.token,
            self.basic_auth,
            self.raise_on_error,
            self.action,
            self.hint,
        )


def read_json(response: Response, what: str) -> Any:
    """The JSON body of ``response``, or an :class:`UnexpectedResponseError` naming ``what``."""
    try:
        return response.json()
    except ValueError:
        preview = response.content[:80].decode("utf-8", "replace")
        raise UnexpectedResponseError(
            f"{response.url} answered {response.status_code} with a body that is not JSON "
            f"(expected the {what}): {preview!r}",
            response,
        ) from None


def _checked(response: Response, what: str, build: Callable[[Any], T]) -> T:
    data = read_json(response, what)
    try:
        return build(data)
    except UnexpectedResponseError as exc:
        if exc.response is None:
            exc.response = response
        raise


def normalize_user_id(user_id: object) -> str:
    """The canonical (lowercase, hyphenated) form of a user id.

    Parameters
    ----------
    user_id : str or uuid.UUID
        A user id in any case.

    Raises
    ------
    InvalidUserIdError
        When it is not a UUID in its 36-character form.
    """
    if isinstance(user_id, uuid.UUID):
        return str(user_id)
    if isinstance(user_id, str):
        canonical = user_id.strip().lower()
        if _UUID.fullmatch(canonical):
            return canonical
    raise InvalidUserIdError(user_id)


def normalize_uuid(value: object, what: str) -> str:
    """The canonical form of the UUID that names a forum post or an announcement.

    Raises
    ------
    InvalidForumIdError
        When ``value`` is not a UUID (a ``uuid.UUID`` or its 36-character form, any case).
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        canonical = value.strip().lower()
        if _UUID.fullmatch(canonical):
            return canonical
    raise InvalidForumIdError(value, what, _UUID_EXAMPLE)


def normalize_id_or_key(value: object, what: str, example_key: str) -> str:
    """A forum section or thread reference: its id in canonical form, or its key as given (stripped).

    The API takes either in the same path segment; a key may be any non-empty text (spec §11.5), so only
    what cannot be one is refused.

    Raises
    ------
    InvalidForumIdError
        For anything but a ``uuid.UUID`` or a non-empty printable string.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if _UUID.fullmatch(text.lower()):
            return text.lower()
        if text and text.isprintable():
            return text
    raise InvalidForumIdError(value, what, f"{_UUID_EXAMPLE} or a key such as {example_key!r}")


def check_window(offset: object, limit: object) -> None:
    """Refuse an ``offset`` or ``limit`` that a forum or announcement listing cannot take.

    Raises
    ------
    InvalidArgumentError
        Unless both are integers from 0 to 65535 (the API's unsigned 16-bit range, spec §4.9).
    """
    for name, value in (("offset", offset), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LISTING_MAX:
            shown = repr(value) if isinstance(value, int | float | str) else type(value).__name__
            raise InvalidArgumentError(
                f"{name} must be an integer from 0 to {LISTING_MAX} (the API's unsigned 16-bit range), "
                f"not {shown}."
            )


def _segment(value: object) -> str:
    return quote(str(value), safe="")


# -- generic ----------------------------------------------------------------------------------------


def raw(
    method: str,
    endpoint: str,
    *,
    raise_on_error: bool = True,
    token: Token | str | None = None,
    **kwargs: Any,
) -> Call[Response]:
    """A call to any endpoint, answered with the :class:`Response` itself.

    Raises
    ------
    TypeError
        For a keyword argument that requests cannot take.
    """
    unknown = set(kwargs) - REQUEST_KWARGS
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(sorted(unknown))}; "
            f"requests take {', '.join(sorted(REQUEST_KWARGS))}"
        )
    return Call(
        method=method.upper(),
        path=endpoint,
        parse=_response,
        token=token,
        raise_on_error=raise_on_error,
        action=f"{method.upper()} {endpoint}",
        **kwargs,
    )


# -- OAuth ------------------------------------------------------------------------------------------


def _parse_token(response: Response) -> Token:
    return _checked(response, "token reply", Token.from_json)


def token_from_code(code: str) -> Call[Token]:
    """Exchange an authorization code (grant ``authorization_code``)."""
    if not isinstance(code, str) or not code:
        raise TypeError("the authorization code must be a non-empty string")
    return Call(
        method="POST",
        path=endpoints.TOKEN,
        parse=_parse_token,
        json={"grant_type": "authorization_code", "code": code},
        basic_auth=True,
        action="exchanging an authorization code",
    )


def update_token(target: Token, fresh: Token) -> Token:
    """Copy ``fresh`` into ``target`` in place (keeping the old refresh token if none was issued)."""
    target.access_token = fresh.access_token
    target.token_type = fresh.token_type
    target.expires_in = fresh.expires_in
    target.expiration = fresh.expiration
    if fresh.refresh_token:
        target.refresh_token = fresh.refresh_token
    target._renewed()
    return target


def token_refresh(token: Token) -> Call[Token]:
    """Renew ``token`` with its refresh token (grant ``refresh_token``); the reply updates it in place."""
    from eternaltwin.exceptions import NotAuthenticatedError

    if not isinstance(token, Token):
        raise TypeError(f"refresh() takes a Token, got {type(token).__name__}")
    if not token.refresh_token:
        raise NotAuthenticatedError(
            "This token cannot be refreshed: the server issued no refresh_token; log in again."
        )

    def parse(response: Response) -> Token:
        return update_token(token, _parse_token(response))

    return Call(
        method="POST",
        path=endpoints.TOKEN,
        parse=parse,
        json={"grant_type": "refresh_token", "refresh_token": token.refresh_token},
        basic_auth=True,
        action="refreshing a token",
    )


# -- users ------------------------------------------------------------------------------------------


def auth_self(token: Token | str | None = None) -> Call[Response]:
    """``GET /api/v1/auth/self``: the caller's authentication context."""
    return Call(method="GET", path=endpoints.SELF, parse=_response, token=token, action="reading auth/self")


def get_user(user_id: str, token: Token | str | None = None) -> Call[Response]:
    """``GET /api/v1/users/{user_id}`` (the id is sent as given; the server validates it)."""
    return Call(
        method="GET",
        path=endpoints.USER.format(user_id=_segment(user_id)),
        parse=_response,
        token=token,
        action="reading a user",
    )


def search_users(
    query: str | None = None, limit: int = 20, offset: int = 0, token: Token | str | None = None
) -> Call[Response]:
    """``GET /api/v1/users?q=&limit=&offset=`` (a None query is sent as an empty string)."""
    hint = ""
    if isinstance(limit, int) and limit > SEARCH_PAGE_LIMIT:
        hint = (
            f"limit={limit}: a search page holds at most {SEARCH_PAGE_LIMIT} users; "
            "User.iter_search() or User.search_frame() fetch more, a page at a time"
        )
    return Call(
        method="GET",
        path=endpoints.USERS,
        parse=_response,
        params={"q": "" if query is None else query, "limit": limit, "offset": offset},
        token=token,
        action="searching users",
        hint=hint,
    )


def parse_user(using: str | None = None, token: Token | None = None) -> Callable[[Response], User]:
    """A parser of a user object."""
    from eternaltwin.users import User

    def parse(response: Response) -> User:
        return _checked(response, "user", lambda data: User.from_json(data, token=token, using=using))

    return parse


def parse_search_page(offset: int, limit: int, using: str | None = None) -> Callable[[Response], SearchPage]:
    """A parser of a search reply."""
    from eternaltwin.users import SearchPage

    def parse(response: Response) -> SearchPage:
        return _checked(
            response,
            "search page",
            lambda data: SearchPage.from_json(data, offset=offset, limit=limit, using=using),
        )

    return parse


def parse_search_records(response: Response) -> SearchRecords:
    """A search reply checked, its items kept as JSON records."""
    from eternaltwin.users import SearchRecords

    return _checked(response, "search page", SearchRecords.from_json)


def parse_search_rows(response: Response) -> SearchRecords:
    """A search reply checked, its items as compact rows (:class:`eternaltwin._compact.UserRow`) when
    msgspec is installed and the page is plain; else as :func:`parse_search_records` reads it (JSON
    records, and the same errors)."""
    decode = _row_decoder()
    if decode is not None:
        decoded = decode(response.content)
        if decoded is not None:
            from eternaltwin.users import SearchRecords

            offset, limit, count, rows = decoded
            return SearchRecords(offset=offset, limit=limit, count=count, items=rows)
    return parse_search_records(response)


@functools.cache
def _row_decoder() -> Callable[[bytes], tuple[int | None, int | None, int, list[Any]] | None] | None:
    """:func:`eternaltwin._compact.decode_search_page`, or None when msgspec is not installed."""
    try:
        from eternaltwin._compact import decode_search_page
    except ImportError:
        return None
    return decode_search_page


def parse_user_record(response: Response) -> Mapping[str, Any]:
    """A user object checked (a JSON object with a string ``id``), kept as JSON."""

    def build(data: Any) -> Mapping[str, Any]:
        obj = expect_mapping(data, "user")
        require_str(obj, "id", "user")
        return obj

    return _checked(response, "user", build)


def parse_count(response: Response) -> int:
    """The ``count`` of a search reply."""

    def build(data: Any) -> int:
        obj = expect_mapping(data, "search page")
        count = obj.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise UnexpectedResponseError("The search page has no integer 'count'.")
        return count

    return _checked(response, "search page", build)


def _context_user(response: Response, data: Any) -> Mapping[str, Any]:
    """The ``user`` of an authentication context, or an :class:`UnauthorizedError` saying which context
    came back instead (guest, OAuth client...)."""
    from eternaltwin.exceptions import UnauthorizedError

    obj = expect_mapping(data, "auth context")
    user = obj.get("user")
    if user is not None:
        return expect_mapping(user, "auth context user")
    kind = obj.get("type")
    if kind == "OauthClient":
        client = obj.get("client")
        name = (client.get("key") or client.get("id")) if isinstance(client, Mapping) else None
        app = f" ({name})" if isinstance(name, str) else ""
        message = (
            f"auth/self answered an OAuth client context: the request authenticated as the app{app} itself "
            "(HTTP Basic with the client's id and secret), which has no user. Pass a user's access token, "
            "from a login (User.start_authorization() then User.from_authorization_code())."
        )
    elif kind is None or kind == "Guest":
        message = (
            "The server does not recognise this token (auth/self answered a Guest context): it may have "
            "expired or been revoked, or come from another server. Log in again."
        )
    else:
        message = f"auth/self answered a {kind!s:.40} context, which names no user: there is no user to read."
    raise UnauthorizedError(response, message)


def parse_self_user_id(response: Response) -> str:
    """The user id of an authentication context; an :class:`UnauthorizedError` for a context without a
    user (guest, OAuth client), saying which."""
    return _checked(
        response,
        "auth context",
        lambda data: require_str(_context_user(response, data), "id", "auth context user"),
    )


def parse_self_user(using: str | None = None, token: Token | None = None) -> Callable[[Response], User]:
    """A parser of an authentication context into its :class:`User` (id and display name, and the
    administrator flag of a session context); an :class:`UnauthorizedError` for a context without a user."""
    from eternaltwin.users import User

    def build(response: Response, data: Any) -> User:
        user = User.from_json(_context_user(response, data), token=token, using=using)
        flag = data.get("is_administrator")  # a session (User) context carries it beside the user
        if user.is_administrator is None and isinstance(flag, bool):
            user.is_administrator = flag
        return user

    def parse(response: Response) -> User:
        return _checked(response, "auth context", lambda data: build(response, data))

    return parse


# -- archive and clock ------------------------------------------------------------------------------


def archive_hammerfest_user(server: str, user_id: int | str) -> Call[HammerfestUser]:
    """``GET /api/v1/archive/hammerfest/{server}/users/{id}``."""
    from eternaltwin.archive import HammerfestUser

    return Call(
        method="GET",
        path=endpoints.HAMMERFEST_USER.format(server=_segment(server), user_id=_segment(user_id)),
        parse=lambda response: _checked(response, "Hammerfest user", HammerfestUser.from_json),
        action="reading a Hammerfest archive",
    )


def archive_dinoparc_user(server: str, user_id: int | str) -> Call[DinoparcUser]:
    """``GET /api/v1/archive/dinoparc/{server}/users/{id}``."""
    from eternaltwin.archive import DinoparcUser

    return Call(
        method="GET",
        path=endpoints.DINOPARC_USER.format(server=_segment(server), user_id=_segment(user_id)),
        parse=lambda response: _checked(response, "Dinoparc user", DinoparcUser.from_json),
        action="reading a Dinoparc archive",
    )


def archive_dinoparc_dinoz(server: str, dinoz_id: int | str) -> Call[DinoparcDinoz]:
    """``GET /api/v1/archive/dinoparc/{server}/dinoz/{id}``."""
    from eternaltwin.archive import DinoparcDinoz

    return Call(
        method="GET",
        path=endpoints.DINOPARC_DINOZ.format(server=_segment(server), dinoz_id=_segment(dinoz_id)),
        parse=lambda response: _checked(response, "Dinoparc dinoz", DinoparcDinoz.from_json),
        action="reading a Dinoparc dinoz archive",
    )


def archive_twinoid_user(user_id: int | str) -> Call[TwinoidUser]:
    """``GET /api/v1/archive/twinoid/users/{id}``."""
    from eternaltwin.archive import TwinoidUser

    return Call(
        method="GET",
        path=endpoints.TWINOID_USER.format(user_id=_segment(user_id)),
        parse=lambda response: _checked(response, "Twinoid user", TwinoidUser.from_json),
        action="reading a Twinoid archive",
    )


def _parse_clock(response: Response) -> datetime:
    def build(data: Any) -> datetime:
        text = require_str(expect_mapping(data, "clock"), "time", "clock")
        try:
            return parse_datetime(text)
        except ValueError:
            raise UnexpectedResponseError(f"The clock's time {text!r} is not a timestamp.") from None

    return _checked(response, "clock", build)


def clock() -> Call[datetime]:
    """``GET /api/v1/clock``: the server's current time."""
    return Call(method="GET", path=endpoints.CLOCK, parse=_parse_clock, action="reading the clock")


def _parse_server_config(response: Response) -> ServerConfig:
    from eternaltwin.forum import ServerConfig

    return _checked(response, "server config", ServerConfig.from_json)


def server_config() -> Call[ServerConfig]:
    """``GET /api/v1/config``: the server's public configuration."""
    return Call(method="GET", path=endpoints.CONFIG, parse=_parse_server_config, action="reading the config")


# -- forum and announcements ------------------------------------------------------------------------

_SECTION = "forum section id or key"
_THREAD = "forum thread id or key"
_SECTION_HINT = "a section is named by its id (a UUID) or its key, such as 'en_main'"
_THREAD_HINT = "a thread is named by its id (a UUID) or its key"


def _window_hint(limit: int) -> str:
    if limit > FORUM_PAGE_LIMIT:
        return f"limit={limit}: a listing declares at most {FORUM_PAGE_LIMIT} items; ask for fewer"
    return ""


def _parse_sections(response: Response) -> Page[ForumSection]:
    from eternaltwin.forum import ForumSection, Page

    what = "forum sections"
    return _checked(response, what, lambda data: Page.from_json(data, what, ForumSection.from_json))


def forum_sections() -> Call[Page[ForumSection]]:
    """``GET /api/v1/forum/sections``: every section (2021: ``{"items": [...]}``; newer: a paged listing)."""
    return Call(
        method="GET", path=endpoints.FORUM_SECTIONS, parse=_parse_sections, action="listing forum sections"
    )


def _section_call(section: object, offset: int, limit: int) -> Call[Response]:
    check_window(offset, limit)
    reference = normalize_id_or_key(section, _SECTION, "en_main")
    return Call(
        method="GET",
        path=endpoints.FORUM_SECTION.format(section=_segment(reference)),
        parse=_response,
        params={"offset": offset, "limit": limit},
        action=f"reading forum section {reference!r}",
        hint=_window_hint(limit) or _SECTION_HINT,
    )


def _parse_section(response: Response) -> ForumSection:
    from eternaltwin.forum import ForumSection

    return _checked(response, "forum section", ForumSection.from_json)


def forum_section(section: object, offset: int = 0, limit: int = 20) -> Call[ForumSection]:
    """``GET /api/v1/forum/sections/{id or key}?offset&limit``: a section with a page of its threads.

    Raises
    ------
    InvalidForumIdError, InvalidArgumentError
        Before any request.
    """
    return _section_call(section, offset, limit).parsed(_parse_section)


def forum_threads_records(section: object, offset: int, limit: int) -> Call[ListingRecords]:
    """A page of a section's threads as checked JSON records (for bulk readers)."""
    from eternaltwin.forum import ListingRecords

    def parse(response: Response) -> ListingRecords:
        return _checked(
            response, "forum section", lambda data: ListingRecords.from_json(data, "threads", "forum section")
        )

    return _section_call(section, offset, limit).parsed(parse)


def _thread_call(thread: object, offset: int, limit: int) -> Call[Response]:
    check_window(offset, limit)
    reference = normalize_id_or_key(thread, _THREAD, "en_welcome")
    return Call(
        method="GET",
        path=endpoints.FORUM_THREAD.format(thread=_segment(reference)),
        parse=_response,
        params={"offset": offset, "limit": limit},
        action=f"reading forum thread {reference!r}",
        hint=_window_hint(limit) or _THREAD_HINT,
    )


def _parse_thread(response: Response) -> ForumThread:
    from eternaltwin.forum import ForumThread

    return _checked(response, "forum thread", ForumThread.from_json)


def forum_thread(thread: object, offset: int = 0, limit: int = 10) -> Call[ForumThread]:
    """``GET /api/v1/forum/threads/{id or key}?offset&limit``: a thread with a page of its posts.

    Raises
    ------
    InvalidForumIdError, InvalidArgumentError
        Before any request.
    """
    return _thread_call(thread, offset, limit).parsed(_parse_thread)


def forum_posts_records(thread: object, offset: int, limit: int) -> Call[ListingRecords]:
    """A page of a thread's posts as checked JSON records (for bulk readers)."""
    from eternaltwin.forum import ListingRecords

    def parse(response: Response) -> ListingRecords:
        return _checked(
            response, "forum thread", lambda data: ListingRecords.from_json(data, "posts", "forum thread")
        )

    return _thread_call(thread, offset, limit).parsed(parse)


def _parse_post(response: Response) -> ForumPost:
    from eternaltwin.forum import ForumPost

    return _checked(response, "forum post", ForumPost.from_json)


def forum_post(post_id: object) -> Call[ForumPost]:
    """``GET /api/v1/forum/posts/{id}``: a post with its revisions and its thread.

    Raises
    ------
    InvalidForumIdError
        When ``post_id`` is not a UUID (before any request).
    """
    canonical = normalize_uuid(post_id, "forum post id")
    return Call(
        method="GET",
        path=endpoints.FORUM_POST.format(post_id=canonical),
        parse=_parse_post,
        action=f"reading forum post {canonical}",
    )


def _parse_announcements(response: Response) -> Page[Announcement]:
    from eternaltwin.forum import Announcement, Page

    return _checked(
        response, "announcements", lambda data: Page.from_json(data, "announcements", Announcement.from_json)
    )


def announcements(offset: int = 0, limit: int = 20) -> Call[Page[Announcement]]:
    """``GET /api/v1/announcements?offset&limit``: a page of announcements, most recent first.

    Raises
    ------
    InvalidArgumentError
        Before any request.
    """
    check_window(offset, limit)
    return Call(
        method="GET",
        path=endpoints.ANNOUNCEMENTS,
        parse=_parse_announcements,
        params={"offset": offset, "limit": limit},
        action="listing announcements",
        hint=_window_hint(limit),
    )


def _parse_announcement(response: Response) -> Announcement:
    from eternaltwin.forum import Announcement

    return _checked(response, "announcement", Announcement.from_json)


def announcement(announcement_id: object) -> Call[Announcement]:
    """``GET /api/v1/announcements/{id}``.

    Raises
    ------
    InvalidForumIdError
        When the id is not a UUID (before any request).
    """
    canonical = normalize_uuid(announcement_id, "announcement id")
    return Call(
        method="GET",
        path=endpoints.ANNOUNCEMENT.format(announcement_id=canonical),
        parse=_parse_announcement,
        action=f"reading announcement {canonical}",
    )
