"""Pools and their lifetimes: closing or replacing a connection while calls are in flight, and async pools
that nobody closed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import httpx
import pytest

from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.connections import Connections
from eternaltwin.sandbox import Sandbox

CLOCK = {"time": "2021-01-01T00:00:00.000Z"}


def test_closing_a_sync_connection_lets_calls_in_flight_finish() -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        inside.set()
        assert release.wait(10)
        return httpx.Response(200, json=CLOCK)

    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.configure(default={"url": "http://etwin.test/", "transport": httpx.MockTransport(slow)})
    client = registry["default"]
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(client.clock.now()))
    thread.start()
    assert inside.wait(10)
    pool = client._http
    assert pool is not None
    # Re-running a %%eternaltwin config cell: the connection is replaced (and closed) mid-call.
    registry.configure(default={"url": "http://other.test/"})
    assert not pool.is_closed  # the call in flight still uses it
    release.set()
    thread.join(10)
    assert [str(r) for r in results] == ["2021-01-01 00:00:00+00:00"]
    assert pool.is_closed  # closed once the last call was done
    # The closed client still works: a new pool opens.
    release.set()
    assert str(client.clock.now()) == "2021-01-01 00:00:00+00:00"
    client.close()


async def test_replacing_an_async_connection_lets_calls_in_flight_finish() -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        inside.set()
        await release.wait()
        return httpx.Response(200, json=CLOCK)

    registry: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
    registry.configure(default={"url": "http://etwin.test/", "transport": httpx.MockTransport(slow)})
    client = registry["default"]
    call = asyncio.ensure_future(client.clock.now())
    await inside.wait()
    pool = client._http
    assert pool is not None
    registry.configure(default={"url": "http://other.test/"})
    await asyncio.sleep(0)
    assert not pool.is_closed
    release.set()
    assert str(await call) == "2021-01-01 00:00:00+00:00"
    assert pool.is_closed


async def test_replacing_an_idle_async_connection_closes_its_pool(sandbox: Sandbox) -> None:
    registry: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
    registry.configure(default={"url": sandbox.url})
    await registry["default"].clock.now()
    pool = registry["default"]._http
    assert pool is not None
    registry.configure(default={"url": sandbox.url})
    for _ in range(100):  # the close runs as a task of this loop
        if pool.is_closed:
            break
        await asyncio.sleep(0)
    assert pool.is_closed
    await registry.aclose()


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_a_script_that_forgets_aclose_stays_quiet(sandbox: Sandbox, backend: str) -> None:
    """asyncio.run() of an async call, then more loops with the same client: every pool is closed when its
    loop ends, so neither aiohttp nor asyncio complains at exit (the issue measured 48 warnings)."""
    script = textwrap.dedent(
        f"""
        import asyncio, gc
        from eternaltwin.connections import configure
        from eternaltwin.users import User

        configure(default={{"url": {sandbox.url!r}, "async_backend": {backend!r}}})
        for _ in range(5):
            assert asyncio.run(User.acount()) >= 3
        gc.collect()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "always", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert "nclosed" not in done.stderr and "ResourceWarning" not in done.stderr, done.stderr
