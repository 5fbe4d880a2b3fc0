"""The login through the current jupyter-server-proxy in headless Chromium, the hub's origin unknown (Binder).

There the sandbox sends the browser on with ``Refresh`` pages rather than redirects (the proxy would
rewrite a redirect to a path): this checks that a real browser follows them, the login form included.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from eternaltwin import _hub
from eternaltwin import connections as connections_module
from eternaltwin.sandbox import Sandbox
from eternaltwin.widgets import LoginWidget

from . import prepare
from .conftest import BASE_URL, JupyterServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
from _chromium import CHROMIUM, MISSING, launch

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def p_chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright sync API), for this module only: while it runs, an event
    loop runs in this thread, which async tests elsewhere must not find."""
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    with playwright_sync.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("p_jupyter", [prepare.VERSIONS[-1]], indirect=True, ids=lambda v: f"jsp-{v}")
def test_login_in_chromium_through_the_proxy(p_chromium: Any, p_hub: JupyterServer) -> None:
    jupyter = p_hub
    options = _hub.sandbox_options()  # origin unknown: every browser-facing URL is a path
    callback = _hub.proxied_port(options["redirect_uri"])
    assert callback is not None
    with Sandbox(**options) as sandbox:
        person = sandbox.demo_users[2]
        for registry in (connections_module.connections, connections_module.async_connections):
            registry.create_connection("chromium", **sandbox.connection_config())
        widget = LoginWidget("chromium", open_tab=False)
        link = _hub.browser_url(widget.start())
        assert link.startswith(f"{BASE_URL}proxy/{sandbox.port}/oauth/authorize?")

        context = p_chromium.new_context()
        try:
            page = context.new_page()
            # The hub's login cookie, then the widget's link, resolved against the notebook's page.
            page.goto(f"{jupyter.origin}{BASE_URL}api/status?token={jupyter.token}")
            page.goto(urljoin(jupyter.origin, link))
            page.wait_for_url(f"{jupyter.origin}{BASE_URL}proxy/{sandbox.port}/login?next=*")
            page.fill("#username", person.username)
            page.fill("#password", person.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{jupyter.origin}{BASE_URL}proxy/{callback[0]}/oauth/callback?*")
            assert page.inner_text("#title") == f"Logged in as {person.display_name}"
        finally:
            context.close()

    assert widget.status == f"Logged in as {person.display_name}"
    assert widget.user is not None and widget.user.identifier == person.id
