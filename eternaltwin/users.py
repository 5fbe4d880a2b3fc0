"""Eternaltwin users: the :class:`User` model, its linked game accounts and search pages.

This module holds data, parsed from any of the API's user shapes. :class:`User` also carries the older
client's high-level API (``User.get``, ``User.search``, ``User.count``... each taking ``using=``, the
connection alias): each of those classmethods is one line that finds the client of ``using`` in the
connection registries (:func:`_client`; the registries put themselves in :data:`_registries`, this module
never imports them) and calls that client's operation (:class:`~eternaltwin.clients.abc.clients.ClientABC`),
which does the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

from eternaltwin._parsing import (
    expect_mapping,
    optional_bool,
    optional_datetime,
    optional_int,
    optional_str,
    require_id,
    require_int,
    require_str,
)
from eternaltwin._repr import RichRepr
from eternaltwin.exceptions import UnexpectedResponseError, UnknownAliasError

if TYPE_CHECKING:
    from pandas import DataFrame

    from eternaltwin.tokens import Token

__all__ = ["GAME_SITES", "LinkedAccount", "SearchPage", "SearchRecords", "User"]

#: The keys of a user's ``links`` object, in the API's order, with the game server each stands for.
GAME_SITES: Mapping[str, str] = {
    "dinoparc_com": "dinoparc.com",
    "en_dinoparc_com": "en.dinoparc.com",
    "hammerfest_es": "hammerfest.es",
    "hammerfest_fr": "hammerfest.fr",
    "hfest_net": "hfest.net",
    "sp_dinoparc_com": "sp.dinoparc.com",
    "twinoid": "twinoid.com",
}


@dataclass(frozen=True, slots=True)
class LinkedAccount(RichRepr):
    """A game account linked to an Eternaltwin user.

    Attributes
    ----------
    site : str
        The key in the user's ``links`` (``"hammerfest_fr"``, ``"twinoid"``...).
    server : str
        The game server (``"hammerfest.fr"``, ``"twinoid.com"``...).
    type : str
        The remote user's type tag (``"HammerfestUser"``, ``"DinoparcUser"``, ``"TwinoidUser"``).
    id : str
        The remote account's id (a decimal string).
    name : str or None
        The remote account's username (Twinoid: its display name).
    linked_at : datetime or None
        When the link was made.
    """

    site: str
    server: str
    type: str
    id: str
    name: str | None
    linked_at: datetime | None = None

    @classmethod
    def from_json(cls, site: str, entry: Any) -> LinkedAccount | None:
        """Parse one ``links`` entry (``{"current": ..., "old": [...]}``); None when nothing is linked now.

        Oddities that say nothing is usable are "not linked" (None), not errors: a ``null`` entry, a
        ``current`` without a ``user``, a remote user without a ``type``.

        Raises
        ------
        UnexpectedResponseError
            For an entry that is not an object, or a remote user without a usable id.
        """
        what = f"links.{site}"
        if entry is None:
            return None
        obj = expect_mapping(entry, what)
        current = obj.get("current")
        if current is None:
            return None
        current = expect_mapping(current, f"{what}.current")
        if current.get("user") is None:
            return None
        remote = expect_mapping(current.get("user"), f"{what}.current.user")
        if remote.get("type") is None:
            return None
        link = current.get("link")
        linked_at = (
            optional_datetime(link, "time", f"{what}.current.link") if isinstance(link, Mapping) else None
        )
        name = optional_str(remote, "username", f"{what}.current.user")
        if name is None:
            name = optional_str(remote, "display_name", f"{what}.current.user")
        return cls(
            site=site,
            server=optional_str(remote, "server", f"{what}.current.user") or GAME_SITES.get(site, site),
            type=require_str(remote, "type", f"{what}.current.user"),
            id=require_id(remote, f"{what}.current.user"),
            name=name,
            linked_at=linked_at,
        )


@dataclass(eq=False, slots=True)
class User(RichRepr):
    """An Eternaltwin user.

    Built from any of the API's user shapes (short, default, complete, search item, auth context): members
    that a shape does not carry are None, never an error.

    Attributes
    ----------
    identifier : str
        The user's UUID.
    display_name : str or None
        The current display name.
    login_name : str or None
        The account's login username; only complete views (yourself, or as an administrator) carry it.
    is_administrator : bool or None
    created_at, deleted_at : datetime or None
        Aware UTC datetimes.
    email_address : str or None
    has_password : bool or None
    links : Mapping[str, LinkedAccount]
        The game accounts linked now, by ``links`` key (``"hammerfest_fr"``...), in the server's order.
        Kinds the kit does not know (newer servers link more kinds of accounts) are kept under their key.
        Empty when none are or when the shape carries no links (see ``has_links``).
    has_links : bool
        Whether the shape this user was built from carried ``links`` at all.
    token : Token or None
        The OAuth token of an authenticated user.
    raw : dict
        The JSON this user was built from.

    Two users are equal when their identifiers are.
    """

    identifier: str
    display_name: str | None = None
    is_administrator: bool | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    login_name: str | None = None
    email_address: str | None = None
    has_password: bool | None = None
    links: Mapping[str, LinkedAccount] = field(default_factory=dict)
    has_links: bool = False
    token: Token | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    using: str | None = field(default=None, repr=False)

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Any, *, token: Token | None = None, using: str | None = None) -> User:
        """Build a user from a user object of the API (any shape).

        Raises
        ------
        UnexpectedResponseError
            When ``data`` is not a user object (no ``id``, wrong member types...).
        """
        obj = expect_mapping(data, "user")
        what = "user"
        links_obj = obj.get("links")
        links: dict[str, LinkedAccount] = {}
        if links_obj is not None:
            for site, entry in expect_mapping(links_obj, "user links").items():
                if entry is None or (type(entry) is dict and entry.get("current") is None):
                    continue  # nothing linked now (most entries): skip the full parse
                account = LinkedAccount.from_json(site, entry)
                if account is not None:
                    links[site] = account
        return cls(
            identifier=require_str(obj, "id", what),
            display_name=_display_name(obj.get("display_name")),
            is_administrator=optional_bool(obj, "is_administrator", what),
            created_at=optional_datetime(obj, "created_at", what),
            deleted_at=optional_datetime(obj, "deleted_at", what),
            login_name=optional_str(obj, "username", what),
            email_address=optional_str(obj, "email_address", what),
            has_password=optional_bool(obj, "has_password", what),
            links=links,
            has_links=links_obj is not None,
            token=token,
            raw=obj,
            using=using,
        )

    # -- the older client's high-level API: one line each, on the client of ``using`` ------------------
    # Sync methods use eternaltwin.connections.connections, async ones async_connections; the client's
    # operation (same name without the "User." prefix, see ClientABC) documents what each does.

    @classmethod
    def start_authorization(
        cls,
        expiration: int = 600,
        nonce: str | None = None,
        using: str | None = None,
        scope: str | list[str] | None = None,
    ) -> tuple[str, str]:
        """Start an OAuth login: a signed state and the authorization URL to open in a browser.

        Parameters
        ----------
        expiration : int
            Seconds the state stays valid (600).
        nonce : str, optional
            Defaults to random hex.
        using : str, optional
            The connection alias (the active one, ``"default"`` unless changed, when None).
        scope : str or list of str, optional
            The OAuth scopes to ask for this time (``"base forum:write"``); the connection's ``scope``
            option (``"base"`` unless configured) when None.

        Returns
        -------
        (state, url) : tuple of str
            Keep ``state`` to check the callback (``expected_state``).
        """
        return _client(using).start_login(expiration, nonce, scope)

    @classmethod
    def from_authorization_code(
        cls,
        code: str,
        callback_state: str,
        expected_state: str | None = None,
        using: str | None = None,
        full: bool | None = None,
    ) -> User:
        """Finish an OAuth login: check the state, exchange the code, fetch the authenticated user.

        The user (with its ``token``) also becomes the connection's logged-in user (``client.user``),
        which :meth:`me` uses when no token is given.

        Parameters
        ----------
        code : str
            The ``code`` query parameter of the callback.
        callback_state : str
            The ``state`` query parameter of the callback.
        expected_state : str, optional
            The state returned by :meth:`start_authorization`; when given, they must be equal.
        using : str, optional
            The connection alias.
        full : bool or None
            Whether to read the full record after ``auth/self`` (see :meth:`from_token`).

        Raises
        ------
        InvalidStateError
            Forged, expired or unexpected state.
        RequestError
            The server refused the code.
        """
        return _client(using).complete_login(code, callback_state, expected_state, full)

    @classmethod
    async def afrom_authorization_code(
        cls,
        code: str,
        callback_state: str,
        expected_state: str | None = None,
        using: str | None = None,
        full: bool | None = None,
    ) -> User:
        """Async :meth:`from_authorization_code` (on ``async_connections``)."""
        client = _client(using, asynchronous=True)
        return await client.complete_login(code, callback_state, expected_state, full)

    @classmethod
    def from_token(cls, token: Token | str, using: str | None = None, full: bool | None = None) -> User:
        """The user a token belongs to (with ``token`` set when it is a :class:`~eternaltwin.tokens.Token`).

        ``GET /api/v1/auth/self`` identifies the user (id, display name); the full record is a second
        call that never fails the whole: when it fails, ``created_at``, ``deleted_at``, ``login_name``,
        ``email_address``, ``has_password`` (and usually ``is_administrator``) are None and ``links`` is
        empty (``has_links`` False).

        Parameters
        ----------
        token : Token or str
            An OAuth token (or its access token).
        using : str, optional
            The connection alias.
        full : bool or None
            False: auth/self only. True: the full record too, warning if it cannot be read. None: the full
            record too, silently left out when it cannot be read (see ``ClientABC.user_of_token``).

        Raises
        ------
        UnauthorizedError
            When the server answers 401, or a context without a user (guest: an unknown token).
        ServerError
            The 2021 server answers an unknown token with a plain-text 500 (the message says so).
        """
        return _client(using).user_of_token(token, full)

    @classmethod
    async def afrom_token(
        cls, token: Token | str, using: str | None = None, full: bool | None = None
    ) -> User:
        """Async :meth:`from_token`."""
        return await _client(using, asynchronous=True).user_of_token(token, full)

    @classmethod
    def me(cls, token: Token | str | None = None, using: str | None = None, full: bool | None = None) -> User:
        """The authenticated user, fetched afresh.

        Parameters
        ----------
        token : Token or str, optional
            Defaults to the token of the connection's logged-in user (``client.user``).
        using : str, optional
            The connection alias.
        full : bool or None
            Whether to read the full record after ``auth/self`` (see :meth:`from_token`).

        Raises
        ------
        NotAuthenticatedError
            No token given and nobody logged in on the connection.
        """
        return _client(using).me(token, full)

    @classmethod
    async def ame(
        cls, token: Token | str | None = None, using: str | None = None, full: bool | None = None
    ) -> User:
        """Async :meth:`me`."""
        return await _client(using, asynchronous=True).me(token, full)

    @classmethod
    def get(cls, user_id: str, using: str | None = None) -> User:
        """One user by id.

        Parameters
        ----------
        user_id : str or uuid.UUID
            The user's UUID (any letter case).
        using : str, optional
            The connection alias.

        Raises
        ------
        InvalidUserIdError
            When ``user_id`` is not a UUID (before any request).
        NotFoundError
            When there is no such user.
        """
        return _client(using).get_user(user_id)

    @classmethod
    async def aget(cls, user_id: str, using: str | None = None) -> User:
        """Async :meth:`get`."""
        return await _client(using, asynchronous=True).get_user(user_id)

    @classmethod
    def search(
        cls, query: str | None = None, limit: int = 20, offset: int = 0, using: str | None = None
    ) -> SearchPage:
        """One page of users matching ``query``.

        Parameters
        ----------
        query : str, optional
            None matches everyone.
        limit : int
            Page size (20).
        offset : int
            Index of the first result (0).
        using : str, optional
            The connection alias.

        Returns
        -------
        SearchPage
            Iterable like a list of :class:`User`, with ``count`` (all matches) and ``next_offset``.
        """
        return _client(using).search_users(query, limit, offset)

    @classmethod
    async def asearch(
        cls, query: str | None = None, limit: int = 20, offset: int = 0, using: str | None = None
    ) -> SearchPage:
        """Async :meth:`search`."""
        return await _client(using, asynchronous=True).search_users(query, limit, offset)

    @classmethod
    def count(cls, query: str | None = None, using: str | None = None) -> int:
        """How many users match ``query`` (asked with ``limit=0``)."""
        return _client(using).count_users(query)

    @classmethod
    async def acount(cls, query: str | None = None, using: str | None = None) -> int:
        """Async :meth:`count`."""
        return await _client(using, asynchronous=True).count_users(query)

    @classmethod
    def iter_search(
        cls, query: str | None = None, page_size: int = 100, using: str | None = None
    ) -> Iterator[User]:
        """Every user matching ``query``, fetching pages of ``page_size`` lazily as iteration goes.

        Parameters
        ----------
        query : str, optional
            None matches everyone.
        page_size : int
            Users per request (100).
        using : str, optional
            The connection alias.

        Yields
        ------
        User
        """
        return _client(using).iter_users(query, page_size)

    @classmethod
    def aiter_search(
        cls, query: str | None = None, page_size: int = 100, using: str | None = None
    ) -> AsyncIterator[User]:
        """Async :meth:`iter_search` (``async for user in User.aiter_search(...)``)."""
        return _client(using, asynchronous=True).iter_users(query, page_size)

    @classmethod
    def search_frame(
        cls,
        query: str | None = None,
        *,
        limit: int | None = None,
        details: bool = False,
        concurrency: int = 8,
        progress: bool | None = None,
        using: str | None = None,
    ) -> DataFrame:
        """Every user matching ``query`` (or the first ``limit``) as a pandas DataFrame.

        The count is asked first, then pages of 100 are fetched ``concurrency`` at a time and kept in the
        server's order; transient failures are retried; a progress bar shows for more than a few pages
        (``progress=False`` hides it). ``details=True`` fetches the full record of users whose search
        item lacks fields. Works in scripts and in notebooks alike. See
        :func:`eternaltwin.pandas.search_frame` for the parameters, columns and errors.
        """
        # The one import from this module up a layer, a deliberate hook: frames sit above the model and
        # import pandas, so they are reached only when called.
        from eternaltwin.pandas import search_frame

        return search_frame(
            query, limit=limit, details=details, concurrency=concurrency, progress=progress, using=using
        )

    @classmethod
    async def asearch_frame(
        cls,
        query: str | None = None,
        *,
        limit: int | None = None,
        details: bool = False,
        concurrency: int = 8,
        progress: bool | None = None,
        using: str | None = None,
    ) -> DataFrame:
        """Async :meth:`search_frame` (through the connection's pooled async client)."""
        from eternaltwin.pandas import asearch_frame  # the frames hook, as in search_frame

        return await asearch_frame(
            query, limit=limit, details=details, concurrency=concurrency, progress=progress, using=using
        )

    # -- compatibility with the older client ----------------------------------------------------------

    @property
    def username(self) -> str | None:
        """The current display name (the older client's name for it; see also ``login_name``)."""
        return self.display_name

    @property
    def is_authenticated(self) -> bool:
        """Whether this user holds a token."""
        return self.token is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the account is deleted (``deleted_at`` is set)."""
        return self.deleted_at is not None

    def logout(self) -> None:
        """Forget the token (calling it twice is fine)."""
        self.token = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self.identifier == other.identifier

    def __hash__(self) -> int:
        return hash(self.identifier)


@dataclass(frozen=True, slots=True)
class SearchPage(RichRepr):
    """One page of a user search.

    Attributes
    ----------
    offset, limit : int
        The window that was asked for.
    count : int
        How many users match in all (independent of the window).
    items : tuple of User
        The users of this page, in the server's order.

    A page is a sequence of its users: ``len(page)``, ``page[0]``, ``for user in page``.
    """

    offset: int
    limit: int
    count: int
    items: tuple[User, ...]

    @classmethod
    def from_json(cls, data: Any, *, offset: int = 0, limit: int = 0, using: str | None = None) -> SearchPage:
        """Parse a search reply; ``offset``/``limit`` fill in members the server did not echo."""
        records = SearchRecords.from_json(data)
        return cls(
            offset=offset if records.offset is None else records.offset,
            limit=limit if records.limit is None else records.limit,
            count=records.count,
            items=tuple(User.from_json(item, using=using) for item in records.items),
        )

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or None when this page is the last."""
        end = self.offset + len(self.items)
        return end if self.items and end < self.count else None

    def __iter__(self) -> Iterator[User]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> User: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[User, ...]: ...
    def __getitem__(self, index: int | slice) -> User | tuple[User, ...]:
        return self.items[index]


@dataclass(frozen=True, slots=True)
class SearchRecords:
    """One page of a user search, checked but with its users left as JSON records.

    What bulk readers take (:mod:`eternaltwin.pandas` reads records straight into columns: building a
    :class:`User` per row would cost more than the row).

    Attributes
    ----------
    offset, limit : int or None
        The window, as the server echoed it (None when it did not: the 2021 server's items have neither).
    count : int
        How many users match in all.
    items : list of Mapping
        The user records, each a JSON object with a string ``id`` (from ``search_records(...,
        compact=True)``, compact rows instead: :class:`eternaltwin._compact.UserRow`, which answer
        ``row["id"]`` and ``member in row`` alike).
    """

    offset: int | None
    limit: int | None
    count: int
    items: list[Mapping[str, Any]]

    @classmethod
    def from_json(cls, data: Any) -> SearchRecords:
        """Check a search reply.

        Raises
        ------
        UnexpectedResponseError
            Naming the member that is wrong (``items[3]``, ``count``...).
        """
        what = "search page"
        obj = expect_mapping(data, what)
        raw_items = obj.get("items")
        if not isinstance(raw_items, list):
            raise UnexpectedResponseError("The search page has no 'items' list.")
        for n, item in enumerate(raw_items):
            if item.__class__ is not dict or item.get("id").__class__ is not str:  # (the fast path first)
                require_str(expect_mapping(item, f"search page's items[{n}]"), "id", f"items[{n}]")
        return cls(
            offset=optional_int(obj, "offset", what),
            limit=optional_int(obj, "limit", what),
            count=require_int(obj, "count", what),
            items=raw_items,
        )


class _Operations(Protocol):
    """What :class:`User`'s classmethods ask of a sync client (the client of
    :mod:`eternaltwin.clients.sync.clients` has each), named here so that this module need not import it."""

    @property
    def archive(self) -> Any:
        """``client.archive`` (typed where it is used, in :mod:`eternaltwin.archive`)."""

    def start_login(
        self, expiration: int = ..., nonce: str | None = ..., scope: str | list[str] | None = ...
    ) -> tuple[str, str]: ...
    def complete_login(
        self, code: str, callback_state: str, expected_state: str | None = ..., full: bool | None = ...
    ) -> User: ...
    def user_of_token(self, token: Token | str, full: bool | None = ...) -> User: ...
    def me(self, token: Token | str | None = ..., full: bool | None = ...) -> User: ...
    def get_user(self, user_id: str) -> User: ...
    def search_users(self, query: str | None = ..., limit: int = ..., offset: int = ...) -> SearchPage: ...
    def count_users(self, query: str | None = ...) -> int: ...
    def iter_users(self, query: str | None = ..., page_size: int = ...) -> Iterator[User]: ...


class _AsyncOperations(Protocol):
    """The async twin of :class:`_Operations` (the client of :mod:`eternaltwin.clients.asyncio.clients`)."""

    @property
    def archive(self) -> Any:
        """``client.archive`` (typed where it is used, in :mod:`eternaltwin.archive`)."""

    def complete_login(
        self, code: str, callback_state: str, expected_state: str | None = ..., full: bool | None = ...
    ) -> Awaitable[User]: ...
    def user_of_token(self, token: Token | str, full: bool | None = ...) -> Awaitable[User]: ...
    def me(self, token: Token | str | None = ..., full: bool | None = ...) -> Awaitable[User]: ...
    def get_user(self, user_id: str) -> Awaitable[User]: ...
    def search_users(
        self, query: str | None = ..., limit: int = ..., offset: int = ...
    ) -> Awaitable[SearchPage]: ...
    def count_users(self, query: str | None = ...) -> Awaitable[int]: ...
    def iter_users(self, query: str | None = ..., page_size: int = ...) -> AsyncIterator[User]: ...


_C_co = TypeVar("_C_co", covariant=True)


class _Registry(Protocol[_C_co]):
    """A connection registry, as :class:`User` uses it (:class:`eternaltwin.connections.Connections`)."""

    def get_connection(self, alias: str | None = None) -> _C_co: ...


#: The connection registries ``(connections, async_connections)``, where User's high-level API finds the
#: client of ``using``. This module never imports them (they sit layers above it):
#: :mod:`eternaltwin.connections` puts them here when it is imported, which any configuration does.
_registries: tuple[_Registry[_Operations], _Registry[_AsyncOperations]] | None = None


@overload
def _client(using: str | None, *, asynchronous: Literal[False] = False) -> _Operations: ...
@overload
def _client(using: str | None, *, asynchronous: Literal[True]) -> _AsyncOperations: ...
def _client(using: str | None, *, asynchronous: bool = False) -> _Operations | _AsyncOperations:
    """The client of ``using`` (the active alias when None), sync or async.

    Raises
    ------
    UnknownAliasError
        No connection of that alias (none at all when nothing configured any).
    """
    if _registries is None:  # eternaltwin.connections was never imported, so nothing is configured
        raise UnknownAliasError(using or "default", [])
    sync, asynchronous_ = _registries
    return (asynchronous_ if asynchronous else sync).get_connection(using)


def _display_name(value: Any) -> str | None:
    """``display_name.current.value`` (the API's versioned form), or a plain string; None when the
    versioned form holds no current value (``{"current": {}}``, ``{"current": null}``, ``{}``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        current = value.get("current")
        if current is None:
            return None
        if isinstance(current, Mapping):
            name = current.get("value")
            if name is None or isinstance(name, str):
                return name
    raise UnexpectedResponseError("The user's display_name is neither a string nor {current: {value}}.")
