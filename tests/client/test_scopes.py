"""OAuth scopes: the ``scope`` connection option and the per-login override (both clients)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from eternaltwin import config
from eternaltwin.connections import connections
from eternaltwin.exceptions import ConfigurationError
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User

from .conftest import CLASSES, close, resolve

CREDENTIALS = {
    "client_id": "mygame@clients",
    "client_secret": "s3cret",
    "redirect_uri": "http://localhost:8000/oauth/callback",
    "state_key": "k" * 32,
}
ORDER = ["response_type", "access_type", "client_id", "scope", "state", "redirect_uri"]


def scope_of(url: str) -> str:
    query = parse_qsl(urlsplit(url).query)
    assert [key for key, _ in query] == ORDER  # the older client's order, whatever the scope
    return dict(query)["scope"]


async def test_the_scope_option_goes_into_the_authorization_url(flavour: str) -> None:
    plain = CLASSES[flavour](**CREDENTIALS, url="https://eternaltwin.org/")
    forum = CLASSES[flavour](**CREDENTIALS, url="https://eternaltwin.org/", scope="base  forum:write ")
    listed = CLASSES[flavour](**CREDENTIALS, url="https://eternaltwin.org/", scope=["base", "forum:write"])
    try:
        assert plain.scope == "base" and scope_of(plain.authorization_url("s")) == "base"
        assert forum.scope == listed.scope == "base forum:write"
        url = forum.authorization_url("s")
        assert "&scope=base+forum%3Awrite&state=s&" in url and scope_of(url) == "base forum:write"
        assert forum.settings.scope == "base forum:write"
    finally:
        for client in (plain, forum, listed):
            await close(client)


async def test_one_login_can_ask_for_other_scopes(flavour: str) -> None:
    client = CLASSES[flavour](**CREDENTIALS, url="https://eternaltwin.org/")
    try:
        assert scope_of(client.authorization_url("s", scope="base forum:write")) == "base forum:write"
        assert scope_of(client.authorization_url("s", scope=["forum:write"])) == "forum:write"
        state, url = client.start_login(scope="base forum:write")
        assert scope_of(url) == "base forum:write" and parse_qs(urlsplit(url).query)["state"] == [state]
        assert scope_of(client.start_login()[1]) == "base"  # the override was for that login only
    finally:
        await close(client)


def test_user_start_authorization_takes_a_scope(connected: Sandbox) -> None:
    _, url = User.start_authorization(scope="base forum:write")
    assert scope_of(url) == "base forum:write"
    _, url = User.start_authorization(120, None, "default", "base")  # the older order, then scope
    assert scope_of(url) == "base"
    connections.create_connection("forum", **connected.connection_config(), scope="base forum:write")
    assert scope_of(User.start_authorization(using="forum")[1]) == "base forum:write"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "scope is empty"),
        ("   ", "scope is empty"),
        ([], "scope is empty"),
        ('base "forum"', "not a scope name"),
        ("base\\x", "not a scope name"),
        ("bäse", "not a scope name"),
        (42, "scope must be a string"),
        (["base", 1], "scope must be a string"),
    ],
)
def test_a_bad_scope_is_refused_naming_it(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config.validate_options(url="http://x.test/", scope=value)
    client = CLASSES["sync"](**CREDENTIALS, url="http://x.test/")
    try:
        with pytest.raises(ConfigurationError, match=message):
            client.authorization_url("s", scope=value)
        with pytest.raises(ConfigurationError, match=message):
            client.start_login(scope=value)
    finally:
        client.close()  # type: ignore[attr-defined]


def test_scope_from_toml_and_environment() -> None:
    aliases = config.load_text('[default]\nurl = "http://x.test/"\nscope = ["base", "forum:write"]\n', "t")
    assert config.validate_options(**aliases["default"]).scope == "base forum:write"
    options = config.load_env({"ETERNALTWIN_URL": "http://x.test/", "ETERNALTWIN_SCOPE": "base forum:write"})
    assert config.validate_options(**options).scope == "base forum:write"
    assert config.validate_options(url="http://x.test/").scope == config.DEFAULT_SCOPE == "base"


async def test_the_default_scope_logs_in_against_the_sandbox(client: Any, authorize: Any) -> None:
    state, url = client.start_login(scope="base")
    code, callback_state = authorize(url)
    user = await resolve(client.complete_login(code, callback_state, state))
    assert user.display_name == "Bob"
