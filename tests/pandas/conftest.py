"""Fixtures of the DataFrame tests.

``pd_sandbox``
    A sandbox of 1,003 users (1,000 generated and the 3 demo users), so that a search has 11 pages of
    100; shared by the session, read only.
``pd_connected``
    Both registries configured with ``default`` -> ``pd_sandbox``; closed and cleared afterwards.
``fake``
    A :class:`FakeServer` (an in-memory copy of ``pd_sandbox``'s users served through
    ``httpx.MockTransport``, to inject failures and count requests) and ``configure_fake(**options)`` to
    point both registries at it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from eternaltwin.connections import async_connections, connections
from eternaltwin.sandbox import Sandbox

FAKE_URL = "http://fake.test"
_USER_PATH = re.compile(r"^/api/v1/users/([^/]+)$")


@pytest.fixture(scope="session")
def pd_sandbox() -> Iterator[Sandbox]:
    """A sandbox of 1,003 users (read only)."""
    with Sandbox(population=1000) as server:
        yield server


@pytest.fixture(scope="session")
def all_records(pd_sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every user of ``pd_sandbox`` as its search returns them, paged sequentially (the reference)."""
    records: list[dict[str, Any]] = []
    with httpx.Client(base_url=pd_sandbox.url) as http:
        while True:
            reply = http.get("/api/v1/users", params={"q": "", "limit": 37, "offset": len(records)}).json()
            records.extend(reply["items"])
            if not reply["items"] or len(records) >= reply["count"]:
                return records


async def _reset() -> None:
    await async_connections.aclose()
    connections.close()
    async_connections.clear()
    connections.clear()


@pytest.fixture
async def pd_connected(pd_sandbox: Sandbox) -> AsyncIterator[Sandbox]:
    """Both registries: ``default`` -> ``pd_sandbox``."""
    await _reset()
    connections.configure(default={"url": pd_sandbox.url})
    async_connections.configure(default={"url": pd_sandbox.url})
    try:
        yield pd_sandbox
    finally:
        await _reset()


def _key(request: httpx.Request) -> tuple[str, Any] | None:
    """The ``(kind, key)`` of a request to :class:`FakeServer` (None: not a route it has)."""
    path = request.url.path
    if path == "/api/v1/users":
        limit = int(request.url.params.get("limit", "20"))
        offset = int(request.url.params.get("offset", "0"))
        return ("page", "count" if limit == 0 else offset)
    match = _USER_PATH.match(path)
    return ("user", match.group(1)) if match else None


class FakeServer:
    """An Eternaltwin user search over a fixed list of records, as an ``httpx.MockTransport`` handler.

    Attributes
    ----------
    records : list of dict
        The users, in search order.
    short : bool
        Serve search items in the short shape (``type``, ``id``, ``display_name``) only.
    faults : dict
        ``(kind, key) -> list`` of what to answer before the real reply, one entry per request: an int
        (a status, empty JSON error body), an ``(int, headers)`` pair, or an exception instance to raise.
        ``kind`` is ``"page"`` (key: the offset; the count request is offset 0 with limit 0, key
        ``"count"``) or ``"user"`` (key: the user id). A key with ``"always"`` in ``always`` fails forever.
    requests : list of (kind, key)
        Every request received, in order.
    in_flight, max_in_flight : int
        Concurrent requests now and at most.
    hold_until : int
        When above 0, page requests are held until that many requests are in flight at once (then none
        is held any more): a client that overlaps that many requests shows it in ``max_in_flight`` without
        any timing involved. A client that cannot get there is let through after a while (its
        ``max_in_flight`` stays lower).
    stalled : set of (kind, key)
        Requests that never get an answer: they wait until the client cancels them.
    max_limit : int
        The largest page served (100, like the sandbox).
    rewrite : callable or None
        ``rewrite(offset, limit, reply) -> reply``: changes a search reply before it is sent (a page that
        comes back empty or short, a count that lies, a server that ignores ``offset``...).
    """

    def __init__(self, records: list[dict[str, Any]], *, short: bool = False, hold_until: int = 0) -> None:
        self.records = records
        self.short = short
        self.hold_until = hold_until
        self.stalled: set[tuple[str, Any]] = set()
        self.max_limit = 100
        self.faults: dict[tuple[str, Any], list[Any]] = {}
        self.always: dict[tuple[str, Any], Any] = {}
        self.requests: list[tuple[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.rewrite: Callable[[int, int, dict[str, Any]], dict[str, Any]] | None = None
        self._by_id = {record["id"]: record for record in records}

    def count(self, kind: str, key: Any) -> int:
        """How many requests ``(kind, key)`` got."""
        return sum(1 for request in self.requests if request == (kind, key))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold_until and int(request.url.params.get("limit", "20")) > 0:
                await self._hold()
            if _key(request) in self.stalled:
                await asyncio.Event().wait()  # until cancelled
            return self._answer(request)
        finally:
            self.in_flight -= 1

    async def _hold(self) -> None:
        """Yield to the other requests until ``hold_until`` are in flight (see the class notes)."""
        for _ in range(10_000):  # each turn lets every other ready task run: plenty to get there
            if self.in_flight >= self.hold_until:
                self.hold_until = 0  # reached: release everyone, hold nobody after
            if not self.hold_until:
                return
            await asyncio.sleep(0)
        self.hold_until = 0

    def _answer(self, request: httpx.Request) -> httpx.Response:
        key = _key(request)
        if key is None:
            return httpx.Response(404, json={"error": "NotFound"})
        self.requests.append(key)
        fault = self.always.get(key)
        if fault is None and self.faults.get(key):
            fault = self.faults[key].pop(0)
        if fault is not None:
            if isinstance(fault, BaseException):
                raise fault
            status, headers = fault if isinstance(fault, tuple) else (fault, {})
            return httpx.Response(status, json={"error": "Injected"}, headers=headers)
        if key[0] == "user":
            record = self._by_id.get(key[1])
            if record is None:
                return httpx.Response(404, json={"error": "UserNotFound"})
            return httpx.Response(200, json=record)
        offset = int(request.url.params.get("offset", "0"))
        limit = min(int(request.url.params.get("limit", "20")), self.max_limit)
        items = self.records[offset : offset + limit]
        if self.short:
            items = [{"type": "User", "id": r["id"], "display_name": r["display_name"]} for r in items]
        reply = {"offset": offset, "limit": limit, "count": len(self.records), "items": items}
        if self.rewrite is not None:
            reply = self.rewrite(offset, limit, reply)
        return httpx.Response(200, json=reply)


@pytest.fixture
async def point_at() -> AsyncIterator[Callable[[str, Any], Callable[..., Any]]]:
    """``point_at(url, server)`` gives ``configure(**options)``, which points both registries' ``default``
    at ``server`` (a handler served through ``httpx.MockTransport`` as ``url``; ``max_retries=0`` unless
    given, and retries do not wait) and returns ``server``. The registries are cleared before and after."""

    def point(url: str, server: Any) -> Callable[..., Any]:
        def configure(**options: Any) -> Any:
            settings = {
                "url": url,
                "transport": httpx.MockTransport(server),
                "max_retries": 0,
                "retry_backoff": 0.0,
                **options,
            }
            connections.configure(default=settings)
            async_connections.configure(default=settings)
            return server

        return configure

    await _reset()
    try:
        yield point
    finally:
        await _reset()


@pytest.fixture
def fake(
    all_records: list[dict[str, Any]], point_at: Callable[[str, Any], Callable[..., Any]]
) -> tuple[FakeServer, Callable[..., FakeServer]]:
    """``(server, configure)``: a FakeServer over ``all_records``; ``configure(**options)`` points both
    registries' ``default`` at it (see ``point_at``)."""
    server = FakeServer(all_records)
    return server, point_at(FAKE_URL, server)
