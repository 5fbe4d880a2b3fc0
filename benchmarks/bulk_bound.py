"""Benchmark: ``search_frame`` against the physical limit, on a nearly free server.

Against a server far away, fetching every user is bound by latency: with ``C`` requests in flight, ``N``
users (a count, then ``ceil(N / 100)`` pages) cannot arrive faster than ``(1 + ceil(pages / C)) x RTT``.
This benchmark times, against :mod:`_free_server` (pre-rendered pages, a fixed delay, kept-alive
connections; in a subprocess, as a real server would be) at each round trip of ``--latencies``:

- ``search_frame``, sync, with the engine the kit picks by default (and, for comparison, each engine
  named: ``async_backend="aiohttp"`` and ``"httpx"``);
- raw ``httpx.AsyncClient`` fetching the same pages with the same concurrency and decoding their JSON,
  building no frame; and, when aiohttp is installed, a bare aiohttp session that only reads the bodies
  (the floor of the default engine);
- the latency bound, and the client's own CPU time (``search_frame`` at 0 ms).

and prints each as a ratio to ``max(latency bound, client CPU)``: 1.0 is the physical limit.

Usage::

    .venv/bin/python benchmarks/bulk_bound.py [--users 10000] [--concurrency 8] [--latencies 0 20 50]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import json
import math
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 100
ALIAS = "bench"


class FreeServer:
    """:mod:`_free_server` in a subprocess, on a free port."""

    def __init__(self, users: int, latency_ms: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, str(HERE / "_free_server.py"), "--port", str(self.port)]
        command += ["--users", str(users), "--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the free server did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def best_of(repeat: int, runs: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, float]]:
    """(best, median) wall time of ``repeat`` runs of each of ``runs``, taken in turn (one run of each,
    then again), so that a slow spell of the machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: (min(taken), statistics.median(taken)) for name, taken in times.items()}


def raw_httpx(url: str, concurrency: int) -> int:
    """Every page with a bare httpx.AsyncClient, ``concurrency`` in flight, JSON decoded: the rows."""

    async def main() -> int:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits) as http:
            count = (await http.get("/api/v1/users", params={"q": "", "limit": 0, "offset": 0})).json()[
                "count"
            ]
            gate = asyncio.Semaphore(concurrency)

            async def page(offset: int) -> int:
                async with gate:
                    reply = await http.get(
                        "/api/v1/users", params={"q": "", "limit": PAGE_SIZE, "offset": offset}
                    )
                return len(reply.json()["items"])

            return sum(await asyncio.gather(*(page(o) for o in range(0, count, PAGE_SIZE))))

    return asyncio.run(main())


def raw_aiohttp(url: str, concurrency: int) -> int:
    """Every page with a bare aiohttp session, ``concurrency`` in flight, bodies read and not decoded: the
    floor of the aiohttp engine (the rows are counted from what the server promised)."""
    import aiohttp

    async def main() -> int:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
            async with http.get(f"{url}/api/v1/users?q=&limit=0&offset=0") as reply:
                count = json.loads(await reply.read())["count"]
            offsets = iter(range(0, count, PAGE_SIZE))
            rows = 0

            async def worker() -> None:
                nonlocal rows
                for offset in offsets:
                    async with http.get(f"{url}/api/v1/users?q=&limit={PAGE_SIZE}&offset={offset}") as reply:
                        if await reply.read():
                            rows += min(PAGE_SIZE, count - offset)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return rows

    return asyncio.run(main())


def bare_round_trip(port: int, tries: int = 20) -> float:
    """The round trip a bare request sees (a count, over one kept-alive socket, no HTTP library): the
    delay the server adds, plus loopback and the timers' overshoot. Best of ``tries``, in seconds."""

    async def main() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET /api/v1/users?q=&limit=0&offset=0 HTTP/1.1\r\nhost: bench\r\n\r\n"
        best = math.inf
        try:
            for _ in range(tries):
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                best = min(best, time.perf_counter() - started)
        finally:
            writer.close()
        return best

    return asyncio.run(main())


def search_frame(url: str, concurrency: int, backend: str) -> int:
    """``search_frame`` on a connection configured once per server and engine (as in a notebook: the
    first call opens its pooled connections, the next ones reuse them)."""
    from eternaltwin.connections import connections
    from eternaltwin.pandas import search_frame as fetch

    alias = f"{ALIAS}-{backend}"
    if alias not in connections or connections[alias].url.rstrip("/") != url:
        connections.create_connection(alias, url=url, async_backend=backend)
    return len(fetch(using=alias, concurrency=concurrency, progress=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 20.0, 50.0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    from eternaltwin.config import resolve_backend

    default = resolve_backend("auto")
    pages = math.ceil(options.users / PAGE_SIZE)
    contenders: dict[str, Callable[[str], int]] = {
        f"search_frame (default: {default})": lambda url: search_frame(url, options.concurrency, "auto"),
        "search_frame, aiohttp": lambda url: search_frame(url, options.concurrency, "aiohttp"),
        "search_frame, httpx": lambda url: search_frame(url, options.concurrency, "httpx"),
        "raw httpx, no frame": lambda url: raw_httpx(url, options.concurrency),
    }
    if importlib.util.find_spec("aiohttp") is not None:
        contenders["raw aiohttp, no decoding"] = lambda url: raw_aiohttp(url, options.concurrency)
    print(
        f"{options.users} users, {pages} pages of {PAGE_SIZE}, {options.concurrency} in flight; "
        f"best of {options.repeat} (median), the contenders taken in turn\n"
    )
    cpu = None
    for latency in sorted(options.latencies):
        server = FreeServer(options.users, latency)
        try:
            rtt = bare_round_trip(server.port)
            for name, run in contenders.items():
                rows = run(server.url)  # warm-up, and a check
                assert rows == options.users, (name, rows)
            runs = {name: functools.partial(run, server.url) for name, run in contenders.items()}
            results = best_of(options.repeat, runs)
        finally:
            server.close()
        bound = (1 + math.ceil(pages / options.concurrency)) * latency / 1000
        if latency == 0:  # the client's own CPU: the fastest search_frame with no waiting at all
            cpu = min(best for name, (best, _) in results.items() if name.startswith("search_frame"))
        floor = max(bound, cpu or 0.0)
        # The bound above takes the nominal delay as the round trip; a bare request's round trip (the
        # server's timer fires a little late, and loopback costs something) gives the bound this machine
        # really allows, shown beside it.
        measured = max((1 + math.ceil(pages / options.concurrency)) * rtt if latency else 0.0, cpu or 0.0)
        print(
            f"round trip {latency:g} ms: latency bound {bound:.3f} s, client CPU {cpu or 0:.3f} s; "
            f"a bare request's round trip {rtt * 1000:.2f} ms (bound at it {measured:.3f} s)"
        )
        for name, (best, median) in results.items():
            ratio = f"{best / floor:.2f}x" if floor else "-"
            at_measured = f" ({best / measured:.2f}x at the bare round trip)" if latency and measured else ""
            print(f"  {name:32} {best:.3f} s ({median:.3f})  {ratio} the limit{at_measured}")
        print()


if __name__ == "__main__":
    main()
