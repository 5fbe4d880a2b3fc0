"""The loopback server that catches one OAuth redirect.

When a connection's ``redirect_uri`` points at this machine (``http://127.0.0.1:PORT/callback``), the login
widget runs a :class:`CallbackServer` on that port for the length of one login. The browser, sent back by
Eternaltwin with ``?code=...&state=...``, lands here; the server hands the query to a callback (which checks
the state and exchanges the code), answers the browser with a small page saying it may close the tab, and
is stopped by its owner.

It is deliberately tiny (``http.server`` in a daemon thread): it serves one path, answers GET only, never
logs the query (it holds the authorization code) and stops by itself after ``timeout`` seconds.

That timeout is the server's own lifetime, a bound on how long a port stays taken; it is not the OAuth
state's expiry (the owner checks the state, so that a redirect arriving late is refused with a clear
"expired" page rather than a connection error). A redirect being handled when the time runs out is
finished first: the server then stops, and ``on_timeout`` is called, only once that request is answered.
"""

from __future__ import annotations

import html
import http.server
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = ["CallbackPage", "CallbackServer", "Timer", "TimerFactory", "thread_timer"]


@dataclass(frozen=True, slots=True)
class CallbackPage:
    """What the browser is told after the redirect.

    Attributes
    ----------
    ok : bool
        Whether the login succeeded (the page's colour and HTTP status follow it).
    title : str
        A short headline ("Logged in as Alice").
    detail : str
        One sentence more (what went wrong, or that the tab may be closed).
    """

    ok: bool
    title: str
    detail: str = ""

    def render(self) -> bytes:
        """The HTML page, every text escaped."""
        colour = "#1a7f37" if self.ok else "#b42318"
        close = "You may close this tab and go back to the notebook."
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;"
            "color:#1f2328}h1{font-size:1.4em;color:" + colour + "}p{line-height:1.5}</style>"
            "</head><body>"
            f'<h1 id="title">{html.escape(self.title)}</h1>'
            + (f'<p id="detail">{html.escape(self.detail)}</p>' if self.detail else "")
            + f'<p id="close">{close}</p>'
            "</body></html>\n"
        ).encode()


#: Called with the query string of the redirect (without ``?``); returns the page to show.
RedirectHandler = Callable[[str], CallbackPage]


class Timer(Protocol):
    """What :class:`CallbackServer` needs of a timer: ``threading.Timer``'s ``start`` and ``cancel``."""

    def start(self) -> None:
        """Start counting; the function runs once the interval has passed, unless cancelled first."""

    def cancel(self) -> None:
        """Stop the timer if it has not fired yet (a no-op otherwise)."""


#: Makes a timer (not started) that calls a function after a number of seconds.
TimerFactory = Callable[[float, Callable[[], None]], Timer]


def thread_timer(seconds: float, function: Callable[[], None]) -> threading.Timer:
    """The default :data:`TimerFactory`: a daemon ``threading.Timer``, not started."""
    timer = threading.Timer(seconds, function)
    timer.daemon = True
    return timer


class CallbackServer:
    """A one-login HTTP server on a loopback port.

    Parameters
    ----------
    port : int
        The port to listen on (the ``redirect_uri``'s).
    path : str
        The only path answered (the ``redirect_uri``'s path, ``/`` when it has none). Other paths get 404,
        so a browser's ``/favicon.ico`` does not count as the redirect.
    on_redirect : callable
        Called (in a server thread) with the query string of each GET on ``path``; returns the
        :class:`CallbackPage` to answer with.
    host : str, optional
        The address to bind; ``127.0.0.1`` by default (``::1`` for IPv6).
    timeout : float or None, optional
        The server's lifetime: seconds after which it stops by itself and ``on_timeout`` is called; None:
        never. A request being handled at that moment is answered first.
    on_timeout : callable, optional
        Called (in the timer's thread, or in the thread of the request that was being handled) when
        ``timeout`` runs out before :meth:`stop`.
    timer_factory : callable, optional
        Makes the lifetime's timer: ``timer_factory(seconds, function)`` returns an object with
        ``start()`` and ``cancel()``; :func:`thread_timer` by default. Tests pass a manual one.

    Raises
    ------
    OSError
        From :meth:`start`, when the port cannot be bound (already in use...).
    """

    def __init__(
        self,
        port: int,
        path: str,
        on_redirect: RedirectHandler,
        *,
        host: str = "127.0.0.1",
        timeout: float | None = 600.0,
        on_timeout: Callable[[], None] | None = None,
        timer_factory: TimerFactory = thread_timer,
    ) -> None:
        self.port = port
        self.path = path or "/"
        self.host = host
        self.timeout = timeout
        self._on_redirect = on_redirect
        self._on_timeout = on_timeout
        self._timer_factory = timer_factory
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: Timer | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Lock()  # held for the whole of a stop, so that stop() waits for another
        # The lifetime's end and the redirects being handled, decided under _lock so that they never overlap.
        self._in_flight = 0
        self._expired = False
        self._expire_when_idle = False

    @classmethod
    def for_redirect_uri(
        cls,
        redirect_uri: str,
        on_redirect: RedirectHandler,
        *,
        port: int,
        path: str | None = None,
        timeout: float | None = 600.0,
        on_timeout: Callable[[], None] | None = None,
        timer_factory: TimerFactory = thread_timer,
    ) -> CallbackServer:
        """A server for a loopback ``redirect_uri``: IPv6 when its host is ``[::1]``, else IPv4.

        ``path`` overrides the path taken from ``redirect_uri`` (for proxied URLs, whose local path differs).
        """
        parts = urlsplit(redirect_uri)
        host = "::1" if parts.hostname == "::1" else "127.0.0.1"
        return cls(
            port,
            path if path is not None else (parts.path or "/"),
            on_redirect,
            host=host,
            timeout=timeout,
            on_timeout=on_timeout,
            timer_factory=timer_factory,
        )

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._server is not None

    @property
    def url(self) -> str:
        """The local URL of the answered path."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def start(self) -> None:
        """Bind the port and serve in a daemon thread (a no-op when already running)."""
        with self._lock:
            if self._server is not None:
                return
            server = _Server((self.host, self.port), _Handler, owner=self)
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"eternaltwin-oauth-callback-{self.port}",
                daemon=True,
            )
            self._thread.start()
            self._expired = self._expire_when_idle = False
            if self.timeout is not None:
                self._timer = self._timer_factory(self.timeout, self._expire)
                self._timer.start()

    def stop(self) -> None:
        """Stop serving and free the port (idempotent; callable from a request handler).

        When another thread (the expiry timer, a request handler) is already stopping the server, this
        waits until it is done: on return, the port is free.
        """
        with self._stopping:
            with self._lock:
                server, thread, timer = self._server, self._thread, self._timer
                self._server = self._thread = self._timer = None
            if timer is not None:
                timer.cancel()  # a no-op when it is the timer that is stopping the server
            if server is None:
                return
            server.shutdown()
            server.server_close()
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=5)

    def _expire(self) -> None:
        """The lifetime ran out: stop and tell the owner, unless a redirect is being handled right now."""
        with self._lock:
            if self._server is None or self._expired:
                return
            if self._in_flight:
                self._expire_when_idle = True  # the last request in flight calls this again when done
                return
            self._expired = True
        self.stop()
        if self._on_timeout is not None:
            self._on_timeout()

    def _handle(self, query: str) -> CallbackPage:
        with self._lock:
            if self._expired:  # arrived while the server is stopping for good
                return CallbackPage(
                    False, "Login timed out", "Start a new login in the notebook ('Log in with Eternaltwin')."
                )
            self._in_flight += 1
        try:
            return self._on_redirect(query)
        except Exception as error:  # the browser gets a page whatever happens; the owner shows the rest
            return CallbackPage(False, "Login failed", f"{type(error).__name__}: {error}")
        finally:
            with self._lock:
                self._in_flight -= 1
                due = self._expire_when_idle and not self._in_flight
            if due:
                self._expire()

    def __enter__(self) -> CallbackServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<CallbackServer {self.url} ({'running' if self.running else 'stopped'})>"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Any, *, owner: CallbackServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        super().__init__(address, handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    # A browser may open a speculative connection and send nothing on it; don't let it hang a thread.
    timeout = 15
    server_version = "eternaltwin-login"
    sys_version = ""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        owner = self.server.owner
        if parts.path != owner.path:
            self._reply(404, CallbackPage(False, "Not found", "This address only receives the login."))
            return
        page = owner._handle(parts.query)
        self._reply(200 if page.ok else 400, page)

    def _reply(self, status: int, page: CallbackPage) -> None:
        body = page.render()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: the request line holds the authorization code."""
