"""search_frame / asearch_frame: every page, concurrently, in the server's order; retries and failures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pandas as pd
import pytest

import eternaltwin.pandas as frames
from eternaltwin import _bulk
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import (
    ConnectionFailed,
    EternaltwinWarning,
    NotFoundError,
    PageFetchError,
    RateLimitedError,
    ServerError,
    UnknownAliasError,
    UserFetchError,
)
from eternaltwin.pandas import USER_COLUMNS, users_frame
from eternaltwin.sandbox import Sandbox

# (FakeServer, configure) from conftest.py's ``fake`` fixture
FakeFixture = tuple[Any, Any]


def sequential_pages(size: int) -> list[dict[str, Any]]:
    """Every user through the sync client, one page after the other (the order to keep)."""
    client = connections.get_connection()
    records: list[dict[str, Any]] = []
    while True:
        reply = client.users.search(None, limit=size, offset=len(records)).json()
        records.extend(reply["items"])
        if not reply["items"] or len(records) >= reply["count"]:
            return records


def assert_columns(frame: pd.DataFrame) -> None:
    assert dict(frame.dtypes) == dict(USER_COLUMNS)


# -- against the sandbox ------------------------------------------------------------------------------


def test_all_users_in_the_servers_order(pd_connected: Sandbox) -> None:
    frame = frames.search_frame(progress=False)
    expected = sequential_pages(41)
    assert len(frame) == len(expected) == 1003
    assert frame["id"].tolist() == [record["id"] for record in expected]
    pd.testing.assert_frame_equal(frame, users_frame(expected))
    assert_columns(frame)


def test_rows_settled_while_pages_arrive_give_the_same_frame(
    pd_connected: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "_SETTLE_ROWS", 150)  # (2,000 rows: more than the sandbox has)
    settled: list[int] = []
    settle = frames._Columns.settle

    def counting(columns: frames._Columns) -> None:
        settled.append(len(columns.ids))
        settle(columns)

    monkeypatch.setattr(frames._Columns, "settle", counting)
    frame = frames.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(sequential_pages(100)))
    assert len(settled) >= 3 and all(rows >= 150 for rows in settled)


async def test_async_version_gives_the_same_frame(pd_connected: Sandbox) -> None:
    frame = await frames.asearch_frame(progress=False, concurrency=3)
    expected = await asyncio.to_thread(sequential_pages, 100)
    pd.testing.assert_frame_equal(frame, users_frame(expected))


async def test_sync_version_inside_a_running_event_loop(pd_connected: Sandbox) -> None:
    asyncio.get_running_loop()  # as in a notebook cell
    frame = frames.search_frame(progress=False)
    again = await frames.asearch_frame(progress=False)
    pd.testing.assert_frame_equal(frame, again)
    assert len(frame) == 1003
    # the sync call used a client of its own: the async registry's can still be used on this loop
    page = await async_connections.get_connection().users.search(limit=1)
    assert page.json()["count"] == 1003


def test_sync_calls_reuse_one_pool_and_tls_context(pd_connected: Sandbox) -> None:
    """The sync API's work goes through the sync client's async twin, kept with its pooled connections
    from one call to the next (on the kit's loop thread): no new pool, no new TLS context."""
    from eternaltwin.clients._transports import tls_context

    frames.search_frame(limit=1)
    twin = connections.get_connection().async_twin()
    pool = twin._http
    before = tls_context.cache_info()
    frames.search_frame(limit=1)
    assert twin._http is pool is not None
    assert tls_context.cache_info().misses == before.misses
    connections.get_connection().close()  # closes the twin's pool too, on its loop
    assert twin._http is None


def test_limit(pd_connected: Sandbox) -> None:
    expected = sequential_pages(100)
    frame = frames.search_frame(limit=250, progress=False)
    assert frame["id"].tolist() == [record["id"] for record in expected[:250]]
    assert len(frames.search_frame(limit=5000, progress=False)) == 1003
    empty = frames.search_frame(limit=0)
    assert len(empty) == 0
    assert_columns(empty)


def test_query(pd_connected: Sandbox) -> None:
    client = connections.get_connection()
    count = client.users.search("an", limit=0).json()["count"]
    assert 100 < count < 1003  # several pages, not everyone
    frame = frames.search_frame("an", progress=False)
    assert len(frame) == count
    expected = client.users.search("an", limit=100, offset=100).json()["items"]
    assert frame["id"].tolist()[100:200] == [record["id"] for record in expected]
    assert len(frames.search_frame("no such user anywhere", progress=False)) == 0


def test_arguments_are_checked(pd_connected: Sandbox) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        frames.search_frame(concurrency=0)
    with pytest.raises(ValueError, match="limit"):
        frames.search_frame(limit=-1)
    with pytest.raises(UnknownAliasError):
        frames.search_frame(using="nowhere")


# -- progress bar -------------------------------------------------------------------------------------


def test_progress_bar_shown_for_many_pages(pd_connected: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    frames.search_frame()
    err = capsys.readouterr().err
    assert "Users" in err
    assert "1003/1003" in err


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        ({"limit": 300}, False),  # 3 pages: a few
        ({"limit": 300, "progress": True}, True),
        ({"progress": False}, False),
        ({"limit": 10, "progress": True}, True),
    ],
)
def test_progress_bar_shown_or_hidden(
    pd_connected: Sandbox, capsys: pytest.CaptureFixture[str], options: dict[str, Any], shown: bool
) -> None:
    frames.search_frame(**options)
    err = capsys.readouterr().err
    assert ("Users" in err) is shown


# -- concurrency, retries and failures (MockTransport) ------------------------------------------------


def test_pages_are_fetched_concurrently_and_bounded(fake: FakeFixture) -> None:
    server, configure = fake
    server.hold_until = 4  # the first page requests wait until 4 are in flight together
    configure()
    frame = frames.search_frame(concurrency=4, progress=False)
    assert frame["id"].tolist() == [record["id"] for record in server.records]
    assert server.max_in_flight == 4
    pages = [key for kind, key in server.requests if kind == "page" and key != "count"]
    assert sorted(pages) == list(range(0, 1003, 100))
    assert server.requests[0] == ("page", "count")  # the count first


def test_a_server_with_smaller_pages_is_paged_through(fake: FakeFixture) -> None:
    server, configure = fake
    server.max_limit = 30
    configure()
    frame = frames.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records))
    assert ("page", 30) in server.requests and ("page", 60) in server.requests


def test_the_clients_retries_recover_a_page(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2, retry_backoff=0.001)
    server.faults[("page", 100)] = [503, 502]
    frame = frames.search_frame(progress=False)
    assert frame["id"].tolist() == [record["id"] for record in server.records]
    assert server.count("page", 100) == 3


def test_the_clients_retries_are_the_only_ones(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2)
    server.faults[("page", 200)] = [503, httpx.ConnectError("refused")]
    server.faults[("page", 700)] = [(429, {"Retry-After": "0"})]
    frame = frames.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records))
    assert server.count("page", 200) == 3
    assert server.count("page", 700) == 2

    # Without client retries a transient failure ends the search at once: no second layer asks again.
    configure(max_retries=0)
    server.requests.clear()
    server.faults[("page", 300)] = [503]
    with pytest.raises(PageFetchError, match=r"offset 300 \(limit 100\), asked once"):
        frames.search_frame(progress=False)
    assert server.count("page", 300) == 1


def test_a_retry_after_beyond_the_clients_cap_fails_at_once(fake: FakeFixture) -> None:
    server, configure = fake
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    configure(max_retries=3, retry_max_backoff=10.0, sleep=sleep)
    for offset, value in ((100, "3600"), (400, "Wed, 21 Oct 2100 07:28:00 GMT"), (900, "inf")):
        server.faults[("page", offset)] = [(429, {"Retry-After": value})]
        server.requests.clear()
        with pytest.raises(PageFetchError, match=f"offset {offset} ") as caught:
            asyncio.run(frames.asearch_frame(progress=False))
        assert caught.value.offset == offset
        assert isinstance(caught.value.__cause__, RateLimitedError)
        assert server.count("page", offset) == 1
        server.faults.clear()
    assert waits == []


def test_a_page_that_always_fails_raises_naming_its_offset(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2)
    server.always[("page", 300)] = 503
    with pytest.raises(PageFetchError, match=r"offset 300 \(limit 100\), asked 3 times") as caught:
        frames.search_frame(progress=False)
    error = caught.value
    assert (error.offset, error.limit, error.attempts) == (300, 100, 3)
    assert isinstance(error.__cause__, ServerError)
    assert error.__cause__.status_code == 503
    assert server.count("page", 300) == 3


async def test_a_failing_page_in_async_code(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", 1000)] = httpx.ConnectError("refused")
    with pytest.raises(PageFetchError) as caught:
        await frames.asearch_frame(progress=False)
    assert caught.value.offset == 1000
    assert isinstance(caught.value.__cause__, ConnectionFailed)


def test_a_permanent_error_is_not_retried(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2)
    server.always[("page", 500)] = 500
    with pytest.raises(PageFetchError, match="asked once") as caught:
        frames.search_frame(progress=False)
    assert caught.value.attempts == 1
    assert server.count("page", 500) == 1


def test_the_count_failing(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", "count")] = 504
    with pytest.raises(PageFetchError, match="match count") as caught:
        frames.search_frame()
    assert (caught.value.offset, caught.value.limit) == (0, 0)


def test_no_request_is_left_running_after_a_failure(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", 400)] = 500
    server.always[("page", 100)] = 500
    # Every other page is still waiting for its answer when those two fail.
    server.stalled = {("page", offset) for offset in range(0, 1003, 100)} - {("page", 100), ("page", 400)}
    with pytest.raises(PageFetchError) as caught:
        frames.search_frame(progress=False, concurrency=11)
    assert caught.value.offset in (100, 400)
    assert server.in_flight == 0  # the other pages were cancelled and awaited


# -- details ------------------------------------------------------------------------------------------


def test_details_fetch_the_full_records_of_short_items(fake: FakeFixture) -> None:
    server, configure = fake
    server.short = True
    configure()
    short = frames.search_frame(limit=120, progress=False)
    assert short["created_at"].isna().all()
    assert not any(kind == "user" for kind, _ in server.requests)

    server.requests.clear()
    full = frames.search_frame(limit=120, details=True, progress=False)
    pd.testing.assert_frame_equal(full, users_frame(server.records[:120]))
    fetched = [key for kind, key in server.requests if kind == "user"]
    assert sorted(fetched) == sorted(record["id"] for record in server.records[:120])


def test_details_fetch_nothing_when_items_are_full(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    frame = frames.search_frame(limit=150, details=True, progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records[:150]))
    assert not any(kind == "user" for kind, _ in server.requests)


async def test_a_user_that_cannot_be_fetched(fake: FakeFixture) -> None:
    server, configure = fake
    server.short = True
    configure()
    victim = server.records[42]["id"]
    server.always[("user", victim)] = 404
    with pytest.raises(UserFetchError, match=victim) as caught:
        await frames.asearch_frame(limit=100, details=True, progress=False)
    assert caught.value.user_id == victim
    assert isinstance(caught.value.__cause__, NotFoundError)


# -- through User ----------------------------------------------------------------------------------


async def test_user_search_frame_and_asearch_frame(pd_connected: Sandbox) -> None:
    from eternaltwin.users import User

    expected = await frames.asearch_frame("an", progress=False)
    pd.testing.assert_frame_equal(await User.asearch_frame("an", progress=False), expected)
    pd.testing.assert_frame_equal(User.search_frame("an", progress=False, concurrency=2), expected)
    assert len(User.search_frame(limit=7, using="default")) == 7


# -- what the count promises is checked, never trusted blindly ------------------------------------------


def test_an_empty_page_in_the_middle_is_asked_again(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    served: list[int] = []

    def once_empty(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        served.append(offset)
        return {**reply, "items": []} if offset == 300 and served.count(300) == 1 else reply

    server.rewrite = once_empty
    frame = frames.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records))
    assert served.count(300) == 2


def test_rows_the_count_promised_that_never_come_raise_naming_the_offsets(fake: FakeFixture) -> None:
    server, configure = fake
    configure()

    def short_then_empty(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if offset == 300:
            return {**reply, "items": []}
        if offset == 500:
            return {**reply, "items": reply["items"][:50]}  # short: the rest is asked at 550...
        if offset == 550:
            return {**reply, "items": []}  # ... and never comes
        return reply

    server.rewrite = short_then_empty
    server.hold_until = (
        8  # the first 8 pages in flight together, as over a network: 500 asked before 300 answers
    )
    with pytest.raises(
        PageFetchError, match=r"offset 300 \(100 missing\), offset 550 \(50 missing\)"
    ) as caught:
        frames.search_frame(progress=False)
    error = caught.value
    assert error.gaps[:2] == [(300, 100), (550, 50)]
    # Whatever was not asked after the empty page (it looked like the end) is named too.
    missing = sum(rows for _, rows in error.gaps)
    assert f"sent {1003 - missing}:" in str(error)
    assert server.count("page", 300) == 2 and server.count("page", 550) == 2


def test_a_count_that_went_down_meanwhile_gives_a_warning_not_an_error(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    counts = iter([1003, 900])

    def deleted(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if limit == 0:
            return {**reply, "count": next(counts)}
        return {**reply, "items": reply["items"][: max(0, 900 - offset)]}

    server.rewrite = deleted
    with pytest.warns(EternaltwinWarning, match=r"from 1003 to 900.* 900 rows"):
        frame = frames.search_frame(progress=False)
    assert frame["id"].tolist() == [record["id"] for record in server.records[:900]]


def test_a_user_inserted_during_the_fetch_is_not_returned_twice(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    newcomer = {**server.records[0], "id": "00000000-0000-4000-8000-000000000001", "display_name": "New"}
    records = list(server.records)

    def insert_after_the_first_page(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if offset == 0 and limit:
            records.insert(50, newcomer)  # everyone from row 50 on moves one place down
            return reply
        items = records[offset : offset + limit]
        return {**reply, "count": len(records) if limit == 0 else len(server.records), "items": items}

    server.rewrite = insert_after_the_first_page
    with pytest.warns(EternaltwinWarning, match="came twice"):
        frame = frames.search_frame(progress=False, concurrency=1)
    assert frame["id"].is_unique
    assert len(frame) == 1003


def test_an_id_twice_in_one_page_is_returned_once(fake: FakeFixture) -> None:
    server, configure = fake
    configure()

    def twice_in_the_second_page(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if offset == 100 and limit:
            items = list(reply["items"])
            items[7] = items[3]  # the server repeats a user in place of another, in one page
            return {**reply, "items": items}
        return reply

    server.rewrite = twice_in_the_second_page
    # The user it replaced never came: an error naming the gap, not 1,003 rows with one id twice.
    with pytest.raises(PageFetchError, match="1 missing") as caught:
        frames.search_frame(progress=False, concurrency=2)
    assert "1 user(s) came more than once" in str(caught.value)
    rows: list[str] = []

    def sink(offset: int, records: list[Any]) -> None:
        rows.extend(record["id"] for record in records)

    async def fetch() -> None:
        await _bulk.fetch_search(async_connections.get_connection(), None, sink, progress=False)

    with pytest.raises(PageFetchError):
        asyncio.run(fetch())
    assert len(rows) == len(set(rows))  # what reached the sink holds each id once


def test_a_huge_count_creates_no_work_of_its_own(fake: FakeFixture) -> None:
    server, configure = fake
    configure()

    def liar(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        return {**reply, "count": 10**8}

    server.rewrite = liar
    with pytest.raises(PageFetchError, match="counted 100000000"):
        frames.search_frame(progress=False, concurrency=8)
    pages = [key for kind, key in server.requests if kind == "page" and key != "count"]
    assert len(pages) <= 11 + 8 + 1  # the real pages, one per worker past the end, and the gap asked again


async def test_iter_search_ends_against_a_server_that_ignores_offset(fake: FakeFixture) -> None:
    from eternaltwin.users import User

    server, configure = fake
    configure()
    server.rewrite = lambda offset, limit, reply: {**reply, "offset": 0, "items": server.records[:limit]}
    users = [user async for user in User.aiter_search(page_size=100)]
    assert [user.identifier for user in users] == [record["id"] for record in server.records[:100]]
    assert server.count("page", 100) == 1 and server.count("page", 200) == 0


async def test_iter_search_advances_by_what_it_received(fake: FakeFixture) -> None:
    from eternaltwin.users import User

    server, configure = fake
    server.max_limit = 30
    configure()
    users = [user async for user in User.aiter_search(page_size=100)]
    assert [user.identifier for user in users] == [record["id"] for record in server.records]


def test_a_server_that_ignores_offset_in_a_bulk_fetch(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.rewrite = lambda offset, limit, reply: {**reply, "items": server.records[:limit]}
    with pytest.raises(PageFetchError, match=r"sent 100: .*came more than once"):
        frames.search_frame(progress=False)
    assert len(server.requests) < 40
