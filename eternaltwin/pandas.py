"""Eternaltwin users as pandas DataFrames: the frames layer.

:func:`users_frame` builds a frame from users you have; :func:`search_frame` (and its async twin) fetches
every user of a search into one, through the bulk layer (:mod:`eternaltwin._bulk`), which hands each page's
records to this module's column builder. Importing this module imports pandas and registers the
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

from collections.abc import Iterable, Mapping
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
from eternaltwin._sync import run_sync
from eternaltwin.connections import async_connections, connections
from eternaltwin.users import GAME_SITES, LinkedAccount, SearchPage, User

if TYPE_CHECKING:
    from eternaltwin.clients.abc.clients import ClientABC
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

__all__ = ["USER_COLUMNS", "UsersAccessor", "asearch_frame", "search_frame", "users_frame"]

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
    Works the same in a plain script and in a notebook, whose cell already runs in an event loop: the
    requests then run on a private loop in a worker thread, through a short-lived async twin of the
    connection's client. In async code, use :func:`asearch_frame`.
    """
    _bulk.check_options(limit, concurrency)
    client = connections.get_connection(using)
    options: dict[str, Any] = {"limit": limit, "details": details, "concurrency": concurrency}

    async def fetch() -> pd.DataFrame:
        twin = _async_twin(client)
        try:
            return await _fetch_frame(twin, query, options, progress)
        finally:
            await twin.aclose()

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
    parts: dict[int, _Columns] = {}

    def sink(offset: int, records: list[Mapping[str, Any]]) -> None:
        parts[offset] = columns = _Columns()
        columns.add(records)

    await _bulk.fetch_search(client, query, sink, progress=progress, **options)
    result = _Columns()
    for offset in sorted(parts):
        result.extend(parts[offset])
    return result.frame()


def _async_twin(client: ClientABC) -> AsyncEternaltwin:
    """A new async client with the settings of ``client``, sharing no connection with it (for a private
    event loop: the pooled async client belongs to another)."""
    from eternaltwin.clients.asyncio.clients import Eternaltwin

    transport = client._transport
    # A test's MockTransport serves both flavours; a sync-only transport cannot be reused.
    return Eternaltwin.from_settings(
        client.settings, transport=transport if hasattr(transport, "handle_async_request") else None
    )


class _Columns:
    """Column lists being filled, one user at a time; :meth:`frame` converts them in one go.

    Linked accounts are rare, so they are kept sparse (row numbers and values) and spread out at the end.
    """

    __slots__ = ("admins", "created", "deleted", "ids", "names", "remotes")

    def __init__(self) -> None:
        self.ids: list[Any] = []
        self.names: list[Any] = []
        self.created: list[Any] = []
        self.deleted: list[Any] = []
        self.admins: list[Any] = []
        # links key -> [(row, remote id, remote name), ...]
        self.remotes: dict[str, list[tuple[int, str | None, str | None]]] = {site: [] for site in _SITES}

    def add(self, items: Iterable[Any]) -> None:
        """Append the users of ``items`` (see :func:`users_frame` for what an item may be)."""
        ids, remotes = self.ids, self.remotes
        add_id, add_name, add_created = ids.append, self.names.append, self.created.append
        add_deleted, add_admin = self.deleted.append, self.admins.append
        for item in items:
            if item.__class__ is not dict:
                self._add_other(item)
                continue
            user_id = item.get("id")
            if user_id is None and "items" in item:  # a raw search reply
                self._add_other(item)
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
                                    len(ids) - 1,
                                    _text(remote.get("id")),
                                    remote_name if remote_name.__class__ is str else None,
                                )
                            )

    def extend(self, other: _Columns) -> None:
        """Append the rows of ``other``."""
        shift = len(self.ids)
        self.ids += other.ids
        self.names += other.names
        self.created += other.created
        self.deleted += other.deleted
        self.admins += other.admins
        for site, linked in other.remotes.items():
            if linked:
                rows = [(row + shift, remote_id, name) for row, remote_id, name in linked]
                self.remotes.setdefault(site, []).extend(rows)

    def _add_other(self, item: Any) -> None:
        if isinstance(item, User):
            self._add_user(item)
        elif isinstance(item, SearchPage):
            self.add(item.items)
        elif isinstance(item, Mapping):
            inner = item.get("items")
            if item.get("id") is None and isinstance(inner, list):
                self.add(inner)
            else:
                self.add([dict(item)])
        else:
            raise TypeError(
                f"users_frame() takes Users, SearchPages or user JSON objects, not {type(item).__name__}."
            )

    def _add_user(self, user: User) -> None:
        row = len(self.ids)
        self.ids.append(user.identifier)
        self.names.append(user.display_name)
        self.created.append(user.created_at)
        self.deleted.append(user.deleted_at)
        self.admins.append(user.is_administrator)
        for site, account in user.links.items():
            self.remotes.setdefault(site, []).append((row, account.id, account.name))

    def frame(self, index: Any = None) -> pd.DataFrame:
        """The typed frame (vectorised conversions only)."""
        size = len(self.ids)
        data: dict[str, Any] = {
            "id": pd.array(self.ids, dtype=_STRING),
            "display_name": pd.array(self.names, dtype=_STRING),
            "created_at": _datetimes(self.created),
            "deleted_at": _datetimes(self.deleted),
            "is_administrator": pd.array(self.admins, dtype=_BOOLEAN),
        }
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
    stamps = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    return pd.DatetimeIndex(stamps).as_unit("ns").array


def _sparse_strings(size: int, rows: list[int], values: list[str | None]) -> Any:
    """A string array of ``size`` NAs with ``values`` at ``rows``."""
    cells = np.full(size, pd.NA, dtype=object)
    if rows:
        cells[rows] = [pd.NA if value is None else value for value in values]
    return pd.arrays.StringArray(cells)


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
            twin = _async_twin(client)
            try:
                return await _bulk.fetch_records(twin, ids, concurrency=concurrency, progress=progress)
            finally:
                await twin.aclose()

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
