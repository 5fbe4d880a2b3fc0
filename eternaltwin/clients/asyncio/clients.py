"""The asynchronous Eternaltwin client."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, TypeVar

import httpx

from eternaltwin.clients._flows import Sleep, to_response, transport_error
from eternaltwin.clients._operations import AsyncSender
from eternaltwin.clients._transports import async_transport, resolve_backend
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.archive import ArchiveClient
from eternaltwin.clients.asyncio.clock import ClockClient
from eternaltwin.clients.asyncio.users import UserClient

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow

__all__ = ["Eternaltwin"]

T = TypeVar("T")


class Eternaltwin(AsyncSender, ClientABC):
    """An asynchronous connection to an Eternaltwin server, on one pooled :class:`httpx.AsyncClient`
    (sending through aiohttp when it is installed, see ``async_backend``).

    The same methods as the sync client, awaited. The httpx client is created on first use in a running
    event loop, reused by every call on that loop and closed by :meth:`aclose` (on that loop) or by
    leaving an ``async with`` block. Used from another event loop too (a second ``asyncio.run``, a
    notebook's ``asyncio.run`` next to its top-level ``await``), it opens a pool there as well, and each
    loop keeps its own: close it with :meth:`aclose` before that loop ends to release its connections
    cleanly.
    Parameters and methods: see :class:`~eternaltwin.clients.abc.clients.ClientABC`.

    Examples
    --------
    >>> async with Eternaltwin(url="https://eternaltwin.org/") as client:   # doctest: +SKIP
    ...     (await client.users.search("alice")).json()["count"]
    """

    _flavour: ClassVar[str] = "async"
    _user_client_class = UserClient
    _archive_client_class = ArchiveClient
    _clock_client_class = ClockClient
    users: UserClient
    archive: ArchiveClient
    clock: ClockClient
    # The pool of the loop that used the client last (the fast path), and every open loop's pool.
    _http: httpx.AsyncClient | None = None
    _http_loop: asyncio.AbstractEventLoop | None = None
    _pools: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled :class:`httpx.AsyncClient` of the running event loop (created on first use)."""
        loop = asyncio.get_running_loop()
        http = self._http
        if http is not None and self._http_loop is loop:
            return http
        if self._pools is None:
            self._pools = {}
        http = self._pools.get(loop)
        if http is None:
            self._forget_closed_loops()
            transport = self._transport or async_transport(
                resolve_backend(self.async_backend),
                verify_ssl=self.verify_ssl,
                max_connections=self.max_connections,
            )
            http = self._pools[loop] = httpx.AsyncClient(
                transport=transport,  # type: ignore[arg-type]
                timeout=self._httpx_timeout,
                follow_redirects=self.allow_redirects,
                headers={"User-Agent": self.user_agent},
            )
        self._http, self._http_loop = http, loop
        return http

    def _forget_closed_loops(self) -> None:
        """Drop the pools of loops that have ended (they cannot be used, nor closed, any more)."""
        pools = self._pools or {}
        for loop in [loop for loop in pools if loop.is_closed()]:
            del pools[loop]
        if self._http_loop is not None and self._http_loop.is_closed():
            self._http = self._http_loop = None

    async def _run(self, flow: Flow[T]) -> T:
        """The async driver: send the flow's requests, sleep its sleeps, return its result."""
        http = self.http
        follow = self.allow_redirects
        try:
            step = next(flow)
            while True:
                if type(step) is Sleep:
                    await (self._sleep_override or asyncio.sleep)(step.seconds)
                    step = flow.send(None)
                    continue
                assert isinstance(step, httpx.Request)
                try:
                    response = await http.send(step, follow_redirects=follow)
                except httpx.HTTPError as exc:
                    error = transport_error(exc, step)
                    error.__cause__ = exc
                    step = flow.throw(error)
                else:
                    step = flow.send(to_response(response))
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def aclose(self) -> None:
        """Close the running loop's pooled connections; the client stays usable (a new pool opens on use).

        Pools that other event loops opened stay open while those loops live: only their loop can close them.
        """
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        http = self._pools.pop(running, None) if self._pools and running is not None else None
        if self._http_loop is running:
            self._http = self._http_loop = None
        self._forget_closed_loops()
        if http is not None:
            await http.aclose()

    async def __aenter__(self) -> Eternaltwin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
