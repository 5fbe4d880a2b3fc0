"""Bulk pages through the aiohttp engine over real HTTP on loopback: a request's place among those in flight
is freed as soon as its reply is in (before the kit reads it), and the bound on requests in flight holds.

The server runs in the test's own event loop, so what it counts (requests received and not yet answered)
needs no timing: a request counts from the moment the server reads it to the moment it writes the reply.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pandas as pd
import pytest

import eternaltwin.pandas as frames
from eternaltwin import _bulk
from eternaltwin.clients import _transports
from eternaltwin.connections import async_connections, connections
from eternaltwin.pandas import users_frame

pytest.importorskip("aiohttp")


class LoopbackSearch(asyncio.Protocol):
    """One connection of :class:`LoopbackServer`: GET requests of the user search, kept alive."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
            self.server.received(self, target)

    def answer(self, body: bytes, status: bytes = b"200 OK") -> None:
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 "
            + status
            + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )


class LoopbackServer:
    """The user search over ``records``, on 127.0.0.1, counting the requests in flight.

    Attributes
    ----------
    in_flight, max_in_flight : int
    hold_until : int
        When above 0, page requests are answered only once that many are in flight together (then none
        is held any more): a client that keeps that many in flight shows it in ``max_in_flight``.
    offsets : list of int
        The ``offset`` of each page request, in the order received.
    failures : dict
        ``offset -> n``: the first ``n`` requests of that page are answered 503 at once.
    """

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_until = 0
        self.held: list[tuple[LoopbackSearch, bytes]] = []
        self.offsets: list[int] = []
        self.failures: dict[int, int] = {}
        self.url = ""

    def received(self, connection: LoopbackSearch, target: str) -> None:
        query = parse_qs(urlsplit(target).query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        items = self.records[offset : offset + min(limit, 100)]
        body = json.dumps({"offset": offset, "limit": limit, "count": len(self.records), "items": items})
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if limit:
            self.offsets.append(offset)
        if not limit or self.failures.get(offset):  # (the count and failures are never held)
            self.in_flight -= 1
            if limit and self.failures.get(offset):
                self.failures[offset] -= 1
                connection.answer(b'{"error":"Unavailable"}', b"503 Service Unavailable")
            else:
                connection.answer(body.encode())
            return
        self.held.append((connection, body.encode()))
        if not self.hold_until or self.in_flight >= self.hold_until:
            self.hold_until = 0
            held, self.held = self.held, []
            for waiting, reply in held:
                self.in_flight -= 1
                waiting.answer(reply)


@pytest.fixture
async def loopback(all_records: list[dict[str, Any]]) -> AsyncIterator[LoopbackServer]:
    """A :class:`LoopbackServer` over the users of ``pd_sandbox``; the async registry's ``default`` points
    at it through the aiohttp engine."""
    server = LoopbackServer(all_records)
    loop = asyncio.get_running_loop()
    listening = await loop.create_server(lambda: LoopbackSearch(server), "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}"
    await async_connections.aclose()
    async_connections.clear()
    connections.clear()
    async_connections.configure(default={"url": server.url, "async_backend": "aiohttp", "retry_backoff": 0.0})
    try:
        yield server
    finally:
        await async_connections.aclose()
        async_connections.clear()
        listening.close()
        await listening.wait_closed()


async def test_the_bound_on_requests_in_flight_holds(
    loopback: LoopbackServer, all_records: list[dict[str, Any]]
) -> None:
    loopback.hold_until = 4  # the first pages wait until 4 are in flight together
    frame = await frames.asearch_frame(progress=False, concurrency=4)
    pd.testing.assert_frame_equal(frame, users_frame(all_records))
    assert loopback.max_in_flight == 4
    assert sorted(loopback.offsets) == list(range(0, len(all_records), 100))  # each page once


async def test_the_next_request_goes_out_before_a_reply_is_read(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With one place, the next page's request is sent (the engine entered) as soon as the reply before it
    # is in, before the kit reads that reply: when the sink gets page k, page k + 1 is already asked.
    sent: list[str] = []
    handle = _transports.AiohttpTransport.handle_async_request

    async def counting(self: Any, request: Any) -> Any:
        sent.append(request.url.params["offset"])
        return await handle(self, request)

    monkeypatch.setattr(_transports.AiohttpTransport, "handle_async_request", counting)
    pages: list[tuple[int, int]] = []  # (offset of the page read, requests sent by then)

    def sink(offset: int, records: list[Any]) -> None:
        pages.append((offset, len(sent)))

    client = async_connections.get_connection()
    rows = await _bulk.fetch_search(client, None, sink, concurrency=1, progress=False)
    count = len(loopback.records)
    assert rows == count
    offsets = list(range(0, count, 100))
    # by each page but the last: the count, the pages up to this one, and the next one
    assert sorted(pages) == [(offset, n + 3) for n, offset in enumerate(offsets[:-1])] + [
        (offsets[-1], len(offsets) + 1)
    ]
    assert loopback.max_in_flight == 1


async def test_a_page_asked_again_keeps_its_place(
    loopback: LoopbackServer, all_records: list[dict[str, Any]]
) -> None:
    loopback.hold_until = 3
    loopback.failures = {0: 1, 300: 2, 1000: 1}  # (503 is retried: the place is not freed by its reply)
    frame = await frames.asearch_frame(progress=False, concurrency=3)
    pd.testing.assert_frame_equal(frame, users_frame(all_records))
    assert loopback.max_in_flight == 3
    assert sorted(loopback.offsets) == sorted([*range(0, len(all_records), 100), 0, 300, 300, 1000])


@pytest.mark.parametrize(("failures", "calls"), [(0, 1), (1, 1), (3, 0)])
async def test_the_engine_says_when_a_successful_reply_is_in(
    loopback: LoopbackServer, failures: int, calls: int
) -> None:
    loopback.failures = {200: failures}
    said: list[int] = []
    transport = _transports.AiohttpTransport()
    try:
        for _ in range(min(failures + 1, 3)):
            request = httpx.Request(
                "GET",
                f"{loopback.url}/api/v1/users?q=&limit=100&offset=200",
                extensions={_transports.REPLY_RECEIVED: lambda: said.append(len(said))},
            )
            reply = await transport.handle_async_request(request)
            await reply.aread()
    finally:
        await transport.aclose()
    assert reply.status_code == (200 if failures < 3 else 503)
    assert said == list(range(calls))
