"""The asynchronous Eternaltwin client."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, TypeVar

import httpx

from eternaltwin.clients._flows import Sleep, UserPages, to_response, transport_error
from eternaltwin.clients._operations import AsyncSender
from eternaltwin.clients._transports import async_transport
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.archive import ArchiveClient
from eternaltwin.clients.asyncio.clock import ClockClient
from eternaltwin.clients.asyncio.users import UserClient
from eternaltwin.config import resolve_backend

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eternaltwin.clients._flows import Flow
    from eternaltwin.users import User

__all__ = ["Eternaltwin"]

T = TypeVar("T")


class Eternaltwin(AsyncSender, ClientABC):
    """An asynchronous connection to an Eternaltwin server, on one pooled :class:`httpx.AsyncClient`
    (sending through aiohttp when it is installed, see ``async_backend``).

    The same methods as the sync client, awaited. The httpx client is created on first use in a running
    event loop, reused by every call on that loop and closed by :meth:`aclose` or by leaving an
    ``async with`` block. Used from another event loop (a second ``asyncio.run``), it opens a new pool
    there: close it with :meth:`aclose` before a loop ends to release its connections cleanly.
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
    _http: httpx.AsyncClient | None = None
    _http_loop: asyncio.AbstractEventLoop | None = None

    @staticmethod
    async def _wait(seconds: float) -> None:
        await asyncio.sleep(seconds)

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled :class:`httpx.AsyncClient` of the running event loop (created on first use)."""
        loop = asyncio.get_running_loop()
        http = self._http
        if http is None or self._http_loop is not loop:
            transport = self._transport or async_transport(
                resolve_backend(self.async_backend),
                verify_ssl=self.verify_ssl,
                max_connections=self.max_connections,
            )
            http = self._http = httpx.AsyncClient(
                transport=transport,  # type: ignore[arg-type]
                timeout=self._httpx_timeout,
                follow_redirects=self.allow_redirects,
                headers={"User-Agent": self.user_agent},
            )
            self._http_loop = loop
        return http

    async def _run(self, flow: Flow[T]) -> T:
        """The async driver: the sync client's ``_run`` with ``await`` (a test keeps them equal)."""
        http = self.http
        follow = self.allow_redirects
        sleep = self._sleep
        try:
            step = next(flow)
            while True:
                if isinstance(step, Sleep):
                    await sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = await http.send(step, follow_redirects=follow)
                except httpx.HTTPError as exc:
                    step = flow.throw(transport_error(exc, step))
                else:
                    step = flow.send(to_response(response))
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            flow.close()

    async def iter_users(self, query: str | None = None, page_size: int = 100) -> AsyncIterator[User]:
        """Async :meth:`~eternaltwin.clients.sync.clients.Eternaltwin.iter_users`
        (``async for user in client.iter_users(...)``)."""
        pages = UserPages(self, query, page_size)
        while (flow := pages.next_flow()) is not None:
            for user in pages.accept(await self._run(flow)):
                yield user

    async def aclose(self) -> None:
        """Close the pooled connections (the client stays usable: a new pool opens on next use)."""
        http, self._http = self._http, None
        loop, self._http_loop = self._http_loop, None
        if http is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if loop is running:
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
