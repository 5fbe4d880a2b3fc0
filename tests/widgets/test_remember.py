"""The opt-in login cache, through the login widget: off by default, owner-only, silent login later, with
refresh tokens (kept current when a refresh rotates them) and with eternaltwin.org's long-lived access
tokens (kept until they expire)."""

from __future__ import annotations

import json
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import ipywidgets
import pytest

from eternaltwin import connections as connections_module
from eternaltwin._hub import free_port
from eternaltwin.sandbox import Sandbox
from eternaltwin.tokens import Token
from eternaltwin.users import User
from eternaltwin.widgets import LoginWidget
from eternaltwin.widgets._token_cache import SavedLogin, TokenCache

from .conftest import Browser

pytestmark = pytest.mark.usefixtures("w_configured")


@pytest.fixture(autouse=True)
def w_close_widgets() -> Iterator[None]:
    yield
    ipywidgets.Widget.close_all()


def _new_session() -> None:
    """What a kernel restart does to the logins: they are gone (the cache file stays)."""
    for registry in (connections_module.connections, connections_module.async_connections):
        for alias in registry:
            registry[alias].user = None


def _cache_file(config_dir: Path) -> Path:
    return config_dir / "refresh-tokens.json"


def test_off_by_default(w_browser: Browser, w_config_dir: Path) -> None:
    widget = LoginWidget()
    assert widget.remember is False
    assert widget.remember_box.value is False
    w_browser.follow(widget.start())
    assert widget.user is not None
    assert not _cache_file(w_config_dir).exists()
    assert not w_config_dir.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_remember_keeps_only_the_refresh_token(
    w_browser: Browser, w_sandbox: Sandbox, w_config_dir: Path
) -> None:
    widget = LoginWidget(remember=True)
    w_browser.follow(widget.start())
    user = widget.user
    assert user is not None and user.token is not None and user.token.refresh_token

    path = _cache_file(w_config_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    settings = w_sandbox.connection_config()
    assert json.loads(text) == {
        "version": 2,
        "logins": {
            f"{settings['url']} {settings['client_id']}": {
                "kind": "refresh_token",
                "token": user.token.refresh_token,
            }
        },
    }
    assert user.token.access_token not in text
    assert settings["client_secret"] not in text
    assert settings["state_key"] not in text


def test_a_later_session_logs_in_silently(w_browser: Browser, w_sandbox: Sandbox) -> None:
    first = LoginWidget()
    first.remember_box.value = True  # ticked in the front end
    w_browser.follow(first.start())
    assert first.user is not None and first.user.token is not None
    old_refresh_token = first.user.token.refresh_token
    first.close()
    _new_session()

    later = LoginWidget()

    assert later.status == "Logged in as Alice"
    assert later.remember is True and later.remember_box.value is True
    assert later.user is not None and later.user.display_name == "Alice"
    assert connections_module.connections["loop"].user is later.user
    assert connections_module.async_connections["loop"].user is later.user
    # The refresh grant rotated the token; the new one is what is kept now.
    assert later.user.token is not None
    saved = TokenCache().get(w_sandbox.url, w_sandbox.connection_config()["client_id"])
    assert saved is not None and saved.kind == "refresh_token"
    assert saved.secret == later.user.token.refresh_token != old_refresh_token


def test_unticking_forgets_the_saved_login(w_browser: Browser, w_sandbox: Sandbox) -> None:
    widget = LoginWidget(remember=True)
    w_browser.follow(widget.start())
    cache = TokenCache()
    client_id = w_sandbox.connection_config()["client_id"]
    assert cache.get(w_sandbox.url, client_id) is not None
    widget.remember_box.value = False
    assert cache.get(w_sandbox.url, client_id) is None
    widget.remember = True  # ticking again saves the current login
    assert cache.get(w_sandbox.url, client_id) is not None


def test_logout_forgets_the_saved_login(w_browser: Browser, w_sandbox: Sandbox) -> None:
    widget = LoginWidget(remember=True)
    w_browser.follow(widget.start())
    widget.logout()
    assert TokenCache().get(w_sandbox.url, w_sandbox.connection_config()["client_id"]) is None
    _new_session()
    assert LoginWidget().status == "Not logged in."


def test_a_saved_login_that_no_longer_works(w_sandbox: Sandbox) -> None:
    made_up = Token(access_token="", expires_in=0, token_type="Bearer", refresh_token="made-up-refresh-token")
    TokenCache().put(w_sandbox.url, w_sandbox.connection_config()["client_id"], made_up)
    widget = LoginWidget()
    assert widget.user is None
    assert widget.status.startswith("The saved login no longer works (Eternaltwin refused it: ")
    assert "RefreshTokenNotFound" in widget.status
    assert widget.remember is False
    assert TokenCache().get(w_sandbox.url, w_sandbox.connection_config()["client_id"]) is None


def test_remember_false_does_not_use_the_saved_login(w_browser: Browser, w_sandbox: Sandbox) -> None:
    first = LoginWidget(remember=True)
    w_browser.follow(first.start())
    first.close()
    _new_session()
    widget = LoginWidget(remember=False)
    assert widget.user is None
    assert widget.status == "Not logged in."
    # Not asked to forget it either: a later widget still finds it.
    assert TokenCache().get(w_sandbox.url, w_sandbox.connection_config()["client_id"]) is not None


def test_a_renewed_token_is_saved_again(w_browser: Browser, w_sandbox: Sandbox) -> None:
    widget = LoginWidget(remember=True, watch=False)
    w_browser.follow(widget.start())
    user = widget.user
    assert user is not None and user.token is not None
    client = connections_module.connections["loop"]
    client.refresh(user.token)  # what a client does by itself when the access token expires
    widget.refresh()
    saved = TokenCache().get(w_sandbox.url, w_sandbox.connection_config()["client_id"])
    assert saved is not None and saved.secret == user.token.refresh_token


# -- a refresh rotates the refresh token: the new one is saved at once ---------------------------------


def _expire(token: Token | None) -> Token:
    assert token is not None
    token.expiration = time.time() - 1  # as if its hour had passed: the next call refreshes it first
    return token


def _saved(sandbox: Sandbox) -> SavedLogin | None:
    return TokenCache().get(sandbox.url, sandbox.connection_config()["client_id"])


def test_an_automatic_refresh_saves_the_rotated_token(w_browser: Browser, w_sandbox: Sandbox) -> None:
    # Issue 12.12: the cache used to keep the old refresh token, which the refresh had revoked, and the
    # next kernel said "The saved login no longer works". No registry watch, no refresh() here: the
    # renewal itself saves the new token.
    widget = LoginWidget(remember=True, watch=False)
    w_browser.follow(widget.start())
    assert widget.user is not None
    token = _expire(widget.user.token)
    first = token.refresh_token

    assert User.me(using="loop").display_name == "Alice"  # the client refreshes the token by itself

    assert token.refresh_token != first
    saved = _saved(w_sandbox)
    assert saved is not None and saved.secret == token.refresh_token
    widget.close()
    _new_session()
    later = LoginWidget()
    assert later.status == "Logged in as Alice"


async def test_a_refresh_by_the_async_twin_saves_the_rotated_token(
    w_browser: Browser, w_sandbox: Sandbox
) -> None:
    widget = LoginWidget(remember=True, watch=False)
    w_browser.follow(widget.start())
    assert widget.user is not None
    token = _expire(widget.user.token)
    first = token.refresh_token
    try:
        assert (await User.ame(using="loop")).display_name == "Alice"
    finally:
        await connections_module.async_connections.aclose()
    saved = _saved(w_sandbox)
    assert saved is not None and saved.secret == token.refresh_token != first


def test_ticking_later_watches_the_token_too(w_browser: Browser, w_sandbox: Sandbox) -> None:
    widget = LoginWidget(watch=False)
    w_browser.follow(widget.start())
    assert widget.user is not None and _saved(w_sandbox) is None
    widget.remember_box.value = True
    token = _expire(widget.user.token)
    User.me(using="loop")
    saved = _saved(w_sandbox)
    assert saved is not None and saved.secret == token.refresh_token


def test_unticked_a_refresh_saves_nothing(w_browser: Browser, w_sandbox: Sandbox) -> None:
    widget = LoginWidget(remember=True, watch=False)
    w_browser.follow(widget.start())
    assert widget.user is not None
    widget.remember = False
    _expire(widget.user.token)
    User.me(using="loop")
    assert _saved(w_sandbox) is None


# -- eternaltwin.org's tokens: a long-lived access token and no refresh token ---------------------------


def _paste_login(widget: LoginWidget, sandbox: Sandbox, person: int = 1) -> User:
    location = Browser(sandbox, sandbox.demo_users[person]).authorize(widget.start())
    return widget.complete(location)


def test_remember_a_long_lived_access_token(w_real_sandbox: Sandbox, w_config_dir: Path) -> None:
    # Issue 13.2: eternaltwin.org gives no refresh token, so "remember me" used to keep nothing.
    connections_module.configure(real=w_real_sandbox.connection_config())
    widget = LoginWidget("real", remember=True)
    user = _paste_login(widget, w_real_sandbox)
    assert user.token is not None and user.token.kind == "long-lived" and not user.token.refresh_token
    assert widget.status == "Logged in as Bob"

    saved = _saved(w_real_sandbox)
    assert saved == SavedLogin("access_token", user.token.access_token, "Bearer", user.token.expiration)
    assert stat.S_IMODE(_cache_file(w_config_dir).stat().st_mode) == 0o600
    widget.close()
    _new_session()

    later = LoginWidget("real")  # identified with the saved access token: user_of_token, no refresh

    assert later.status == "Logged in as Bob"
    assert later.remember is True
    assert later.user is not None and later.user.token is not None
    assert later.user.token.access_token == user.token.access_token
    assert later.user.token.kind == "long-lived"
    assert connections_module.async_connections["real"].user is later.user
    assert User.me(using="real").display_name == "Bob"


def test_a_short_lived_access_token_is_remembered_until_it_expires(w_short_sandbox: Sandbox) -> None:
    connections_module.configure(short=w_short_sandbox.connection_config())
    widget = LoginWidget("short", remember=True)
    user = _paste_login(widget, w_short_sandbox)
    assert user.token is not None and user.token.kind == "short-lived"
    saved = _saved(w_short_sandbox)
    assert saved is not None and saved.kind == "access_token" and saved.expires_at == user.token.expiration
    widget.close()
    _new_session()
    assert LoginWidget("short").status == "Logged in as Bob"  # within its 10 minutes
    ipywidgets.Widget.close_all()
    _new_session()

    expired = Token(
        access_token=user.token.access_token, expires_in=30, token_type="Bearer"
    )  # leeway: expired
    TokenCache().put(w_short_sandbox.url, w_short_sandbox.connection_config()["client_id"], expired)
    assert _saved(w_short_sandbox) is None  # nothing to keep, once expired

    assert LoginWidget("short").status == "Not logged in."


def test_a_saved_access_token_the_2021_server_no_longer_knows(w_2021_sandbox: Sandbox) -> None:
    connections_module.configure(old=w_2021_sandbox.connection_config())
    client_id = w_2021_sandbox.connection_config()["client_id"]
    unknown = Token(access_token="8d1c7a8e-0000-4000-8000-000000000000", token_type="Bearer")
    TokenCache().put(w_2021_sandbox.url, client_id, unknown)

    widget = LoginWidget("old")

    assert widget.user is None
    # The 2021 server answers an unknown token with a plain-text 500.
    assert widget.status == "The saved login no longer works (Eternaltwin failed: (HTTP 500)); log in again."
    assert widget.remember is False
    assert TokenCache().get(w_2021_sandbox.url, client_id) is None


def test_a_saved_login_is_kept_when_the_server_cannot_be_reached(w_real_sandbox: Sandbox) -> None:
    port = free_port()  # nothing listens there
    connections_module.configure(
        down={**w_real_sandbox.connection_config(), "url": f"http://127.0.0.1:{port}", "max_retries": 0}
    )
    client_id = w_real_sandbox.connection_config()["client_id"]
    TokenCache().put(f"http://127.0.0.1:{port}", client_id, Token(access_token="a", token_type="Bearer"))

    widget = LoginWidget("down")

    assert widget.user is None and widget.status_kind == "error"
    assert widget.status.startswith("The saved login could not be used now (Eternaltwin could not be reached")
    assert widget.status.endswith("it is kept: log in, or try again later.")
    assert TokenCache().get(f"http://127.0.0.1:{port}", client_id) is not None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_cache_directory_open_to_others_is_refused(
    w_browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("ETERNALTWIN_CONFIG_DIR", str(shared))
    widget = LoginWidget(remember=True)
    assert widget.status.startswith("Not logged in. Remember me is unavailable: The login cache's directory")

    w_browser.follow(widget.start())

    assert widget.user is not None  # logged in all the same, and told why it is not remembered
    assert widget.status.startswith("Logged in as Alice, but not remembered: The login cache's directory")
    assert f"chmod 700 {shared}" in widget.status
    assert widget.status_kind == "error"
    assert list(shared.iterdir()) == []


def test_a_rotated_token_is_kept_when_the_login_then_fails(w_browser: Browser, w_sandbox: Sandbox) -> None:
    first = LoginWidget(remember=True)
    w_browser.follow(first.start())
    first.close()
    _new_session()
    before = _saved(w_sandbox)
    assert before is not None
    upstream = httpx.HTTPTransport()

    def unreachable_after_the_refresh(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/self":
            raise httpx.ConnectError("injected: the network went away", request=request)
        return upstream.handle_request(request)

    flaky = connections_module.connections.create_connection(
        "flaky",
        **w_sandbox.connection_config(),
        max_retries=0,
        transport=httpx.MockTransport(unreachable_after_the_refresh),
    )
    try:
        widget = LoginWidget("flaky")  # the refresh works (and rotates the token); auth/self is unreachable
    finally:
        flaky.close()
        upstream.close()

    assert widget.user is None
    assert widget.status.startswith("The saved login could not be used now (Eternaltwin could not be reached")
    after = _saved(w_sandbox)
    assert after is not None and after.secret != before.secret  # the rotated one, not the revoked one
    ipywidgets.Widget.close_all()
    assert LoginWidget().status == "Logged in as Alice"  # and it works
