"""Bulk user fetching: every page of a search, concurrently, as one DataFrame.

:func:`asearch_frame` asks the server for the number of matches (a ``limit=0`` search), then fetches the
pages of :data:`PAGE_SIZE` users concurrently (at most ``concurrency`` requests in flight, all through the
connection's one pooled async client), reads each page into the frame's columns as it arrives (the same
reader as :func:`eternaltwin.pandas.users_frame`) and puts the pages back in the server's order by offset.
:func:`search_frame` is its synchronous twin; it works in a plain script and inside a running event loop
(Jupyter) alike, see :mod:`eternaltwin._sync`.

Failures: the clients already retry transient failures of each GET; a page that still fails transiently
is tried again here, after a pause, up to :data:`PAGE_ATTEMPTS` times. A page (or a user's record) that
fails for good aborts the whole search with a :class:`~eternaltwin.exceptions.PageFetchError` (or
:class:`~eternaltwin.exceptions.UserFetchError`) naming it, its ``__cause__`` the last error: no partial
frame is ever returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from eternaltwin.exceptions import (
    EternalTwinError,
    PageFetchError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    UserFetchError,
)

if TYPE_CHECKING:
    import pandas as pd

    from eternaltwin.clients.abc.clients import ClientABC
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
    from eternaltwin.pandas import _Columns
    from eternaltwin.responses import Response

__all__ = [
    "PAGE_ATTEMPTS",
    "PAGE_SIZE",
    "asearch_frame",
    "details_records",
    "search_columns",
    "search_frame",
]

T = TypeVar("T")

#: Users per page: the server's maximum ``limit``.
PAGE_SIZE = 100
#: How many times a page (or a user's record) is asked for before a transient failure is final. Each
#: attempt goes through the client, which has its own retries.
PAGE_ATTEMPTS = 3
#: Pause before the second attempt, doubled for each further one (unless the server says how long).
RETRY_BACKOFF = 1.0
#: A progress bar is shown (``progress=None``) for more pages than this...
FEW_PAGES = 3
#: ... or, when fetching users' full records, for more users than this.
FEW_USERS = 50
# Members of the default user view that a search item may lack (then details=True fetches the record).
_FULL_MEMBERS = ("created_at", "is_administrator", "links")
_TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class _Source(Protocol):
    """What the bulk machinery needs from a connection: two GETs answered with their raw JSON."""

    async def search(self, query: str | None, limit: int, offset: int) -> Any: ...

    async def user(self, user_id: str) -> Any: ...


# -- public entry points ------------------------------------------------------------------------------


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
        The connection alias; None for the default connection.

    Returns
    -------
    pandas.DataFrame
        The users in the server's order, with the columns of :data:`eternaltwin.pandas.USER_COLUMNS`.

    Raises
    ------
    PageFetchError
        A page failed for good (after retries of transient failures); ``offset`` names it.
    UserFetchError
        With ``details=True``, a user's record failed for good.

    Notes
    -----
    Works the same in a plain script and in a notebook, whose cell already runs in an event loop: the
    requests then run on a private loop in a worker thread, through a short-lived client made from the
    same connection settings. In async code, prefer :func:`asearch_frame`.
    """
    _check(limit, concurrency)
    options: dict[str, Any] = {"limit": limit, "details": details, "concurrency": concurrency}
    columns = _run_sync(lambda: search_columns(query, **options, progress=progress, using=using, fresh=True))
    return columns.frame()


async def asearch_frame(
    query: str | None = None,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
    using: str | None = None,
) -> pd.DataFrame:
    """The async twin of :func:`search_frame` (same parameters, result and errors).

    The requests go through the connection's pooled async client.
    """
    _check(limit, concurrency)
    options: dict[str, Any] = {"limit": limit, "details": details, "concurrency": concurrency}
    columns = await search_columns(query, **options, progress=progress, using=using, fresh=False)
    return columns.frame()


async def search_columns(
    query: str | None = None,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
    using: str | None = None,
    fresh: bool = False,
) -> _Columns:
    """The matching users as frame columns not yet converted, in the server's order (see
    :func:`search_frame`); ``.frame()`` gives the DataFrame.

    ``fresh=True`` makes a short-lived client for this call instead of using the connection's pooled
    one (needed on an event loop other than the one the pooled client lives on).
    """
    _check(limit, concurrency)
    async with _source(using, fresh) as source:
        return await _search(source, query, limit, details, concurrency, progress)


async def details_records(
    user_ids: Iterable[str],
    *,
    concurrency: int = 8,
    progress: bool | None = None,
    using: str | None = None,
    fresh: bool = False,
) -> list[Any]:
    """The full records (raw JSON) of ``user_ids``, fetched concurrently, in the same order.

    Raises
    ------
    UserFetchError
        A record failed for good; ``user_id`` names it.
    """
    _check(None, concurrency)
    ids = list(user_ids)
    async with _source(using, fresh) as source:
        return await _fetch_users(source, ids, concurrency, progress)


# -- the machinery ----------------------------------------------------------------------------------


async def _search(
    source: _Source,
    query: str | None,
    limit: int | None,
    details: bool,
    concurrency: int,
    progress: bool | None,
) -> _Columns:
    from eternaltwin.pandas import _Columns

    count = _count_of(await _attempt(lambda: source.search(query, 0, 0), _page_error(0, 0)))
    total = count if limit is None else min(limit, count)
    offsets = range(0, total, PAGE_SIZE)
    # Each page is read into columns as it arrives, and its JSON dropped: the columns hold strings, which
    # the garbage collector does not track, so a large search does not slow down every collection.
    # Pages with items to complete (details=True) stay JSON until their users' records are in.
    pages: dict[int, _Columns | list[Any]] = {}
    gate = asyncio.Semaphore(concurrency)
    bar = _progress_bar(progress, len(offsets) > FEW_PAGES, total, "Users", "user")

    def ask(start: int, want: int) -> Callable[[], Awaitable[Any]]:
        return lambda: source.search(query, want, start)

    async def fetch_page(offset: int) -> None:
        size = min(PAGE_SIZE, total - offset)
        items: list[Any] = []
        # A server whose maximum limit is below PAGE_SIZE answers short pages: ask for the rest, until
        # the window is full or the server has nothing more (users deleted since the count).
        while len(items) < size:
            start, want = offset + len(items), size - len(items)
            async with gate:
                reply = await _attempt(ask(start, want), _page_error(start, want))
            more = _items_of(reply)[:want]
            if not more:
                break
            items.extend(more)
            if bar is not None:
                bar.update(len(more))
        if details and any(_lacks_members(item) for item in items):
            pages[offset] = items
        else:
            pages[offset] = columns = _Columns()
            columns.add(items)

    try:
        await _all(fetch_page(offset) for offset in offsets)
    finally:
        if bar is not None:
            bar.close()
    lacking = [
        (page, n)
        for page in pages.values()
        if isinstance(page, list)
        for n, item in enumerate(page)
        if _lacks_members(item)
    ]
    if lacking:
        records = await _fetch_users(source, [page[n]["id"] for page, n in lacking], concurrency, progress)
        for (items, n), record in zip(lacking, records, strict=True):
            items[n] = record
    result = _Columns()
    for offset in offsets:
        part = pages[offset]
        if isinstance(part, list):
            result.add(part)
        else:
            result.extend(part)
    return result


async def _fetch_users(source: _Source, ids: list[str], concurrency: int, progress: bool | None) -> list[Any]:
    """The records of ``ids`` (raw JSON, in the same order), fetched concurrently."""
    records: list[Any] = [None] * len(ids)
    gate = asyncio.Semaphore(concurrency)
    bar = _progress_bar(progress, len(ids) > FEW_USERS, len(ids), "Details", "user")

    async def fetch_user(row: int, user_id: str) -> None:
        async with gate:
            records[row] = await _attempt(lambda: source.user(user_id), _user_error(user_id))
        if bar is not None:
            bar.update(1)

    try:
        await _all(fetch_user(row, user_id) for row, user_id in enumerate(ids))
    finally:
        if bar is not None:
            bar.close()
    return records


async def _all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the coroutines as tasks; after the first failure cancel the others, then raise a failure (the
    first in task order, i.e. the lowest offset, of those that failed)."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    if not tasks:
        return
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:  # also when this coroutine is cancelled: no task is left running
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    failures = [task.exception() for task in tasks if not task.cancelled()]
    for failure in failures:
        if failure is not None:
            raise failure


async def _attempt(request: Callable[[], Awaitable[T]], failure: Callable[[int, Exception], Exception]) -> T:
    """``await request()``, asked again after transient failures; a final failure becomes ``failure``."""
    attempt = 1
    while True:
        try:
            return await request()
        except EternalTwinError as error:
            if attempt >= PAGE_ATTEMPTS or not _is_transient(error):
                raise failure(attempt, error) from error
            await asyncio.sleep(_pause(error, attempt))
        attempt += 1


def _page_error(offset: int, limit: int) -> Callable[[int, Exception], Exception]:
    return lambda attempts, cause: PageFetchError(offset, limit, attempts, cause)


def _user_error(user_id: str) -> Callable[[int, Exception], Exception]:
    return lambda attempts, cause: UserFetchError(user_id, attempts, cause)


def _is_transient(error: EternalTwinError) -> bool:
    if isinstance(error, TransportError | RateLimitedError):
        return True
    return isinstance(error, ServerError) and error.status_code in _TRANSIENT_STATUSES


def _pause(error: EternalTwinError, attempt: int) -> float:
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        return error.retry_after
    return float(RETRY_BACKOFF * 2 ** (attempt - 1))


def _count_of(reply: Any) -> int:
    count = reply.get("count") if isinstance(reply, Mapping) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise UnexpectedResponseError("The search reply has no usable 'count'.")
    return count


def _items_of(reply: Any) -> list[Any]:
    items = reply.get("items") if isinstance(reply, Mapping) else None
    if not isinstance(items, list):
        raise UnexpectedResponseError("The search reply has no 'items' list.")
    return items


def _lacks_members(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("id"), str)
        and any(member not in item for member in _FULL_MEMBERS)
    )


def _progress_bar(progress: bool | None, many: bool, total: int, label: str, unit: str) -> Any:
    """A ``tqdm.auto`` bar, or None when it is not wanted."""
    if progress is False or (progress is None and not many):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=total, desc=label, unit=unit)


def _check(limit: int | None, concurrency: int) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or an integer >= 0, not {limit!r}.")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, not {concurrency!r}.")


def _run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from eternaltwin._sync import run_sync

    return run_sync(factory)


# -- connections --------------------------------------------------------------------------------------


class _ClientSource:
    """A :class:`_Source` over an async client's ``users`` endpoints (raw JSON, no model objects)."""

    __slots__ = ("_users",)

    def __init__(self, client: AsyncEternaltwin) -> None:
        self._users = client.users

    async def search(self, query: str | None, limit: int, offset: int) -> Any:
        response = await self._users.search(query, limit=limit, offset=offset)
        return _json(response)

    async def user(self, user_id: str) -> Any:
        return _json(await self._users.get(user_id))


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponseError(f"{response.url} answered a body that is not JSON.", response) from None


@asynccontextmanager
async def _source(using: str | None, fresh: bool) -> AsyncIterator[_Source]:
    """The connection ``using`` as a :class:`_Source`.

    Not ``fresh``: the async registry's client for ``using`` and its pooled connections (which stay
    open). ``fresh``: ``using`` is looked up in the sync registry (the sync API's), and a short-lived async
    client with the same settings serves this call on the running loop, closed at the end.
    """
    from eternaltwin.connections import async_connections, connections

    if not fresh:
        yield _ClientSource(async_connections.get_connection(using))
        return
    client = _async_twin(connections.get_connection(using))
    try:
        yield _ClientSource(client)
    finally:
        await client.aclose()


def _async_twin(client: ClientABC) -> AsyncEternaltwin:
    """A new async client with the settings of ``client`` (sync or async), sharing no connection with it."""
    from eternaltwin.clients.asyncio.clients import Eternaltwin

    options = client._options()
    if not hasattr(options["transport"], "handle_async_request"):
        # A test's MockTransport serves both flavours; a sync-only transport cannot be reused.
        options["transport"] = None
    options["sleep"] = None  # a sync client's sleep would block the event loop
    return Eternaltwin(**options)
