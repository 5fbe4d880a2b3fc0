"""Seeding from the real server's TOML (spec §7.2) and its validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from eternaltwin.sandbox import Sandbox, SandboxConfig, SandboxConfigError

REAL_LOOKING_TOML = """
[backend]
listen = "127.0.0.1:50320"
secret = "dev"
clock = "System"
store = "Memory"

[frontend]
port = 50321
uri = "http://localhost:50321/"

[postgres]
host = "localhost"
port = 5432

[scrypt]
max_time = "100ms"

[seed]

[seed.app]

[seed.app.python_client]
display_name = "Python Client"
uri = "http://localhost:8000"
oauth_callback = "http://localhost:8000/oauth/callback"
secret = "dev_secret"

[seed.user.user1]
username = "user1"
password = "1234567891"

[seed.user.user2]
username = "user2"
password = "1234567892"
display_name = "Zweiter Benutzer"
is_administrator = true

[seed.user.user3]
username = "user3"
password = "x"
is_administrator = false

[seed.forum_section.main_en]
display_name = "Main Forum (en-US)"
locale = "en-US"
"""


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(REAL_LOOKING_TOML, encoding="utf-8")
    config = SandboxConfig.from_file(path)
    assert [a.key for a in config.apps] == ["python_client@clients"]
    assert config.apps[0].uri == "http://localhost:8000/"  # normalised like a URL parser
    assert [u.username for u in config.users] == ["user1", "user2", "user3"]
    with Sandbox(config=str(path)) as sandbox:
        assert sandbox.connection_config()["client_id"] == "python_client@clients"
        users = {u.username: u for u in sandbox.demo_users}
        assert users["user1"].display_name == "user1"  # defaults to the username (spec §10)
        assert users["user1"].is_administrator is True  # first user created
        assert users["user2"].display_name == "Zweiter Benutzer" and users["user2"].is_administrator is True
        assert users["user3"].is_administrator is False
        login = httpx.put(
            f"{sandbox.url}/api/v1/auth/self",
            params={"method": "Etwin"},
            json={"login": "user1", "password": b"1234567891".hex()},
        )
        assert login.status_code == 200 and login.json()["is_administrator"] is True


def test_search_over_seeded_users_matches_usernames(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(REAL_LOOKING_TOML, encoding="utf-8")
    with Sandbox(config=path) as sandbox:
        body = httpx.get(f"{sandbox.url}/api/v1/users", params={"q": "user"}).json()
        assert body["count"] == 3
        assert [i["display_name"]["current"]["value"] for i in body["items"]] == [
            "user1",
            "user3",
            "Zweiter Benutzer",
        ]
        one = httpx.get(f"{sandbox.url}/api/v1/users", params={"q": "user1"}).json()
        assert one["count"] == 1


def test_seeded_user_links_are_empty_and_no_archives(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(REAL_LOOKING_TOML, encoding="utf-8")
    with Sandbox(config=path) as sandbox:
        assert sandbox.store.archives == {}
        assert all(not u.links for u in sandbox.store.users.values())


def test_no_app_in_config_adds_the_demo_app() -> None:
    config = SandboxConfig.from_mapping({"seed": {"user": {"u": {"username": "solo", "password": "pw"}}}})
    assert [a.key for a in config.apps] == ["demo_app@clients"]
    assert not config.demo


def test_empty_mapping() -> None:
    config = SandboxConfig.from_mapping({})
    assert len(config.apps) == 1 and config.users == ()


def test_demo_config() -> None:
    config = SandboxConfig.load(None)
    assert config.demo and [u.username for u in config.users] == ["alice", "bob", "charlie"]


def _app(**overrides: Any) -> dict[str, Any]:
    app = {"display_name": "My Game", "uri": "http://localhost:8080/", "oauth_callback": "http://localhost:8080/cb",
           "secret": "s"}  # fmt: skip
    app.update(overrides)
    return {k: v for k, v in app.items() if v is not None}


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"seed": []}, ["[seed]"]),
        ({"seed": {"app": []}}, ["[seed.app]"]),
        ({"seed": {"app": {"mygame": "x"}}}, ["[seed.app.mygame]"]),
        ({"seed": {"app": {"mygame": _app(secret=None)}}}, ["[seed.app.mygame]", "'secret'"]),
        ({"seed": {"app": {"mygame": _app(secret=3)}}}, ["[seed.app.mygame]", "'secret'", "string"]),
        ({"seed": {"app": {"mygame": _app(secret="")}}}, ["[seed.app.mygame]", "'secret'"]),
        (
            {"seed": {"app": {"mygame": _app(oauth_callback="not a url")}}},
            ["[seed.app.mygame]", "'oauth_callback'"],
        ),
        ({"seed": {"app": {"mygame": _app(uri="ftp://x/")}}}, ["[seed.app.mygame]", "'uri'"]),
        ({"seed": {"app": {"mygame": _app(display_name="Game 2")}}}, ["[seed.app.mygame]", "'display_name'"]),
        ({"seed": {"app": {"MyGame": _app()}}}, ["[seed.app.MyGame]", "name"]),
        (
            {"seed": {"app": {"mygame": _app(callback_uri="x")}}},
            ["[seed.app.mygame]", "'callback_uri'", "oauth_callback"],
        ),
        ({"seed": {"user": {"u1": {"password": "x"}}}}, ["[seed.user.u1]", "'username'"]),
        (
            {"seed": {"user": {"u1": {"username": "Bad Name", "password": "x"}}}},
            ["[seed.user.u1]", "'username'"],
        ),
        ({"seed": {"user": {"u1": {"username": "ok"}}}}, ["[seed.user.u1]", "'password'"]),
        ({"seed": {"user": {"u1": {"username": "ok", "password": 12}}}}, ["[seed.user.u1]", "'password'"]),
        (
            {"seed": {"user": {"u1": {"username": "ok", "password": "x", "display_name": "1abc"}}}},
            ["[seed.user.u1]", "'display_name'"],
        ),
        (
            {"seed": {"user": {"u1": {"username": "ok", "password": "x", "is_administrator": "yes"}}}},
            ["[seed.user.u1]", "'is_administrator'"],
        ),
        (
            {"seed": {"user": {"u1": {"username": "ok", "password": "x", "email": "a@b"}}}},
            ["[seed.user.u1]", "'email'"],
        ),
        (
            {
                "seed": {
                    "user": {
                        "a": {"username": "same", "password": "x"},
                        "b": {"username": "same", "password": "y"},
                    }
                }
            },
            ["[seed.user.b]", "[seed.user.a]", "'same'"],
        ),
    ],
)
def test_malformed_seed_entries_name_table_and_key(data: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(SandboxConfigError) as caught:
        SandboxConfig.from_mapping(data)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_bad_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[seed.app.x\n", encoding="utf-8")
    with pytest.raises(SandboxConfigError, match="not valid TOML"):
        SandboxConfig.from_file(path)
    with pytest.raises(SandboxConfigError, match="cannot read"):
        SandboxConfig.from_file(tmp_path / "missing.toml")


def test_config_type_error() -> None:
    with pytest.raises(TypeError):
        SandboxConfig.load(42)


def test_secrets_are_not_in_reprs() -> None:
    seed = {
        "app": {"mygame": _app(secret="hush_hush")},
        "user": {"u": {"username": "uu", "password": "p4ssw0rd"}},
    }
    config = SandboxConfig.from_mapping({"seed": seed})
    assert "hush_hush" not in repr(config) and "p4ssw0rd" not in repr(config)
