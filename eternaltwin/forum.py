"""The Eternaltwin forum and announcements, as answered by ``/api/v1/forum/...``, ``/api/v1/announcements``
and ``/api/v1/config``.

Plain frozen dataclasses, each keeping the JSON it was built from in ``raw``. One class per kind of
object serves both of its shapes: a :class:`ForumSection` from the sections listing carries only its
thread count (``threads`` is None), one from ``client.forum.section(...)`` also a :class:`Page` of its
threads; likewise a :class:`ForumThread` and its posts. Members that newer servers add (a section's
``self.can_*`` permissions, a thread's ``last_post``, a paged sections listing) are read when present and
never required.

Examples
--------
>>> section = client.forum.section("en_main")         # doctest: +SKIP
>>> [thread.title for thread in section.threads]      # doctest: +SKIP
>>> thread = client.forum.thread(section.threads[0].id)  # doctest: +SKIP
>>> thread.posts[0].author.display_name, thread.posts[0].html  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from eternaltwin._parsing import (
    expect_mapping,
    optional_datetime,
    optional_int,
    optional_str,
    require_int,
    require_str,
)
from eternaltwin._repr import RichRepr
from eternaltwin.exceptions import UnexpectedResponseError
from eternaltwin.users import User

__all__ = [
    "Announcement",
    "ForumActor",
    "ForumConfig",
    "ForumPost",
    "ForumRevision",
    "ForumRoleGrant",
    "ForumSection",
    "ForumThread",
    "ListingRecords",
    "Page",
    "ServerConfig",
]

T = TypeVar("T")


def _time(obj: Mapping[str, Any], key: str, what: str) -> datetime:
    """The required timestamp member ``key``."""
    when = optional_datetime(obj, key, what)
    if when is None:
        raise UnexpectedResponseError(f"The {what} has no {key!r} timestamp.")
    return when


def _bool(obj: Mapping[str, Any], key: str, what: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise UnexpectedResponseError(f"The {what} has no boolean {key!r} member.")
    return value


@dataclass(frozen=True, slots=True)
class Page(RichRepr, Generic[T]):
    """One page of a listing (threads of a section, posts of a thread, announcements...).

    Attributes
    ----------
    offset, limit : int
        The window, as the server echoed it.
    count : int
        How many items the whole listing holds.
    items : tuple
        The items of this page, in the server's order.

    A page is a sequence of its items: ``len(page)``, ``page[0]``, ``for item in page``.
    """

    offset: int
    limit: int
    count: int
    items: tuple[T, ...]

    @classmethod
    def from_json(cls, data: Any, what: str, parse: Callable[[Any, str], T]) -> Page[T]:
        """Parse a listing ``{offset, limit, count, items}``; ``parse(item, what)`` reads each item.

        A listing without ``offset``/``limit`` (the 2021 sections listing is ``{"items": [...]}``) is the
        whole listing: offset 0, and limit and count the number of items unless given.
        """
        obj = expect_mapping(data, what)
        raw_items = obj.get("items")
        if not isinstance(raw_items, list):
            raise UnexpectedResponseError(f"The {what} has no 'items' list.")
        owner = what + ("'" if what.endswith("s") else "'s")
        items = tuple(parse(item, f"{owner} items[{n}]") for n, item in enumerate(raw_items))
        offset = optional_int(obj, "offset", what)
        limit = optional_int(obj, "limit", what)
        count = optional_int(obj, "count", what)
        return cls(
            offset=0 if offset is None else offset,
            limit=len(items) if limit is None else limit,
            count=len(items) if count is None else count,
            items=items,
        )

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or None when this page is the last."""
        end = self.offset + len(self.items)
        return end if self.items and end < self.count else None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.items[index]


@dataclass(frozen=True, slots=True)
class ForumActor(RichRepr):
    """Who wrote a post or a revision: a user, an anonymous role, or an OAuth app.

    Attributes
    ----------
    type : str
        ``"UserForumActor"``, ``"RoleForumActor"`` or ``"ClientForumActor"`` (or a newer kind, kept as is).
    user : User or None
        The user (a role actor shows one only to moderators).
    role : str or None
        ``"Administrator"`` or ``"Moderator"`` when the actor acted in that role.
    client_id, client_name : str or None
        The OAuth app of a ``ClientForumActor``.
    raw : Mapping
    """

    type: str
    user: User | None = None
    role: str | None = None
    client_id: str | None = None
    client_name: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def display_name(self) -> str | None:
        """The user's display name, else the app's, else the role."""
        if self.user is not None and self.user.display_name is not None:
            return self.user.display_name
        return self.client_name if self.client_name is not None else self.role

    @classmethod
    def from_json(cls, data: Any, what: str = "forum actor") -> ForumActor:
        """Parse a ``UserForumActor``, ``RoleForumActor`` or ``ClientForumActor``."""
        obj = expect_mapping(data, what)
        kind = require_str(obj, "type", what)
        user_data = obj.get("user")
        if kind == "UserForumActor" and user_data is None:
            raise UnexpectedResponseError(f"The {what} is a UserForumActor without a 'user'.")
        role = optional_str(obj, "role", what)
        if kind == "RoleForumActor" and role is None:
            raise UnexpectedResponseError(f"The {what} is a RoleForumActor without a 'role'.")
        client_id = client_name = None
        client = obj.get("client")
        if kind == "ClientForumActor" or client is not None:
            client = expect_mapping(client, f"{what}'s client")
            client_id = require_str(client, "id", f"{what}'s client")
            client_name = optional_str(client, "display_name", f"{what}'s client")
        return cls(
            type=kind,
            user=None if user_data is None else _user(user_data, f"{what}'s user"),
            role=role,
            client_id=client_id,
            client_name=client_name,
            raw=obj,
        )


def _user(data: Any, what: str) -> User:
    try:
        return User.from_json(data)
    except UnexpectedResponseError as error:
        raise UnexpectedResponseError(f"The {what}: {error}") from None


def _content(obj: Mapping[str, Any], key: str, what: str) -> tuple[str | None, str | None]:
    """``(marktwin, html)`` of a nullable revision content member."""
    value = obj.get(key)
    if value is None:
        return None, None
    where = f"{what}'s {key}"
    content = expect_mapping(value, where)
    return require_str(content, "marktwin", where), require_str(content, "html", where)


@dataclass(frozen=True, slots=True)
class ForumRevision(RichRepr):
    """One version of a post: its text, or its removal, or a moderator's note.

    Attributes
    ----------
    id : str
    time : datetime
        When this version was written (aware UTC).
    author : ForumActor
    marktwin, html : str or None
        The text as written (Marktwin markup) and as the server rendered it (HTML); None when this
        revision removed the text.
    moderation_marktwin, moderation_html : str or None
        A moderator's note, when there is one.
    comment : str or None
        The author's comment on the change.
    raw : Mapping
    """

    id: str
    time: datetime
    author: ForumActor
    marktwin: str | None
    html: str | None
    moderation_marktwin: str | None = None
    moderation_html: str | None = None
    comment: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_deleted(self) -> bool:
        """Whether this revision removed the text."""
        return self.marktwin is None

    @classmethod
    def from_json(cls, data: Any, what: str = "forum post revision") -> ForumRevision:
        """Parse a ``ForumPostRevision``."""
        obj = expect_mapping(data, what)
        marktwin, html = _content(obj, "content", what)
        moderation_marktwin, moderation_html = _content(obj, "moderation", what)
        return cls(
            id=require_str(obj, "id", what),
            time=_time(obj, "time", what),
            author=ForumActor.from_json(obj.get("author"), f"{what}'s author"),
            marktwin=marktwin,
            html=html,
            moderation_marktwin=moderation_marktwin,
            moderation_html=moderation_html,
            comment=optional_str(obj, "comment", what),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class ForumPost(RichRepr):
    """A forum post.

    A post from a thread's page knows its last revision and how many there are; one fetched alone
    (``client.forum.post(id)``) also has its ``thread`` (with its section) and a page of its ``revisions``.

    Attributes
    ----------
    id : str
    ctime : datetime
        When it was posted (aware UTC).
    author : ForumActor
    revision_count : int
        How many versions it has (1 when never edited).
    last_revision : ForumRevision or None
        The current version (None only when a fetched page of revisions does not reach it).
    revisions : Page of ForumRevision or None
        Of a post fetched alone; None for a post of a thread's page.
    thread : ForumThread or None
        Of a post fetched alone (its ``section`` is set too).
    raw : Mapping
    """

    id: str
    ctime: datetime
    author: ForumActor
    revision_count: int
    last_revision: ForumRevision | None
    revisions: Page[ForumRevision] | None = None
    thread: ForumThread | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def marktwin(self) -> str | None:
        """The current text in Marktwin markup (None when removed)."""
        return None if self.last_revision is None else self.last_revision.marktwin

    @property
    def html(self) -> str | None:
        """The current text as the server rendered it in HTML (None when removed). Display it only
        through a sanitiser: it comes from the server."""
        return None if self.last_revision is None else self.last_revision.html

    @property
    def is_edited(self) -> bool:
        """Whether the post has more than one version."""
        return self.revision_count > 1

    @property
    def is_deleted(self) -> bool:
        """Whether the current version removed the text."""
        return self.last_revision is not None and self.last_revision.is_deleted

    @classmethod
    def from_json(cls, data: Any, what: str = "forum post") -> ForumPost:
        """Parse a ``ForumPost`` (short, as in a thread's page, or full, as fetched alone)."""
        obj = expect_mapping(data, what)
        listing = expect_mapping(obj.get("revisions"), f"{what}'s revisions")
        last_data = listing.get("last")
        last = None if last_data is None else ForumRevision.from_json(last_data, f"{what}'s last revision")
        revisions: Page[ForumRevision] | None = None
        if "items" in listing:
            revisions = Page.from_json(listing, f"{what}'s revisions", ForumRevision.from_json)
            if last is None and revisions.items and revisions.offset + len(revisions) >= revisions.count:
                last = revisions.items[-1]
        elif last is None:
            raise UnexpectedResponseError(f"The {what}'s revisions have neither 'last' nor 'items'.")
        thread_data = obj.get("thread")
        return cls(
            id=require_str(obj, "id", what),
            ctime=_time(obj, "ctime", what),
            author=ForumActor.from_json(obj.get("author"), f"{what}'s author"),
            revision_count=require_int(listing, "count", f"{what}'s revisions"),
            last_revision=last,
            revisions=revisions,
            thread=None if thread_data is None else ForumThread.from_json(thread_data, f"{what}'s thread"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class ForumRoleGrant(RichRepr):
    """A forum role given to a user in a section (its moderators).

    Attributes
    ----------
    role : str
        ``"Administrator"`` or ``"Moderator"``.
    user : User
    start_time : datetime or None
    granted_by : User or None
    raw : Mapping
    """

    role: str
    user: User
    start_time: datetime | None
    granted_by: User | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, what: str = "forum role grant") -> ForumRoleGrant:
        """Parse one item of a section's ``role_grants``."""
        obj = expect_mapping(data, what)
        granted_by = obj.get("granted_by")
        return cls(
            role=require_str(obj, "role", what),
            user=_user(obj.get("user"), f"{what}'s user"),
            start_time=optional_datetime(obj, "start_time", what),
            granted_by=None if granted_by is None else _user(granted_by, f"{what}'s granted_by"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class ForumSection(RichRepr):
    """A forum section (one per language, and some per game).

    Attributes
    ----------
    id : str
    key : str or None
        Its configuration key (``"en_main"``...), usable instead of the id.
    display_name : str
    ctime : datetime
    locale : str or None
        ``"en-US"``, ``"fr-FR"``, ``"es-SP"``, ``"de-DE"``, ``"eo"``...
    thread_count : int
        How many threads it holds.
    threads : Page of ForumThread or None
        A page of its threads, most recently active first; None for a section from the sections listing
        or from a thread (fetch it with ``client.forum.section(id)``).
    roles : tuple of str
        The caller's roles in the section (``self.roles``).
    permissions : Mapping[str, bool]
        The caller's ``self.can_*`` flags, on newer servers (empty otherwise).
    role_grants : tuple of ForumRoleGrant
        Its moderators (with ``threads`` only).
    raw : Mapping
    """

    id: str
    key: str | None
    display_name: str
    ctime: datetime
    locale: str | None
    thread_count: int
    threads: Page[ForumThread] | None = None
    roles: tuple[str, ...] = ()
    permissions: Mapping[str, bool] = field(default_factory=dict)
    role_grants: tuple[ForumRoleGrant, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, what: str = "forum section") -> ForumSection:
        """Parse a ``ForumSection`` (meta, as listed, or with a page of threads)."""
        obj = expect_mapping(data, what)
        listing = expect_mapping(obj.get("threads"), f"{what}'s threads")
        threads: Page[ForumThread] | None = None
        if "items" in listing:
            threads = Page.from_json(listing, f"{what}'s threads", ForumThread.from_json)
        roles, permissions = _self(obj, what)
        grants = obj.get("role_grants")
        if grants is not None and not isinstance(grants, list):
            raise UnexpectedResponseError(f"The {what}'s role_grants is not a list.")
        return cls(
            id=require_str(obj, "id", what),
            key=optional_str(obj, "key", what),
            display_name=require_str(obj, "display_name", what),
            ctime=_time(obj, "ctime", what),
            locale=optional_str(obj, "locale", what),
            thread_count=require_int(listing, "count", f"{what}'s threads"),
            threads=threads,
            roles=roles,
            permissions=permissions,
            role_grants=tuple(
                ForumRoleGrant.from_json(grant, f"{what}'s role_grants[{n}]")
                for n, grant in enumerate(grants or ())
            ),
            raw=obj,
        )


def _self(obj: Mapping[str, Any], what: str) -> tuple[tuple[str, ...], Mapping[str, bool]]:
    """``(roles, can_* flags)`` of an object's optional ``self`` member."""
    own = obj.get("self")
    if own is None:
        return (), {}
    own = expect_mapping(own, f"{what}'s self")
    roles = own.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise UnexpectedResponseError(f"The {what}'s self.roles is not a list of strings.")
    flags = {key: value for key, value in own.items() if key.startswith("can_") and isinstance(value, bool)}
    return tuple(roles), flags


@dataclass(frozen=True, slots=True)
class ForumThread(RichRepr):
    """A forum thread.

    Attributes
    ----------
    id : str
    key : str or None
        A stable key some threads have, usable instead of the id.
    title : str
    ctime : datetime
        When it was opened (aware UTC).
    is_pinned, is_locked : bool
    post_count : int
        How many posts it holds.
    section : ForumSection or None
        The section (meta) of a thread fetched alone or with its post; None in a section's page.
    posts : Page of ForumPost or None
        A page of its posts, oldest first; None for a thread from a section's page (fetch it with
        ``client.forum.thread(id)``).
    last_post : ForumPost or None
        Its latest post, on newer servers that send it.
    permissions : Mapping[str, bool]
        The caller's ``self.can_*`` flags, on newer servers (empty otherwise).
    raw : Mapping
    """

    id: str
    key: str | None
    title: str
    ctime: datetime
    is_pinned: bool
    is_locked: bool
    post_count: int
    section: ForumSection | None = None
    posts: Page[ForumPost] | None = None
    last_post: ForumPost | None = None
    permissions: Mapping[str, bool] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, what: str = "forum thread") -> ForumThread:
        """Parse a ``ForumThread`` (meta, as in a section's page, or with a page of posts)."""
        obj = expect_mapping(data, what)
        listing = expect_mapping(obj.get("posts"), f"{what}'s posts")
        posts: Page[ForumPost] | None = None
        if "items" in listing:
            posts = Page.from_json(listing, f"{what}'s posts", ForumPost.from_json)
        section = obj.get("section")
        last_post = obj.get("last_post")
        return cls(
            id=require_str(obj, "id", what),
            key=optional_str(obj, "key", what),
            title=require_str(obj, "title", what),
            ctime=_time(obj, "ctime", what),
            is_pinned=_bool(obj, "is_pinned", what),
            is_locked=_bool(obj, "is_locked", what),
            post_count=require_int(listing, "count", f"{what}'s posts"),
            section=None if section is None else ForumSection.from_json(section, f"{what}'s section"),
            posts=posts,
            last_post=None if last_post is None else ForumPost.from_json(last_post, f"{what}'s last_post"),
            permissions=_self(obj, what)[1],
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class Announcement(RichRepr):
    """An announcement: a forum thread put forward, in one language.

    Attributes
    ----------
    id : str
    created_at : datetime
    locale : str or None
    thread : ForumThread
        The thread, with the first page of its posts.
    raw : Mapping
    """

    id: str
    created_at: datetime
    locale: str | None
    thread: ForumThread
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> str:
        """The thread's title."""
        return self.thread.title

    @classmethod
    def from_json(cls, data: Any, what: str = "announcement") -> Announcement:
        """Parse an ``Announcement``."""
        obj = expect_mapping(data, what)
        return cls(
            id=require_str(obj, "id", what),
            created_at=_time(obj, "created_at", what),
            locale=optional_str(obj, "locale", what),
            thread=ForumThread.from_json(obj.get("thread"), f"{what}'s thread"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class ForumConfig:
    """The forum's paging defaults.

    Attributes
    ----------
    threads_per_page, posts_per_page : int
        What a section's and a thread's pages hold when no ``limit`` is asked.
    """

    threads_per_page: int
    posts_per_page: int


@dataclass(frozen=True, slots=True)
class ServerConfig(RichRepr):
    """The server's public configuration (``GET /api/v1/config``).

    Attributes
    ----------
    forum : ForumConfig
    raw : Mapping
        The whole reply (newer servers may send more).
    """

    forum: ForumConfig
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ServerConfig:
        """Parse the reply of ``GET /api/v1/config``."""
        obj = expect_mapping(data, "server config")
        forum = expect_mapping(obj.get("forum"), "server config's forum")
        return cls(
            forum=ForumConfig(
                threads_per_page=require_int(forum, "threads_per_page", "server config's forum"),
                posts_per_page=require_int(forum, "posts_per_page", "server config's forum"),
            ),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class ListingRecords:
    """One page of a section's threads or a thread's posts, checked but with its items left as JSON.

    What bulk readers take (:mod:`eternaltwin.pandas` reads the records straight into columns).

    Attributes
    ----------
    owner_id : str
        The id of the section or thread the page belongs to (the server's, even when asked by key).
    offset, limit : int or None
        The window, as the server echoed it.
    count : int
        How many items the whole listing holds.
    items : list of Mapping
        The records, each a JSON object with a string ``id``.
    """

    owner_id: str
    offset: int | None
    limit: int | None
    count: int
    items: list[Mapping[str, Any]]

    @classmethod
    def from_json(cls, data: Any, member: str, what: str) -> ListingRecords:
        """Check the listing ``member`` (``"threads"`` or ``"posts"``) of a section or thread reply.

        Raises
        ------
        UnexpectedResponseError
            Naming the member that is wrong.
        """
        obj = expect_mapping(data, what)
        where = f"{what}'s {member}"
        listing = expect_mapping(obj.get(member), where)
        raw_items = listing.get("items")
        if not isinstance(raw_items, list):
            raise UnexpectedResponseError(f"The {where} has no 'items' list.")
        for n, item in enumerate(raw_items):
            if item.__class__ is not dict or item.get("id").__class__ is not str:  # (the fast path first)
                require_str(expect_mapping(item, f"{where}' items[{n}]"), "id", f"{where}' items[{n}]")
        return cls(
            owner_id=require_str(obj, "id", what),
            offset=optional_int(listing, "offset", where),
            limit=optional_int(listing, "limit", where),
            count=require_int(listing, "count", where),
            items=raw_items,
        )
