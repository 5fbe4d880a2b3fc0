"""search_frame / asearch_frame: every page, concurrently, in the server's order; retries and failures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pandas as pd
import pytest

from eternaltwin import _bulk
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import (
    ConnectionFailed,
    NotFoundError,
    PageFetchError,
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
    frame = _bulk.search_frame(progress=False)
    expected = sequential_pages(41)
    assert len(frame) == len(expected) == 1003
    assert frame["id"].tolist() == [record["id"] for record in expected]
    pd.testing.assert_frame_equal(frame, users_frame(expected))
    assert_columns(frame)


async def test_async_version_gives_the_same_frame(pd_connected: Sandbox) -> None:
    frame = await _bulk.asearch_frame(progress=False, concurrency=3)
    expected = await asyncio.to_thread(sequential_pages, 100)
    pd.testing.assert_frame_equal(frame, users_frame(expected))


async def test_sync_version_inside_a_running_event_loop(pd_connected: Sandbox) -> None:
    asyncio.get_running_loop()  # as in a notebook cell
    frame = _bulk.search_frame(progress=False)
    again = await _bulk.asearch_frame(progress=False)
    pd.testing.assert_frame_equal(frame, again)
    assert len(frame) == 1003
    # the sync call used a client of its own: the async registry's can still be used on this loop
    page = await async_connections.get_connection().users.search(limit=1)
    assert page.json()["count"] == 1003


def test_sync_calls_reuse_one_tls_context(pd_connected: Sandbox) -> None:
    from eternaltwin.clients._transports import tls_context

    _bulk.search_frame(limit=1)
    before = tls_context.cache_info()
    _bulk.search_frame(limit=1)
    after = tls_context.cache_info()
    assert after.hits > before.hits and after.misses == before.misses


def test_limit(pd_connected: Sandbox) -> None:
    expected = sequential_pages(100)
    frame = _bulk.search_frame(limit=250, progress=False)
    assert frame["id"].tolist() == [record["id"] for record in expected[:250]]
    assert len(_bulk.search_frame(limit=5000, progress=False)) == 1003
    empty = _bulk.search_frame(limit=0)
    assert len(empty) == 0
    assert_columns(empty)


def test_query(pd_connected: Sandbox) -> None:
    client = connections.get_connection()
    count = client.users.search("an", limit=0).json()["count"]
    assert 100 < count < 1003  # several pages, not everyone
    frame = _bulk.search_frame("an", progress=False)
    assert len(frame) == count
    expected = client.users.search("an", limit=100, offset=100).json()["items"]
    assert frame["id"].tolist()[100:200] == [record["id"] for record in expected]
    assert len(_bulk.search_frame("no such user anywhere", progress=False)) == 0


def test_arguments_are_checked(pd_connected: Sandbox) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        _bulk.search_frame(concurrency=0)
    with pytest.raises(ValueError, match="limit"):
        _bulk.search_frame(limit=-1)
    with pytest.raises(UnknownAliasError):
        _bulk.search_frame(using="nowhere")


# -- progress bar -------------------------------------------------------------------------------------


def test_progress_bar_shown_for_many_pages(pd_connected: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    _bulk.search_frame()
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
    _bulk.search_frame(**options)
    err = capsys.readouterr().err
    assert ("Users" in err) is shown


# -- concurrency, retries and failures (MockTransport) ------------------------------------------------


def test_pages_are_fetched_concurrently_and_bounded(fake: FakeFixture) -> None:
    server, configure = fake
    server.hold_until = 4  # the first page requests wait until 4 are in flight together
    configure()
    frame = _bulk.search_frame(concurrency=4, progress=False)
    assert frame["id"].tolist() == [record["id"] for record in server.records]
    assert server.max_in_flight == 4
    pages = [key for kind, key in server.requests if kind == "page" and key != "count"]
    assert sorted(pages) == list(range(0, 1003, 100))
    assert server.requests[0] == ("page", "count")  # the count first


def test_a_server_with_smaller_pages_is_paged_through(fake: FakeFixture) -> None:
    server, configure = fake
    server.max_limit = 30
    configure()
    frame = _bulk.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records))
    assert ("page", 30) in server.requests and ("page", 60) in server.requests


def test_the_clients_retries_recover_a_page(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2, retry_backoff=0.001)
    server.faults[("page", 100)] = [503, 502]
    frame = _bulk.search_frame(progress=False)
    assert frame["id"].tolist() == [record["id"] for record in server.records]
    assert server.count("page", 100) == 3


def test_page_level_retries_beyond_the_client(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=0)
    server.faults[("page", 200)] = [503, httpx.ConnectError("refused")]
    server.faults[("page", 700)] = [(429, {"Retry-After": "0"})]
    frame = _bulk.search_frame(progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records))
    assert server.count("page", 200) == 3
    assert server.count("page", 700) == 2


def test_a_page_that_always_fails_raises_naming_its_offset(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", 300)] = 503
    with pytest.raises(PageFetchError, match=r"offset 300 \(limit 100\), asked 3 times") as caught:
        _bulk.search_frame(progress=False)
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
        await _bulk.asearch_frame(progress=False)
    assert caught.value.offset == 1000
    assert isinstance(caught.value.__cause__, ConnectionFailed)


def test_a_permanent_error_is_not_retried(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", 500)] = 500
    with pytest.raises(PageFetchError, match="asked once") as caught:
        _bulk.search_frame(progress=False)
    assert caught.value.attempts == 1
    assert server.count("page", 500) == 1


def test_the_count_failing(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", "count")] = 504
    with pytest.raises(PageFetchError, match="match count") as caught:
        _bulk.search_frame()
    assert (caught.value.offset, caught.value.limit) == (0, 0)


def test_no_request_is_left_running_after_a_failure(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.always[("page", 400)] = 500
    server.always[("page", 100)] = 500
    # Every other page is still waiting for its answer when those two fail.
    server.stalled = {("page", offset) for offset in range(0, 1003, 100)} - {("page", 100), ("page", 400)}
    with pytest.raises(PageFetchError) as caught:
        _bulk.search_frame(progress=False, concurrency=11)
    assert caught.value.offset in (100, 400)
    assert server.in_flight == 0  # the other pages were cancelled and awaited


# -- details ------------------------------------------------------------------------------------------


def test_details_fetch_the_full_records_of_short_items(fake: FakeFixture) -> None:
    server, configure = fake
    server.short = True
    configure()
    short = _bulk.search_frame(limit=120, progress=False)
    assert short["created_at"].isna().all()
    assert not any(kind == "user" for kind, _ in server.requests)

    server.requests.clear()
    full = _bulk.search_frame(limit=120, details=True, progress=False)
    pd.testing.assert_frame_equal(full, users_frame(server.records[:120]))
    fetched = [key for kind, key in server.requests if kind == "user"]
    assert sorted(fetched) == sorted(record["id"] for record in server.records[:120])


def test_details_fetch_nothing_when_items_are_full(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    frame = _bulk.search_frame(limit=150, details=True, progress=False)
    pd.testing.assert_frame_equal(frame, users_frame(server.records[:150]))
    assert not any(kind == "user" for kind, _ in server.requests)


async def test_a_user_that_cannot_be_fetched(fake: FakeFixture) -> None:
    server, configure = fake
    server.short = True
    configure()
    victim = server.records[42]["id"]
    server.always[("user", victim)] = 404
    with pytest.raises(UserFetchError, match=victim) as caught:
        await _bulk.asearch_frame(limit=100, details=True, progress=False)
    assert caught.value.user_id == victim
    assert isinstance(caught.value.__cause__, NotFoundError)


# -- through User ----------------------------------------------------------------------------------


async def test_user_search_frame_and_asearch_frame(pd_connected: Sandbox) -> None:
    from eternaltwin.users import User

    expected = await _bulk.asearch_frame("an", progress=False)
    pd.testing.assert_frame_equal(await User.asearch_frame("an", progress=False), expected)
    pd.testing.assert_frame_equal(User.search_frame("an", progress=False, concurrency=2), expected)
    assert len(User.search_frame(limit=7, using="default")) == 7
