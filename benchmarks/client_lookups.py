"""User lookups per second: this kit's client vs raw pooled httpx vs the older client (eternaltwin 1.0.0).

Run by hand, from the repository root::

    .venv/bin/python benchmarks/client_lookups.py [--population 1000] [--lookups 2000] [--concurrency 32]

One sandbox (``--population`` generated users) is started in a child process, so that no client shares
its interpreter (and GIL) with the server. Then, against that one server, in one run:

* sequential ``User.get`` lookups with this kit (sync client), with a raw pooled ``httpx.Client`` doing the
  same GETs (and JSON decoding), and with the older client (``requests``) in ``benchmarks/.venv-peer``;
* concurrent lookups (``asyncio.gather`` bounded by a semaphore) with ``User.aget``, with a raw
  ``httpx.AsyncClient`` (with the kit's pool size, and with httpx's default pool), with a raw
  ``httpx.AsyncClient`` on the same aiohttp engine as the kit's (its ``async_backend``), and with the
  older client's aiohttp ``User.aget``.

Every measurement runs ``--rounds`` times, interleaved (the order alternates between rounds) so that load
on the machine hits all of them alike; rates are totals over all rounds, and each ratio also shows the
median of its per-round ratios. Targets:
this kit within 1.15x of raw pooled httpx on the same engine, and at least 1.5x the older client's
sequential rate.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _peer import PeerUnavailable, ensure_peer, run_peer


def _serve(population: int, pipe: Connection) -> None:
    from eternaltwin.sandbox import Sandbox

    with Sandbox(population=population) as sandbox:
        pipe.send({"url": sandbox.url, "config": sandbox.connection_config()})
        pipe.recv()  # any message: stop


# -- the measurements -----------------------------------------------------------------------------


def kit_sequential(ids: list[str], count: int) -> float:
    from eternaltwin.users import User

    for user_id in ids[:20]:
        User.get(user_id)
    start = time.perf_counter()
    for n in range(count):
        User.get(ids[n % len(ids)])
    return time.perf_counter() - start


def raw_sequential(url: str, ids: list[str], count: int, limits: httpx.Limits | None = None) -> float:
    with httpx.Client(
        limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
    ) as http:
        for user_id in ids[:20]:
            http.get(f"{url}/api/v1/users/{user_id}").json()
        start = time.perf_counter()
        for n in range(count):
            response = http.get(f"{url}/api/v1/users/{ids[n % len(ids)]}")
            response.raise_for_status()
            response.json()
        return time.perf_counter() - start


async def kit_concurrent(ids: list[str], count: int, concurrency: int) -> float:
    from eternaltwin.connections import async_connections
    from eternaltwin.users import User

    semaphore = asyncio.Semaphore(concurrency)

    async def one(user_id: str) -> User:
        async with semaphore:
            return await User.aget(user_id)

    try:
        await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(50)))
        start = time.perf_counter()
        users = await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(count)))
        elapsed = time.perf_counter() - start
    finally:
        await async_connections.aclose()
    assert len(users) == count
    return elapsed


async def raw_concurrent(
    url: str,
    ids: list[str],
    count: int,
    concurrency: int,
    limits: httpx.Limits | None = None,
    aiohttp_pool: int | None = None,
) -> float:
    semaphore = asyncio.Semaphore(concurrency)
    transport = None
    if aiohttp_pool is not None:
        from eternaltwin.clients._transports import AiohttpTransport

        transport = AiohttpTransport(max_connections=aiohttp_pool)
    async with httpx.AsyncClient(
        limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
        transport=transport,
    ) as http:

        async def one(user_id: str) -> Any:
            async with semaphore:
                response = await http.get(f"{url}/api/v1/users/{user_id}")
                response.raise_for_status()
                return response.json()

        await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(50)))
        start = time.perf_counter()
        results = await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(count)))
        elapsed = time.perf_counter() - start
    assert len(results) == count
    return elapsed


# -- the run --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=1000, help="generated users in the sandbox (1000)")
    parser.add_argument("--lookups", type=int, default=500, help="lookups per sequential round (500)")
    parser.add_argument("--async-lookups", type=int, default=1000, help="lookups per concurrent round (1000)")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight, concurrent runs (32)"
    )
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds of every measurement (8)")
    parser.add_argument("--skip-peer", action="store_true", help="do not run the older client")
    args = parser.parse_args(argv)

    import eternaltwin
    from eternaltwin.config import resolve_backend
    from eternaltwin.connections import connections
    from eternaltwin.users import User

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(args.population, theirs), daemon=True)
    server.start()
    try:
        started = ours.recv()
        url, config = started["url"], started["config"]
        eternaltwin.configure(default=config)
        ids = [user.identifier for user in User.iter_search(page_size=100)]
        print(
            f"sandbox {url}: {len(ids)} users; "
            f"eternaltwin-kit {eternaltwin.__version__}, httpx {httpx.__version__}"
        )

        peer: Path | None = None
        peer_note = ""
        if not args.skip_peer:
            try:
                peer = ensure_peer()
            except PeerUnavailable as exc:
                peer_note = str(exc)

        runs: dict[str, list[float]] = {}
        # Raw httpx gets the kit's pool size (max_connections), so that both queue requests alike; the
        # concurrent run is also measured with httpx's default pool (100 connections, 20 kept alive).
        kit_pool = connections.get_connection().max_connections
        async_engine = resolve_backend(connections.get_connection().async_backend)
        print(f"the kit's async client sends through {async_engine}")
        same_pool = httpx.Limits(max_connections=kit_pool, max_keepalive_connections=kit_pool)
        measures: list[tuple[str, int, Callable[[], float]]] = [
            ("kit sync User.get", args.lookups, lambda: kit_sequential(ids, args.lookups)),
            ("raw httpx.Client", args.lookups, lambda: raw_sequential(url, ids, args.lookups, same_pool)),
            (
                "kit async User.aget",
                args.async_lookups,
                lambda: asyncio.run(kit_concurrent(ids, args.async_lookups, args.concurrency)),
            ),
            (
                "raw httpx.AsyncClient",
                args.async_lookups,
                lambda: asyncio.run(
                    raw_concurrent(url, ids, args.async_lookups, args.concurrency, same_pool)
                ),
            ),
            (
                "raw httpx, aiohttp engine",
                args.async_lookups,
                lambda: asyncio.run(
                    raw_concurrent(url, ids, args.async_lookups, args.concurrency, aiohttp_pool=kit_pool)
                ),
            ),
            (
                "raw, httpx default pool",
                args.async_lookups,
                lambda: asyncio.run(raw_concurrent(url, ids, args.async_lookups, args.concurrency)),
            ),
        ]
        if peer is not None:
            measures.append(
                (
                    "older sync User.get",
                    args.lookups,
                    lambda: run_peer(peer, config=config, ids=ids, count=args.lookups, mode="sequential"),
                )
            )
            measures.append(
                (
                    "older async User.aget",
                    args.async_lookups,
                    lambda: run_peer(
                        peer,
                        config=config,
                        ids=ids,
                        count=args.async_lookups,
                        mode="concurrent",
                        concurrency=args.concurrency,
                    ),
                )
            )
        counts = {name: count for name, count, _ in measures}
        for round_number in range(args.rounds):
            # Alternate the order so that a load spike on the machine does not always hit the same one.
            ordered = measures if round_number % 2 == 0 else measures[::-1]
            for name, _, measure in ordered:
                if name not in counts:
                    continue
                try:
                    runs.setdefault(name, []).append(measure())
                except PeerUnavailable as exc:
                    peer_note = str(exc)
                    runs.pop(name, None)
                    counts.pop(name, None)
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)
        connections.close()
    finally:
        ours.send("stop")
        server.join(timeout=10)

    def rate(name: str) -> float:
        return counts[name] * len(runs[name]) / sum(runs[name])

    print()
    print(f"{'':24} {'req/s':>8} {'best':>8} {'median':>8}   (req/s over all rounds; best and median round)")
    for name, timings in runs.items():
        per_round = [counts[name] / seconds for seconds in timings]
        print(f"{name:24} {rate(name):8.0f} {max(per_round):8.0f} {statistics.median(per_round):8.0f}")
    print()

    def ratio(a: str, b: str) -> float | None:
        """Rate of a / rate of b over all rounds, and the median of the per-round ratios."""
        if a not in runs or b not in runs:
            return None
        return rate(a) / rate(b)

    def paired(a: str, b: str) -> str:
        if a not in runs or b not in runs:
            return ""
        ratios = [(counts[a] / ta) / (counts[b] / tb) for ta, tb in zip(runs[a], runs[b], strict=True)]
        return f"(median of rounds {statistics.median(ratios):.2f}x)"

    checks = [
        ("raw httpx / kit, sequential (target <= 1.15)", "raw httpx.Client", "kit sync User.get", 1.15, "le"),
        (
            "raw, same engine / kit, concurrent (<= 1.15)",
            "raw httpx, aiohttp engine" if async_engine == "aiohttp" else "raw httpx.AsyncClient",
            "kit async User.aget",
            1.15,
            "le",
        ),
        ("raw httpx (httpcore) / kit, concurrent", "raw httpx.AsyncClient", "kit async User.aget", None, ""),
        ("kit / older, sequential (target >= 1.5)", "kit sync User.get", "older sync User.get", 1.5, "ge"),
        (
            "raw (httpx default pool) / kit, concurrent",
            "raw, httpx default pool",
            "kit async User.aget",
            None,
            "",
        ),
        ("kit / older, concurrent", "kit async User.aget", "older async User.aget", None, ""),
    ]
    for label, a, b, target, kind in checks:
        value = ratio(a, b)
        if value is None:
            print(f"{label:48} n/a")
            continue
        verdict = ""
        if target is not None:
            met = value <= target if kind == "le" else value >= target
            verdict = "  met" if met else "  MISSED"
        print(f"{label:48} {value:6.2f}x{verdict}  {paired(a, b)}")
    if peer_note:
        print(f"\nolder client: {peer_note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
