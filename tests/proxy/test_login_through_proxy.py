"""The whole login through a real jupyter-server-proxy, as a browser on Binder or JupyterHub does it.

The kernel side is the kit's own: ``_hub.sandbox_options()`` under a hub's environment, a
:class:`Sandbox` started with them, a :class:`LoginWidget` whose callback server listens on the proxied
``redirect_uri``'s port. The browser is httpx, holding jupyter-server's login cookie and following by
hand what a browser follows (a 3xx ``Location``, a ``Refresh`` header), posting the login form as a
browser would. Each release of the proxy runs with the hub's public origin known and unknown.
"""

from __future__ import annotations

import html
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from eternaltwin import _hub
from eternaltwin import connections as connections_module
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User
from eternaltwin.widgets import LoginWidget

from .conftest import BASE_URL, JupyterServer

ALIAS = "hubproxy"
_REFRESH = re.compile(r"\s*\d+(?:\.\d*)?\s*[;,]\s*url\s*=\s*(['\"]?)(?P<url>.*)\1\s*$", re.IGNORECASE)
_MAX_HOPS = 10


@dataclass
class Hop:
    """One answer the browser moved on from: where it was, its status, and which header sent it on."""

    url: str
    status: int
    how: str  # "Location" or "Refresh"


@dataclass
class Form:
    """The first form of a page: its action and its fields."""

    action: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(values.get("action"))
            self._inside = True
        elif tag == "input" and self._inside and self.form is not None and "name" in values:
            self.form.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _form(page: httpx.Response) -> Form:
    parser = _FormParser()
    parser.feed(page.text)
    assert parser.form is not None, f"no form on {page.url}: {page.text[:500]}"
    return parser.form


def _next_hop(response: httpx.Response) -> tuple[str, str] | None:
    """Where a browser goes on to by itself from ``response``, and why; None when it stays."""
    if response.status_code in (301, 302, 303, 307, 308):
        return urljoin(str(response.url), response.headers["location"]), "Location"
    refresh = response.headers.get("refresh")
    if refresh is not None:
        match = _REFRESH.match(refresh)
        assert match is not None, f"unreadable Refresh header: {refresh!r}"
        return urljoin(str(response.url), match.group("url")), "Refresh"
    return None


def _settle(browser: httpx.Client, response: httpx.Response, hops: list[Hop]) -> httpx.Response:
    """Follow what a browser follows from ``response`` (GET after each hop), recording every hop."""
    for _ in range(_MAX_HOPS):
        hop = _next_hop(response)
        if hop is None:
            return response
        url, how = hop
        hops.append(Hop(str(response.url), response.status_code, how))
        response = browser.get(url)
    raise AssertionError(f"more than {_MAX_HOPS} hops: {hops}")


def _open(browser: httpx.Client, url: str, hops: list[Hop]) -> httpx.Response:
    return _settle(browser, browser.get(url), hops)


def _submit(browser: httpx.Client, page: httpx.Response, form: Form, hops: list[Hop]) -> httpx.Response:
    action = urljoin(str(page.url), form.action or str(page.url))
    return _settle(browser, browser.post(action, data=form.fields), hops)


def _configure(sandbox: Sandbox) -> None:
    for registry in (connections_module.connections, connections_module.async_connections):
        registry.create_connection(ALIAS, **sandbox.connection_config())


@pytest.mark.parametrize("origin_known", [True, False], ids=["origin-known", "origin-unknown"])
def test_login_through_the_proxy(
    p_hub: JupyterServer, origin_known: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    jupyter = p_hub
    if origin_known:
        monkeypatch.setenv("ETERNALTWIN_HUB_ORIGIN", jupyter.origin)
    origin = jupyter.origin if origin_known else ""
    options = _hub.sandbox_options()
    callback = _hub.proxied_port(options["redirect_uri"])
    assert callback is not None and callback[1] == "/oauth/callback"
    proxied = f"{BASE_URL}proxy/{options['port']}"
    assert options["external_url"] == f"{origin}{proxied}/"
    assert options["redirect_uri"] == f"{origin}{BASE_URL}proxy/{callback[0]}/oauth/callback"

    with Sandbox(**options) as sandbox, jupyter.browser() as browser:
        person = sandbox.demo_users[0]
        _configure(sandbox)
        widget = LoginWidget(ALIAS, open_tab=False)
        url = widget.start()
        assert widget.mode == "loopback"  # the callback server listens on the proxied redirect's port
        link = _hub.browser_url(url)
        assert link.startswith(f"{origin}{proxied}/oauth/authorize?")
        assert f'href="{html.escape(link, quote=True)}"' in widget.link_html.value

        hops: list[Hop] = []
        # The person clicks the link (a path is resolved against the notebook's page, on the hub).
        page = _open(browser, urljoin(jupyter.origin, link), hops)
        assert page.status_code == 200, f"{page.url}: {page.status_code}\n{jupyter.tail()}"
        assert page.url.path == f"{proxied}/login", "a guest is sent to the sandbox's login page"
        form = _form(page)
        assert form.action == f"{origin}{proxied}/login"
        assert form.fields["next"].startswith("/oauth/authorize?")
        form.fields.update(username=person.username, password=person.password)

        page = _submit(browser, page, form, hops)
        assert page.status_code == 200, f"{page.url}: {page.status_code} {page.text[:300]}\n{jupyter.tail()}"
        assert page.url.path == f"{BASE_URL}proxy/{callback[0]}/oauth/callback"
        assert f"Logged in as {person.display_name}" in page.text  # the callback server's page

        assert widget.status == f"Logged in as {person.display_name}"
        assert widget.user is not None and widget.user.identifier == person.id
        assert User.me(using=ALIAS).display_name == person.display_name

    # Every step stayed on the hub, each through the proxy once: no doubled prefix, no loopback address.
    visited = [hop.url for hop in hops] + [str(page.url)]
    for where in visited:
        assert where.startswith(f"{jupyter.origin}{BASE_URL}proxy/"), where
        assert urlsplit(where).path.count("/proxy/") == 1, where
    # Authorize -> login page, login form -> authorize, authorize -> callback: real redirects when the
    # browser-facing URLs are absolute, Refresh pages when they are paths (which the proxy would rewrite).
    assert [hop.how for hop in hops] == ["Location" if origin_known else "Refresh"] * 3, hops
    if origin_known:
        assert [hop.status for hop in hops] == [302, 303, 302]
    else:
        assert [hop.status for hop in hops] == [200, 200, 200]


class _Redirector(http.server.BaseHTTPRequestHandler):
    """Answers ``GET /go?to=X`` with ``302 Location: X``."""

    def do_GET(self) -> None:
        target = parse_qs(urlsplit(self.path).query)["to"][0]
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def p_redirector() -> Iterator[int]:
    """A local server that redirects wherever it is asked to; yields its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_what_each_release_does_to_a_location(p_jupyter: JupyterServer, p_redirector: int) -> None:
    """The premise of the sandbox's ``_navigate``: which ``Location`` values each release rewrites."""
    context = f"{BASE_URL}proxy/{p_redirector}"
    rewritten = p_jupyter.version != "4.4.0"  # 4.5 and later prefix a Location that has no host
    expected = {
        "/next?a=1": f"{context}/next?a=1" if rewritten else "/next?a=1",
        # 4.5 treated a relative Location as root-relative; 4.6 leaves it alone again.
        "next?a=1": f"{context}/next?a=1" if p_jupyter.version == "4.5.0" else "next?a=1",
        "http://elsewhere.test/next": "http://elsewhere.test/next",
        f"{p_jupyter.origin}{context}/next": f"{p_jupyter.origin}{context}/next",
    }
    with p_jupyter.browser() as browser:
        for location, seen in expected.items():
            reply = browser.get(f"{context}/go", params={"to": location})
            assert reply.status_code == 302, reply.text
            assert reply.headers["location"] == seen, location
