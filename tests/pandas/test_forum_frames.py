"""``forum_threads_frame`` and ``forum_posts_frame`` (and their async twins): against the sandbox over HTTP,
and against :class:`FakeForum`, a copy of its forum served through ``httpx.MockTransport`` to inject faults.
"""

from __future__ import annotations

import asyncio
import copy
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd
import pytest

from eternaltwin import pandas as frames
from eternaltwin.exceptions import (
    EternaltwinWarning,
    InvalidArgumentError,
    InvalidForumIdError,
    PageFetchError,
    ServerError,
)
from eternaltwin.forum import ForumThread
from eternaltwin.sandbox import Sandbox

FAKE_URL = "http://forum.test"
_PATH = re.compile(r"^/api/v1/forum/(sections|threads)(?:/([^/]+))?$")

Snapshot = dict[str, Any]


def _every(http: httpx.Client, path: str, member: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The object at ``path`` and every item of its listing ``member``, paged by 37."""
    items: list[dict[str, Any]] = []
    while True:
        reply = http.get(path, params={"offset": len(items), "limit": 37}).json()
        items += reply[member]["items"]
        if not reply[member]["items"] or len(items) >= reply[member]["count"]:
            return reply, items


@pytest.fixture(scope="session")
def snapshot(pd_sandbox: Sandbox) -> Snapshot:
    """The whole forum of ``pd_sandbox``, read sequentially with plain httpx (the reference)."""
    with httpx.Client(base_url=pd_sandbox.url) as http:
        sections = http.get("/api/v1/forum/sections").json()["items"]
        threads: dict[str, list[dict[str, Any]]] = {}
        posts: dict[str, list[dict[str, Any]]] = {}
        for section in sections:
            _, threads[section["id"]] = _every(http, f"/api/v1/forum/sections/{section['id']}", "threads")
            for thread in threads[section["id"]]:
                _, posts[thread["id"]] = _every(http, f"/api/v1/forum/threads/{thread['id']}", "posts")
    return {"sections": sections, "threads": threads, "posts": posts}


def expected_threads(snap: Snapshot) -> pd.DataFrame:
    rows = [
        (s["id"], s["key"], s["locale"], t["id"], t["title"], t["ctime"], t["is_pinned"], t["is_locked"],
         t["posts"]["count"])
        for s in snap["sections"]
        for t in snap["threads"][s["id"]]
    ]  # fmt: skip
    return _typed(rows, frames.THREAD_COLUMNS)


def expected_posts(snap: Snapshot, thread_ids: list[str]) -> pd.DataFrame:
    rows = []
    for thread_id in thread_ids:
        for post in snap["posts"][thread_id]:
            user = post["author"].get("user") or {}
            content = post["revisions"]["last"]["content"]
            rows.append(
                (
                    thread_id,
                    post["id"],
                    post["ctime"],
                    user.get("id"),
                    user["display_name"]["current"]["value"] if user else None,
                    None if content is None else len(content["marktwin"]),
                    post["revisions"]["count"],
                )
            )
    return _typed(rows, frames.POST_COLUMNS)


def _typed(rows: list[tuple[Any, ...]], columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=object)
    for name, dtype in columns.items():
        if str(dtype).startswith("datetime"):
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").dt.as_unit("ns")
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def all_thread_ids(snap: Snapshot) -> list[str]:
    return [t["id"] for s in snap["sections"] for t in snap["threads"][s["id"]]]


def thread_of(snap: Snapshot, key: str) -> dict[str, Any]:
    return next(t for threads in snap["threads"].values() for t in threads if t["key"] == key)


def longest(snap: Snapshot) -> str:
    return max(snap["posts"], key=lambda thread_id: len(snap["posts"][thread_id]))


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


# -- against the sandbox ------------------------------------------------------------------------------


def test_threads_frame(pd_connected: Sandbox, snapshot: Snapshot) -> None:
    frame = frames.forum_threads_frame(progress=False)
    assert dtypes(frame) == {name: str(dtype) for name, dtype in frames.THREAD_COLUMNS.items()}
    pd.testing.assert_frame_equal(frame, expected_threads(snapshot))
    assert len(frame) == 100 + 5  # population // 10, and the demo threads
    assert frame["is_pinned"].any() and frame["is_locked"].any() and frame["posts"].max() > 100


async def test_async_threads_frame_is_the_same(pd_connected: Sandbox, snapshot: Snapshot) -> None:
    frame = await frames.aforum_threads_frame(progress=False, concurrency=2)
    pd.testing.assert_frame_equal(frame, expected_threads(snapshot))


def test_posts_frame_of_every_thread(pd_connected: Sandbox, snapshot: Snapshot) -> None:
    frame = frames.forum_posts_frame(progress=False)
    assert dtypes(frame) == {name: str(dtype) for name, dtype in frames.POST_COLUMNS.items()}
    pd.testing.assert_frame_equal(frame, expected_posts(snapshot, all_thread_ids(snapshot)))
    assert frame["content_length"].isna().any() and (frame["revisions"] > 1).any()  # removed, edited


async def test_posts_frame_of_given_threads(pd_connected: Sandbox, snapshot: Snapshot) -> None:
    welcome, rules = thread_of(snapshot, "en_welcome"), thread_of(snapshot, "en_rules")
    long_id = longest(snapshot)
    given = ["en_welcome", uuid.UUID(long_id), rules["id"].upper(), welcome["id"], "en_rules"]
    frame = await frames.aforum_posts_frame(given, progress=False)
    # Keys become ids; each thread once, in the order first given; several pages for the long one.
    pd.testing.assert_frame_equal(frame, expected_posts(snapshot, [welcome["id"], long_id, rules["id"]]))
    assert frame["author_name"].tolist()[:4] == ["Alice", "Bob", "Charlie", "Alice"]

    threads = frames.forum_threads_frame(progress=False)
    pinned = threads[threads["is_pinned"]]
    by_frame = frames.forum_posts_frame(pinned, progress=False)
    pd.testing.assert_frame_equal(by_frame, expected_posts(snapshot, pinned["thread_id"].tolist()))
    thread = ForumThread.from_json({**welcome, "posts": {"count": 4}})
    single = frames.forum_posts_frame(thread, progress=False)
    pd.testing.assert_frame_equal(single, expected_posts(snapshot, [welcome["id"]]))


def test_progress_bar_for_many_threads(
    pd_connected: Sandbox, capsys: pytest.CaptureFixture[str], snapshot: Snapshot
) -> None:
    frames.forum_posts_frame()
    err = capsys.readouterr().err
    assert "Threads" not in err  # 105 threads: a few pages
    total = sum(len(posts) for posts in snapshot["posts"].values())
    assert "Posts" in err and f"{total}/{total}" in err
    frames.forum_posts_frame(progress=False)
    assert "Posts" not in capsys.readouterr().err


# -- FakeForum ----------------------------------------------------------------------------------------


class FakeForum:
    """The snapshot's forum as an ``httpx.MockTransport`` handler.

    Attributes
    ----------
    faults : dict
        ``(kind, id, offset) -> list`` of what to answer before the real reply, one per request: a status
        (JSON error body), or an exception instance to raise. ``kind`` is ``"section"`` or ``"thread"``
        (``id`` the object's id, whatever reference the request used), or ``("sections", None, 0)``.
    always : dict
        ``(kind, id, offset) -> fault`` answered forever.
    requests : list of (kind, id, offset, limit)
    in_flight, max_in_flight : int
    hold_until : int
        When above 0, requests are held until that many are in flight at once (then none is held any
        more): overlapping requests show in ``max_in_flight`` with no timing involved (as in
        ``FakeServer`` of conftest.py).
    max_limit : int
        The largest page served.
    rewrite : callable or None
        ``rewrite(kind, id, offset, limit, reply) -> reply``.
    """

    def __init__(self, snap: Snapshot) -> None:
        self.snap = copy.deepcopy(snap)
        self.sections = {s["id"]: s for s in self.snap["sections"]}
        self.threads = {t["id"]: (s, t) for s in self.snap["sections"] for t in self.snap["threads"][s["id"]]}
        self.faults: dict[tuple[str, Any, int], list[Any]] = {}
        self.always: dict[tuple[str, Any, int], Any] = {}
        self.requests: list[tuple[str, Any, int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_until = 0
        self.max_limit = 100
        self.rewrite: Callable[[str, Any, int, int, dict[str, Any]], dict[str, Any]] | None = None

    def count(self, kind: str, object_id: Any, offset: int) -> int:
        return sum(1 for request in self.requests if request[:3] == (kind, object_id, offset))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold_until:
                await self._hold()
            return self._answer(request)
        finally:
            self.in_flight -= 1

    async def _hold(self) -> None:
        for _ in range(10_000):  # each turn lets every other ready task run: plenty to get there
            if self.in_flight >= self.hold_until:
                self.hold_until = 0  # reached: release everyone, hold nobody after
            if not self.hold_until:
                return
            await asyncio.sleep(0)
        self.hold_until = 0

    def _find(self, kind: str, reference: str) -> Any:
        if kind == "sections":
            section = self.sections.get(reference) or next(
                (s for s in self.sections.values() if s["key"] == reference), None
            )
            return section and section["id"]
        found = self.threads.get(reference) or next(
            ((s, t) for s, t in self.threads.values() if t["key"] == reference), None
        )
        return found and found[1]["id"]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        match = _PATH.match(request.url.path)
        if match is None:
            return httpx.Response(404, json={"error": "NotFound"})
        offset = int(request.url.params.get("offset", "0"))
        limit = int(request.url.params.get("limit", "20"))
        if match.group(2) is None:
            key: tuple[str, Any, int] = ("sections", None, 0)
        else:
            object_id = self._find(match.group(1), match.group(2))
            if object_id is None:
                return httpx.Response(404, json={"error": "NotFound"})
            key = ("section" if match.group(1) == "sections" else "thread", object_id, offset)
        self.requests.append((*key, limit))
        fault = self.always.get(key)
        if fault is None and self.faults.get(key):
            fault = self.faults[key].pop(0)
        if isinstance(fault, BaseException):
            raise fault
        if fault is not None:
            return httpx.Response(fault, json={"error": "Injected"})
        reply = self._reply(key, offset, min(limit, self.max_limit), limit)
        if self.rewrite is not None:
            reply = self.rewrite(key[0], key[1], offset, limit, reply)
        return httpx.Response(200, json=reply)

    def _reply(self, key: tuple[str, Any, int], offset: int, served: int, limit: int) -> dict[str, Any]:
        kind, object_id, _ = key
        snap = self.snap
        if kind == "sections":
            return {
                "items": [
                    {**s, "threads": {"count": len(snap["threads"][s["id"]])}} for s in snap["sections"]
                ]
            }
        if kind == "section":
            items = snap["threads"][object_id]
            meta = self.sections[object_id]
            listing = {
                "offset": offset,
                "limit": limit,
                "count": len(items),
                "items": items[offset : offset + served],
            }
            return {**meta, "threads": listing, "role_grants": []}
        section, thread = self.threads[object_id]
        items = snap["posts"][object_id]
        listing = {
            "offset": offset,
            "limit": limit,
            "count": len(items),
            "items": items[offset : offset + served],
        }
        return {**thread, "section": section, "posts": listing}


@pytest.fixture
def forum(
    snapshot: Snapshot, point_at: Callable[[str, Any], Callable[..., Any]]
) -> tuple[FakeForum, Callable[..., FakeForum]]:
    """``(server, configure)``: a FakeForum; ``configure(**options)`` points both registries at it
    (see ``point_at``)."""
    server = FakeForum(snapshot)
    return server, point_at(FAKE_URL, server)


ForumFixture = tuple[FakeForum, Callable[..., FakeForum]]


def test_the_fake_serves_what_the_sandbox_does(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()
    pd.testing.assert_frame_equal(frames.forum_threads_frame(progress=False), expected_threads(snapshot))
    # One request for the sections, then one per page of each section (no count request: the listing
    # gave the counts); an empty section would cost nothing.
    sections = [r for r in server.requests if r[0] != "section"]
    assert sections == [("sections", None, 0, 20)]


def test_posts_are_fetched_concurrently_and_bounded(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    server.hold_until = 3  # the first requests wait until 3 are in flight together
    configure()
    ids = [*all_thread_ids(snapshot)[:40], longest(snapshot)]
    frame = frames.forum_posts_frame(ids, concurrency=3, progress=False)
    pd.testing.assert_frame_equal(frame, expected_posts(snapshot, list(dict.fromkeys(ids))))
    assert server.max_in_flight == 3
    # The first page of every thread, then the long thread's next pages: each page asked once.
    pages = [(r[1], r[2]) for r in server.requests]
    assert (
        len(pages)
        == len(set(pages))
        == len(set(ids)) + (len(snapshot["posts"][longest(snapshot)]) - 1) // 100
    )


def test_the_clients_retries_recover_a_page(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure(max_retries=2, retry_backoff=0.001)
    long_id = longest(snapshot)
    server.faults[("thread", long_id, 100)] = [503, httpx.ConnectError("refused")]
    frame = frames.forum_posts_frame([long_id], progress=False)
    pd.testing.assert_frame_equal(frame, expected_posts(snapshot, [long_id]))
    assert server.count("thread", long_id, 100) == 3


def test_a_failing_section_page_names_the_section(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure(max_retries=1, retry_backoff=0.001)
    french = next(s for s in snapshot["sections"] if s["key"] == "fr_main")
    server.always[("section", french["id"], 0)] = 503
    with pytest.raises(PageFetchError) as caught:
        frames.forum_threads_frame(progress=False)
    message = str(caught.value)
    size = min(100, len(snapshot["threads"][french["id"]]))  # a page is cut at the count
    assert f"the threads of forum section 'fr_main' at offset 0 (limit {size}), asked 2 times" in message
    assert caught.value.listing == "the threads of forum section 'fr_main'" and caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, ServerError)


async def test_a_failing_thread_page_names_the_thread(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()
    long_id = longest(snapshot)
    server.always[("thread", long_id, 200)] = 500
    with pytest.raises(
        PageFetchError, match=f"the posts of forum thread '{long_id}' at offset 200"
    ) as caught:
        await frames.aforum_posts_frame(progress=False)
    assert (caught.value.offset, caught.value.limit) == (200, min(100, len(snapshot["posts"][long_id]) - 200))
    current = asyncio.current_task()
    assert all(task is current or task.done() for task in asyncio.all_tasks())  # none left running


def test_the_sections_listing_failing(forum: ForumFixture) -> None:
    server, configure = forum
    configure()
    server.always[("sections", None, 0)] = 502
    with pytest.raises(PageFetchError, match="the forum sections"):
        frames.forum_posts_frame(progress=False)
    assert [r[0] for r in server.requests] == ["sections"]


def test_a_short_page_is_asked_again(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()
    long_id = longest(snapshot)
    cut = {"done": False}

    def rewrite(kind: str, object_id: Any, offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "thread" and object_id == long_id and offset == 100 and not cut["done"]:
            cut["done"] = True
            reply["posts"]["items"] = reply["posts"]["items"][:30]
        return reply

    server.rewrite = rewrite
    frame = frames.forum_posts_frame([long_id], progress=False)
    pd.testing.assert_frame_equal(frame, expected_posts(snapshot, [long_id]))
    assert server.count("thread", long_id, 130) == 1


def test_posts_the_count_promised_that_never_come(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()
    long_id = longest(snapshot)

    def rewrite(kind: str, object_id: Any, offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "thread" and object_id == long_id:
            reply["posts"]["items"] = reply["posts"]["items"][: max(0, 150 - offset)]
        return reply

    server.rewrite = rewrite
    total = len(snapshot["posts"][long_id])
    with pytest.raises(PageFetchError) as caught:
        frames.forum_posts_frame(["en_welcome", long_id], progress=False)
    message = str(caught.value)
    assert f"counted {total} items in the posts of forum thread '{long_id}' but sent 150" in message
    assert "offset 150" in message and caught.value.listing == f"the posts of forum thread '{long_id}'"


def test_a_count_that_went_down_gives_a_warning(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()
    long_id = longest(snapshot)
    posts = server.snap["posts"][long_id]

    def rewrite(kind: str, object_id: Any, offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "thread" and object_id == long_id and offset == 0:
            del posts[120:]  # deleted after the first page was served
        return reply

    server.rewrite = rewrite
    with pytest.warns(
        EternaltwinWarning,
        match=f"forum thread '{long_id}' went from {len(snapshot['posts'][long_id])} to 120",
    ):
        frame = frames.forum_posts_frame([long_id], progress=False)
    assert len(frame) == 120


def test_a_paged_sections_listing_that_is_not_whole(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()

    def rewrite(kind: str, object_id: Any, offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "sections":
            return {"offset": 0, "limit": 2, "count": 5, "items": reply["items"][:2]}
        return reply

    server.rewrite = rewrite
    with pytest.raises(PageFetchError, match=r"counted 5 items in the forum sections but sent 2"):
        frames.forum_threads_frame(progress=False)


def test_odd_records_become_missing_values(forum: ForumFixture, snapshot: Snapshot) -> None:
    server, configure = forum
    configure()

    def rewrite(kind: str, object_id: Any, offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "sections":
            for section in reply["items"]:
                section["key"] = section["locale"] = None
        if kind == "section":
            for thread in reply["threads"]["items"]:
                thread.update(title=None, ctime=12, is_pinned="no", posts=None)
        if kind == "thread":
            for post in reply["posts"]["items"]:
                post.update(author={"type": "ClientForumActor", "client": {"id": "c", "display_name": "Bot"}})
                post["revisions"] = {"count": "2"}
        return reply

    server.rewrite = rewrite
    threads = frames.forum_threads_frame(progress=False)
    assert dtypes(threads) == {name: str(dtype) for name, dtype in frames.THREAD_COLUMNS.items()}
    for column in ("section_key", "locale", "title", "ctime", "is_pinned", "posts"):
        assert threads[column].isna().all(), column
    assert threads["is_locked"].notna().all()
    posts = frames.forum_posts_frame(threads.head(3), progress=False)
    assert dtypes(posts) == {name: str(dtype) for name, dtype in frames.POST_COLUMNS.items()}
    assert posts["author_id"].isna().all() and set(posts["author_name"]) == {"Bot"}
    assert posts["content_length"].isna().all() and posts["revisions"].isna().all()


async def test_empty_inputs_give_empty_typed_frames_without_a_request(forum: ForumFixture) -> None:
    server, configure = forum
    configure()
    for threads in ([], (), pd.DataFrame({"thread_id": pd.array([], dtype="string")})):
        frame = frames.forum_posts_frame(threads, progress=False)
        assert frame.empty and dtypes(frame) == {n: str(d) for n, d in frames.POST_COLUMNS.items()}
        frame = await frames.aforum_posts_frame(threads, progress=False)
        assert frame.empty and list(frame.columns) == list(frames.POST_COLUMNS)
    assert server.requests == []


def test_a_forum_without_threads(forum: ForumFixture) -> None:
    server, configure = forum
    for section in server.snap["sections"]:
        server.snap["threads"][section["id"]] = []
    configure()
    threads = frames.forum_threads_frame(progress=False)
    assert threads.empty and dtypes(threads) == {n: str(d) for n, d in frames.THREAD_COLUMNS.items()}
    assert frames.forum_posts_frame(progress=False).empty
    assert {r[0] for r in server.requests} == {"sections"}  # empty sections cost no request


@pytest.mark.parametrize(
    ("threads", "error", "fragment"),
    [
        (42, InvalidArgumentError, "not int"),
        (b"en_welcome", InvalidArgumentError, "not bytes"),
        ({"thread_id": "x"}, InvalidArgumentError, "not dict"),
        ([""], InvalidForumIdError, "'' is not a forum thread id or key"),
        (["en_welcome", None], InvalidForumIdError, "NoneType"),
        (pd.DataFrame({"id": ["x"]}), InvalidArgumentError, "without a 'thread_id' column"),
        (
            pd.DataFrame({"thread_id": pd.array(["x", None], dtype="string")}),
            InvalidArgumentError,
            "no thread_id",
        ),
    ],
)
async def test_bad_threads_are_refused_before_any_request(
    forum: ForumFixture, threads: Any, error: type[Exception], fragment: str
) -> None:
    server, configure = forum
    configure()
    with pytest.raises(error, match=re.escape(fragment)):
        frames.forum_posts_frame(threads)
    with pytest.raises(error, match=re.escape(fragment)):
        await frames.aforum_posts_frame(threads)
    with pytest.raises(ValueError, match="concurrency"):
        frames.forum_threads_frame(concurrency=0)
    assert server.requests == []
