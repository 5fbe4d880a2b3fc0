"""The asynchronous Eternaltwin client."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from eternaltwin.clients._flows import Sleep, UserPages, to_response, transport_error
from eternaltwin.clients._operations import AsyncSender
from eternaltwin.clients._transports import async_transport, pool_limits, tls_context
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.announcements import AnnouncementClient
from eternaltwin.clients.asyncio.archive import ArchiveClient
from eternaltwin.clients.asyncio.clock import ClockClient
from eternaltwin.clients.asyncio.forum import ForumClient
from eternaltwin.clients.asyncio.users import UserClient
from eternaltwin.config import resolve_backend

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from eternaltwin.clients._flows import Flow
    from eternaltwin.users import User

__all__ = ["Eternaltwin"]

T = TypeVar("T")

#: Tasks closing pools, kept until they finish (the loop holds only weak references to tasks).
_CLOSING: set[asyncio.Task[None]] = set()


async def _closing(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Waits, then closes ``http`` when closed itself (by :meth:`Eternaltwin.aclose` or at its loop's end)."""
    try:
        yield
    finally:
        await http.aclose()


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
    _forum_client_class = ForumClient
    _announcement_client_class = AnnouncementClient
    users: UserClient
    archive: ArchiveClient
    clock: ClockClient
    forum: ForumClient
    announcements: AnnouncementClient
    _http: httpx.AsyncClient | None = None
    _http_loop: asyncio.AbstractEventLoop | None = None

    @staticmethod
    async def _wait(seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _setup(self, *args: Any, **kwargs: Any) -> None:
        super()._setup(*args, **kwargs)
        self._pool_lock = threading.Lock()
        self._in_use: dict[httpx.AsyncClient, int] = {}  # pools with calls in flight, and how many
        # Each pool's closer: an async generator its loop knows of (see _close_with_loop).
        self._closers: dict[httpx.AsyncClient, AsyncGenerator[None, None]] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled :class:`httpx.AsyncClient` of the running event loop (created on first use)."""
        with self._pool_lock:
            return self._pool()

    def _pool(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        http = self._http
        if http is not None and self._http_loop is loop:
            return http
        if http is not None and http not in self._in_use:
            self._close_elsewhere(http, self._http_loop)  # the pool of another loop, that ended or runs on
        transport = self._transport or async_transport(
            resolve_backend(self.async_backend),
            verify_ssl=self.verify_ssl,
            max_connections=self.max_connections,
        )
        http = self._http = httpx.AsyncClient(
            transport=transport,  # type: ignore[arg-type]
            verify=tls_context(self.verify_ssl),  # (these two for httpx's own transport, when it builds it)
            limits=pool_limits(self.max_connections),
            timeout=self._httpx_timeout,
            follow_redirects=self.allow_redirects,
            headers={"User-Agent": self.user_agent},
        )
        self._http_loop = loop
        self._close_with_loop(http)
        return http

    def _close_with_loop(self, http: httpx.AsyncClient) -> None:
        """Have ``http`` closed when its event loop ends, if nobody closes it before.

        The closer is an async generator started here: the loop records it (its first-iteration hook), and
        ``asyncio.run``, ``asyncio.Runner`` and IPython close every such generator before closing the loop
        (``loop.shutdown_asyncgens()``), which runs its ``finally``. A script that forgets ``aclose()``
        thus leaves no pool open (aiohttp would say "Unclosed client session" at exit).
        """
        closer = _closing(http)
        self._closers[http] = closer
        with contextlib.suppress(StopIteration):
            closer.asend(None).send(None)  # to its first yield, synchronously: it awaits nothing before

    async def _close_pool(self, http: httpx.AsyncClient) -> None:
        closer = self._closers.pop(http, None)
        if closer is not None:
            await closer.aclose()  # its finally closes the pool
        else:
            await http.aclose()

    def _close_elsewhere(self, http: httpx.AsyncClient, loop: asyncio.AbstractEventLoop | None) -> None:
        """Close a pool from code that cannot await it here: on its own loop, as soon as that loop can."""
        if loop is None or loop.is_closed():
            self._closers.pop(http, None)  # its loop ended: the closer already ran, or never can
            return
        close = self._close_pool(http)
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(close)
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(close, loop)
        else:
            close.close()  # a loop that is stopped but not closed: its end will close the pool

    def _lease(self) -> httpx.AsyncClient:
        """The pool of the running loop, counted as in use by one more call until :meth:`_release`."""
        with self._pool_lock:
            http = self._pool()
            self._in_use[http] = self._in_use.get(http, 0) + 1
            return http

    async def _release(self, http: httpx.AsyncClient) -> None:
        """One call is done with ``http``: close it if it was closed or replaced while in use."""
        with self._pool_lock:
            left = self._in_use.pop(http) - 1
            if left:
                self._in_use[http] = left
            detached = not left and http is not self._http
        if detached:
            await self._close_pool(http)

    async def _run(self, flow: Flow[T]) -> T:
        """The async driver: the sync client's ``_run`` with ``await`` (a test keeps them equal)."""
        http = self._lease()
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
            await self._release(http)

    async def iter_users(self, query: str | None = None, page_size: int = 100) -> AsyncIterator[User]:
        """Async :meth:`~eternaltwin.clients.sync.clients.Eternaltwin.iter_users`
        (``async for user in client.iter_users(...)``)."""
        pages = UserPages(self, query, page_size)
        while (flow := pages.next_flow()) is not None:
            for user in pages.accept(await self._run(flow)):
                yield user

    async def aclose(self) -> None:
        """Close the pooled connections (the client stays usable: a new pool opens on next use).

        Calls in flight finish on the old pool, which closes when the last one is done. A pool of another
        event loop is closed on that loop, as soon as it can.
        """
        with self._pool_lock:
            http, self._http = self._http, None
            loop, self._http_loop = self._http_loop, None
            busy = http in self._in_use
        if http is None or busy:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is running:
            await self._close_pool(http)
        else:
            self._close_elsewhere(http, loop)

    def close_soon(self) -> None:
        """Close the pooled connections without awaiting (for code that cannot await: a registry replacing
        this connection): on the pool's own loop, as soon as it can; calls in flight finish first."""
        with self._pool_lock:
            http, self._http = self._http, None
            loop, self._http_loop = self._http_loop, None
            busy = http in self._in_use
        if http is not None and not busy:
            self._close_elsewhere(http, loop)

    async def __aenter__(self) -> Eternaltwin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
