"""Benchmark: the forum frames against raw httpx, and their rate against ``search_frame``'s.

Against a sandbox of ``--users`` users (``--users // 10`` generated threads, about 11 posts each, a few
of several pages) answering after ``--latency-ms``, in a subprocess like a real server, one run times:

1. ``search_frame()`` (every user: a count, then pages of 100) and raw ``httpx.AsyncClient`` fetching the
   same pages with the same concurrency, decoding their JSON and building no frame;
2. ``forum_threads_frame()`` (the sections, then every page of 100 threads of each) and raw httpx doing
   the same requests;
3. ``forum_posts_frame(threads)`` (the first page of 100 posts of each thread, then the rest) and raw httpx
   asking the same pages (each thread's next pages as soon as its first page has said how many).

Each line gives the best and median of ``--repeat`` runs, the number of requests and the rate in
requests per second; the ratios to raw httpx and the rates side by side are printed at the end. With a
fixed latency every request costs about the same, so equal rates mean the forum frames go as fast as the
user search does.

Usage::

    .venv/bin/python benchmarks/forum_frames.py [--users 10000] [--latency-ms 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from typing import Any

import httpx
import pandas as pd
from users_frame import ALIAS, PAGE_SIZE, best_of, raw_httpx, start_sandbox


async def raw_threads(url: str, concurrency: int) -> list[Any]:
    """The sections, then every page of threads of each, ``concurrency`` in flight; decoded JSON."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        listing = await client.get("/api/v1/forum/sections")
        listing.raise_for_status()
        sections = listing.json()["items"]
        gate = asyncio.Semaphore(concurrency)

        async def page(section: str, offset: int) -> list[Any]:
            async with gate:
                reply = await client.get(
                    f"/api/v1/forum/sections/{section}", params={"offset": offset, "limit": PAGE_SIZE}
                )
            reply.raise_for_status()
            items: list[Any] = reply.json()["threads"]["items"]
            return items

        pages = await asyncio.gather(
            *(
                page(section["id"], offset)
                for section in sections
                for offset in range(0, section["threads"]["count"], PAGE_SIZE)
            )
        )
    return [item for items in pages for item in items]


async def raw_posts(url: str, thread_ids: list[str], concurrency: int) -> tuple[list[Any], int]:
    """Every post of the threads: each thread's first page, then its next pages at once; decoded JSON."""
    requests = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def page(thread: str, offset: int) -> dict[str, Any]:
            nonlocal requests
            async with gate:
                reply = await client.get(
                    f"/api/v1/forum/threads/{thread}", params={"offset": offset, "limit": PAGE_SIZE}
                )
            requests += 1
            reply.raise_for_status()
            posts: dict[str, Any] = reply.json()["posts"]
            return posts

        async def thread(thread_id: str) -> list[Any]:
            first = await page(thread_id, 0)
            rest = await asyncio.gather(
                *(page(thread_id, offset) for offset in range(PAGE_SIZE, first["count"], PAGE_SIZE))
            )
            return [item for part in (first, *rest) for item in part["items"]]

        threads = await asyncio.gather(*(thread(thread_id) for thread_id in thread_ids))
    return [item for items in threads for item in items], requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sandbox", choices=["cli", "thread"], default="cli")
    args = parser.parse_args(argv)

    from eternaltwin import connections
    from eternaltwin import pandas as frames

    versions = f"Python {sys.version.split()[0]}, pandas {pd.__version__}, httpx {httpx.__version__}"
    print(f"{versions}, {os.cpu_count()} CPUs")
    print(f"sandbox: {args.users} users, latency {args.latency_ms:g} ms; concurrency {args.concurrency}\n")
    concurrency = args.concurrency
    results: dict[str, tuple[float, list[float], int]] = {}
    sandbox = start_sandbox(args.users, args.latency_ms, args.sandbox)
    try:
        connections.configure(**{ALIAS: {"url": sandbox.url}})
        url = sandbox.url

        count = httpx.get(f"{url}/api/v1/users", params={"limit": 0}).json()["count"]
        best, times, users = best_of(
            args.repeat,
            lambda: frames.search_frame(concurrency=concurrency, progress=False, using=ALIAS),
        )
        requests = 1 + -(-count // PAGE_SIZE)
        results["search_frame"] = (best, times, requests)
        best, times, items = best_of(args.repeat, lambda: asyncio.run(raw_httpx(url, concurrency)))
        assert users["id"].tolist() == [item["id"] for item in items]
        results["search: raw httpx"] = (best, times, requests)

        sections = httpx.get(f"{url}/api/v1/forum/sections").json()["items"]
        requests = 1 + sum(-(-s["threads"]["count"] // PAGE_SIZE) for s in sections)
        best, times, threads = best_of(
            args.repeat,
            lambda: frames.forum_threads_frame(ALIAS, concurrency=concurrency, progress=False),
        )
        results["forum_threads_frame"] = (best, times, requests)
        best, times, items = best_of(args.repeat, lambda: asyncio.run(raw_threads(url, concurrency)))
        assert threads["thread_id"].tolist() == [item["id"] for item in items]
        results["threads: raw httpx"] = (best, times, requests)

        requests = int(sum(-(-n // PAGE_SIZE) for n in threads["posts"]))
        best, times, posts = best_of(
            args.repeat,
            lambda: frames.forum_posts_frame(threads, ALIAS, concurrency=concurrency, progress=False),
        )
        results["forum_posts_frame"] = (best, times, requests)
        ids = threads["thread_id"].tolist()
        best, times, (items, sent) = best_of(
            args.repeat, lambda: asyncio.run(raw_posts(url, ids, concurrency))
        )
        assert sent == requests and posts["post_id"].tolist() == [item["id"] for item in items]
        results["posts: raw httpx"] = (best, times, requests)
        rows = {"search": len(users), "threads": len(threads), "posts": len(posts)}
    finally:
        sandbox.stop()

    print(f"{'':<22}{'best (s)':>10}{'median (s)':>12}{'requests':>10}{'req/s':>9}   runs (s)")
    for label, (best, times, requests) in results.items():
        runs = ", ".join(f"{t:.3f}" for t in times)
        median = statistics.median(times)
        print(f"{label:<22}{best:>10.3f}{median:>12.3f}{requests:>10}{requests / best:>9.0f}   {runs}")
    print(f"\nrows: {rows['search']} users, {rows['threads']} threads, {rows['posts']} posts")
    print("time relative to raw httpx (best; median):")
    for kit, raw in (
        ("search_frame", "search: raw httpx"),
        ("forum_threads_frame", "threads: raw httpx"),
        ("forum_posts_frame", "posts: raw httpx"),
    ):
        ratio = results[kit][0] / results[raw][0]
        on_medians = statistics.median(results[kit][1]) / statistics.median(results[raw][1])
        print(f"  {kit:<20} {ratio:.2f}x; {on_medians:.2f}x")
    rate = {name: results[name][2] / results[name][0] for name in results}
    print("request rate relative to search_frame's (best):")
    for name in ("forum_threads_frame", "forum_posts_frame"):
        print(f"  {name:<20} {rate[name] / rate['search_frame']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
