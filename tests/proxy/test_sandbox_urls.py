"""The sandbox's browser-facing URLs: never from request headers; paths behind a proxy are not redirects.

No proxy here (see test_login_through_proxy.py for the real one): these pin the sandbox's side of it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from eternaltwin.sandbox import Sandbox, SandboxConfigError

#: What a client (or a page making a browser send requests) may claim about where it is.
HOSTILE_HEADERS = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "443",
    "Forwarded": "host=evil.example;proto=https",
}


def _authorize_query(sandbox: Sandbox) -> dict[str, str]:
    app = sandbox.apps[0]
    return {"response_type": "code", "client_id": app.key, "redirect_uri": app.oauth_callback, "state": "s"}


def _log_in_form(sandbox: Sandbox, next_path: str) -> dict[str, str]:
    person = sandbox.demo_users[1]
    return {"username": person.username, "password": person.password, "next": next_path}


@pytest.fixture(scope="module")
def p_sandbox() -> Iterator[Sandbox]:
    """A sandbox with no external URL: its URLs come from its bound address."""
    with Sandbox() as sandbox:
        yield sandbox


def test_hostile_host_headers_are_ignored(p_sandbox: Sandbox) -> None:
    base = p_sandbox.url
    with httpx.Client(base_url=base, headers=HOSTILE_HEADERS) as browser:
        to_login = browser.get("/oauth/authorize", params=_authorize_query(p_sandbox))
        assert to_login.status_code == 302
        assert to_login.headers["location"].startswith(f"{base}/login?next=%2Foauth%2Fauthorize%3F")

        page = browser.get("/login", params={"next": "/oauth/authorize?x=1"})
        assert f'action="{base}/login"' in page.text
        assert "evil" not in page.text

        logged_in = browser.post("/login", data=_log_in_form(p_sandbox, "/oauth/authorize?x=1"))
        assert logged_in.status_code == 303
        assert logged_in.headers["location"] == f"{base}/oauth/authorize?x=1"

        home = browser.get("/")
        assert f'href="{base}/api/v1/"' in home.text
        assert "evil" not in home.text


def test_the_bound_address_of_an_ipv6_sandbox() -> None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with (
        Sandbox(host="::1") as sandbox,
        httpx.Client(base_url=sandbox.url, headers=HOSTILE_HEADERS) as browser,
    ):
        assert sandbox.url.startswith("http://[::1]:")
        to_login = browser.get("/oauth/authorize", params=_authorize_query(sandbox))
        assert to_login.headers["location"].startswith(f"{sandbox.url}/login?next=")


def _refresh_target(response: httpx.Response) -> str:
    """The page's ``Refresh: 0; url=...`` target; the response must not be a redirect."""
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    delay, _, target = response.headers["refresh"].partition(";")
    assert delay == "0" and target.strip().startswith("url=")
    return target.strip()[len("url=") :]


def test_origin_relative_urls_are_sent_with_a_refresh_page() -> None:
    external = "/user/x/proxy/50320"
    callback = "/user/x/proxy/50321/oauth/callback"
    with (
        Sandbox(external_url=external + "/", redirect_uri=callback) as sandbox,
        httpx.Client(base_url=sandbox.url, headers=HOSTILE_HEADERS) as browser,
    ):
        assert sandbox.external_url == external
        assert sandbox.connection_config()["redirect_uri"] == callback

        to_login = browser.get("/oauth/authorize", params=_authorize_query(sandbox))
        assert _refresh_target(to_login).startswith(f"{external}/login?next=%2Foauth%2Fauthorize%3F")

        page = browser.get("/login", params={"next": "/oauth/authorize?x=1"})
        assert f'action="{external}/login"' in page.text

        logged_in = browser.post("/login", data=_log_in_form(sandbox, "/oauth/authorize?x=1"))
        assert _refresh_target(logged_in) == f"{external}/oauth/authorize?x=1"
        assert "sid" in logged_in.cookies  # the session starts on the page as it did on the redirect

        to_callback = browser.get("/oauth/authorize", params=_authorize_query(sandbox))
        target = _refresh_target(to_callback)
        assert urlsplit(target).path == callback
        query = parse_qs(urlsplit(target).query)
        assert query["state"] == ["s"]
        assert query["code"][0] not in to_callback.text  # the page itself never shows the code
        assert "evil" not in to_callback.text + to_login.text + logged_in.text


def test_an_absolute_external_url_keeps_real_redirects_even_to_a_relative_callback() -> None:
    external = "https://hub.example.org/user/x/proxy/50320"
    callback = "/user/x/proxy/50321/oauth/callback"
    with (
        Sandbox(external_url=external, redirect_uri=callback) as sandbox,
        httpx.Client(base_url=sandbox.url) as browser,
    ):
        to_login = browser.get("/oauth/authorize", params=_authorize_query(sandbox))
        assert to_login.status_code == 302
        assert to_login.headers["location"].startswith(f"{external}/login?next=")
        logged_in = browser.post("/login", data=_log_in_form(sandbox, "/oauth/authorize?x=1"))
        assert logged_in.status_code == 303
        to_callback = browser.get("/oauth/authorize", params=_authorize_query(sandbox))
        assert urlsplit(_refresh_target(to_callback)).path == callback


@pytest.mark.parametrize("redirect_uri", ["//evil.example/cb", "/a b", "/a\\b", "cb", "ftp://x/cb"])
def test_a_callback_must_be_absolute_or_a_path(redirect_uri: str) -> None:
    with pytest.raises(SandboxConfigError, match="oauth_callback"):
        Sandbox(redirect_uri=redirect_uri)
