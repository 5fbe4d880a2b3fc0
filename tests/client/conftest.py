"""Fixtures of the client tests: each test that takes ``client`` or ``flavour`` runs for both clients,
and the async one over both of its engines (aiohttp, and httpx's own pool).

A test body is written once, as a coroutine, and ``await resolve(...)`` turns the sync client's plain
results and the async client's awaitables into values alike.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User

#: Flavour -> client factory. ``"async"`` sends through aiohttp (the default when it is installed),
#: ``"async-httpx"`` through httpx's own pool.
CLASSES: dict[str, Callable[..., ClientABC]] = {
    "sync": SyncEternaltwin,
    "async": functools.partial(AsyncEternaltwin, async_backend="aiohttp"),
    "async-httpx": functools.partial(AsyncEternaltwin, async_backend="httpx"),
}


async def resolve(value: Any) -> Any:
    """``value``, awaited if it is awaitable."""
    return await value if inspect.isawaitable(value) else value


async def close(client: ClientABC) -> None:
    """Close either kind of client."""
    if isinstance(client, AsyncEternaltwin):
        await client.aclose()
    else:
        assert isinstance(client, SyncEternaltwin)
        client.close()


@pytest.fixture(params=list(CLASSES))
def flavour(request: pytest.FixtureRequest) -> str:
    """``"sync"``, ``"async"`` then ``"async-httpx"``."""
    return str(request.param)


@pytest.fixture
async def client(flavour: str, sandbox: Sandbox) -> AsyncIterator[ClientABC]:
    """A client of each flavour on the shared sandbox, with the demo app's credentials."""
    instance = CLASSES[flavour](**sandbox.connection_config())
    yield instance
    await close(instance)


@pytest.fixture
def api(flavour: str) -> Callable[[str], Callable[..., Any]]:
    """``api("get")`` is ``User.get`` for the sync flavour and ``User.aget`` for the async one."""

    def method(name: str) -> Callable[..., Any]:
        return getattr(User, name if flavour == "sync" else f"a{name}")  # type: ignore[no-any-return]

    return method


async def collect(iterable: Any) -> list[Any]:
    """A list from a sync or an async iterable."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)
