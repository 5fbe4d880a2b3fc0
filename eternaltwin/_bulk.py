"""Bulk fetching: every page of a search, or many users' records, concurrently, through one async client.

This layer knows no DataFrame: it hands each page's user records (checked JSON) to a *sink* as they
arrive, with the page's offset, and the caller builds what it wants from them (:mod:`eternaltwin.pandas`
builds columns). It adds no retries of its own: every request is one of the client's operations, with the
client's retries, its cap on ``Retry-After`` and its sleep; a request that still fails ends the whole
fetch with one :class:`~eternaltwin.exceptions.PageFetchError` (or
:class:`~eternaltwin.exceptions.UserFetchError`) naming it, its ``__cause__`` the client's error.

What the server's ``count`` promises is checked, never trusted blindly:

- page work is created lazily, ``concurrency`` requests at most in flight, and stops at the first page
  past the real end (a count of 10**8 creates no work of its own);
- a page that comes back short is asked again where it ended, once the others are in; rows still
  missing then raise :class:`PageFetchError` naming the offsets, unless the server's count itself went
  down meanwhile (users deleted during the run): then an :class:`~eternaltwin.exceptions.EternaltwinWarning`
  says how many rows there are;
- a user seen twice (a user inserted during the run shifts the pages) is kept once, with a warning, and a
  page that brings only users already seen ends the fetch (a server that ignores ``offset``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from eternaltwin.clients._calls import SEARCH_PAGE_LIMIT
from eternaltwin.exceptions import EternalTwinError, PageFetchError, UserFetchError, warn

if TYPE_CHECKING:
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

__all__ = ["FEW_PAGES", "FEW_USERS", "PAGE_SIZE", "Sink", "check_options", "fetch_records", "fetch_search"]

T = TypeVar("T")

#: Users per page: the server's maximum ``limit``.
PAGE_SIZE = SEARCH_PAGE_LIMIT
#: A progress bar is shown (``progress=None``) for more pages than this...
FEW_PAGES = 3
#: ... or, when fetching users' full records, for more users than this.
FEW_USERS = 50
# Members of the default user view that a search item may lack (then details=True fetches the record).
_FULL_MEMBERS = ("created_at", "is_administrator", "links")

#: Receives ``(offset, records)``: the records of the search's rows from ``offset`` on, in order. Pages
#: arrive in any order; offsets say where each belongs.
Sink = Callable[[int, list[Mapping[str, Any]]], None]


def check_options(limit: int | None, concurrency: int) -> None:
    """Refuse a ``limit`` or ``concurrency`` that cannot be used, before any request.

    Raises
    ------
    ValueError
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or an integer >= 0, not {limit!r}.")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, not {concurrency!r}.")


async def fetch_search(
    client: AsyncEternaltwin,
    query: str | None,
    sink: Sink,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
) -> int:
    """Fetch every user matching ``query`` (or the first ``limit``) into ``sink``; return the row count.

    Parameters
    ----------
    client : async Eternaltwin
        Sends every request (with its retries).
    query : str or None
        The search text; None or ``""`` matches every user.
    sink : callable
        Called with ``(offset, records)`` for each part of the result (see :data:`Sink`).
    limit : int or None
        At most this many users; None for all the matches.
    details : bool
        Replace each record that lacks members of the default view (creation date, administrator flag,
        links) by the user's full record (``GET /api/v1/users/{id}``).
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        A ``tqdm.auto`` bar: None shows one for more than a few pages, True always, False never.

    Raises
    ------
    PageFetchError
        A page failed, or rows the count promised are still missing after asking again.
    UserFetchError
        With ``details=True``, a user's record failed.
    """
    check_options(limit, concurrency)
    count = await _page_request(client.count_users(query), 0, 0)
    total = count if limit is None else min(limit, count)
    run = _SearchRun(client, query, sink, total, details, concurrency)
    run.bar = _progress_bar(progress, total > FEW_PAGES * PAGE_SIZE, total, "Users", "user")
    try:
        await run.fetch_all()
    finally:
        if run.bar is not None:
            run.bar.close()
    if run.rows < total:
        now = await _page_request(client.count_users(query), 0, 0)
        if (now if limit is None else min(limit, now)) >= total:
            raise PageFetchError.missing(total, run.rows, run.gaps, run.duplicates)
        warn(
            f"The server's count of matching users went from {count} to {now} during the fetch "
            f"(users deleted meanwhile?): the result has {run.rows} rows."
        )
    if run.duplicates:
        warn(
            f"{run.duplicates} user(s) came twice (the server's data changed during the fetch): each is kept "
            "once."
        )
    return run.rows


async def fetch_records(
    client: AsyncEternaltwin, user_ids: Iterable[str], *, concurrency: int = 8, progress: bool | None = None
) -> list[Mapping[str, Any]]:
    """The full records (checked JSON) of ``user_ids``, fetched concurrently, in the same order.

    Raises
    ------
    UserFetchError
        A record failed; ``user_id`` names it.
    """
    check_options(None, concurrency)
    ids = list(user_ids)
    bar = _progress_bar(progress, len(ids) > FEW_USERS, len(ids), "Details", "user")
    try:
        return await _records(client, ids, asyncio.Semaphore(concurrency), bar)
    finally:
        if bar is not None:
            bar.close()


# -- the machinery ----------------------------------------------------------------------------------


class _SearchRun:
    """One :func:`fetch_search`: the next offset to take, where the results end, what is missing."""

    def __init__(
        self,
        client: AsyncEternaltwin,
        query: str | None,
        sink: Sink,
        total: int,
        details: bool,
        concurrency: int,
    ) -> None:
        self.client = client
        self.query = query
        self.sink = sink
        self.total = total
        self.details = details
        self.concurrency = concurrency
        self.gate = asyncio.Semaphore(concurrency)
        self.bar: Any = None
        self.next_offset = 0
        self.end = total  # lowered when a page shows the real end is before the count
        self.rows = 0
        self.gaps: list[tuple[int, int]] = []  # (offset, rows) asked for and not received
        self.seen: set[str] = set()
        self.duplicates = 0
        self.extra = 0  # rows asked for past the count, to make up for duplicates

    async def fetch_all(self) -> None:
        """Fetch the pages, ask again for what short pages left out, and go on past them if it came."""
        while True:
            workers = min(self.concurrency, -(-(self.end - self.next_offset) // PAGE_SIZE))
            await _all(self.worker() for _ in range(max(workers, 0)))
            if self.duplicates > self.extra:  # each user seen twice pushed one user past the end
                self.gaps.append((self.total + self.extra, self.duplicates - self.extra))
                self.extra = self.duplicates
            if not self.gaps:
                return
            await self.fill_gaps()
            if self.gaps or self.next_offset >= self.total:
                if self.next_offset < self.total:  # never asked: the short page looked like the end
                    self.gaps.append((self.next_offset, self.total - self.next_offset))
                return
            self.end = self.total  # the short page was not the end after all: go on

    async def worker(self) -> None:
        """Take the next page until there is none (page work is created here, never ahead)."""
        while self.next_offset < self.end:
            offset = self.next_offset
            self.next_offset += PAGE_SIZE
            size = min(PAGE_SIZE, self.total - offset)
            served = await self.fetch(offset, size)
            if served < size:
                self.gaps.append((offset + served, size - served))
                self.end = min(self.end, offset + served)

    async def fetch(self, offset: int, size: int) -> int:
        """Fetch rows ``offset`` to ``offset + size`` into the sink; return how many the server served
        (a server whose maximum limit is below ``size`` answers short pages: the rest is asked at once)."""
        records: list[Mapping[str, Any]] = []
        served = 0
        while served < size:
            start, want = offset + served, size - served
            async with self.gate:
                reply = await _page_request(self.client.search_records(self.query, want, start), start, want)
            more = reply.items[:want]
            if not more:
                break
            served += len(more)
            fresh = self.fresh(more)
            if not fresh:  # only users already seen: a server that ignores offset would loop forever
                break
            records.extend(fresh)
        if self.details:
            await self.complete(records)
        if records:
            self.sink(offset, records)
            self.rows += len(records)
            if self.bar is not None:
                self.bar.update(len(records))
        return served

    def fresh(self, records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` without the users already received."""
        seen = self.seen
        kept = [record for record in records if record["id"] not in seen]
        seen.update(record["id"] for record in kept)
        self.duplicates += len(records) - len(kept)
        return kept

    async def complete(self, records: list[Mapping[str, Any]]) -> None:
        """Replace the records that lack members of the default view by the users' full records."""
        lacking = [n for n, record in enumerate(records) if any(m not in record for m in _FULL_MEMBERS)]
        if lacking:
            full = await _records(self.client, [records[n]["id"] for n in lacking], self.gate, None)
            for n, record in zip(lacking, full, strict=True):
                records[n] = record

    async def fill_gaps(self) -> None:
        """Ask once more for the rows that short pages left out, now that the other pages are in."""
        gaps, self.gaps = self.gaps, []
        for offset, size in sorted(gaps):
            served = await self.fetch(offset, size)
            if served < size:
                self.gaps.append((offset + served, size - served))


async def _records(
    client: AsyncEternaltwin, ids: list[str], gate: asyncio.Semaphore, bar: Any
) -> list[Mapping[str, Any]]:
    records: list[Mapping[str, Any]] = [{}] * len(ids)

    async def fetch(row: int, user_id: str) -> None:
        async with gate:
            try:
                records[row] = await client.user_record(user_id)
            except EternalTwinError as error:
                raise UserFetchError(user_id, _attempts(error), error) from error
        if bar is not None:
            bar.update(1)

    await _all(fetch(row, user_id) for row, user_id in enumerate(ids))
    return records


async def _page_request(request: Awaitable[T], offset: int, limit: int) -> T:
    try:
        return await request
    except EternalTwinError as error:
        raise PageFetchError(offset, limit, _attempts(error), error) from error


def _attempts(error: EternalTwinError) -> int:
    """How many times the client sent the request that ended in ``error`` (its retries included)."""
    attempts = getattr(error, "attempts", 1)
    return attempts if isinstance(attempts, int) else 1


async def _all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the coroutines as tasks; after the first failure cancel the others, then raise a failure (the
    first in task order of those that failed)."""
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
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


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
