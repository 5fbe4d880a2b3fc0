"""Bulk fetching: every page of one or many listings, or many users' records, concurrently, through one
async client.

This layer knows no DataFrame: it hands each page's records (checked JSON) to a *sink* as they arrive,
with the page's offset, and the caller builds what it wants from them (:mod:`eternaltwin.pandas` builds
columns). A *listing* (:class:`Listing`) is anything paged by ``offset`` and ``limit`` with a ``count``:
a user search (:func:`fetch_search`), a forum section's threads or a thread's posts
(:func:`fetch_listings`, many at once, sharing one bound on the requests in flight). Archived Dinoparc
accounts and their dinoz, a request each, go through :func:`fetch_dinoparc`. It adds no retries
of its own: every request is one of the client's operations, with the client's retries, its cap on
``Retry-After`` and its sleep; a request that still fails ends the whole fetch with one
:class:`~eternaltwin.exceptions.PageFetchError` (or :class:`~eternaltwin.exceptions.UserFetchError`)
naming it, its ``__cause__`` the client's error.

What the server's ``count`` promises is checked, never trusted blindly:

- page work is created lazily, ``concurrency`` requests at most in flight, and stops at the first page
  past the real end (a count of 10**8 creates no work of its own);
- a listing whose count is not known beforehand is asked its first page first, and its ``count`` says
  how many pages follow;
- a page that comes back short is asked again where it ended, once the others are in; rows still
  missing then raise :class:`PageFetchError` naming the offsets, unless the server's count itself went
  down meanwhile (items deleted during the run): then an
  :class:`~eternaltwin.exceptions.EternaltwinWarning` says how many rows there are;
- an item seen twice in a listing (one inserted during the run shifts the pages) is kept once, with a
  warning, and a page that brings only items already seen ends the fetch (a server that ignores
  ``offset``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from eternaltwin.clients._calls import SEARCH_PAGE_LIMIT
from eternaltwin.clients._flows import on_reply
from eternaltwin.exceptions import ArchiveFetchError, EternalTwinError, PageFetchError, UserFetchError, warn

if TYPE_CHECKING:
    from eternaltwin.archive import DinoparcDinoz, DinoparcUser
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

__all__ = [
    "FEW_PAGES",
    "FEW_USERS",
    "PAGE_SIZE",
    "Listing",
    "ListingSink",
    "PageReply",
    "Sink",
    "check_options",
    "fetch_dinoparc",
    "fetch_listings",
    "fetch_records",
    "fetch_search",
    "page_request",
]

T = TypeVar("T")

#: Items per page: the server's maximum ``limit`` (users of a search, threads, posts).
PAGE_SIZE = SEARCH_PAGE_LIMIT
#: A progress bar is shown (``progress=None``) for more pages than this...
FEW_PAGES = 3
#: ... or, when fetching users' full records or many small listings, for more than this.
FEW_USERS = 50
# Members of the default user view that a search item may lack (then details=True fetches the record).
_FULL_MEMBERS = ("created_at", "is_administrator", "links")

#: Receives ``(offset, records)``: the records of the search's rows from ``offset`` on, in order. Pages
#: arrive in any order; offsets say where each belongs.
Sink = Callable[[int, list[Mapping[str, Any]]], None]
#: Receives ``(listing, offset, records)``: ``listing`` is the position of the listing in the sequence
#: given to :func:`fetch_listings`.
ListingSink = Callable[[int, int, list[Mapping[str, Any]]], None]


class PageReply(Protocol):
    """What a listing's page request answers: the records (each a JSON object with a string ``id``) and
    how many the whole listing holds."""

    @property
    def count(self) -> int: ...
    @property
    def items(self) -> list[Mapping[str, Any]]: ...


class Listing(Protocol):
    """A paged listing to read whole.

    Attributes
    ----------
    label : str or None
        Names it in errors and warnings (``"the threads of forum section 'en_main'"``); None for the
        user search, whose messages say "matching users".
    total : int or None
        How many rows to fetch, when known beforehand; None: the first page's ``count`` tells.
    """

    label: str | None
    total: int | None

    def page(self, offset: int, limit: int) -> Awaitable[PageReply]:
        """Request the rows ``offset`` to ``offset + limit`` (one of the client's operations)."""
        ...

    def recount(self) -> Awaitable[int]:
        """Request how many rows the listing holds now (after rows went missing)."""
        ...

    async def complete(self, records: list[Mapping[str, Any]], gate: asyncio.Semaphore) -> None:
        """Replace records in place before they reach the sink (or do nothing)."""
        ...


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


class _UserSearch:
    """A user search as a :class:`Listing` (``details`` completes the records that lack members)."""

    def __init__(
        self, client: AsyncEternaltwin, query: str | None, total: int, details: bool, compact: bool
    ) -> None:
        self.label: str | None = None
        self.client = client
        self.query = query
        self.total: int | None = total
        self.details = details
        self.compact = compact

    def page(self, offset: int, limit: int) -> Awaitable[PageReply]:
        return self.client.search_records(self.query, limit, offset, compact=self.compact)

    def recount(self) -> Awaitable[int]:
        return self.client.count_users(self.query)

    async def complete(self, records: list[Mapping[str, Any]], gate: asyncio.Semaphore) -> None:
        """Replace the records that lack members of the default view by the users' full records."""
        if not self.details:
            return
        lacking = [n for n, record in enumerate(records) if any(m not in record for m in _FULL_MEMBERS)]
        if lacking:
            full = await _records(self.client, [records[n]["id"] for n in lacking], gate, None)
            for n, record in zip(lacking, full, strict=True):
                records[n] = record


async def fetch_search(
    client: AsyncEternaltwin,
    query: str | None,
    sink: Sink,
    *,
    limit: int | None = None,
    details: bool = False,
    concurrency: int = 8,
    progress: bool | None = None,
    compact: bool = False,
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
    compact : bool
        Hand the sink compact rows (:class:`eternaltwin._compact.UserRow`, when msgspec is installed)
        for plain pages instead of JSON records (the full records of ``details`` stay JSON): what
        :mod:`eternaltwin.pandas` reads.

    Raises
    ------
    PageFetchError
        A page failed, or rows the count promised are still missing after asking again.
    UserFetchError
        With ``details=True``, a user's record failed.
    """
    check_options(limit, concurrency)
    count = await page_request(client.count_users(query), 0, 0, None)
    total = count if limit is None else min(limit, count)
    run = _Run(
        _UserSearch(client, query, total, details, compact), 0, lambda _, offset, rows: sink(offset, rows)
    )
    bar = _progress_bar(progress, total > FEW_PAGES * PAGE_SIZE, total, "Users", "user")
    try:
        await _fetch_runs([run], concurrency, bar)
    finally:
        if bar is not None:
            bar.close()
    if run.rows < total:
        now = await page_request(client.count_users(query), 0, 0, None)
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


async def fetch_listings(
    listings: Sequence[Listing],
    sink: ListingSink,
    *,
    concurrency: int = 8,
    progress: bool | None = None,
    label: str = "Items",
    unit: str = "item",
) -> list[int]:
    """Fetch every row of every listing into ``sink``, ``concurrency`` requests at most in flight in all.

    Pages are taken listing after listing, in order; each listing is checked on its own (short pages
    asked again, its count against what came, items seen twice kept once).

    Parameters
    ----------
    listings : sequence of Listing
        What to read; a listing whose ``total`` is None is asked its first page first.
    sink : callable
        Called with ``(listing index, offset, records)`` for each part of the result.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        A ``tqdm.auto`` bar counting rows: None shows one for more than a few pages or many listings.
    label, unit : str
        The bar's description and unit.

    Returns
    -------
    list of int
        The rows of each listing.

    Raises
    ------
    PageFetchError
        A page failed, or rows a listing's count promised are still missing after asking again (naming
        the listing).
    """
    check_options(None, concurrency)
    runs = [_Run(listing, index, sink) for index, listing in enumerate(listings)]
    known = sum(listing.total or 0 for listing in listings)
    unknown = sum(1 for listing in listings if listing.total is None)
    many = known > FEW_PAGES * PAGE_SIZE or unknown > FEW_USERS
    bar = _progress_bar(progress, many, known, label, unit)
    try:
        await _fetch_runs(runs, concurrency, bar)
    finally:
        if bar is not None:
            bar.close()
    for run in runs:
        total = run.total or 0
        if run.rows < total:
            listing = run.listing
            now = await page_request(listing.recount(), 0, 0, listing.label)
            if now >= total:
                raise PageFetchError.missing(total, run.rows, run.gaps, run.duplicates, listing.label)
            warn(
                f"The server's count of {listing.label} went from {total} to {now} during the fetch "
                f"(deleted meanwhile?): the result has {run.rows} of them."
            )
    duplicates = sum(run.duplicates for run in runs)
    if duplicates:
        warn(
            f"{duplicates} {unit}(s) came twice (the server's data changed during the fetch): each is kept "
            "once."
        )
    return [run.rows for run in runs]


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


class _Run:
    """The reading of one listing: the next offset to take, where the rows end, what is missing."""

    def __init__(self, listing: Listing, index: int, sink: ListingSink) -> None:
        self.listing = listing
        self.index = index
        self.sink = sink
        self.total = listing.total  # None until the first page's count tells
        self.next_offset = 0
        # Lowered when a page shows the real end is before the count; one page until the count is known.
        self.end = PAGE_SIZE if self.total is None else self.total
        self.rows = 0
        self.gaps: list[tuple[int, int]] = []  # (offset, rows) asked for and not received
        self.seen: set[str] = set()
        self.duplicates = 0
        self.extra = 0  # rows asked for past the count, to make up for duplicates
        self.go_on = False

    def pages_left(self) -> int:
        """Pages not yet taken before ``end``."""
        return max(0, -(-(self.end - self.next_offset) // PAGE_SIZE))

    def size(self, offset: int, size: int) -> int:
        """``size`` cut at the end of the listing (when its count is known)."""
        return size if self.total is None else max(0, min(size, self.total - offset))

    async def take(self, offset: int, place: _Place, bar: Any) -> None:
        """Fetch the page at ``offset`` (its first request in ``place``); note a short page as a gap, and
        stop taking pages past it."""
        size = self.size(offset, PAGE_SIZE)
        served = await self.fetch(offset, size, place, bar)
        size = self.size(offset, size)  # the first page told the count
        if served < size:
            self.gaps.append((offset + served, size - served))
            self.end = min(self.end, offset + served)

    async def fetch(self, offset: int, size: int, place: _Place, bar: Any) -> int:
        """Fetch rows ``offset`` to ``offset + size`` into the sink; return how many the server served
        (a server whose maximum limit is below ``size`` answers short pages: the rest is asked at once).
        The first request goes in ``place``, any other in a place of the same gate."""
        records: list[Mapping[str, Any]] = []
        served = 0
        label = self.listing.label
        while served < size:
            start, want = offset + served, size - served
            async with place:
                reply = await page_request(self.listing.page(start, want), start, want, label)
            place = _Place(place.gate)
            if self.total is None:
                self.learn(reply.count, bar)
                size = self.size(offset, size)
                want = min(want, size - served)
            more = reply.items[:want]
            if not more:
                break
            served += len(more)
            fresh = self.fresh(more)
            if not fresh:  # only items already seen: a server that ignores offset would loop forever
                break
            records.extend(fresh)
        await self.listing.complete(records, place.gate)
        if records:
            self.sink(self.index, offset, records)
            self.rows += len(records)
            if bar is not None:
                bar.update(len(records))
        return served

    def learn(self, count: int, bar: Any) -> None:
        """The listing's count, from its first page."""
        self.total = count
        self.end = count
        if bar is not None:
            bar.total = (bar.total or 0) + count
            bar.refresh()

    def fresh(self, records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` without the items already received."""
        seen = self.seen
        ids = [record["id"] for record in records]
        page_ids = set(ids)
        if len(page_ids) == len(ids) and seen.isdisjoint(page_ids):  # (the usual case)
            seen |= page_ids
            return records
        kept = []  # the first of each id, in order: none seen before, nor twice in this page
        for record, key in zip(records, ids, strict=True):
            if key not in seen:
                seen.add(key)
                kept.append(record)
        self.duplicates += len(records) - len(kept)
        return kept

    async def settle(self, gate: asyncio.Semaphore, bar: Any) -> None:
        """After a round: ask again for what short pages left out, and say whether to go on past them."""
        total = self.total or 0
        if self.duplicates > self.extra:  # each item seen twice pushed one item past the end
            self.gaps.append((total + self.extra, self.duplicates - self.extra))
            self.extra = self.duplicates
        self.go_on = False
        if not self.gaps:
            self.go_on = self.next_offset < total  # the first page told of more
            return
        gaps, self.gaps = self.gaps, []
        for offset, size in sorted(gaps):
            served = await self.fetch(offset, size, _Place(gate), bar)
            if served < size:
                self.gaps.append((offset + served, size - served))
        if self.gaps or self.next_offset >= total:
            if self.next_offset < total:  # never asked: the short page looked like the end
                self.gaps.append((self.next_offset, total - self.next_offset))
            return
        self.end = total  # the short page was not the end after all: go on
        self.go_on = True


async def _fetch_runs(runs: Sequence[_Run], concurrency: int, bar: Any) -> None:
    """Read the runs in rounds: workers take pages, run after run, until none is left; then each run
    settles its gaps; the runs that have more to read go on in a new round.

    There are twice as many workers as places for requests in flight (``concurrency``), and a request's
    place is freed as soon as its reply is in, when the engine says so (:class:`_Place`): while one
    worker reads a page, another has already sent the next request.
    """
    gate = asyncio.Semaphore(concurrency)
    active = list(runs)
    while active:
        pages = _pages(active)  # one generator shared by the workers: each page is taken once
        workers = min(2 * concurrency, sum(run.pages_left() for run in active))
        await _all(_worker(pages, gate, bar) for _ in range(workers))
        await _all(run.settle(gate, bar) for run in active)
        active = [run for run in active if run.go_on]


async def _worker(pages: Iterator[tuple[_Run, int]], gate: asyncio.Semaphore, bar: Any) -> None:
    """Take a page once a place is free (never before: the page is then checked against its listing's
    end as it is known at that moment), and fetch it; until no page is left."""
    while True:
        place = _Place(gate)
        await place.acquire()
        try:
            taken = next(pages, None)
            if taken is None:
                return
            run, offset = taken
            await run.take(offset, place, bar)
        finally:
            place.free()


class _Place:
    """One of the places for requests in flight that ``gate`` counts, for one request.

    ``async with place`` holds it (taken first if it is not held yet) while the request is made, and
    frees it at the end; the engine frees it sooner, as soon as the reply is in, when it can tell
    (:data:`~eternaltwin.clients._flows.on_reply`): the client's work on the reply then overlaps the
    next request's round trip instead of delaying it.
    """

    __slots__ = ("gate", "held", "token")

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self.gate = gate
        self.held = False
        self.token: Any = None

    async def acquire(self) -> None:
        """Wait for a free place, and hold it."""
        await self.gate.acquire()
        self.held = True

    def free(self) -> None:
        """Give the place back (once: later calls do nothing)."""
        if self.held:
            self.held = False
            self.gate.release()

    async def __aenter__(self) -> _Place:
        if not self.held:
            await self.acquire()
        self.token = on_reply.set(self.free)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        on_reply.reset(self.token)
        self.free()


def _pages(runs: Sequence[_Run]) -> Iterator[tuple[_Run, int]]:
    """``(run, offset)`` of each page to take, created only when a worker asks (never ahead), and
    checked against each run's ``end`` at that moment."""
    for run in runs:
        while run.next_offset < run.end:
            offset = run.next_offset
            run.next_offset += PAGE_SIZE
            yield run, offset


async def _records(
    client: AsyncEternaltwin, ids: list[str], gate: asyncio.Semaphore, bar: Any
) -> list[Mapping[str, Any]]:
    records: list[Mapping[str, Any]] = [{}] * len(ids)

    async def fetch(row: int, user_id: str) -> None:
        async with _Place(gate):  # (freed as soon as the reply is in)
            try:
                records[row] = await client.user_record(user_id)
            except EternalTwinError as error:
                raise UserFetchError(user_id, _attempts(error), error) from error
        if bar is not None:
            bar.update(1)

    await _all(fetch(row, user_id) for row, user_id in enumerate(ids))
    return records


async def page_request(request: Awaitable[T], offset: int, limit: int, listing: str | None) -> T:
    """``await request``, a client's error turned into a :class:`PageFetchError` naming the page."""
    try:
        return await request
    except EternalTwinError as error:
        raise PageFetchError(offset, limit, _attempts(error), error, listing) from error


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
    failures = [task.exception() for task in tasks if not task.cancelled()]  # each one retrieved
    for failure in failures:
        if failure is not None:
            raise failure


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


# -- archived Dinoparc accounts and their dinoz -----------------------------------------------------


async def fetch_dinoparc(
    client: AsyncEternaltwin,
    accounts: Sequence[tuple[str, str]],
    *,
    concurrency: int = 8,
    progress: bool | None = None,
) -> list[tuple[DinoparcUser, list[DinoparcDinoz]]]:
    """Every archived Dinoparc account of ``accounts`` and each of its dinoz, fetched concurrently.

    ``concurrency`` workers share the work: the accounts in order, and the dinoz of each account as soon
    as its reply has listed them (before the next accounts, so the queue stays short). A dinoz listed by
    several accounts is fetched once.

    Parameters
    ----------
    client : async Eternaltwin
        Sends every request (``client.archive.dinoparc_user`` and ``.dinoparc_dinoz``, with its retries).
    accounts : sequence of (server, account id)
        The accounts, each once.
    concurrency : int
        How many requests may be in flight at once.
    progress : bool or None
        A ``tqdm.auto`` bar counting dinoz: None shows one for many accounts, True always, False never.

    Returns
    -------
    list of (DinoparcUser, list of DinoparcDinoz)
        In the order of ``accounts``, each account's dinoz in its list's order.

    Raises
    ------
    ArchiveFetchError
        An account or a dinoz failed for good (a 404 included: an archive that lists a dinoz it does not
        hold is not read in part); the others are cancelled.
    """
    check_options(None, concurrency)
    users: list[DinoparcUser | None] = [None] * len(accounts)
    dinoz: dict[tuple[str, str], DinoparcDinoz] = {}
    waiting: deque[tuple[str, str, str]] = deque()  # (server, dinoz id, owner) not asked yet
    queued: set[tuple[str, str]] = set()
    state = {"next account": 0, "accounts in flight": 0}
    changed = asyncio.Condition()
    bar = _progress_bar(progress, len(accounts) > FEW_USERS, 0, "Dinoz", "dinoz")

    async def account(index: int, server: str, account_id: str) -> None:
        try:
            user = await client.archive.dinoparc_user(server, account_id)
        except EternalTwinError as error:
            raise ArchiveFetchError("Dinoparc user", server, account_id, _attempts(error), error) from error
        users[index] = user
        fresh = [(ref.server or server, ref.id) for ref in user.dinoz]
        fresh = [key for key in fresh if key not in queued]
        queued.update(fresh)
        waiting.extend((ref_server, ref_id, f"{server}/{account_id}") for ref_server, ref_id in fresh)
        if bar is not None and fresh:
            bar.total = (bar.total or 0) + len(fresh)
            bar.refresh()

    async def one_dinoz(server: str, dinoz_id: str, owner: str) -> None:
        try:
            dinoz[server, dinoz_id] = await client.archive.dinoparc_dinoz(server, dinoz_id)
        except EternalTwinError as error:
            raise ArchiveFetchError(
                "Dinoparc dinoz", server, dinoz_id, _attempts(error), error, owner
            ) from error
        if bar is not None:
            bar.update(1)

    def ready() -> bool:
        return bool(waiting) or state["next account"] < len(accounts) or state["accounts in flight"] == 0

    async def worker() -> None:
        while True:
            async with changed:
                await changed.wait_for(ready)
                if waiting:
                    server, item, owner = waiting.popleft()
                    index = -1
                elif state["next account"] < len(accounts):
                    index = state["next account"]
                    state["next account"] += 1
                    state["accounts in flight"] += 1
                    server, item = accounts[index]
                else:
                    return  # nothing queued, no account left or in flight to queue more: done
            if index < 0:
                await one_dinoz(server, item, owner)
                continue
            try:
                await account(index, server, item)
            finally:
                async with changed:
                    state["accounts in flight"] -= 1
                    changed.notify_all()

    try:
        await _all(worker() for _ in range(min(concurrency, len(accounts))))
    finally:
        if bar is not None:
            bar.close()
    result: list[tuple[DinoparcUser, list[DinoparcDinoz]]] = []
    for (server, _), user in zip(accounts, users, strict=True):
        assert user is not None
        result.append((user, [dinoz[ref.server or server, ref.id] for ref in user.dinoz]))
    return result
