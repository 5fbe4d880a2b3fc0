"""End to end in headless Chromium: the login widget's loopback login, the way a person does it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ipywidgets
import pytest

from eternaltwin import _hub
from eternaltwin import connections as connections_module
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User
from eternaltwin.widgets import LoginWidget

pytestmark = pytest.mark.browser


@pytest.fixture
def w_e2e_alias() -> Iterator[tuple[str, Sandbox, int]]:
    """A sandbox whose callback is a free loopback port, configured as alias ``e2e`` (restored after)."""
    port = _hub.free_port()
    saved = [
        (registry, {alias: registry[alias] for alias in registry}, registry.active)
        for registry in (connections_module.connections, connections_module.async_connections)
    ]
    with Sandbox(redirect_uri=f"http://localhost:{port}/oauth/callback") as sandbox:
        for registry, _clients, _active in saved:
            registry.create_connection("e2e", **sandbox.connection_config())
        try:
            yield "e2e", sandbox, port
        finally:
            ipywidgets.Widget.close_all()
            for registry, clients, active in saved:
                registry.configure()
                for alias, client in clients.items():
                    registry[alias] = client
                registry._active = active


def test_login_in_chromium(w_chromium: Any, w_e2e_alias: tuple[str, Sandbox, int]) -> None:
    alias, sandbox, port = w_e2e_alias
    person = sandbox.demo_users[0]
    widget = LoginWidget(alias)
    seen: list[User] = []
    widget.on_login.append(seen.append)

    url = widget.start()
    assert widget.mode == "loopback"

    context = w_chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        # A guest is sent to the sandbox's login page first.
        assert "/login?next=" in page.url
        page.fill("#username", person.username)
        page.fill("#password", person.password)
        with page.expect_navigation(url=f"http://localhost:{port}/oauth/callback?*"):
            page.click("button[type=submit]")
        assert page.inner_text("#title") == f"Logged in as {person.display_name}"
        assert "You may close this tab" in page.inner_text("body")
    finally:
        context.close()

    assert widget.status == f"Logged in as {person.display_name}"
    assert widget.user is not None and widget.user.identifier == person.id
    assert seen == [widget.user]
    assert connections_module.connections[alias].user is widget.user
    assert User.me(using=alias).display_name == person.display_name


def test_wrong_password_then_right_one(w_chromium: Any, w_e2e_alias: tuple[str, Sandbox, int]) -> None:
    alias, sandbox, port = w_e2e_alias
    person = sandbox.demo_users[1]
    widget = LoginWidget(alias)
    url = widget.start()
    context = w_chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.fill("#username", person.username)
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Wrong username or password.")
        assert widget.mode == "loopback" and widget.user is None  # still waiting
        page.fill("#password", person.password)
        with page.expect_navigation(url=f"http://localhost:{port}/oauth/callback?*"):
            page.click("button[type=submit]")
        assert "You may close this tab" in page.inner_text("body")
    finally:
        context.close()
    assert widget.status == f"Logged in as {person.display_name}"
