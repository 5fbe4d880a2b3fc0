"""The synchronous Eternaltwin client."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from eternaltwin.clients._flows import Sleep, UserPages, to_response, transport_error
from eternaltwin.clients._operations import SyncSender
from eternaltwin.clients._transports import pool_limits, tls_context
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.sync.announcements import AnnouncementClient
from eternaltwin.clients.sync.archive import ArchiveClient
from eternaltwin.clients.sync.clock import ClockClient
from eternaltwin.clients.sync.forum import ForumClient
from eternaltwin.clients.sync.users import UserClient

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eternaltwin.clients._flows import Flow
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
    from eternaltwin.users import User

__all__ = ["Eternaltwin"]

T = TypeVar("T")


class Eternaltwin(SyncSender, ClientABC):
    """A synchronous connection to an Eternaltwin server, on one pooled :class:`httpx.Client`.

    The httpx client is created on first use, reused by every call (thread-safe) and closed by
    :meth:`close` or by leaving a ``with`` block; a closed client opens a new pool if used again.
    Parameters and methods: see :class:`~eternaltwin.clients.abc.clients.ClientABC`.

    Examples
    --------
    >>> with Eternaltwin(url="https://eternaltwin.org/") as client:   # doctest: +SKIP
    ...     client.users.search("alice").json()["count"]
    """

    _flavour: ClassVar[str] = "sync"
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
    _http: httpx.Client | None = None

    def _setup(self, *args: Any, **kwargs: Any) -> None:
        super()._setup(*args, **kwargs)
        self._pool_lock = threading.Lock()
        self._in_use: dict[httpx.Client, int] = {}  # pools with calls in flight, and how many
        self._twin: AsyncEternaltwin | None = None

    @staticmethod
    def _wait(seconds: float) -> None:
        time.sleep(seconds)

    @property
    def http(self) -> httpx.Client:
        """The pooled :class:`httpx.Client` (created on first use)."""
        with self._pool_lock:
            return self._pool()

    def _pool(self) -> httpx.Client:
        http = self._http
        if http is None:
            http = self._http = httpx.Client(
                transport=self._transport,  # type: ignore[arg-type]
                verify=tls_context(self.verify_ssl),
                timeout=self._httpx_timeout,
                limits=pool_limits(self.max_connections),
                follow_redirects=self.allow_redirects,
                headers={"User-Agent": self.user_agent},
            )
        return http

    def _lease(self) -> httpx.Client:
        """The pool, counted as in use by one more call until :meth:`_release`."""
        with self._pool_lock:
            http = self._pool()
            self._in_use[http] = self._in_use.get(http, 0) + 1
            return http

    def _release(self, http: httpx.Client) -> None:
        """One call is done with ``http``: close it if it was closed or replaced while in use."""
        with self._pool_lock:
            left = self._in_use.pop(http) - 1
            if left:
                self._in_use[http] = left
            detached = not left and http is not self._http
        if detached:
            http.close()

    def _run(self, flow: Flow[T]) -> T:
        """The sync driver: send the flow's requests, sleep its sleeps, return its result.

        The async client's driver is the same function with ``await`` (a test keeps them equal). The flow
        is closed however the call ends, so that its ``finally`` clauses run (a refresh under way is
        marked done even when the call is interrupted).
        """
        http = self._lease()
        follow = self.allow_redirects
        sleep = self._sleep
        try:
            step = next(flow)
            while True:
                if isinstance(step, Sleep):
                    sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = http.send(step, follow_redirects=follow)
                except httpx.HTTPError as exc:
                    step = flow.throw(transport_error(exc, step))
                else:
                    step = flow.send(to_response(response))
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            flow.close()
            self._release(http)

    def iter_users(self, query: str | None = None, page_size: int = 100) -> Iterator[User]:
        """Every user matching ``query``, a page of ``page_size`` fetched at a time as iteration goes.

        Pages are asked at the offsets this client counts itself (not those the server echoes), and the
        iteration stops at the end of the count, or at a page that brings no user not seen yet (a server
        that ignores ``offset``).

        Yields
        ------
        User
        """
        pages = UserPages(self, query, page_size)
        while (flow := pages.next_flow()) is not None:
            yield from pages.accept(self._run(flow))

    def async_twin(self) -> AsyncEternaltwin:
        """An async client with this client's settings, made once and kept.

        It is what the sync API's concurrent work (``search_frame``, ``df.eternaltwin.details()``) sends
        through, on the kit's loop thread (:mod:`eternaltwin._blocking`), so that its pooled connections
        last from one call to the next. It shares no connection with this client, and closes with it.
        """
        with self._pool_lock:
            twin = self._twin
            if twin is None:
                from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

                transport = self._transport
                # A test's MockTransport serves both flavours; a sync-only transport cannot be reused.
                twin = self._twin = AsyncEternaltwin.from_settings(
                    self.settings,
                    transport=transport if hasattr(transport, "handle_async_request") else None,
                )
                twin.alias = self.alias
            return twin

    def close(self) -> None:
        """Close the pooled connections (the client stays usable: a new pool opens on next use), and those
        of its :meth:`async_twin`.

        Calls in flight in other threads finish on the old pool, which closes when the last one is done.
        """
        with self._pool_lock:
            http, self._http = self._http, None
            busy = http in self._in_use
            twin = self._twin
        if http is not None and not busy:
            http.close()
        if twin is not None:
            twin.close_soon()

    def __enter__(self) -> Eternaltwin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
