"""The login session alone: the login widget's logic, driven with no widget at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from eternaltwin import connections as connections_module
from eternaltwin.clients._calls import update_token
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.connections import Connections
from eternaltwin.display import mimebundle
from eternaltwin.exceptions import InvalidStateError
from eternaltwin.sandbox import Sandbox
from eternaltwin.tokens import Token
from eternaltwin.users import User
from eternaltwin.widgets._registry import registries
from eternaltwin.widgets._session import LoginSession

from .conftest import Browser, ManualClock


@pytest.fixture
def w_private(w_sandbox: Sandbox) -> Iterator[tuple[Connections[Eternaltwin], Connections[AsyncEternaltwin]]]:
    """Registries of the test's own (not the module's), with the loopback sandbox as ``private``."""
    sync: Connections[Eternaltwin] = Connections(Eternaltwin)
    async_: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
    sync.create_connection("private", **w_sandbox.connection_config())
    async_.create_connection("private", **w_sandbox.connection_config())
    yield sync, async_
    sync["private"].close()


class Recorder:
    """An ``on_change`` listener: the statuses it saw, in order, and the threads it was called in."""

    def __init__(self, session: LoginSession) -> None:
        self.session = session
        self.statuses: list[str] = []
        self.threads: set[str] = set()
        session.on_change = self

    def __call__(self) -> None:
        self.threads.add(threading.current_thread().name)
        if not self.statuses or self.statuses[-1] != self.session.status:
            self.statuses.append(self.session.status)


def test_a_loopback_login_with_the_session_alone(
    w_private: tuple[Connections[Eternaltwin], Connections[AsyncEternaltwin]],
    w_browser: Browser,
) -> None:
    # Registries of its own: the session calls the client's operations (client.start_login,
    # client.complete_login), never User's classmethods, which only know the module's registries.
    sync, async_ = w_private
    clock = ManualClock()
    session = LoginSession("private", regs=registries(sync, async_), watch=False, timer_factory=clock.timer)
    seen = Recorder(session)
    logged_in: list[User] = []
    session.on_login.append(logged_in.append)
    session.refresh()
    assert session.status == "Not logged in." and session.user is None

    url = session.start()

    assert session.mode == "loopback" and session.pending and session.authorization_url == url
    (timer,) = clock.timers
    assert timer.seconds == session.callback_lifetime == 600 + 600
    page = w_browser.follow(url)
    assert page.status_code == 200 and "Logged in as Alice" in page.text
    assert session.status == "Logged in as Alice" and session.status_kind == "ok"
    assert session.user is not None and logged_in == [session.user]
    assert sync["private"].user is session.user and async_["private"].user is session.user
    assert "private" not in connections_module.connections
    assert session.mode == "" and session.authorization_url == "" and not session.pending
    assert timer.cancelled
    assert seen.statuses == [
        "Not logged in.",
        "Waiting for you to log in on Eternaltwin, in the new tab or through the link.",
        "Logged in as Alice",
    ]
    # Told in the thread that made each change: this one, and the callback server's request thread.
    assert threading.current_thread().name in seen.threads and len(seen.threads) == 2
    session.logout()
    assert session.status == "Logged out." and sync["private"].user is None
    session.close()


def test_the_session_times_out_on_its_clock(
    w_private: tuple[Connections[Eternaltwin], Connections[AsyncEternaltwin]],
) -> None:
    clock = ManualClock()
    session = LoginSession(
        "private", regs=registries(*w_private), watch=False, timer_factory=clock.timer, callback_lifetime=5
    )
    session.start()
    clock.advance(5)
    assert session.mode == "" and session.status_kind == "error"
    assert session.status == "The login timed out: click 'Log in with Eternaltwin' to try again."
    with pytest.raises(InvalidStateError, match="No login is under way"):
        session.complete("http://127.0.0.1/callback?code=late&state=x")


def test_an_img_on_another_page_does_not_end_the_sessions_login(
    w_private: tuple[Connections[Eternaltwin], Connections[AsyncEternaltwin]],
    w_callback_port: int,
    w_browser: Browser,
) -> None:
    clock = ManualClock()
    session = LoginSession("private", regs=registries(*w_private), watch=False, timer_factory=clock.timer)
    url = session.start()
    status = session.status
    stray = httpx.get(f"http://127.0.0.1:{w_callback_port}/callback", timeout=10)  # what an <img> sends
    assert stray.status_code == 400
    assert session.pending and session.status == status
    assert w_browser.follow(url).status_code == 200
    assert session.status == "Logged in as Alice"


def test_a_token_tells_who_watches_it_of_each_renewal() -> None:
    token = Token(access_token="a" * 36, expires_in=3600, token_type="Bearer", refresh_token="r" * 36)
    before = repr(token)
    renewed: list[str | None] = []

    class Watcher:
        def saw(self, changed: Token) -> None:
            renewed.append(changed.refresh_token)

    watcher = Watcher()
    stop = token.on_renewal(watcher.saw)
    assert type(token) is Token and repr(token) == before and "Token" in mimebundle(token)["text/plain"]

    def fresh(refresh: str) -> Token:
        return Token(access_token="b" * 36, expires_in=3600, token_type="Bearer", refresh_token=refresh)

    update_token(token, fresh("s" * 36))  # what a refresh does, in place
    assert renewed == ["s" * 36] and token.access_token == "b" * 36
    stop()
    update_token(token, fresh("t" * 36))
    assert renewed == ["s" * 36]
    token.on_renewal(watcher.saw)
    del watcher  # a watcher that is gone is not called (nor kept alive)
    update_token(token, fresh("u" * 36))
    assert renewed == ["s" * 36]
