"""Suite-wide fixtures: shared sandbox servers, and the connection registries pointed at them.

``sandbox``
    A started :class:`eternaltwin.sandbox.Sandbox` (demo users alice, bob, charlie; the ``demo_app``
    OAuth app; 50 generated users) on an ephemeral 127.0.0.1 port, shared by the whole session. Do not
    change its data or move its clock; start a private ``Sandbox()`` for that. It behaves as
    eternaltwin.org does: long-lived access tokens, no refresh token. A test that needs more marks
    itself ``@pytest.mark.sandbox_options(refresh_tokens=True)`` (or ``token_lifetime=...``): its
    ``sandbox``, and so ``connected``, ``authorize`` and every fixture built on them, is then a shared
    sandbox started with those :class:`~eternaltwin.sandbox.ServerOptions`.
``sandbox_refresh``
    The shared sandbox with ``refresh_tokens=True`` (rotating refresh tokens, 3600 s access tokens,
    single-use codes), whatever the test's marks.
``sandbox_2021``
    A started sandbox with the 2021 server's habits (``Sandbox(habits="2021")``: a plain-text 500 for a
    bad token, no refresh token, search pages of ShortUser items without ``offset``/``limit``); demo
    users and app, 50 generated users; shared by the session like ``sandbox``.
``connected``
    ``eternaltwin.connections`` and ``eternaltwin.connections.async_connections`` configured with one
    alias, ``"default"``, pointing at ``sandbox`` (with the demo app's credentials). Yields the sandbox.
    After the test, both registries are closed and cleared (active alias back to ``"default"``).
``authorize``
    ``authorize(authorization_url, username="bob") -> (code, state)``: what a browser does between the
    authorization URL and the redirect (log in to the sandbox with the password, open the URL with the
    session cookie, read the ``Location``). Usable with any sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from eternaltwin.connections import async_connections, connections
from eternaltwin.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``sandbox_options`` mark."""
    config.addinivalue_line(
        "markers",
        "sandbox_options(**options): the test's `sandbox` is a shared sandbox started with these "
        "ServerOptions (refresh_tokens=True, token_lifetime=N, habits='2021')",
    )


class SharedSandboxes:
    """The session's shared sandboxes, one per set of options, each started when first asked for."""

    def __init__(self) -> None:
        self._running: dict[tuple[tuple[str, object], ...], Sandbox] = {}

    def get(self, **options: object) -> Sandbox:
        """The shared sandbox (50 generated users) started with ``options``."""
        key = tuple(sorted(options.items()))
        if key not in self._running:
            self._running[key] = Sandbox(population=50, **options).start()  # type: ignore[arg-type]
        return self._running[key]

    def stop(self) -> None:
        """Stop them all."""
        for server in self._running.values():
            server.stop()
        self._running.clear()


@pytest.fixture(scope="session")
def shared_sandboxes() -> Iterator[SharedSandboxes]:
    """The session's cache of shared sandboxes (see :class:`SharedSandboxes`)."""
    shared = SharedSandboxes()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, shared_sandboxes: SharedSandboxes) -> Sandbox:
    """The shared sandbox server, with the test's ``sandbox_options`` (see the module docstring)."""
    mark = request.node.get_closest_marker("sandbox_options")
    return shared_sandboxes.get(**(mark.kwargs if mark is not None else {}))


@pytest.fixture
def sandbox_refresh(shared_sandboxes: SharedSandboxes) -> Sandbox:
    """The shared sandbox with rotating refresh tokens (see the module docstring)."""
    return shared_sandboxes.get(refresh_tokens=True)


@pytest.fixture
def sandbox_2021(shared_sandboxes: SharedSandboxes) -> Sandbox:
    """The shared sandbox with the 2021 server's habits (see the module docstring)."""
    return shared_sandboxes.get(habits="2021")


@pytest.fixture
async def connected(sandbox: Sandbox) -> AsyncIterator[Sandbox]:
    """Both registries configured with ``default`` -> the shared sandbox; closed and cleared afterwards."""
    connections.clear()
    async_connections.clear()
    connections.configure(default=sandbox.connection_config())
    async_connections.configure(default=sandbox.connection_config())
    try:
        yield sandbox
    finally:
        await async_connections.aclose()
        connections.close()
        async_connections.clear()
        connections.clear()


def sandbox_authorize(server: Sandbox, authorization_url: str, username: str = "bob") -> tuple[str, str]:
    """Log the demo user ``username`` in to ``server`` and open ``authorization_url`` as a browser would.

    Returns
    -------
    (code, state)
        The query parameters of the redirect (which is not followed).
    """
    demo = {user.username: user for user in server.demo_users}[username]
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        login = browser.put(
            "/api/v1/auth/self",
            params={"method": "Etwin"},
            json={"login": demo.username, "password": demo.password.encode("utf-8").hex()},
        )
        login.raise_for_status()
        answer = browser.get(authorization_url)
    if answer.status_code not in (302, 303):
        raise AssertionError(f"expected a redirect from the authorization URL, got {answer.status_code}")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["code"][0], query["state"][0]


@pytest.fixture
def authorize(sandbox: Sandbox) -> Callable[..., tuple[str, str]]:
    """``authorize(authorization_url, username="bob", server=None) -> (code, state)`` (``server``
    defaults to the shared sandbox; see :func:`sandbox_authorize`)."""

    def run(authorization_url: str, username: str = "bob", server: Sandbox | None = None) -> tuple[str, str]:
        return sandbox_authorize(server or sandbox, authorization_url, username)

    return run
