"""A nearly free Eternaltwin user search, for timing the client alone: ``python benchmarks/_free_server.py``.

It answers ``GET /api/v1/users?q=&limit=&offset=`` from pages rendered once at start-up (any ``q`` matches
every user), after a fixed delay, over kept-alive HTTP/1.1 connections, with asyncio's bare protocol API:
what is left of its cost per request is a few microseconds, so a benchmark against it measures the client
and the round trip, as against eternaltwin.org's Rust server far away.

Usage::

    python benchmarks/_free_server.py --port 8123 --users 10000 --latency-ms 20

It prints ``ready`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit


def _users(count: int) -> list[bytes]:
    """``count`` users of the default view, each rendered to JSON once (a few linked accounts among them)."""
    start = datetime(2020, 6, 1, tzinfo=UTC)
    rendered = []
    for n in range(count):
        links: dict[str, object] = {
            site: {"current": None, "old": []}
            for site in (
                "dinoparc_com",
                "en_dinoparc_com",
                "hammerfest_es",
                "hammerfest_fr",
                "hfest_net",
                "sp_dinoparc_com",
                "twinoid",
            )
        }
        if n % 7 == 0:
            links["hammerfest_fr"] = {
                "current": {
                    "link": {"time": "2021-01-01T00:00:00.000Z", "user": None},
                    "user": {
                        "type": "HammerfestUser",
                        "server": "hammerfest.fr",
                        "id": str(n),
                        "username": f"h{n}",
                    },
                },
                "old": [],
            }
        user = {
            "type": "User",
            "id": str(uuid.UUID(int=n + 1)),
            "created_at": (start + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
            "display_name": {"current": {"value": f"Player{n}"}},
            "is_administrator": n == 0,
            "links": links,
        }
        rendered.append(json.dumps(user, separators=(",", ":")).encode())
    return rendered


class _Search(asyncio.Protocol):
    def __init__(self, users: list[bytes], delay: float) -> None:
        self.users = users
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:  # GET requests only: no bodies
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
            reply = self.reply(target)
            loop = asyncio.get_running_loop()
            if self.delay:
                loop.call_later(self.delay, self.send, reply)
            else:
                self.send(reply)

    def reply(self, target: str) -> bytes:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        if parts.path != "/api/v1/users":
            body, status = b'{"error":"NotFound"}', b"404 Not Found"
        else:
            limit = int(query.get("limit", ["20"])[0])
            offset = int(query.get("offset", ["0"])[0])
            items = b",".join(self.users[offset : offset + min(limit, 100)])
            head = f'{{"offset":{offset},"limit":{limit},"count":{len(self.users)},"items":['.encode()
            body, status = head + items + b"]}", b"200 OK"
        return (
            b"HTTP/1.1 "
            + status
            + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    def send(self, reply: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply)


async def _serve(port: int, users: int, latency_ms: float) -> None:
    rendered = _users(users)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Search(rendered, latency_ms / 1000), "127.0.0.1", port, reuse_address=True
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    options = parser.parse_args()
    asyncio.run(_serve(options.port, options.users, options.latency_ms))


if __name__ == "__main__":
    main()
