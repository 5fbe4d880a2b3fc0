"""The older client (``eternaltwin==1.0.0``, requests + aiohttp) in its own virtual environment.

It has the same import name as this kit, so it never goes into the project's environment: it lives in
``benchmarks/.venv-peer`` (created on first use with ``python -m venv`` and ``pip install``) and runs in a
subprocess started with that environment's Python in isolated mode (``-I``: no current directory, no
``PYTHONPATH``, no user site), so the kit cannot shadow it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PEER_REQUIREMENT", "PEER_VENV", "PeerUnavailable", "ensure_peer", "run_peer"]

PEER_VENV = Path(__file__).resolve().parent / ".venv-peer"
PEER_REQUIREMENT = "eternaltwin==1.0.0"


class PeerUnavailable(RuntimeError):
    """The older client could not be installed or started (the message says why)."""


def _python() -> Path:
    return PEER_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _installed_version(python: Path) -> str | None:
    probe = "import importlib.metadata as m; print(m.version('eternaltwin'))"
    result = subprocess.run(
        [str(python), "-I", "-c", probe], capture_output=True, text=True, cwd=tempfile.gettempdir()
    )
    return result.stdout.strip() if result.returncode == 0 else None


def ensure_peer() -> Path:
    """The peer environment's Python, creating the environment and installing the older client if needed.

    Raises
    ------
    PeerUnavailable
        When the environment cannot be created or the package cannot be installed (e.g. no network).
    """
    python = _python()
    if python.exists() and _installed_version(python) == PEER_REQUIREMENT.split("==")[1]:
        return python
    if not python.exists():
        created = subprocess.run(
            [sys.executable, "-m", "venv", str(PEER_VENV)], capture_output=True, text=True
        )
        if created.returncode != 0:
            raise PeerUnavailable(f"python -m venv {PEER_VENV} failed: {created.stderr.strip()[-500:]}")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PEER_REQUIREMENT],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        raise PeerUnavailable(f"pip install {PEER_REQUIREMENT} failed: {installed.stderr.strip()[-500:]}")
    return python


# Runs inside the peer environment. It configures the older client against the sandbox and times user
# lookups, sequential (User.get, requests) or concurrent (User.aget, aiohttp, gather + semaphore).
_PEER_SCRIPT = r"""
import asyncio, json, sys, time
from eternaltwin.connections import async_connections, connections
from eternaltwin.keys import HS256Key
from eternaltwin.users import User

args = json.loads(sys.argv[1])
cfg = dict(args["config"])
cfg["state_key"] = HS256Key(cfg["state_key"])
for registry in (connections, async_connections):
    registry.configure(default=dict(cfg))
ids = args["ids"]
count = args["count"]
for user_id in ids[:20]:                      # warm-up
    User.get(user_id)
if args["mode"] == "sequential":
    start = time.perf_counter()
    for n in range(count):
        User.get(ids[n % len(ids)])
    elapsed = time.perf_counter() - start
else:
    async def main():
        semaphore = asyncio.Semaphore(args["concurrency"])
        async def one(user_id):
            async with semaphore:
                return await User.aget(user_id)
        await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(20)))
        start = time.perf_counter()
        users = await asyncio.gather(*(one(ids[n % len(ids)]) for n in range(count)))
        assert len(users) == count
        return time.perf_counter() - start
    elapsed = asyncio.run(main())
print(json.dumps({"count": count, "seconds": elapsed}))
"""


def run_peer(
    python: Path, *, config: dict[str, Any], ids: list[str], count: int, mode: str, concurrency: int = 1
) -> float:
    """Time ``count`` lookups with the older client; returns the elapsed seconds.

    Raises
    ------
    PeerUnavailable
        When the older client fails against the sandbox (its traceback's tail is in the message).
    """
    payload = json.dumps(
        {"config": config, "ids": ids, "count": count, "mode": mode, "concurrency": concurrency}
    )
    result = subprocess.run(
        [str(python), "-I", "-c", _PEER_SCRIPT, payload],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        timeout=900,
    )
    if result.returncode != 0:
        raise PeerUnavailable(f"the older client failed ({mode}): {result.stderr.strip()[-800:]}")
    return float(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])
