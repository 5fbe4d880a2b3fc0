"""What a page of 100 users costs the sandbox, against a trivial reply (issue 15, item 4).

Starts ``python -m eternaltwin.sandbox --population N`` in a subprocess, then times many sequential
requests of each kind over one kept-alive connection: ``GET /api/v1/clock`` (a trivial reply) and
``GET /api/v1/users?offset=K&limit=100`` (pages of 100 users, K cycling over the whole population). The
client reads each body as bytes and does not decode it. Two figures per kind, best of the rounds:

- wall time per request, as a client sees it;
- the sandbox process's CPU time per request (user + system, from ``/proc/PID/stat`` on Linux), what the
  server itself spends.

It prints the ratio page / trivial for both, and the target: a page within 2x a trivial reply.

Usage::

    python benchmarks/sandbox_costs.py [--population 10000] [--requests 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sandbox_startup import free_port

READY_TIMEOUT_SECONDS = 60.0
TARGET_RATIO = 2.0
PAGE_SIZE = 100


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    """Per-request figures of one batch."""

    wall: float
    cpu: float | None


def time_batch(pid: int, requests: int, request: Callable[[int], None]) -> Timing:
    """Run ``request(i)`` for i in range(requests); wall and server CPU seconds per request."""
    cpu_before = process_cpu_seconds(pid)
    start = time.perf_counter()
    for i in range(requests):
        request(i)
    wall = time.perf_counter() - start
    cpu_after = process_cpu_seconds(pid)
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / requests
    return Timing(wall / requests, cpu)


def start_sandbox(population: int) -> tuple[subprocess.Popen[bytes], str]:
    """The sandbox subprocess and its base URL, once it answers a search."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "eternaltwin.sandbox",
        "--port",
        str(port),
        "--population",
        str(population),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while True:
            if time.monotonic() > deadline or process.poll() is not None:
                stop(process)
                raise RuntimeError(f"sandbox not ready (exit code {process.poll()})")
            try:
                if client.get(f"{base}/api/v1/users", params={"limit": 1}).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            time.sleep(0.01)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the sandbox subprocess."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(population: int, requests: int, rounds: int) -> tuple[Timing, Timing]:
    """Best-of-``rounds`` timings of a trivial reply and of a page of 100 users."""
    process, base = start_sandbox(population)
    try:
        with httpx.Client(base_url=base, timeout=30.0) as client:
            total = client.get("/api/v1/users", params={"limit": 0}).json()["count"]
            pages = max(1, -(-total // PAGE_SIZE))

            def clock(i: int) -> None:
                response = client.get("/api/v1/clock")
                if response.status_code != 200 or not response.content.startswith(b'{"time":'):
                    raise RuntimeError(f"clock: {response.status_code}")

            def page(i: int) -> None:
                offset = (i % pages) * PAGE_SIZE
                response = client.get("/api/v1/users", params={"offset": offset, "limit": PAGE_SIZE})
                if response.status_code != 200 or len(response.content) < 100:
                    raise RuntimeError(f"page at {offset}: {response.status_code}")

            # Warm-up: every page once, and as many clock requests.
            time_batch(process.pid, pages, page)
            time_batch(process.pid, pages, clock)
            trivial: list[Timing] = []
            paged: list[Timing] = []
            for _ in range(rounds):
                trivial.append(time_batch(process.pid, requests, clock))
                paged.append(time_batch(process.pid, requests, page))
    finally:
        stop(process)
    return best(trivial), best(paged)


def best(timings: list[Timing]) -> Timing:
    """The lowest wall time and the lowest CPU time of several batches."""
    cpus = [t.cpu for t in timings if t.cpu is not None]
    return Timing(min(t.wall for t in timings), min(cpus) if cpus else None)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit status 1 when the wall-time target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--population", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="requests of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    trivial, page = run(args.population, args.requests, args.rounds)
    print(
        f"python {sys.version.split()[0]}, population {args.population}, "
        f"{args.requests} sequential requests of each kind, best of {args.rounds} rounds"
    )
    print(f"{'request':<34} {'wall (ms)':>10} {'server CPU (ms)':>16}")
    for name, timing in (("GET /api/v1/clock", trivial), (f"GET /api/v1/users?limit={PAGE_SIZE}", page)):
        cpu = f"{timing.cpu * 1000:>16.3f}" if timing.cpu is not None else f"{'n/a':>16}"
        print(f"{name:<34} {timing.wall * 1000:>10.3f} {cpu}")
    wall_ratio = page.wall / trivial.wall
    print(f"ratio page / trivial, wall time: {wall_ratio:.2f} (target <= {TARGET_RATIO:g})")
    if page.cpu is not None and trivial.cpu:
        print(f"ratio page / trivial, server CPU: {page.cpu / trivial.cpu:.2f} (target <= {TARGET_RATIO:g})")
    verdict = "OK" if wall_ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"a page of {PAGE_SIZE} users costs {wall_ratio:.2f}x a trivial reply: {verdict}")
    return 0 if wall_ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
