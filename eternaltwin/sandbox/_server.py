"""Run the sandbox app with uvicorn in a background thread: :class:`Sandbox`."""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from types import TracebackType

import uvicorn

from eternaltwin.sandbox._app import create_app
from eternaltwin.sandbox._clock import VirtualClock
from eternaltwin.sandbox._config import ConfigLike, ServerOptions
from eternaltwin.sandbox._seed import DemoUser, SeededApp
from eternaltwin.sandbox._state import SandboxState
from eternaltwin.sandbox._store import Store

__all__ = ["Sandbox"]

_START_TIMEOUT_SECONDS = 15.0
_STOP_TIMEOUT_SECONDS = 5.0


class Sandbox:
    """A local Eternaltwin-compatible server, served by uvicorn on a background daemon thread.

    Parameters
    ----------
    config : SandboxConfig, mapping, str, os.PathLike or None
        Seeds: None for the demo app and users, a path to an ``eternaltwin.toml``, or the parsed TOML
        as a mapping.
    population : int
        Number of generated users, deterministic for a given number.
    latency_ms : float
        Fixed delay added to every response.
    host : str
        Interface to bind.
    port : int
        Port to bind; 0 picks a free ephemeral port.
    redirect_uri : str, optional
        Replaces the OAuth callback of the first (demo) app: an absolute URL, or an origin-relative path
        behind a proxy whose public origin is unknown.
    external_url : str, optional
        URL a browser uses to reach this server (e.g. behind jupyter-server-proxy; an origin-relative
        path when the proxy's public origin is unknown); defaults to :attr:`url`. Redirects to a URL
        without an origin are answered with a page that refreshes, which no proxy rewrites.
    token_lifetime : int, optional
        Seconds an access token lives (default: 1,000,000,000 like eternaltwin.org; 3600 with
        ``refresh_tokens``).
    refresh_tokens : bool, optional
        Issue rotating refresh tokens and accept the refresh grant (with single-use codes), to test a
        client's refresh; eternaltwin.org issues none. Default: off.
    habits : {"default", "2021"}, optional
        ``"2021"`` answers a bad token with a plain-text 500 and search pages of ShortUser items
        without ``offset``/``limit``, as the 2021 server would.

    Each of the last three, when given, replaces the config's ``[sandbox]`` value (see
    :class:`~eternaltwin.sandbox.ServerOptions`). With none, the sandbox behaves as eternaltwin.org
    does as far as its source shows.

    Raises
    ------
    SandboxConfigError
        For a malformed config or option.

    Examples
    --------
    >>> with Sandbox() as sb:                                   # doctest: +SKIP
    ...     httpx.get(f"{sb.url}/api/v1/users?q=ali").json()["count"]
    1
    """

    def __init__(
        self,
        config: ConfigLike = None,
        population: int = 0,
        latency_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        redirect_uri: str | None = None,
        external_url: str | None = None,
        token_lifetime: int | None = None,
        refresh_tokens: bool | None = None,
        habits: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = VirtualClock()
        self._external_url = external_url.rstrip("/") if external_url else None
        self.app = create_app(
            config,
            population=population,
            latency_ms=latency_ms,
            redirect_uri=redirect_uri,
            external_url=self._external_url,
            clock=self.clock,
            token_lifetime=token_lifetime,
            refresh_tokens=refresh_tokens,
            habits=habits,
        )
        self._state: SandboxState = self.app.state.sandbox
        self._state_key = secrets.token_urlsafe(32)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -------------------------------------------------------------------------------------- facts

    @property
    def url(self) -> str:
        """Base URL, ``http://HOST:PORT`` without a trailing slash.

        Raises
        ------
        RuntimeError
            If the port is still 0 (ephemeral) because the server has not started.
        """
        if self.port == 0:
            raise RuntimeError("the sandbox has no port yet: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def external_url(self) -> str:
        """URL a browser uses to reach the server (``external_url=`` or :attr:`url`)."""
        return self._external_url or self.url

    @property
    def options(self) -> ServerOptions:
        """What this sandbox does differently from eternaltwin.org (token lifetime, refresh, habits)."""
        return self._state.options

    @property
    def store(self) -> Store:
        """The in-memory store (for inspection in tests; not a stable API)."""
        return self._state.store

    @property
    def apps(self) -> list[SeededApp]:
        """Apps registered at start-up, with plain-text secrets."""
        return list(self._state.apps)

    @property
    def demo_users(self) -> list[DemoUser]:
        """Seeded users with their plain-text passwords (generated users are not listed)."""
        return list(self._state.demo_users)

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def connection_config(self) -> dict[str, str]:
        """Keyword arguments for the client's ``configure()``, for the first app.

        Returns
        -------
        dict
            ``url``, ``client_id`` (the client key), ``client_secret``, ``redirect_uri`` and
            ``state_key`` (a random secret made once per Sandbox).
        """
        app = self._state.apps[0]
        return {
            "url": self.url,
            "client_id": app.key,
            "client_secret": app.secret,
            "redirect_uri": app.oauth_callback,
            "state_key": self._state_key,
        }

    # ---------------------------------------------------------------------------------- lifecycle

    def start(self) -> Sandbox:
        """Start serving; returns once the server accepts connections.

        Returns
        -------
        Sandbox
            ``self``.

        Raises
        ------
        OSError
            If the address cannot be bound.
        RuntimeError
            If the server does not come up.
        """
        with self._lock:
            if self.running:
                return self
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the listening
            # socket says it is TCP. Without it every kept-alive reply waits ~40 ms for a delayed ACK.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, self.port))
                sock.listen(128)
            except OSError:
                sock.close()
                raise
            self.port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.app,
                lifespan="off",
                ws="none",
                http="h11",
                log_config=None,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=_serve,
                args=(server, sock),
                name=f"eternaltwin-sandbox-{self.port}",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT_SECONDS
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    sock.close()
                    raise RuntimeError("the sandbox server did not start")
                time.sleep(0.005)
            return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end; does nothing if not running."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None or thread is None:
                return
            server.should_exit = True
            thread.join(_STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                server.force_exit = True
                thread.join(_STOP_TIMEOUT_SECONDS)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.port else f"http://{self.host}:<unbound>"
        return f"<Sandbox {where} users={len(self.store.users)} {'running' if self.running else 'stopped'}>"


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """The server thread: uvicorn on an event loop of its own, until ``should_exit``.

    Not ``server.run()``: it goes through ``asyncio.run``, which nest-asyncio (applied by a notebook or a
    library) replaces process-wide, on Python 3.12+ by a version without the ``loop_factory`` argument that
    uvicorn passes. A :class:`asyncio.Runner` always makes, runs and closes a loop of its own.
    """
    with asyncio.Runner() as runner:
        runner.run(server.serve(sockets=[sock]))
