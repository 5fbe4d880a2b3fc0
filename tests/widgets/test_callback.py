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
