"""The opt-in token cache, through the login widget: off by default, owner-only, silent login later."""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import ipywidgets
import pytest

from eternaltwin import connections as connections_module
from eternaltwin.sandbox import Sandbox
from eternaltwin.widgets import LoginWidget
from eternaltwin.widgets._token_cache import TokenCache

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
        "version": 1,
        "refresh_tokens": {f"{settings['url']} {settings['client_id']}": user.token.refresh_token},
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
    assert saved == later.user.token.refresh_token != old_refresh_token


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
    TokenCache().put(w_sandbox.url, w_sandbox.connection_config()["client_id"], "made-up-refresh-token")
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
    assert saved == user.token.refresh_token
