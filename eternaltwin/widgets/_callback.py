"""The loopback server that catches one OAuth redirect.

When a connection's ``redirect_uri`` points at this machine (``http://127.0.0.1:PORT/callback``), the login
widget runs a :class:`CallbackServer` on that port for the length of one login. The browser, sent back by
Eternaltwin with ``?code=...&state=...``, lands here; the server hands the query to a callback (which checks
the state and exchanges the code), answers the browser with a small page saying it may close the tab, and
is stopped by its owner.

It is deliberately tiny (``http.server``, a thread per connection): it serves one path, answers GET only,
never logs the query (it holds the authorization code) and stops by itself after ``timeout`` seconds.

That timeout is the server's own lifetime, a bound on how long a port stays taken; it is not the OAuth
state's expiry (the owner checks the state, so that a redirect arriving late is refused with a clear
"expired" page rather than a connection error). A redirect being handled when the time runs out is
finished first: the server then stops, and ``on_timeout`` is called, only once that request is answered.

What reaches the owner
----------------------
Any page the person has open can make their browser request ``http://127.0.0.1:PORT/...`` (an ``<img>``
will do), so the server only hands over what can be the login's own redirect:

- **Host**: the request must name this server (``localhost``, ``127.0.0.1`` or ``[::1]`` with its port),
  or, for a callback reached through jupyter-server-proxy, the ``redirect_uri``'s public host, or carry
  the proxy's ``X-Forwarded-Context`` of this port (the proxy passes the browser's ``Host`` on, and on a
  hub whose public origin is unknown the ``redirect_uri`` is a path). Anything else gets 400: a page of
  another site resolving its name to 127.0.0.1 (DNS rebinding) cannot talk to the server.
- **Path**: other paths get 404 (a browser's ``/favicon.ico``).
- **State**: given the pending login's ``state``, a request on the path whose ``state`` is another (or
  missing) gets 400 and changes nothing: the login stays pending.

Connections are capped (:data:`MAX_CONNECTIONS`; more are answered 503 at once, without a thread) and
each must send its request line and headers within :data:`HEADER_TIMEOUT` seconds of quiet, so that idle
connections (a browser's speculative ones, or anyone's) cannot each hold a thread for long.
"""

from __future__ import annotations

import contextlib
import hmac
import html
import http.server
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "HEADER_TIMEOUT",
    "MAX_CONNECTIONS",
    "CallbackPage",
    "CallbackServer",
    "Timer",
    "TimerFactory",
    "thread_timer",
]

#: Connections a callback server serves at once; more are answered 503 straight away (a browser opens
#: at most 6 to one host).
MAX_CONNECTIONS = 8

#: Seconds a connection may stay silent while sending its request line and headers before it is closed.
HEADER_TIMEOUT = 5.0

#: Names that always mean this machine in a ``Host`` header.
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

#: A ``Host`` header: a name or an IPv4 address, or an IPv6 address in brackets; an optional port.
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")

_DEFAULT_PORTS = {"http": 80, "https": 443}


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
        Called (in a server thread) with the query string of each GET on ``path`` that passes the checks
        (see the module); returns the :class:`CallbackPage` to answer with.
    host : str, optional
        The address to bind; ``127.0.0.1`` by default (``::1`` for IPv6).
    state : str, optional
        The pending login's OAuth state: only a request carrying it reaches ``on_redirect``; None: any.
    public_hosts : iterable of str, optional
        ``Host`` values accepted besides the loopback names with this port: the public ``host[:port]`` of
        a ``redirect_uri`` that reaches this server through jupyter-server-proxy.
    proxy_context : str, optional
        jupyter-server-proxy's context path of this port (``/user/alice/proxy/8765``): a request whose
        ``X-Forwarded-Context`` header is this one came through the hub's proxy, and is accepted
        whatever its ``Host``.
    timeout : float or None, optional
        The server's lifetime: seconds after which it stops by itself and ``on_timeout`` is called; None:
        never. A request being handled at that moment is answered first.
    on_timeout : callable, optional
        Called (in the timer's thread, or in the thread of the request that was being handled) when
        ``timeout`` runs out before :meth:`stop`.
    timer_factory : callable, optional
        Makes the lifetime's timer: ``timer_factory(seconds, function)`` returns an object with
        ``start()`` and ``cancel()``; :func:`thread_timer` by default. Tests pass a manual one.
    max_connections : int, optional
        Connections served at once (:data:`MAX_CONNECTIONS`); more are answered 503 at once.
    header_timeout : float, optional
        Seconds of silence allowed while a connection sends its request (:data:`HEADER_TIMEOUT`).

    Raises
    ------
    OSError
        From :meth:`start`, when the port cannot be bound (already in use...).
    ValueError
        For a ``max_connections`` below 1 or a ``header_timeout`` that is not above 0.
    """

    def __init__(
        self,
        port: int,
        path: str,
        on_redirect: RedirectHandler,
        *,
        host: str = "127.0.0.1",
        state: str | None = None,
        public_hosts: Iterable[str] = (),
        proxy_context: str | None = None,
        timeout: float | None = 600.0,
        on_timeout: Callable[[], None] | None = None,
        timer_factory: TimerFactory = thread_timer,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(f"max_connections must be an int of 1 or more, not {max_connections!r}")
        if not header_timeout > 0:  # also refuses NaN
            raise ValueError(f"header_timeout must be a number of seconds above 0, not {header_timeout!r}")
        self.port = port
        self.path = path or "/"
        self.host = host
        self.timeout = timeout
        self.max_connections = max_connections
        self.header_timeout = float(header_timeout)
        self.proxy_context = proxy_context.rstrip("/") if proxy_context else None
        self._state = state
        self._public_hosts = frozenset(_host_forms(public_hosts))
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
        self._connections = 0

    @classmethod
    def for_redirect_uri(
        cls,
        redirect_uri: str,
        on_redirect: RedirectHandler,
        *,
        port: int,
        path: str | None = None,
        state: str | None = None,
        timeout: float | None = 600.0,
        on_timeout: Callable[[], None] | None = None,
        timer_factory: TimerFactory = thread_timer,
    ) -> CallbackServer:
        """A server for ``redirect_uri``: IPv6 when its host is ``[::1]``, else IPv4.

        A loopback ``redirect_uri`` on ``port`` is answered under the loopback names only. Any other (a
        jupyter-server-proxy URL of this port, absolute or a path) also accepts its public host, and the
        proxy's context path (the URL's path before ``path``).

        ``path`` overrides the path taken from ``redirect_uri`` (for proxied URLs, whose local path differs).
        """
        parts = urlsplit(redirect_uri)
        local = path if path is not None else (parts.path or "/")
        public_hosts: tuple[str, ...] = ()
        context: str | None = None
        try:
            direct = parts.hostname in _LOOPBACK_NAMES and parts.port == port
        except ValueError:
            direct = False
        if not direct:
            if parts.netloc:
                public_hosts = (_default_port_less(parts.scheme, parts.netloc),)
            full = parts.path or "/"
            if local != "/" and full.endswith(local):
                context = full[: len(full) - len(local)]
            elif local == "/":
                context = full
        return cls(
            port,
            local,
            on_redirect,
            host="::1" if parts.hostname == "::1" else "127.0.0.1",
            state=state,
            public_hosts=public_hosts,
            proxy_context=context,
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

    @property
    def connections(self) -> int:
        """Connections being served now (each in its own thread)."""
        with self._lock:
            return self._connections

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

    # -- what the handlers ask -------------------------------------------------------------------------

    def _claim_connection(self) -> bool:
        with self._lock:
            if self._connections >= self.max_connections:
                return False
            self._connections += 1
            return True

    def _release_connection(self) -> None:
        with self._lock:
            self._connections -= 1

    def _host_allowed(self, hosts: list[str], forwarded_context: str | None) -> bool:
        """Whether a request with these ``Host`` headers (and proxy context) is addressed to this server."""
        if (
            self.proxy_context is not None
            and forwarded_context is not None
            and forwarded_context.rstrip("/") == self.proxy_context
        ):
            return True
        if len(hosts) != 1:
            return False
        value = hosts[0].strip().lower()
        if value in self._public_hosts:
            return True
        match = _HOST.fullmatch(value)
        if match is None:
            return False
        name = match["name"].strip("[]")
        port = int(match["port"]) if match["port"] else 80
        return name in _LOOPBACK_NAMES | {self.host} and port == self.port

    def _is_this_login(self, query: str) -> bool:
        """Whether ``query`` carries the pending login's state (always, when the server was given none)."""
        if self._state is None:
            return True
        states = parse_qs(query).get("state") or [""]
        return hmac.compare_digest(states[0].encode(), self._state.encode())

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


def _default_port_less(scheme: str, netloc: str) -> str:
    """``netloc`` without user info, lower-cased, without the scheme's default port."""
    netloc = netloc.rpartition("@")[2].lower()
    default = _DEFAULT_PORTS.get(scheme.lower())
    if default is not None and netloc.endswith(f":{default}"):
        netloc = netloc[: -len(f":{default}")]
    return netloc


def _host_forms(hosts: Iterable[str]) -> Iterable[str]:
    """Each public host as a browser may send it: as given, and with a default port spelt out."""
    for host in hosts:
        host = host.strip().lower()
        if not host:
            continue
        yield host
        match = _HOST.fullmatch(host)
        if match is not None and match["port"] is None:
            yield f"{host}:80"
            yield f"{host}:443"


_BUSY = CallbackPage(
    False, "Too many connections", "The login's callback server is busy: reload this page in a moment."
)
_WRONG_HOST = CallbackPage(
    False, "Wrong address", "This server only answers the address the login sends your browser back to."
)
_NOT_FOUND = CallbackPage(False, "Not found", "This address only receives the login.")
_OTHER_LOGIN = CallbackPage(
    False,
    "Not this login",
    "This is not the redirect of the login the notebook is waiting for (its state differs), so nothing "
    "was done: the login is still waiting. Use the newest login link in the notebook.",
)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Any, *, owner: CallbackServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own, or answer 503 at once when at the cap."""
        if not self.owner._claim_connection():
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.owner._release_connection()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.owner._release_connection()

    def _turn_away(self, request: socket.socket) -> None:
        body = _BUSY.render()
        head = (
            "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with contextlib.suppress(OSError):
            request.settimeout(1.0)  # a fresh connection's send buffer takes this at once
            request.sendall(head + body)
        self.shutdown_request(request)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    server_version = "eternaltwin-login"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Bounds each wait for the request line and headers (nothing else is read): an idle connection
        # ends after this much silence.
        self.connection.settimeout(self.server.owner.header_timeout)

    def do_GET(self) -> None:
        owner = self.server.owner
        if not owner._host_allowed(
            self.headers.get_all("Host") or [], self.headers.get("X-Forwarded-Context")
        ):
            self._reply(400, _WRONG_HOST)
            return
        if not self.path.startswith("/"):  # an absolute-form target names its own host: not ours to judge
            self._reply(400, _WRONG_HOST)
            return
        parts = urlsplit(self.path)
        if parts.path != owner.path:
            self._reply(404, _NOT_FOUND)
            return
        if not owner._is_this_login(parts.query):
            self._reply(400, _OTHER_LOGIN)
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
