"""The loopback server that catches one OAuth redirect."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from eternaltwin._hub import free_port
from eternaltwin.widgets._callback import CallbackPage, CallbackServer


def test_answers_the_path_and_hands_over_the_query() -> None:
    seen: list[str] = []

    def on_redirect(query: str) -> CallbackPage:
        seen.append(query)
        return CallbackPage(True, "Logged in as <Alice>", "All good.")

    port = free_port()
    with CallbackServer(port, "/callback", on_redirect) as server:
        assert server.running
        assert server.url == f"http://127.0.0.1:{port}/callback"
        reply = httpx.get(f"http://127.0.0.1:{port}/callback?code=abc&state=xyz")
        assert reply.status_code == 200
        assert "Logged in as &lt;Alice&gt;" in reply.text
        assert "You may close this tab" in reply.text
        assert reply.headers["cache-control"] == "no-store"
        assert httpx.get(f"http://127.0.0.1:{port}/favicon.ico").status_code == 404
    assert seen == ["code=abc&state=xyz"]
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/callback")


def test_failure_page_and_handler_exceptions() -> None:
    def on_redirect(query: str) -> CallbackPage:
        if query == "boom":
            raise RuntimeError("kaput")
        return CallbackPage(False, "Login failed", "Wrong state.")

    port = free_port()
    with CallbackServer(port, "/", on_redirect):
        reply = httpx.get(f"http://127.0.0.1:{port}/?x")
        assert reply.status_code == 400
        assert "Wrong state." in reply.text
        reply = httpx.get(f"http://127.0.0.1:{port}/?boom")
        assert reply.status_code == 400
        assert "RuntimeError: kaput" in reply.text


def test_stop_from_the_handler_itself() -> None:
    box: list[CallbackServer] = []

    def on_redirect(query: str) -> CallbackPage:
        box[0].stop()
        return CallbackPage(True, "Done")

    port = free_port()
    server = CallbackServer(port, "/cb", on_redirect)
    box.append(server)
    server.start()
    reply = httpx.get(f"http://127.0.0.1:{port}/cb?code=1")
    assert reply.status_code == 200
    assert "Done" in reply.text
    assert not server.running


def test_times_out_by_itself() -> None:
    fired = threading.Event()
    port = free_port()
    server = CallbackServer(port, "/", lambda q: CallbackPage(True, "x"), timeout=0, on_timeout=fired.set)
    server.start()
    fired.wait()  # a real timer (no deadline here: pytest-timeout ends a hang)
    assert not server.running  # stopped before on_timeout is called
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")
    server.stop()  # idempotent


class _Timers:
    """A timer factory whose timers only fire when the test calls :meth:`fire`."""

    def __init__(self) -> None:
        self.made: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, seconds: float, function: Callable[[], None]) -> _Timers:
        self.made.append((seconds, function))
        return self

    def start(self) -> None:
        pass

    def cancel(self) -> None:
        self.cancelled += 1

    def fire(self) -> None:
        (_, function) = self.made[-1]
        function()


def test_the_lifetime_ends_after_the_redirect_being_handled() -> None:
    inside, release = threading.Event(), threading.Event()
    timed_out: list[str] = []

    def on_redirect(query: str) -> CallbackPage:
        inside.set()
        release.wait()
        timed_out.append(f"handled (timed out before: {bool(timed_out)})")
        return CallbackPage(True, "Logged in")

    timers = _Timers()
    port = free_port()
    server = CallbackServer(
        port,
        "/cb",
        on_redirect,
        timeout=30,
        on_timeout=lambda: timed_out.append("timeout"),
        timer_factory=timers,
    )
    server.start()
    assert [seconds for seconds, _ in timers.made] == [30]
    replies: list[httpx.Response] = []
    browser = threading.Thread(target=lambda: replies.append(httpx.get(f"{server.url}?code=1", timeout=60)))
    browser.start()
    try:
        inside.wait()
        timers.fire()  # the lifetime runs out while the redirect is being handled
        assert timed_out == []  # not now:
        assert server.running
    finally:
        release.set()
        browser.join()
    (reply,) = replies
    assert reply.status_code == 200 and "Logged in" in reply.text  # the redirect was answered in full
    assert timed_out == ["handled (timed out before: False)", "timeout"]  # then the server timed out
    assert not server.running


def test_stop_cancels_the_lifetime() -> None:
    timers = _Timers()
    fired: list[bool] = []
    server = CallbackServer(
        free_port(),
        "/",
        lambda q: CallbackPage(True, "x"),
        on_timeout=lambda: fired.append(True),
        timer_factory=timers,
    )
    server.start()
    server.stop()
    assert timers.cancelled == 1
    timers.fire()  # a timer that fires anyway (it was already running) finds nothing to stop
    assert fired == []


def test_port_in_use_raises() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = CallbackServer(port, "/", lambda q: CallbackPage(True, "x"))
        with pytest.raises(OSError):
            server.start()
        assert not server.running


def test_for_redirect_uri() -> None:
    server = CallbackServer.for_redirect_uri(
        "http://localhost:8765/oauth/cb", lambda q: CallbackPage(True, ""), port=8765
    )
    assert (server.host, server.port, server.path) == ("127.0.0.1", 8765, "/oauth/cb")
    server = CallbackServer.for_redirect_uri("http://[::1]:8765", lambda q: CallbackPage(True, ""), port=8765)
    assert (server.host, server.path) == ("::1", "/")
    assert server.url == "http://[::1]:8765/"
    assert "stopped" in repr(server)


def test_stop_waits_for_a_stop_under_way_in_another_thread() -> None:
    # The expiry timer (timeout=0) stops the server in its own thread; a stop() made meanwhile must not
    # return before the port is free (a login started right after would find it busy).
    port = free_port()
    for _ in range(30):
        server = CallbackServer(port, "/cb", lambda query: CallbackPage(True, "", ""), timeout=0)
        server.start()
        time.sleep(0.01)  # the timer's stop is under way
        server.stop()
        assert not [t for t in threading.enumerate() if t.name == f"eternaltwin-oauth-callback-{port}"]
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))


# -- only the pending login's redirect, addressed to this server, reaches the owner --------------------


def _raw_get(port: int, request: bytes) -> bytes:
    """Send ``request`` as is and read the whole answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_only_the_pending_state_reaches_the_owner() -> None:
    seen: list[str] = []

    def on_redirect(query: str) -> CallbackPage:
        seen.append(query)
        return CallbackPage(True, "Logged in")

    port = free_port()
    with CallbackServer(port, "/cb", on_redirect, state="the-state") as server:
        for query in (
            "code=1&state=another",
            "code=1",
            "",
            "state=",
            "state=the-stat",
            "error=access_denied",
        ):
            reply = httpx.get(f"{server.url}?{query}")
            assert reply.status_code == 400, query
            assert "Not this login" in reply.text and "still waiting" in reply.text
        assert seen == []
        reply = httpx.get(f"{server.url}?code=1&state=the-state")
        assert reply.status_code == 200 and "Logged in" in reply.text
    assert seen == ["code=1&state=the-state"]


def test_the_host_must_name_this_server() -> None:
    seen: list[str] = []
    port = free_port()
    with CallbackServer(port, "/cb", lambda q: seen.append(q) or CallbackPage(True, "ok")) as server:
        for host in (
            "evil.example",
            f"evil.example:{port}",
            "127.0.0.1:1",
            "localhost",
            f"x@127.0.0.1:{port}",
        ):
            reply = httpx.get(f"{server.url}?code=1", headers={"Host": host})
            assert reply.status_code == 400, host
            assert "Wrong address" in reply.text
        assert _raw_get(port, b"GET /cb?code=1 HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 400")  # no Host
        two = f"GET /cb?code=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode()
        assert _raw_get(port, two).startswith(b"HTTP/1.0 400")
        absolute = f"GET http://evil.example/cb?code=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        assert _raw_get(port, absolute).startswith(b"HTTP/1.0 400")
        assert seen == []
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
            assert httpx.get(f"{server.url}?code={host}", headers={"Host": host}).status_code == 200, host
    assert len(seen) == 4


def test_a_proxied_callback_accepts_its_public_host_and_the_proxys_context() -> None:
    port = free_port()
    public = f"https://hub.example.org/user/alice/proxy/{port}/oauth/cb"
    server = CallbackServer.for_redirect_uri(
        public, lambda q: CallbackPage(True, "ok"), port=port, path="/oauth/cb", state="s"
    )
    with server:
        url = f"http://127.0.0.1:{port}/oauth/cb?code=1&state=s"
        assert httpx.get(url, headers={"Host": "hub.example.org"}).status_code == 200
        assert httpx.get(url, headers={"Host": "hub.example.org:443"}).status_code == 200
        assert httpx.get(url).status_code == 200  # loopback names still count
        assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 400
        # What jupyter-server-proxy adds to each request it forwards (the browser's Host passes as is).
        proxied = {"Host": "other.example", "X-Forwarded-Context": f"/user/alice/proxy/{port}"}
        assert httpx.get(url, headers=proxied).status_code == 200
        wrong = {"Host": "other.example", "X-Forwarded-Context": "/user/bob/proxy/1"}
        assert httpx.get(url, headers=wrong).status_code == 400

    # On a hub whose public origin is unknown the redirect_uri is a path: the proxy's context tells.
    relative = CallbackServer.for_redirect_uri(
        f"/user/alice/proxy/{port}/oauth/cb", lambda q: CallbackPage(True, "ok"), port=port, path="/oauth/cb"
    )
    assert relative.proxy_context == f"/user/alice/proxy/{port}"
    plain = CallbackServer.for_redirect_uri(
        f"http://localhost:{port}/oauth/cb", lambda q: CallbackPage(True, ""), port=port
    )
    assert plain.proxy_context is None  # a plain loopback redirect_uri: the loopback names only


# -- idle connections cannot each hold a thread --------------------------------------------------------


def _until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (a thread of the server ends in its own time; pytest-timeout ends a hang)."""
    while not condition():
        time.sleep(0.005)


def test_connections_are_capped() -> None:
    port = free_port()
    server = CallbackServer(port, "/cb", lambda q: CallbackPage(True, "ok"), max_connections=2)
    with server:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        try:
            _until(lambda: server.connections == 2)  # each is being served, by a thread of its own
            with socket.create_connection(("127.0.0.1", port)) as third:
                answer = b""
                while chunk := third.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.0 503 Service Unavailable\r\n")  # at once, no thread for it
            assert b"Retry-After: 1" in answer and b"Too many connections" in answer
            assert server.connections == 2
        finally:
            idle.pop().close()
        _until(lambda: server.connections == 1)
        assert httpx.get(f"{server.url}?code=1").status_code == 200  # a free place again
        idle[0].close()
        _until(lambda: server.connections == 0)


def test_a_silent_connection_is_closed_after_the_header_timeout() -> None:
    port = free_port()
    server = CallbackServer(port, "/cb", lambda q: CallbackPage(True, "ok"), header_timeout=0.05)
    with server, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /cb?code=1 HTTP/1.1\r\n")  # ...and then nothing more
        assert sock.recv(65536) == b""  # the server hung up (no deadline here: it is the event awaited)
        _until(lambda: server.connections == 0)  # and its thread is gone


@pytest.mark.parametrize(("option", "value"), [("max_connections", 0), ("header_timeout", 0)])
def test_limits_must_be_positive(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        CallbackServer(free_port(), "/", lambda q: CallbackPage(True, ""), **{option: value})  # type: ignore[arg-type]
