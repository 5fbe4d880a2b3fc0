"""Benchmark: ``dinoz_frame`` against raw httpx with the same concurrency, and its request rate against
``search_frame``'s.

Against a sandbox of ``--users`` users (about a quarter link a Dinoparc account, each listing 1 to 3
dinoz) answering after ``--latency-ms``, in a subprocess like a real server, one run times:

1. ``search_frame()`` (every user: a count, then pages of 100), whose frame gives the linked accounts;
2. ``dinoz_frame(users)``: each linked Dinoparc account, then each dinoz it lists, one request each;
3. raw ``httpx.AsyncClient`` doing the same requests with the same concurrency (each account's dinoz
   asked as soon as the account's reply lists them), decoding their JSON and building no frame.

Each line gives the best and median of ``--repeat`` runs, the number of requests and the rate in requests
per second; the ratio to raw httpx and the rates side by side are printed at the end, with the ceiling
that the latency sets (``concurrency / latency``). Every request costs about one round trip here, so equal
rates mean the dinoz frame fetches as fast as the user search does.

Usage::

    .venv/bin/python benchmarks/dinoz_frame.py [--users 3000] [--latency-ms 20] [--concurrency 8]
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
from users_frame import ALIAS, PAGE_SIZE, best_of, start_sandbox

DINOPARC = {
    "dinoparc_com": "dinoparc.com",
    "en_dinoparc_com": "en.dinoparc.com",
    "sp_dinoparc_com": "sp.dinoparc.com",
}


def linked_accounts(users: pd.DataFrame) -> list[tuple[str, str]]:
    """The (server, account id) of every linked Dinoparc account, in dinoz_frame's order."""
    accounts = []
    for row in range(len(users)):
        for site, server in DINOPARC.items():
            account = users[f"{site}_id"].iloc[row]
            if not pd.isna(account):
                accounts.append((server, str(account)))
    return accounts


async def raw_dinoz(url: str, accounts: list[tuple[str, str]], concurrency: int) -> tuple[list[Any], int]:
    """Each account, then each of its dinoz, ``concurrency`` requests in flight; decoded JSON, in order."""
    requests = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def get(path: str) -> Any:
            nonlocal requests
            async with gate:
                reply = await client.get(path)
            requests += 1
            reply.raise_for_status()
            return reply.json()

        async def account(server: str, account_id: str) -> list[Any]:
            user = await get(f"/api/v1/archive/dinoparc/{server}/users/{account_id}")
            refs = user["dinoz"]["latest"]["value"] if user.get("dinoz") else []
            return await asyncio.gather(
                *(get(f"/api/v1/archive/dinoparc/{server}/dinoz/{ref['id']}") for ref in refs)
            )

        lists = await asyncio.gather(*(account(server, account_id) for server, account_id in accounts))
    return [dinoz for items in lists for dinoz in items], requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=3_000)
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
        best, times, users = best_of(
            args.repeat, lambda: frames.search_frame(concurrency=concurrency, progress=False, using=ALIAS)
        )
        results["search_frame"] = (best, times, 1 + -(-len(users) // PAGE_SIZE))

        accounts = linked_accounts(users)
        best, times, dinoz = best_of(
            args.repeat,
            lambda: frames.dinoz_frame(users, ALIAS, concurrency=concurrency, progress=False),
        )
        distinct = len(dinoz.drop_duplicates(["server", "dinoz_id"]))
        results["dinoz_frame"] = (best, times, len(accounts) + distinct)
        best, times, (items, sent) = best_of(
            args.repeat, lambda: asyncio.run(raw_dinoz(url, accounts, concurrency))
        )
        assert dinoz["dinoz_id"].tolist() == [item["id"] for item in items]
        results["dinoz: raw httpx"] = (best, times, sent)
    finally:
        sandbox.stop()

    print(f"{'':<18}{'best (s)':>10}{'median (s)':>12}{'requests':>10}{'req/s':>9}   runs (s)")
    for label, (best, times, requests) in results.items():
        runs = ", ".join(f"{t:.3f}" for t in times)
        median = statistics.median(times)
        print(f"{label:<18}{best:>10.3f}{median:>12.3f}{requests:>10}{requests / best:>9.0f}   {runs}")
    print(f"\nrows: {len(users)} users, {len(accounts)} Dinoparc accounts, {len(dinoz)} dinoz")
    kit, raw = results["dinoz_frame"], results["dinoz: raw httpx"]
    print(
        f"dinoz_frame relative to raw httpx (best; median): {kit[0] / raw[0]:.2f}x; "
        f"{statistics.median(kit[1]) / statistics.median(raw[1]):.2f}x"
    )
    rate = {name: requests / best for name, (best, _, requests) in results.items()}
    ceiling = concurrency / (args.latency_ms / 1000) if args.latency_ms else float("inf")
    print(
        f"request rate: dinoz_frame {rate['dinoz_frame']:.0f}/s, search_frame {rate['search_frame']:.0f}/s "
        f"(ratio {rate['dinoz_frame'] / rate['search_frame']:.2f}); the latency's ceiling {ceiling:.0f}/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
