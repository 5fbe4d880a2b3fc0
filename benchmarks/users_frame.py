"""Benchmark: every user of a sandbox as a DataFrame.

One run measures, against a sandbox of ``--users`` users answering after ``--latency-ms``:

1. ``User.search_frame()`` fetching all users (count first, then pages of 100, ``--concurrency`` at once);
2. the older client (``eternaltwin==1.0.0``, in its own virtual environment ``benchmarks/.venv-peer``,
   run in a subprocess since it has the same import name) paging sequentially with ``User.search``;
3. raw ``httpx.AsyncClient`` fetching the same pages (count, then pages) with the same concurrency and
   decoding their JSON, building no frame;

then, offline, the time to build the frame from ``--records`` user records (real sandbox JSON) with
``users_frame`` against the fastest of several plain-pandas constructions of the same frame (each checked
to give an equal frame).

Ratios are given on the best of ``--repeat`` runs (the least disturbed by other load on the machine) and
on the medians. The raw httpx contender makes one ``AsyncClient`` per run (whose TLS context costs some
tens of milliseconds) and keeps every page's JSON until the end (which the garbage collector then scans
again and again); ``search_frame`` reuses one TLS context and turns each page into columns on arrival,
which is why it can be faster than raw httpx.

Usage::

    .venv/bin/python benchmarks/users_frame.py [--users 10000] [--latency-ms 20] [--concurrency 8]

The sandbox runs in a separate process by default (like a real server, it does not share the client's
interpreter): ``python -m eternaltwin.sandbox`` (``--sandbox cli``), or ``Sandbox()`` in a thread of
this process (``--sandbox thread``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv-peer"
PEER_REQUIREMENT = "eternaltwin==1.0.0"
PAGE_SIZE = 100
ALIAS = "bench"

TARGET_VS_OLDER = 4.0
TARGET_VS_RAW = 1.25
TARGET_VS_PANDAS = 1.5


# -- the sandbox ------------------------------------------------------------------------------------


class SandboxProcess:
    """``python -m eternaltwin.sandbox`` in a subprocess, on a free port."""

    def __init__(self, population: int, latency_ms: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "eternaltwin.sandbox", "--port", str(self.port)]
        command += ["--population", str(population), "--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the sandbox exited: {stderr}")
            try:
                if httpx.get(f"{self.url}/api/v1/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_sandbox(population: int, latency_ms: float, mode: str) -> Any:
    """A running sandbox (``.url``, ``.stop()``): ``mode`` is "cli" or "thread"."""
    if mode == "thread":
        from eternaltwin.sandbox import Sandbox

        return Sandbox(population=population, latency_ms=latency_ms).start()
    return SandboxProcess(population, latency_ms)


# -- the contenders ---------------------------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, list[float], Any]:
    """Run ``run`` ``repeat`` times; the best time, all times and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), times, result


async def raw_httpx(url: str, concurrency: int) -> list[Any]:
    """Count, then every page with ``concurrency`` requests in flight; decoded JSON, in order."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.get("/api/v1/users", params={"q": "", "limit": 0, "offset": 0})
        response.raise_for_status()
        count = response.json()["count"]
        gate = asyncio.Semaphore(concurrency)

        async def page(offset: int) -> list[Any]:
            async with gate:
                reply = await client.get(
                    "/api/v1/users", params={"q": "", "limit": PAGE_SIZE, "offset": offset}
                )
            reply.raise_for_status()
            items: list[Any] = reply.json()["items"]
            return items

        pages = await asyncio.gather(*(page(offset) for offset in range(0, count, PAGE_SIZE)))
    return [item for items in pages for item in items]


PEER_SCRIPT = r"""
import json, sys, time
from eternaltwin.connections import configure
from eternaltwin.keys import HS256Key
from eternaltwin.users import User

url, repeat, page_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
configure(default={
    "url": url, "client_id": "bench@clients", "client_secret": "unused",
    "redirect_uri": "http://localhost/unused", "state_key": HS256Key("unused"),
    "timeout": 30,
})
times, users = [], []
for _ in range(repeat):
    start = time.perf_counter()
    count = User.count()
    users = []
    offset = 0
    while offset < count:
        page = User.search(limit=page_size, offset=offset)
        if not page:
            break
        users.extend(page)
        offset += len(page)
    times.append(time.perf_counter() - start)
ends = {"first": users[0].identifier, "last": users[-1].identifier}
print(json.dumps({"times": times, "users": len(users), **ends}))
"""


def ensure_peer_venv() -> Path:
    """The older client's interpreter (creating ``benchmarks/.venv-peer`` when missing)."""
    python = PEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('eternaltwin'))"]
    if python.exists():
        found = subprocess.run(check, capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == PEER_REQUIREMENT.split("==")[1]:
            return python
    print(f"creating {PEER_VENV} with {PEER_REQUIREMENT} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_REQUIREMENT], check=True)
    return python


def older_client(url: str, repeat: int) -> dict[str, Any]:
    python = ensure_peer_venv()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    completed = subprocess.run(
        [str(python), "-c", PEER_SCRIPT, url, str(repeat), str(PAGE_SIZE)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PEER_VENV,  # not the repository: its eternaltwin package must not shadow the installed one
        env=env,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


# -- frame building ---------------------------------------------------------------------------------


def plain_columns(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Plain pandas: one list comprehension per column, then the dtype conversions."""
    from eternaltwin.users import GAME_SITES

    data: dict[str, Any] = {
        "id": pd.array([r["id"] for r in records], dtype="string"),
        "display_name": pd.array([r["display_name"]["current"]["value"] for r in records], dtype="string"),
        "created_at": _stamps([r["created_at"] for r in records]),
        "deleted_at": _stamps([r["deleted_at"] for r in records]),
        "is_administrator": pd.array([r["is_administrator"] for r in records], dtype="boolean"),
    }
    for site in GAME_SITES:
        remotes = [(c := r["links"][site]["current"]) and c["user"] for r in records]
        data[f"{site}_id"] = pd.array([u and u["id"] for u in remotes], dtype="string")
        data[f"{site}_name"] = pd.array(
            [u and (u.get("username") or u.get("display_name")) for u in remotes], dtype="string"
        )
    return pd.DataFrame(data)


def plain_rows(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Plain pandas: one tuple per record (a single pass), ``DataFrame.from_records``, then astype."""
    from eternaltwin.users import GAME_SITES

    sites = tuple(GAME_SITES)
    columns = ["id", "display_name", "created_at", "deleted_at", "is_administrator"]
    columns += [f"{site}_{part}" for site in sites for part in ("id", "name")]

    def row(r: dict[str, Any]) -> list[Any]:
        links = r["links"]
        out = [r["id"], r["display_name"]["current"]["value"], r["created_at"], r["deleted_at"]]
        out.append(r["is_administrator"])
        for site in sites:
            current = links[site]["current"]
            if current is None:
                out += (None, None)
            else:
                user = current["user"]
                out += (user["id"], user.get("username") or user.get("display_name"))
        return out

    return _typed(pd.DataFrame.from_records([row(r) for r in records], columns=columns))


def plain_accessors(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Plain pandas: ``pd.DataFrame(records)``, nested members through the ``.str`` accessor."""
    from eternaltwin.users import GAME_SITES

    df = pd.DataFrame(records)
    links = pd.DataFrame(df["links"].tolist())
    data: dict[str, Any] = {
        "id": df["id"],
        "display_name": df["display_name"].str["current"].str["value"],
        "created_at": df["created_at"],
        "deleted_at": df["deleted_at"],
        "is_administrator": df["is_administrator"],
    }
    for site in GAME_SITES:
        user = links[site].str["current"].str["user"]
        data[f"{site}_id"] = user.str["id"]
        name = user.str["display_name"] if site == "twinoid" else user.str["username"]
        data[f"{site}_name"] = name
    return _typed(pd.DataFrame(data))


def plain_json_normalize(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Plain pandas: ``pd.json_normalize`` then column selection."""
    from eternaltwin.users import GAME_SITES

    flat = pd.json_normalize(records)
    data: dict[str, Any] = {
        "id": flat["id"],
        "display_name": flat["display_name.current.value"],
        "created_at": flat["created_at"],
        "deleted_at": flat["deleted_at"],
        "is_administrator": flat["is_administrator"],
    }
    for site in GAME_SITES:
        prefix = f"links.{site}.current.user."
        missing = pd.Series([None] * len(flat), dtype=object)
        data[f"{site}_id"] = flat.get(prefix + "id", missing)
        name_key = prefix + ("display_name" if site == "twinoid" else "username")
        data[f"{site}_name"] = flat.get(name_key, missing)
    return _typed(pd.DataFrame(data))


def _stamps(values: list[Any]) -> Any:
    return pd.to_datetime(values, utc=True, format="ISO8601").as_unit("ns")


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for column in df.columns:
        if column in ("created_at", "deleted_at"):
            out[column] = pd.to_datetime(df[column], utc=True, format="ISO8601").dt.as_unit("ns")
        elif column == "is_administrator":
            out[column] = df[column].astype("boolean")
        else:
            out[column] = df[column].astype("string")
    return pd.DataFrame(out)


PLAIN_CONSTRUCTIONS: list[Callable[[list[dict[str, Any]]], pd.DataFrame]] = [
    plain_columns,
    plain_rows,
    plain_accessors,
    plain_json_normalize,
]


# -- the run ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--records", type=int, default=100_000, help="records for the frame-building part")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sandbox",
        choices=["cli", "thread"],
        default="cli",
        help="cli: python -m eternaltwin.sandbox in a subprocess (default); thread: Sandbox() in a "
        "thread of this process",
    )
    args = parser.parse_args(argv)

    from eternaltwin import connections
    from eternaltwin.pandas import users_frame
    from eternaltwin.users import User

    versions = f"Python {sys.version.split()[0]}, pandas {pd.__version__}, httpx {httpx.__version__}"
    print(f"{versions}, {os.cpu_count()} CPUs")
    where = {
        "cli": "python -m eternaltwin.sandbox, subprocess",
        "thread": "Sandbox() in a thread of this process",
    }[args.sandbox]
    print(f"sandbox: {args.users} users, latency {args.latency_ms:g} ms ({where})", end="; ")
    print(f"concurrency {args.concurrency}")
    print()

    sandbox = start_sandbox(args.users, args.latency_ms, args.sandbox)
    try:
        connections.configure(**{ALIAS: {"url": sandbox.url}})
        count = httpx.get(f"{sandbox.url}/api/v1/users", params={"limit": 0}).json()["count"]
        pages = -(-count // PAGE_SIZE)
        print(f"{count} users to fetch: 1 count request + {pages} pages of {PAGE_SIZE}")

        def ours() -> pd.DataFrame:
            return User.search_frame(concurrency=args.concurrency, progress=False, using=ALIAS)

        ours_best, ours_times, frame = best_of(args.repeat, ours)
        assert len(frame) == count and frame["id"].is_unique, "search_frame did not return every user once"

        raw_best, raw_times, raw_items = best_of(
            args.repeat, lambda: asyncio.run(raw_httpx(sandbox.url, args.concurrency))
        )
        assert frame["id"].tolist() == [item["id"] for item in raw_items], "orders differ"

        peer = older_client(sandbox.url, args.repeat)
        assert peer["users"] == count, f"the older client found {peer['users']} users"
        assert peer["first"] == frame["id"].iloc[0] and peer["last"] == frame["id"].iloc[-1]
        peer_best = min(peer["times"])
    finally:
        sandbox.stop()

    def line(label: str, best: float, times: list[float]) -> None:
        runs = ", ".join(f"{t:.3f}" for t in times)
        print(f"  {label:<46} best {best:7.3f} s   median {statistics.median(times):7.3f} s   ({runs})")

    print("\nFetching all users")
    line("User.search_frame (this kit, frame included)", ours_best, ours_times)
    line("raw httpx.AsyncClient (JSON only, no frame)", raw_best, raw_times)
    line(f"older client {PEER_REQUIREMENT}, sequential", peer_best, peer["times"])
    vs_older, vs_raw = peer_best / ours_best, ours_best / raw_best
    median = statistics.median
    older_median = median(peer["times"]) / median(ours_times)
    raw_median = median(ours_times) / median(raw_times)
    print(f"  speed-up over the older client: {vs_older:.1f}x (target >= {TARGET_VS_OLDER:g}x)", end="; ")
    print(f"on medians {older_median:.1f}x")
    print(f"  time relative to raw httpx:     {vs_raw:.2f}x (target <= {TARGET_VS_RAW:g}x)", end="; ")
    print(f"on medians {raw_median:.2f}x")

    print(f"\nBuilding the frame from {args.records} user records (sandbox JSON)")
    records = fetch_records(args.records)
    ours_build, build_times, reference = best_of(args.repeat, lambda: users_frame(records))
    line("users_frame", ours_build, build_times)
    plain_best = float("inf")
    plain_name = ""
    plain_median = float("inf")
    for construct in PLAIN_CONSTRUCTIONS:
        best, times, built = best_of(args.repeat, lambda construct=construct: construct(records))  # type: ignore[misc]
        pd.testing.assert_frame_equal(built, reference)
        line(f"plain pandas: {construct.__name__}", best, times)
        if best < plain_best:
            plain_best, plain_name = best, construct.__name__
        plain_median = min(plain_median, statistics.median(times))
    vs_plain = ours_build / plain_best
    print(f"  relative to the fastest plain pandas ({plain_name}): {vs_plain:.2f}x", end=" ")
    build_median = statistics.median(build_times) / plain_median
    print(f"(target <= {TARGET_VS_PANDAS:g}x); on medians {build_median:.2f}x")

    met = vs_older >= TARGET_VS_OLDER and vs_raw <= TARGET_VS_RAW and vs_plain <= TARGET_VS_PANDAS
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")
    return 0 if met else 1


def fetch_records(n: int) -> list[dict[str, Any]]:
    """``n`` user records as the sandbox serves them (a sandbox of ``n`` users without latency)."""
    sandbox = start_sandbox(n, 0, "cli")
    try:
        items = asyncio.run(raw_httpx(sandbox.url, 8))
    finally:
        sandbox.stop()
    return items[:n]


if __name__ == "__main__":
    sys.exit(main())
