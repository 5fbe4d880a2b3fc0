"""Fixtures for the widget tests: sandboxes whose OAuth callback is ours, and the registries configured.

Every fixture here is prefixed ``w_`` so that it cannot collide with the suite-wide ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from eternaltwin import connections as connections_module
from eternaltwin._hub import free_port
from eternaltwin.sandbox import DemoUser, Sandbox
from eternaltwin.widgets import _session
from eternaltwin.widgets._callback import CallbackServer

PASTE_REDIRECT = "https://example.invalid/cb"


@pytest.fixture(scope="session")
def w_callback_port() -> int:
    """The loopback port of the login widget's callback server (below the ephemeral range: it must
    stay free for the whole session)."""
    return free_port()


@pytest.fixture(scope="session")
def w_sandbox(w_callback_port: int) -> Iterator[Sandbox]:
    """A sandbox whose demo app redirects to ``http://127.0.0.1:{w_callback_port}/callback``; it issues
    refresh tokens (eternaltwin.org issues none), which "remember me" and the refresh tests rely on."""
    with Sandbox(redirect_uri=f"http://127.0.0.1:{w_callback_port}/callback", refresh_tokens=True) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def w_paste_sandbox() -> Iterator[Sandbox]:
    """A sandbox whose demo app redirects to a non-loopback address (never contacted): paste mode; with
    refresh tokens, like ``w_sandbox``."""
    with Sandbox(redirect_uri=PASTE_REDIRECT, refresh_tokens=True) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def w_real_sandbox() -> Iterator[Sandbox]:
    """A sandbox with eternaltwin.org's token habits (its defaults): access tokens of 1,000,000,000 s, no
    refresh token, no refresh grant; paste mode."""
    with Sandbox(redirect_uri=PASTE_REDIRECT) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def w_short_sandbox() -> Iterator[Sandbox]:
    """A sandbox issuing access tokens of 10 minutes and no refresh token; paste mode."""
    with Sandbox(redirect_uri=PASTE_REDIRECT, token_lifetime=600) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def w_2021_sandbox() -> Iterator[Sandbox]:
    """A sandbox answering as the 2021 server does (a plain-text 500 for an unknown token); paste mode."""
    with Sandbox(redirect_uri=PASTE_REDIRECT, habits="2021") as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def w_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the token cache at a temporary directory (never the real config dir); no hub, no Colab."""
    directory = tmp_path / "config"
    monkeypatch.setenv("ETERNALTWIN_CONFIG_DIR", str(directory))
    for name in ("JUPYTERHUB_SERVICE_PREFIX", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def w_registries() -> Iterator[None]:
    """Restore the global registries (connections and active alias) after the test."""
    saved = []
    for registry in (connections_module.connections, connections_module.async_connections):
        saved.append((registry, {alias: registry[alias] for alias in registry}, registry.active))
    yield
    for registry, clients, active in saved:
        registry.configure()
        for alias, client in clients.items():
            registry[alias] = client
        registry._active = active  # the previous active alias may not be configured: no public way back


@pytest.fixture
def w_configured(w_registries: None, w_sandbox: Sandbox, w_paste_sandbox: Sandbox) -> dict[str, Any]:
    """Aliases ``loop`` (loopback callback) and ``paste`` (remote callback); ``loop`` is active."""
    settings = {"loop": w_sandbox.connection_config(), "paste": w_paste_sandbox.connection_config()}
    connections_module.configure(**settings)
    connections_module.connections.use("loop")
    connections_module.async_connections.use("loop")
    return settings


@dataclass
class Browser:
    """The browser's part of the login, played with httpx against a sandbox."""

    sandbox: Sandbox
    user: DemoUser

    def authorize(self, authorization_url: str) -> str:
        """Log in to the sandbox, open the authorization URL, and return where it redirects to."""
        with httpx.Client() as http:
            reply = http.put(
                f"{self.sandbox.url}/api/v1/auth/self",
                params={"method": "Etwin"},
                json={"login": self.user.username, "password": self.user.password.encode().hex()},
            )
            assert reply.status_code == 200, reply.text
            reply = http.get(authorization_url)
            assert reply.status_code == 302, reply.text
            return str(reply.headers["location"])

    def follow(self, authorization_url: str) -> httpx.Response:
        """:meth:`authorize`, then follow the redirect to the callback (as the browser does)."""
        return httpx.get(self.authorize(authorization_url), timeout=10)


@pytest.fixture
def w_browser(w_sandbox: Sandbox) -> Browser:
    """The browser, logging in as the first demo user, on the loopback sandbox."""
    return Browser(w_sandbox, w_sandbox.demo_users[0])


@pytest.fixture
def w_paste_browser(w_paste_sandbox: Sandbox) -> Browser:
    """The browser, logging in as the second demo user, on the paste-mode sandbox."""
    return Browser(w_paste_sandbox, w_paste_sandbox.demo_users[1])


# -- a clock for the callback server's lifetime: timers fire when the test says so, never by themselves --


@dataclass
class ManualTimer:
    """A timer of :class:`ManualClock` (``start``/``cancel``, like ``threading.Timer``)."""

    clock: ManualClock
    seconds: float
    function: Callable[[], None]
    due: float | None = None  # set by start()
    cancelled: bool = False
    fired: bool = False

    def start(self) -> None:
        self.due = self.clock.now + self.seconds

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def pending(self) -> bool:
        """Started, not cancelled, not fired."""
        return self.due is not None and not self.cancelled and not self.fired


@dataclass
class ManualClock:
    """Fake time for :class:`CallbackServer` timers: :meth:`advance` fires, in the calling thread, the
    timers that came due; nothing happens while the test does not move the clock."""

    now: float = 0.0
    timers: list[ManualTimer] = field(default_factory=list)
    #: The ``on_timeout`` callbacks the widget gave its servers, in order (what a server calls once its
    #: lifetime has ended and it has stopped).
    on_timeouts: list[Callable[[], None]] = field(default_factory=list)

    def timer(self, seconds: float, function: Callable[[], None]) -> ManualTimer:
        """The :data:`~eternaltwin.widgets._callback.TimerFactory` to give a server."""
        timer = ManualTimer(self, seconds, function)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds`` and fire what came due, in order."""
        self.now += seconds
        for timer in sorted(self.timers, key=lambda t: t.due if t.due is not None else 0.0):
            if timer.pending and timer.due is not None and timer.due <= self.now:
                timer.fired = True
                timer.function()


@pytest.fixture
def w_clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """The login sessions' callback servers get their lifetime timers from a :class:`ManualClock`."""
    clock = ManualClock()

    class ClockedServer(CallbackServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["timer_factory"] = clock.timer
            if kwargs.get("on_timeout") is not None:
                clock.on_timeouts.append(kwargs["on_timeout"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(_session, "CallbackServer", ClockedServer)
    return clock
