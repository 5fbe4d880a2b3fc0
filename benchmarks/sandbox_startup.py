"""How long until ``python -m eternaltwin.sandbox --population N`` answers its first search.

Starts the CLI as a subprocess several times for N = 10000 and, as a baseline, N = 0; measures the
wall time from ``Popen`` until ``GET /api/v1/users?limit=1`` first succeeds; prints min and median
and the ratio of medians. The issue asks for N = 10000 to be ready in under 3 seconds.

Usage::

    python benchmarks/sandbox_startup.py [--runs 7] [--population 10000]
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import time

import httpx

READY_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def time_to_first_search(population: int) -> float:
    """Seconds from process start to the first successful ``GET /api/v1/users?limit=1``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/users?limit=1"
    command = [
        sys.executable,
        "-m",
        "eternaltwin.sandbox",
        "--port",
        str(port),
        "--population",
        str(population),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=2.0) as client:
            while True:
                elapsed = time.perf_counter() - start
                if elapsed > READY_TIMEOUT_SECONDS or process.poll() is not None:
                    raise RuntimeError(f"sandbox not ready (exit code {process.poll()})")
                try:
                    response = client.get(url)
                except httpx.TransportError:
                    time.sleep(0.005)
                    continue
                if response.status_code == 200:
                    body = response.json()
                    assert body["count"] >= population, body
                    return time.perf_counter() - start
                time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(population: int, runs: int) -> list[float]:
    """``runs`` timings for one population size (after one unmeasured warm-up run)."""
    time_to_first_search(population)
    return [time_to_first_search(population) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--population", type=int, default=10_000)
    args = parser.parse_args(argv)
    results = {n: measure(n, args.runs) for n in (0, args.population)}
    print(f"python {sys.version.split()[0]}, {args.runs} runs each (after a warm-up run)")
    print(f"{'population':>10}  {'min (s)':>8}  {'median (s)':>10}  {'max (s)':>8}")
    for n, times in results.items():
        print(f"{n:>10}  {min(times):>8.3f}  {statistics.median(times):>10.3f}  {max(times):>8.3f}")
    base, big = statistics.median(results[0]), statistics.median(results[args.population])
    print(f"ratio of medians (population {args.population} / 0): {big / base:.2f}")
    verdict = "OK" if big < 3.0 else "TOO SLOW"
    print(f"population {args.population} ready in {big:.3f} s (median; limit 3 s): {verdict}")
    return 0 if big < 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
