"""Suite-wide fixtures: one sandbox server for the session, and the connection registries pointed at it.

``sandbox``
    A started :class:`eternaltwin.sandbox.Sandbox` (demo users alice, bob, charlie; the ``demo_app``
    OAuth app; 50 generated users) on an ephemeral 127.0.0.1 port, shared by the whole session. Do not
    change its data or move its clock; start a private ``Sandbox()`` for that.
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


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The shared sandbox server (see the module docstring)."""
    with Sandbox(population=50) as server:
        yield server


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
