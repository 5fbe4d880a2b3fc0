"""Eternaltwin users and forum as pandas DataFrames: the frames layer.

:func:`users_frame` builds a frame from users you have; :func:`search_frame` (and its async twin) fetches
every user of a search into one, through the bulk layer (:mod:`eternaltwin._bulk`), which hands each page's
records to this module's column builder. :func:`forum_threads_frame` and :func:`forum_posts_frame` do the
same for every thread of the forum and every post of some threads (columns: :data:`THREAD_COLUMNS`,
:data:`POST_COLUMNS`), and :func:`dinoz_frame` every archived dinoz of the Dinoparc accounts some users
linked (:data:`DINOZ_COLUMNS`). Importing this module imports pandas and registers the
``df.eternaltwin`` accessor; ``import eternaltwin`` alone never does. The frames have fixed columns and
dtypes whatever they were built from (see :data:`USER_COLUMNS`)::

    id                   string            the user's UUID
    display_name         string
    created_at           datetime64[ns, UTC]   NaT when unknown
    deleted_at           datetime64[ns, UTC]   NaT when not deleted or unknown
    is_administrator     boolean (nullable)
    <site>_id            string            one pair per game server, in GAME_SITES order,
    <site>_name          string            NA when no account of that server is linked (or unknown)

then, only when the users have accounts of kinds the kit does not know (newer servers link more kinds),
one more ``<kind>_id``, ``<kind>_name`` pair of string columns per such kind, in alphabetical order: link
kinds are never dropped. (A kind whose columns would take a fixed column's name gets ``links_<kind>_id``
and ``links_<kind>_name``.)

Examples
--------
>>> from eternaltwin.pandas import users_frame
>>> df = users_frame(page)            # a SearchPage, Users, or the raw JSON of users
>>> df.eternaltwin.users()            # back to User objects
>>> full = df.eternaltwin.details()   # every user's full record, fetched concurrently
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

try:
    import numpy as np
    import pandas as pd
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "eternaltwin.pandas needs pandas: pip install 'eternaltwin-kit[notebook]' (or pip install pandas)."
    ) from error

from eternaltwin import _bulk
from eternaltwin._blocking import run_sync
from eternaltwin.clients import _calls
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import InvalidArgumentError, PageFetchError, UnexpectedResponseError, warn
from eternaltwin.forum import ForumSection, ForumThread, ListingRecords
from eternaltwin.users import GAME_SITES, LinkedAccount, SearchPage, User

try:  # msgspec (the ``fast`` extra): search pages decoded into compact rows, read here like JSON records
    from eternaltwin._compact import UserRow as _Row
except ImportError:  # pragma: no cover - depends on the environment
    _Row = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

__all__ = [
    "DINOZ_COLUMNS",
    "DINOZ_SKILL_COLUMNS",
    "POST_COLUMNS",
    "THREAD_COLUMNS",
    "USER_COLUMNS",
    "UsersAccessor",
    "adinoz_frame",
    "aforum_posts_frame",
    "aforum_threads_frame",
    "asearch_frame",
    "dinoz_frame",
    "dinoz_skills_frame",
    "forum_posts_frame",
    "forum_threads_frame",
    "search_frame",
    "users_frame",
]

_STRING = pd.StringDtype()
_DATETIME = pd.DatetimeTZDtype(unit="ns", tz="UTC")
_BOOLEAN = pd.BooleanDtype()

_BASE_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("id", _STRING),
    ("display_name", _STRING),
    ("created_at", _DATETIME),
    ("deleted_at", _DATETIME),
    ("is_administrator", _BOOLEAN),
)
_SITES: tuple[str, ...] = tuple(GAME_SITES)
_BASE_NAMES: tuple[str, ...] = tuple(name for name, _ in _BASE_COLUMNS)

#: The fixed columns of a users frame, in order, with their dtypes (any link kinds the kit does not know
#: follow them, as string columns: see the module docstring).
USER_COLUMNS: Mapping[str, Any] = dict(
    _BASE_COLUMNS + tuple((f"{site}_{part}", _STRING) for site in _SITES for part in ("id", "name"))
)

# The remote user type of each links key (for turning rows back into LinkedAccount objects).
_REMOTE_TYPES: Mapping[str, str] = {
    site: "TwinoidUser" if site == "twinoid" else "DinoparcUser" if "dinoparc" in site else "HammerfestUser"
    for site in _SITES
}


def users_frame(items: Iterable[Any]) -> pd.DataFrame:
    """Build a DataFrame of users, with the columns and dtypes of :data:`USER_COLUMNS`.

    Parameters
    ----------
    items : iterable
        Any mix of :class:`~eternaltwin.users.User` objects, :class:`~eternaltwin.users.SearchPage` objects
        (their users, in order), user objects as the API returns them (short, default or complete views;
        ``dict``), and raw search replies (``{"count", "items"}``, their items in order). A single
        ``SearchPage`` is an iterable of users, so it can be passed directly.

    Returns
    -------
    pandas.DataFrame
        One row per user, in input order, with a fresh ``RangeIndex``: the columns of
        :data:`USER_COLUMNS`, then a ``<kind>_id``/``<kind>_name`` pair per link kind the kit does not
        know (alphabetical), if any user has one. An empty input gives an empty frame with the fixed
        columns and dtypes.

    Raises
    ------
    TypeError
        For an item that is none of the above (a string, a number...).

    Notes
    -----
    Members that a user lacks, or whose value has an unexpected type, become missing values (``NA`` or
    ``NaT``); nothing raises for a shape the API may send, and ids stay strings. A ``links`` entry that is
    null, or whose remote account has no ``type``, is "not linked", as for :class:`User`. Raw JSON is read
    straight into columns (no :class:`User` objects are built), so large inputs are cheap.
    """
    columns = _Columns()
    columns.add(items)
    return columns.frame()


def search_frame(
    query: str | None = None,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
    using: str | None = None,
) -> pd.DataFrame:
    """Search users and return all the matches (or the first ``limit``) as a DataFrame.

    The count is asked first, then pages of 100 are fetched ``concurrency`` at a time (through the
    connection's client, with its retries) and each page is read into the frame's columns as it arrives.

    Parameters
    ----------
    query : str or None
        The search text (``q``); None or ``""`` matches every user.
    limit : int or None
        At most this many users; None for all the matches.
    details : bool
        Fetch the full record (``GET /api/v1/users/{id}``) of each user whose search item lacks members
        of the default view (creation date, administrator flag, links), concurrently too.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text elsewhere). None shows one when
        there are more than a few pages, True always, False never.
    using : str or None
        The connection alias; None for the active connection.

    Returns
    -------
    pandas.DataFrame
        The users in the server's order, with the columns of :data:`USER_COLUMNS`.

    Raises
    ------
    PageFetchError
        A page failed for good (after the client's retries), or rows that the server's count promised
        did not come (never a partial frame; see :mod:`eternaltwin._bulk`).
    UserFetchError
        With ``details=True``, a user's record failed for good.

    Notes
    -----
    Works the same in a plain script and in a notebook (whose cell already runs in an event loop): the
    requests run on the kit's loop thread (:mod:`eternaltwin._blocking`), through the async twin of the
    connection's client, whose pooled connections last from one call to the next. In async code, use
    :func:`asearch_frame`.
    """
    _bulk.check_options(limit, concurrency)
    client = connections.get_connection(using)
    options: dict[str, Any] = {"limit": limit, "details": details, "concurrency": concurrency}

    async def fetch() -> pd.DataFrame:
        return await _fetch_frame(client.async_twin(), query, options, progress)

    return run_sync(fetch)


async def asearch_frame(
    query: str | None = None,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
    using: str | None = None,
) -> pd.DataFrame:
    """The async twin of :func:`search_frame` (same parameters, result and errors), through the pooled
    client of ``async_connections``."""
    _bulk.check_options(limit, concurrency)
    client = async_connections.get_connection(using)
    options: dict[str, Any] = {"limit": limit, "details": details, "concurrency": concurrency}
    return await _fetch_frame(client, query, options, progress)


async def _fetch_frame(
    client: AsyncEternaltwin, query: str | None, options: dict[str, Any], progress: bool | None
) -> pd.DataFrame:
    # Parts are read straight into the result while they arrive in order (while the other pages are
    # waited for), the others kept aside until the rows before them came. The bulk layer's parts cover
    # disjoint rows, so none comes later that belongs before the rows read in: the order is the
    # offsets' order, as if every part were sorted at the end.
    result = _Columns()
    aside: dict[int, _Columns] = {}
    end = 0  # where the rows read in end

    def sink(offset: int, records: list[Mapping[str, Any]]) -> None:
        nonlocal end
        if offset != end:
            aside[offset] = columns = _Columns()
            columns.add(records)
            return
        result.add(records)
        end = offset + len(records)
        while end in aside:
            part = aside.pop(end)
            result.extend(part)
            end += part.rows
        if len(result.ids) >= _SETTLE_ROWS:  # typed now, while the other pages are waited for
            result.settle()

    await _bulk.fetch_search(client, query, sink, progress=progress, compact=True, **options)
    for offset in sorted(aside):
        result.extend(aside[offset])
    return result.frame()


#: A bulk fetch converts the rows it has read in, in order, to typed arrays every this many rows (while
#: the other pages are waited for), so that the frame at the end converts only the last ones.
_SETTLE_ROWS = 2000


class _Columns:
    """Column lists being filled, one user at a time; :meth:`frame` converts them (vectorised).

    :meth:`settle` converts the rows so far ahead of time, into typed parts that :meth:`frame` joins.
    Linked accounts are rare, so they are kept sparse (row numbers and values) and spread out at the end.
    """

    __slots__ = ("admins", "base", "created", "deleted", "ids", "names", "outside", "remotes", "settled")

    def __init__(self) -> None:
        self.ids: list[Any] = []
        self.names: list[Any] = []
        self.created: list[Any] = []
        self.deleted: list[Any] = []
        self.admins: list[Any] = []
        # links key -> [(row, remote id, remote name), ...]
        self.remotes: dict[str, list[tuple[int, str | None, str | None]]] = {site: [] for site in _SITES}
        self.settled: list[tuple[Any, ...]] = []  # the typed columns of rows already settled, a part each
        self.base = 0  # how many rows are settled (the lists hold the rows after them)
        self.outside = 0  # settled timestamps that became NaT for being out of range

    @property
    def rows(self) -> int:
        """How many rows there are."""
        return self.base + len(self.ids)

    def add(self, items: Iterable[Any], *, inside_reply: bool = False) -> None:
        """Append the users of ``items`` (see :func:`users_frame` for what an item may be); ``inside_reply``:
        they are the items of a search reply, where another reply would be an error."""
        ids, remotes, base = self.ids, self.remotes, self.base - 1
        add_id, add_name, add_created = ids.append, self.names.append, self.created.append
        add_deleted, add_admin = self.deleted.append, self.admins.append
        for item in items:
            if item.__class__ is _Row:  # a compact row: the same reading as below, by attributes
                add_id(item.id)
                shown = item.display_name
                if shown.__class__ is not str:
                    version = getattr(shown, "current", None)  # (None and UNSET have none)
                    shown = None if version is None else version.value
                add_name(shown if shown.__class__ is str else None)
                stamp = item.created_at
                add_created(stamp if stamp.__class__ is str else None)
                stamp = item.deleted_at
                add_deleted(stamp if stamp.__class__ is str else None)
                flag = item.is_administrator
                add_admin(flag if flag is True or flag is False else None)
                kinds = item.links
                if kinds.__class__ is dict:
                    for kind, link in kinds.items():
                        if link is not None and link.current is not None:
                            account = link.current.user
                            if account is not None and account.type is not None:
                                self._add_remote(kind, base + len(ids), account)
                continue
            if item.__class__ is not dict:
                self._add_other(item, inside_reply)
                continue
            user_id = item.get("id")
            if user_id is None and "items" in item:  # a raw search reply
                self._add_other(item, inside_reply)
                continue
            add_id(user_id if user_id.__class__ is str else _text(user_id))
            name = item.get("display_name")
            if name.__class__ is dict:
                current = name.get("current")
                name = current.get("value") if current.__class__ is dict else None
            add_name(name if name.__class__ is str else None)
            stamp = item.get("created_at")
            add_created(stamp if stamp.__class__ is str else None)
            stamp = item.get("deleted_at")
            add_deleted(stamp if stamp.__class__ is str else None)
            flag = item.get("is_administrator")
            add_admin(flag if flag is True or flag is False else None)
            links = item.get("links")
            if links.__class__ is not dict:
                continue
            for site, entry in links.items():
                if entry.__class__ is dict:
                    current = entry.get("current")
                    if current.__class__ is dict:
                        remote = current.get("user")
                        if remote.__class__ is dict and remote.get("type") is not None:
                            remote_name = remote.get("username")
                            if remote_name is None:
                                remote_name = remote.get("display_name")
                            linked = remotes.get(site)
                            if linked is None:
                                linked = remotes[site] = []
                            linked.append(
                                (
                                    base + len(ids),
                                    _text(remote.get("id")),
                                    remote_name if remote_name.__class__ is str else None,
                                )
                            )

    def _add_remote(self, site: str, row: int, remote: Any) -> None:
        """Note the linked account of a compact row (``remote``: its current link's user, with a type)."""
        remote_name = remote.username
        if remote_name is None:
            remote_name = remote.display_name
        self.remotes.setdefault(site, []).append(
            (row, _text(remote.id), remote_name if remote_name.__class__ is str else None)
        )

    def extend(self, other: _Columns) -> None:
        """Append the rows of ``other``."""
        shift = self.rows
        if other.settled:
            self.settle()
            self.settled += other.settled
            self.base += other.base
            self.outside += other.outside
        self.ids += other.ids
        self.names += other.names
        self.created += other.created
        self.deleted += other.deleted
        self.admins += other.admins
        for site, linked in other.remotes.items():
            if linked:
                rows = [(row + shift, remote_id, name) for row, remote_id, name in linked]
                self.remotes.setdefault(site, []).extend(rows)

    def _add_other(self, item: Any, inside_reply: bool) -> None:
        if isinstance(item, User):
            self._add_user(item)
        elif isinstance(item, SearchPage):
            self.add(item.items)
        elif isinstance(item, Mapping):
            inner = item.get("items")
            if item.get("id") is None and isinstance(inner, list):
                if inside_reply:  # (a reply inside a reply: hostile data, which must not recurse)
                    raise UnexpectedResponseError("A search reply's items hold another reply, not users.")
                self.add(inner, inside_reply=True)
            else:
                self.add([dict(item)], inside_reply=inside_reply)
        elif inside_reply:
            raise UnexpectedResponseError(
                f"A search reply's items hold a {type(item).__name__}, not user objects."
            )
        else:
            raise InvalidArgumentError(
                f"users_frame() takes Users, SearchPages or user JSON objects, not {type(item).__name__}."
            )

    def _add_user(self, user: User) -> None:
        row = self.rows
        self.ids.append(user.identifier)
        self.names.append(user.display_name)
        self.created.append(user.created_at)
        self.deleted.append(user.deleted_at)
        self.admins.append(user.is_administrator)
        for site, account in user.links.items():
            self.remotes.setdefault(site, []).append((row, account.id, account.name))

    def settle(self) -> None:
        """Convert the rows not settled yet into a typed part (then empty the lists)."""
        if self.ids:
            part, outside = self._typed()
            self.settled.append(part)
            self.outside += outside
            self.base += len(self.ids)
            self.ids, self.names, self.created, self.deleted, self.admins = [], [], [], [], []

    def _typed(self) -> tuple[tuple[Any, ...], int]:
        """The typed columns of the rows not settled, and how many of their timestamps were out of range."""
        created, early = _timestamps(self.created)
        deleted, late = _timestamps(self.deleted)
        strings = (pd.array(self.ids, dtype=_STRING), pd.array(self.names, dtype=_STRING))
        return (*strings, created, deleted, _booleans(self.admins)), early + late

    def frame(self, index: Any = None) -> pd.DataFrame:
        """The typed frame (vectorised conversions only)."""
        size = self.rows
        parts = list(self.settled)
        outside = self.outside
        if self.ids or not parts:
            last, late = self._typed()
            parts.append(last)
            outside += late
        if outside:
            _warn_outside(outside)
        columns = [
            part[0] if len(parts) == 1 else type(part[0])._concat_same_type(list(part))
            for part in zip(*parts, strict=True)
        ]
        data: dict[str, Any] = dict(zip(_BASE_NAMES, columns, strict=True))
        # The known kinds always (in GAME_SITES order), then any other kind that has an account, sorted.
        extra = sorted(site for site, linked in self.remotes.items() if linked and site not in GAME_SITES)
        for site in (*_SITES, *extra):
            linked = self.remotes[site]
            rows = [row for row, _, _ in linked]
            prefix = site if site in GAME_SITES else _extra_prefix(site)
            data[f"{prefix}_id"] = _sparse_strings(size, rows, [remote_id for _, remote_id, _ in linked])
            data[f"{prefix}_name"] = _sparse_strings(size, rows, [name for _, _, name in linked])
        return pd.DataFrame(data, index=index, copy=False)


def _extra_prefix(site: str) -> str:
    """The column prefix of a link kind the kit does not know: the kind, unless its columns would take a
    fixed column's name."""
    if f"{site}_id" in USER_COLUMNS or f"{site}_name" in USER_COLUMNS:
        return f"links_{site}"
    return site


def _datetimes(values: list[Any]) -> Any:
    """The timestamps as ``datetime64[ns, UTC]``; NaT for what is missing or not a timestamp, and, with a
    warning, for a timestamp outside the nanosecond range (before 1677 or after 2262)."""
    stamps, outside = _timestamps(values)
    if outside:
        _warn_outside(outside)
    return stamps


def _timestamps(values: list[Any]) -> tuple[Any, int]:
    """:func:`_datetimes` without the warning: the timestamps, and how many were out of range."""
    if values.count(None) == len(values):  # (deleted_at, mostly: no parsing to do)
        return pd.array(np.full(len(values), np.datetime64("NaT", "ns")), dtype=_DATETIME), 0
    stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce"))
    try:
        return stamps.as_unit("ns").array, 0
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        low, high = (pd.Timestamp(bound).tz_localize("UTC") for bound in (pd.Timestamp.min, pd.Timestamp.max))
        outside = (stamps < low) | (stamps > high)
        return pd.DatetimeIndex(stamps.where(~outside)).as_unit("ns").array, int(outside.sum())


def _warn_outside(count: int) -> None:
    warn(
        f"{count} timestamp(s) outside what a datetime64[ns] column holds (1677-2262) became NaT; the "
        "users' raw records keep them."
    )


def _booleans(values: list[bool | None]) -> Any:
    """A ``boolean`` array of ``values`` (None: missing)."""
    if None in values:
        return pd.array(values, dtype=_BOOLEAN)
    return pd.arrays.BooleanArray(np.array(values, dtype=bool), np.zeros(len(values), dtype=bool))


def _sparse_strings(size: int, rows: list[int], values: list[str | None]) -> Any:
    """A string array of ``size`` NAs with ``values`` at ``rows``."""
    cells = _missing_strings(size).copy()  # (a copy is not checked again, element by element)
    if rows:
        cells[np.asarray(rows, dtype=np.intp)] = [pd.NA if value is None else value for value in values]
    return cells


@functools.lru_cache(maxsize=2)
def _missing_strings(size: int) -> Any:
    """A string array of ``size`` NAs, to copy (never handed out itself)."""
    return pd.arrays.StringArray(np.full(size, pd.NA, dtype=object))


def _text(value: Any) -> str | None:
    """An id as a string: strings as they are, integers in decimal, anything else missing."""
    if value.__class__ is str:
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _value(value: Any) -> Any:
    """A cell as a Python value, with pandas' missing markers as None."""
    return None if value is pd.NA or value is pd.NaT or value is None else value


@pd.api.extensions.register_dataframe_accessor("eternaltwin")
class UsersAccessor:
    """``df.eternaltwin``: the Eternaltwin side of a users frame (one built by :func:`users_frame`).

    Examples
    --------
    >>> df.eternaltwin.users()[0].display_name
    >>> df[df.created_at.dt.year == 2012].eternaltwin.details()
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def _check(self) -> None:
        missing = [name for name in USER_COLUMNS if name not in self._frame.columns]
        if missing:
            raise AttributeError(
                "df.eternaltwin needs a users frame (from eternaltwin.pandas.users_frame or "
                f"User.search_frame); this one lacks the column(s) {', '.join(missing)}."
            )

    def users(self) -> list[User]:
        """The rows as :class:`~eternaltwin.users.User` objects, in row order.

        A frame keeps only its columns, so each user carries the identifier, display name, dates,
        administrator flag and the linked accounts (id and name); ``raw`` is empty and ``has_links`` is
        True when at least one account is linked.
        """
        self._check()
        frame = self._frame
        cells = {name: frame[name].tolist() for name in USER_COLUMNS}
        users: list[User] = []
        for row in range(len(frame)):
            links: dict[str, LinkedAccount] = {}
            for site in _SITES:
                remote_id = _value(cells[f"{site}_id"][row])
                if remote_id is not None:
                    links[site] = LinkedAccount(
                        site=site,
                        server=GAME_SITES[site],
                        type=_REMOTE_TYPES[site],
                        id=remote_id,
                        name=_value(cells[f"{site}_name"][row]),
                    )
            created: datetime | None = _value(cells["created_at"][row])
            deleted: datetime | None = _value(cells["deleted_at"][row])
            users.append(
                User(
                    identifier=_value(cells["id"][row]),
                    display_name=_value(cells["display_name"][row]),
                    is_administrator=_value(cells["is_administrator"][row]),
                    created_at=None if created is None else created.to_pydatetime(),  # type: ignore[attr-defined]
                    deleted_at=None if deleted is None else deleted.to_pydatetime(),  # type: ignore[attr-defined]
                    links=links,
                    has_links=bool(links),
                )
            )
        return users

    def details(
        self, *, concurrency: int = 8, progress: bool | None = None, using: str | None = None
    ) -> pd.DataFrame:
        """A new frame with every row's full record (``GET /api/v1/users/{id}``), fetched concurrently.

        The index and any extra columns of this frame are kept; the user columns are replaced.

        Parameters
        ----------
        concurrency : int
            How many requests may be in flight at once.
        progress : bool or None
            Show a progress bar: None shows one when there are many users, False never, True always.
        using : str or None
            The connection alias (the default connection when None).

        Raises
        ------
        eternaltwin.exceptions.UserFetchError
            When a user cannot be fetched (after retries for transient failures).
        """
        ids = self._ids()
        client = connections.get_connection(using)

        async def fetch() -> list[Mapping[str, Any]]:
            return await _bulk.fetch_records(
                client.async_twin(), ids, concurrency=concurrency, progress=progress
            )

        return self._rebuild(run_sync(fetch))

    async def adetails(
        self, *, concurrency: int = 8, progress: bool | None = None, using: str | None = None
    ) -> pd.DataFrame:
        """The async twin of :meth:`details` (await it in a running event loop)."""
        client = async_connections.get_connection(using)
        records = await _bulk.fetch_records(client, self._ids(), concurrency=concurrency, progress=progress)
        return self._rebuild(records)

    def _ids(self) -> list[str]:
        self._check()
        ids = [_value(value) for value in self._frame["id"].tolist()]
        if any(user_id is None for user_id in ids):
            raise ValueError("Some rows have no id; their full records cannot be fetched.")
        return ids

    def _rebuild(self, records: list[Mapping[str, Any]]) -> pd.DataFrame:
        columns = _Columns()
        columns.add(records)
        full = columns.frame(index=self._frame.index)
        # The frame's own extra columns stay, except those the full records now fill (link kinds).
        extra = [name for name in self._frame.columns if name not in USER_COLUMNS and name not in full]
        if extra:
            full = pd.concat([full, self._frame[extra]], axis=1)
        return full


# -- the forum ---------------------------------------------------------------------------------------

_INTEGER = pd.Int64Dtype()

#: The columns of a forum threads frame (:func:`forum_threads_frame`), in order, with their dtypes.
THREAD_COLUMNS: Mapping[str, Any] = {
    "section_id": _STRING,
    "section_key": _STRING,
    "locale": _STRING,
    "thread_id": _STRING,
    "title": _STRING,
    "ctime": _DATETIME,
    "is_pinned": _BOOLEAN,
    "is_locked": _BOOLEAN,
    "posts": _INTEGER,
}

#: The columns of a forum posts frame (:func:`forum_posts_frame`), in order, with their dtypes.
POST_COLUMNS: Mapping[str, Any] = {
    "thread_id": _STRING,
    "post_id": _STRING,
    "ctime": _DATETIME,
    "author_id": _STRING,
    "author_name": _STRING,
    "content_length": _INTEGER,
    "revisions": _INTEGER,
}


def forum_threads_frame(
    using: str | None = None, *, concurrency: int = 8, progress: bool | None = None
) -> pd.DataFrame:
    """Every thread of every forum section, as a DataFrame.

    The sections are listed first, then the pages of 100 threads of every section are fetched
    ``concurrency`` at a time in all (through the connection's client, with its retries) and read into
    the frame's columns as they arrive.

    Parameters
    ----------
    using : str or None
        The connection alias; None for the active connection.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        Show a progress bar (``tqdm.auto``): None shows one when there are more than a few pages, True
        always, False never.

    Returns
    -------
    pandas.DataFrame
        One row per thread, sections in the server's order and each section's threads in its order (most
        recently active first), with the columns of :data:`THREAD_COLUMNS`::

            section_id, section_key, locale   string   the section (key and locale may be NA)
            thread_id, title                  string
            ctime                             datetime64[ns, UTC]   when the thread was opened
            is_pinned, is_locked              boolean
            posts                             Int64    its post count

    Raises
    ------
    PageFetchError
        A page failed for good (after the client's retries), or threads that a section's count promised
        did not come (never a partial frame); the error names the section.

    Notes
    -----
    Works in scripts and in notebooks alike (see :func:`search_frame`); in async code use
    :func:`aforum_threads_frame`.
    """
    _bulk.check_options(None, concurrency)
    client = connections.get_connection(using)

    async def fetch() -> pd.DataFrame:
        return (await _fetch_threads(client.async_twin(), concurrency, progress)).frame()

    return run_sync(fetch)


async def aforum_threads_frame(
    using: str | None = None, *, concurrency: int = 8, progress: bool | None = None
) -> pd.DataFrame:
    """The async twin of :func:`forum_threads_frame` (same parameters, result and errors), through the
    pooled client of ``async_connections``."""
    _bulk.check_options(None, concurrency)
    client = async_connections.get_connection(using)
    return (await _fetch_threads(client, concurrency, progress)).frame()


def forum_posts_frame(
    threads: Any = None,
    using: str | None = None,
    *,
    concurrency: int = 8,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every post of the threads given (of every thread by default), as a DataFrame.

    Each thread's first page of 100 posts is asked first (its ``count`` says how many pages follow), then
    the rest, ``concurrency`` requests at a time in all.

    Parameters
    ----------
    threads : None, DataFrame, ForumThread, str, uuid.UUID or an iterable of them
        None for every thread of every section (fetched first, as :func:`forum_threads_frame` does); a
        frame with a ``thread_id`` column (a threads frame, filtered or not); threads, their ids (UUIDs)
        or keys. Each thread comes once, in the order first given (by key or by id).
    using : str or None
        The connection alias; None for the active connection.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        Show a progress bar: None shows one when there are many threads or pages, True always, False
        never.

    Returns
    -------
    pandas.DataFrame
        One row per post, threads in the order given and each thread's posts oldest first, with the
        columns of :data:`POST_COLUMNS`::

            thread_id, post_id        string   the thread's id (also when it was given by key)
            ctime                     datetime64[ns, UTC]   when the post was written
            author_id, author_name    string   the user who wrote it (the name of an app or a role when
                                               no user is shown; NA when there is none)
            content_length            Int64    characters of its current text (Marktwin); NA when removed
            revisions                 Int64    how many versions it has (1 when never edited)

    Raises
    ------
    InvalidForumIdError
        For a thread that no id or key can name (before any request).
    InvalidArgumentError
        For ``threads`` of another kind, or a frame without a complete ``thread_id`` column.
    PageFetchError
        A page failed for good, or posts that a thread's count promised did not come (never a partial
        frame); the error names the thread.
    """
    _bulk.check_options(None, concurrency)
    references = None if threads is None else _thread_references(threads)
    client = connections.get_connection(using)

    async def fetch() -> pd.DataFrame:
        return await _fetch_posts(client.async_twin(), references, concurrency, progress)

    return run_sync(fetch)


async def aforum_posts_frame(
    threads: Any = None,
    using: str | None = None,
    *,
    concurrency: int = 8,
    progress: bool | None = None,
) -> pd.DataFrame:
    """The async twin of :func:`forum_posts_frame` (same parameters, result and errors), through the
    pooled client of ``async_connections``."""
    _bulk.check_options(None, concurrency)
    references = None if threads is None else _thread_references(threads)
    client = async_connections.get_connection(using)
    return await _fetch_posts(client, references, concurrency, progress)


def _thread_references(threads: Any) -> list[str]:
    """The distinct thread references of ``threads``, checked, in order (see :func:`forum_posts_frame`)."""
    if isinstance(threads, pd.DataFrame):
        if "thread_id" not in threads.columns:
            raise InvalidArgumentError(
                "threads is a frame without a 'thread_id' column; pass a threads frame "
                "(eternaltwin.pandas.forum_threads_frame) or thread ids."
            )
        values = [_value(value) for value in threads["thread_id"].tolist()]
        if any(value is None for value in values):
            raise InvalidArgumentError("Some rows of the threads frame have no thread_id.")
    elif isinstance(threads, str | uuid.UUID | ForumThread):
        values = [threads]
    elif isinstance(threads, Iterable) and not isinstance(threads, bytes | Mapping):
        values = list(threads)
    else:
        raise InvalidArgumentError(
            f"threads must be None, a threads frame, or thread ids, keys or ForumThreads, not "
            f"{type(threads).__name__}."
        )
    references: dict[str, None] = {}
    for value in values:
        thread = value.id if isinstance(value, ForumThread) else value
        references[_calls.normalize_id_or_key(thread, "forum thread id or key", "en_welcome")] = None
    return list(references)


class _SectionThreads:
    """The threads of one section, as a bulk :class:`~eternaltwin._bulk.Listing`."""

    def __init__(self, client: AsyncEternaltwin, section: ForumSection) -> None:
        self.client = client
        self.section = section
        self.label: str | None = f"the threads of forum section {section.key or section.id!r}"
        self.total: int | None = section.thread_count

    def page(self, offset: int, limit: int) -> Awaitable[ListingRecords]:
        return self.client.forum.threads_records(self.section.id, offset, limit)

    async def recount(self) -> int:
        return (await self.client.forum.threads_records(self.section.id, 0, 0)).count

    async def complete(self, records: list[Mapping[str, Any]], gate: asyncio.Semaphore) -> None:
        return None


class _ThreadPosts:
    """The posts of one thread, as a bulk listing whose count its first page tells."""

    def __init__(self, client: AsyncEternaltwin, reference: str) -> None:
        self.client = client
        self.reference = reference
        self.thread_id = reference
        self.label: str | None = f"the posts of forum thread {reference!r}"
        self.total: int | None = None

    async def page(self, offset: int, limit: int) -> ListingRecords:
        reply = await self.client.forum.posts_records(self.reference, offset, limit)
        self.thread_id = reply.owner_id
        return reply

    async def recount(self) -> int:
        return (await self.client.forum.posts_records(self.reference, 0, 0)).count

    async def complete(self, records: list[Mapping[str, Any]], gate: asyncio.Semaphore) -> None:
        return None


async def _fetch_threads(client: AsyncEternaltwin, concurrency: int, progress: bool | None) -> _ThreadColumns:
    sections = await _bulk.page_request(client.forum.sections(), 0, _bulk.PAGE_SIZE, "the forum sections")
    listed, count = len(sections), sections.count
    if listed < count:  # a newer server pages its sections: the kit reads one page of them
        raise PageFetchError.missing(count, listed, [(listed, count - listed)], 0, "the forum sections")
    listings = [_SectionThreads(client, section) for section in sections]
    parts: dict[tuple[int, int], _ThreadColumns] = {}

    def sink(index: int, offset: int, records: list[Mapping[str, Any]]) -> None:
        parts[index, offset] = columns = _ThreadColumns()
        columns.add(sections[index], records)

    await _bulk.fetch_listings(
        listings, sink, concurrency=concurrency, progress=progress, label="Threads", unit="thread"
    )
    result = _ThreadColumns()
    for key in sorted(parts):
        result.extend(parts[key])
    return result


async def _fetch_posts(
    client: AsyncEternaltwin, references: list[str] | None, concurrency: int, progress: bool | None
) -> pd.DataFrame:
    if references is None:
        references = (await _fetch_threads(client, concurrency, progress)).thread_ids
    listings = [_ThreadPosts(client, reference) for reference in references]
    parts: dict[tuple[int, int], _PostColumns] = {}

    def sink(index: int, offset: int, records: list[Mapping[str, Any]]) -> None:
        parts[index, offset] = columns = _PostColumns()
        columns.add(listings[index].thread_id, records)

    await _bulk.fetch_listings(
        listings, sink, concurrency=concurrency, progress=progress, label="Posts", unit="post"
    )
    # A thread given both by key and by id was read twice: its rows come once, where it came first.
    first: dict[str, int] = {}
    for index, listing in enumerate(listings):
        first.setdefault(listing.thread_id, index)
    result = _PostColumns()
    for index, offset in sorted(parts):
        if first[listings[index].thread_id] == index:
            result.extend(parts[index, offset])
    return result.frame()


class _ThreadColumns:
    """The columns of a threads frame being filled (raw JSON records, converted in one go)."""

    __slots__ = (
        "created",
        "keys",
        "locales",
        "locked",
        "pinned",
        "posts",
        "section_ids",
        "thread_ids",
        "titles",
    )

    def __init__(self) -> None:
        self.section_ids: list[Any] = []
        self.keys: list[Any] = []
        self.locales: list[Any] = []
        self.thread_ids: list[Any] = []
        self.titles: list[Any] = []
        self.created: list[Any] = []
        self.pinned: list[Any] = []
        self.locked: list[Any] = []
        self.posts: list[Any] = []

    def add(self, section: ForumSection, records: list[Mapping[str, Any]]) -> None:
        """Append the thread records of one page of ``section``."""
        size = len(records)
        self.section_ids += [section.id] * size
        self.keys += [section.key] * size
        self.locales += [section.locale] * size
        for record in records:
            self.thread_ids.append(record["id"])
            title = record.get("title")
            self.titles.append(title if title.__class__ is str else None)
            stamp = record.get("ctime")
            self.created.append(stamp if stamp.__class__ is str else None)
            flag = record.get("is_pinned")
            self.pinned.append(flag if flag is True or flag is False else None)
            flag = record.get("is_locked")
            self.locked.append(flag if flag is True or flag is False else None)
            self.posts.append(_listing_count(record.get("posts")))

    def extend(self, other: _ThreadColumns) -> None:
        """Append the rows of ``other``."""
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))

    def frame(self) -> pd.DataFrame:
        """The typed frame."""
        return pd.DataFrame(
            {
                "section_id": pd.array(self.section_ids, dtype=_STRING),
                "section_key": pd.array(self.keys, dtype=_STRING),
                "locale": pd.array(self.locales, dtype=_STRING),
                "thread_id": pd.array(self.thread_ids, dtype=_STRING),
                "title": pd.array(self.titles, dtype=_STRING),
                "ctime": _datetimes(self.created),
                "is_pinned": pd.array(self.pinned, dtype=_BOOLEAN),
                "is_locked": pd.array(self.locked, dtype=_BOOLEAN),
                "posts": pd.array(self.posts, dtype=_INTEGER),
            },
            copy=False,
        )


class _PostColumns:
    """The columns of a posts frame being filled (raw JSON records, converted in one go)."""

    __slots__ = ("authors", "created", "lengths", "names", "post_ids", "revisions", "thread_ids")

    def __init__(self) -> None:
        self.thread_ids: list[Any] = []
        self.post_ids: list[Any] = []
        self.created: list[Any] = []
        self.authors: list[Any] = []
        self.names: list[Any] = []
        self.lengths: list[Any] = []
        self.revisions: list[Any] = []

    def add(self, thread_id: str, records: list[Mapping[str, Any]]) -> None:
        """Append the post records of one page of the thread ``thread_id``."""
        self.thread_ids += [thread_id] * len(records)
        for record in records:
            self.post_ids.append(record["id"])
            stamp = record.get("ctime")
            self.created.append(stamp if stamp.__class__ is str else None)
            author_id, name = _actor(record.get("author"))
            self.authors.append(author_id)
            self.names.append(name)
            revisions = record.get("revisions")
            self.revisions.append(_listing_count(revisions))
            self.lengths.append(_content_length(revisions))

    def extend(self, other: _PostColumns) -> None:
        """Append the rows of ``other``."""
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))

    def frame(self) -> pd.DataFrame:
        """The typed frame."""
        return pd.DataFrame(
            {
                "thread_id": pd.array(self.thread_ids, dtype=_STRING),
                "post_id": pd.array(self.post_ids, dtype=_STRING),
                "ctime": _datetimes(self.created),
                "author_id": pd.array(self.authors, dtype=_STRING),
                "author_name": pd.array(self.names, dtype=_STRING),
                "content_length": pd.array(self.lengths, dtype=_INTEGER),
                "revisions": pd.array(self.revisions, dtype=_INTEGER),
            },
            copy=False,
        )


def _listing_count(listing: Any) -> int | None:
    """The ``count`` of a listing member, or None."""
    if listing.__class__ is dict:
        count = listing.get("count")
        if count.__class__ is int:
            return int(count)
    return None


def _actor(actor: Any) -> tuple[str | None, str | None]:
    """``(user id, name)`` of a forum actor record: the user's, else the app's or the role's name."""
    if actor.__class__ is not dict:
        return None, None
    user = actor.get("user")
    if user.__class__ is dict:
        name = user.get("display_name")
        if name.__class__ is dict:
            current = name.get("current")
            name = current.get("value") if current.__class__ is dict else None
        return _text(user.get("id")), name if name.__class__ is str else None
    client = actor.get("client")
    if client.__class__ is dict:
        name = client.get("display_name")
        return None, name if name.__class__ is str else None
    role = actor.get("role")
    return None, role if role.__class__ is str else None


def _content_length(revisions: Any) -> int | None:
    """Characters of the Marktwin of a post's current revision (None when removed or unknown)."""
    if revisions.__class__ is not dict:
        return None
    last = revisions.get("last")
    if last.__class__ is not dict:
        items = revisions.get("items")
        if items.__class__ is not list or not items:
            return None
        last = items[-1]
        if last.__class__ is not dict:
            return None
    content = last.get("content")
    if content.__class__ is not dict:
        return None
    text = content.get("marktwin")
    return len(text) if text.__class__ is str else None


# -- the Dinoparc archive ----------------------------------------------------------------------------

#: The links keys of the Dinoparc servers, in the order of :data:`~eternaltwin.users.GAME_SITES`.
_DINOPARC_SITES: tuple[str, ...] = tuple(site for site in _SITES if "dinoparc" in site)
_ELEMENTS = ("fire", "earth", "water", "thunder", "air")

#: The columns of a dinoz frame (:func:`dinoz_frame`), in order, with their dtypes.
DINOZ_COLUMNS: Mapping[str, Any] = {
    "user_id": _STRING,
    "server": _STRING,
    "dinoparc_user_id": _STRING,
    "dinoz_id": _STRING,
    "name": _STRING,
    "race": _STRING,
    "skin": _STRING,
    "level": _INTEGER,
    "life": _INTEGER,
    "experience": _INTEGER,
    "danger": _INTEGER,
    "location": _STRING,
    "in_tournament": _BOOLEAN,
    **dict.fromkeys(_ELEMENTS, _INTEGER),
    "skill_count": _INTEGER,
    "skills": np.dtype(object),
    "archived_at": _DATETIME,
}

#: The columns of :func:`dinoz_skills_frame`: one row per skill of each dinoz.
DINOZ_SKILL_COLUMNS: Mapping[str, Any] = {
    "server": _STRING,
    "dinoz_id": _STRING,
    "skill": _STRING,
    "level": _INTEGER,
}


def dinoz_frame(
    users: Any, using: str | None = None, *, concurrency: int = 8, progress: bool | None = None
) -> pd.DataFrame:
    """Every archived dinoz of the Dinoparc accounts the users have linked, as a DataFrame.

    For each user, each linked Dinoparc account (dinoparc.com, en.dinoparc.com, sp.dinoparc.com) is read
    from the archive (``client.archive.dinoparc_user``), then each dinoz it lists
    (``client.archive.dinoparc_dinoz``): ``concurrency`` requests in flight in all, through the
    connection's client and its retries (see :func:`eternaltwin._bulk.fetch_dinoparc`).

    Parameters
    ----------
    users : DataFrame, or anything :func:`users_frame` takes
        A users frame (from :func:`users_frame`, :func:`search_frame`, ``User.search_frame``...),
        filtered or not; or Users, SearchPages, user JSON, made into one first. Its ``id`` and
        ``<site>_id`` columns of the Dinoparc servers are read; a user links each server at most once,
        and an account given twice is read once, where it came first.
    using : str or None
        The connection alias; None for the active connection.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        Show a progress bar counting dinoz: None shows one for many accounts, True always, False never.

    Returns
    -------
    pandas.DataFrame
        One row per dinoz: users in the order given, their Dinoparc servers in
        :data:`~eternaltwin.users.GAME_SITES` order, each account's dinoz in its order; the columns of
        :data:`DINOZ_COLUMNS`::

            user_id, server, dinoparc_user_id   string    the Eternaltwin user, the Dinoparc account
            dinoz_id, name, race, skin          string
            level, life, experience, danger     Int64     life in percent
            location                            string    a location id
            in_tournament                       boolean
            fire, earth, water, thunder, air    Int64     the elements
            skill_count                         Int64     how many skills it has (at any level)
            skills                              object    {skill name: level 0-5}, or None
            archived_at                         datetime64[ns, UTC]   when the archive first saw it

        What the archive has no snapshot of is NA (None in ``skills``). Users without a Dinoparc
        account, and accounts without dinoz, give no row; no account at all gives an empty frame with
        these columns and dtypes. :func:`dinoz_skills_frame` spreads ``skills`` into rows.

    Raises
    ------
    InvalidArgumentError
        For ``users`` that are not users (before any request).
    ArchiveFetchError
        An account or a dinoz failed for good (after the client's retries), a 404 included; never a
        partial frame.
    """
    _bulk.check_options(None, concurrency)
    accounts, owners = _dinoparc_accounts(users)
    client = connections.get_connection(using)

    async def fetch() -> pd.DataFrame:
        return await _fetch_dinoz(client.async_twin(), accounts, owners, concurrency, progress)

    return run_sync(fetch)


async def adinoz_frame(
    users: Any, using: str | None = None, *, concurrency: int = 8, progress: bool | None = None
) -> pd.DataFrame:
    """The async twin of :func:`dinoz_frame` (same parameters, result and errors), through the pooled
    client of ``async_connections``."""
    _bulk.check_options(None, concurrency)
    accounts, owners = _dinoparc_accounts(users)
    client = async_connections.get_connection(using)
    return await _fetch_dinoz(client, accounts, owners, concurrency, progress)


def _dinoparc_accounts(users: Any) -> tuple[list[tuple[str, str]], list[str | None]]:
    """The distinct ``(server, account id)`` of the users' Dinoparc links, in order, and each one's user."""
    if not isinstance(users, pd.DataFrame):
        if isinstance(users, str | bytes | Mapping) or not isinstance(users, Iterable):
            raise InvalidArgumentError(
                f"users must be a users frame (eternaltwin.pandas.users_frame, User.search_frame) or "
                f"Users, not {type(users).__name__}."
            )
        users = users_frame(users)  # InvalidArgumentError for an item that is not a user
    needed = ["id", *(f"{site}_id" for site in _DINOPARC_SITES)]
    missing = [name for name in needed if name not in users.columns]
    if missing:
        raise InvalidArgumentError(
            f"users is a frame without the column(s) {', '.join(missing)}; pass a users frame "
            "(eternaltwin.pandas.users_frame or User.search_frame)."
        )
    user_ids = [_value(value) for value in users["id"].tolist()]
    linked = [[_value(value) for value in users[f"{site}_id"].tolist()] for site in _DINOPARC_SITES]
    accounts: dict[tuple[str, str], str | None] = {}
    for row, user_id in enumerate(user_ids):
        for site, ids in zip(_DINOPARC_SITES, linked, strict=True):
            account_id = ids[row]
            if account_id is not None:
                accounts.setdefault((GAME_SITES[site], str(account_id)), user_id)
    return list(accounts), list(accounts.values())


async def _fetch_dinoz(
    client: AsyncEternaltwin,
    accounts: list[tuple[str, str]],
    owners: list[str | None],
    concurrency: int,
    progress: bool | None,
) -> pd.DataFrame:
    fetched = await _bulk.fetch_dinoparc(client, accounts, concurrency=concurrency, progress=progress)
    columns: dict[str, list[Any]] = {name: [] for name in DINOZ_COLUMNS}
    for user_id, (account, dinoz_list) in zip(owners, fetched, strict=True):
        for dinoz in dinoz_list:
            columns["user_id"].append(user_id)
            columns["server"].append(account.server)
            columns["dinoparc_user_id"].append(account.id)
            columns["dinoz_id"].append(dinoz.id)
            for name in ("name", "race", "skin", "level", "life", "experience", "danger", "location"):
                columns[name].append(getattr(dinoz, name))
            columns["in_tournament"].append(dinoz.in_tournament)
            for element in _ELEMENTS:
                columns[element].append(None if dinoz.elements is None else getattr(dinoz.elements, element))
            skills = None if dinoz.skills is None else dict(dinoz.skills)
            columns["skill_count"].append(None if skills is None else len(skills))
            columns["skills"].append(skills)
            archived = dinoz.archived_at
            columns["archived_at"].append(None if archived is None else archived.isoformat())
    data: dict[str, Any] = {}
    for name, dtype in DINOZ_COLUMNS.items():
        values = columns[name]
        if dtype is _DATETIME:
            data[name] = _datetimes(values)
        elif name == "skills":
            cells = np.empty(len(values), dtype=object)
            cells[:] = values
            data[name] = cells
        else:
            data[name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(data, copy=False)


def dinoz_skills_frame(dinoz: pd.DataFrame) -> pd.DataFrame:
    """The skills of a dinoz frame, one row per skill of each dinoz (a long, tidy frame).

    Parameters
    ----------
    dinoz : DataFrame
        A frame from :func:`dinoz_frame` (filtered or not), with its ``server``, ``dinoz_id`` and
        ``skills`` columns.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`DINOZ_SKILL_COLUMNS` (``server``, ``dinoz_id``, ``skill``: string;
        ``level``: Int64), dinoz in the frame's order, each one's skills in the archive's order; a dinoz
        without skills gives no row. ``pivot_table(index="dinoz_id", columns="skill", values="level")``
        makes it wide.

    Raises
    ------
    InvalidArgumentError
        For a frame without those columns.
    """
    if not isinstance(dinoz, pd.DataFrame) or not {"server", "dinoz_id", "skills"} <= set(dinoz.columns):
        raise InvalidArgumentError(
            "dinoz_skills_frame takes a dinoz frame (eternaltwin.pandas.dinoz_frame) with its server, "
            "dinoz_id and skills columns."
        )
    rows: dict[str, list[Any]] = {name: [] for name in DINOZ_SKILL_COLUMNS}
    for server, dinoz_id, skills in zip(
        dinoz["server"].tolist(), dinoz["dinoz_id"].tolist(), dinoz["skills"].tolist(), strict=True
    ):
        if not isinstance(skills, Mapping):
            continue
        for skill, level in skills.items():
            rows["server"].append(_value(server))
            rows["dinoz_id"].append(_value(dinoz_id))
            rows["skill"].append(skill)
            rows["level"].append(level)
    return pd.DataFrame(
        {name: pd.array(rows[name], dtype=dtype) for name, dtype in DINOZ_SKILL_COLUMNS.items()}, copy=False
    )
