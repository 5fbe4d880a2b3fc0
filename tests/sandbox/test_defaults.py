"""eternaltwin.org's defaults (issue 13, spec §11) and the options that depart from them: a token lifetime,
refresh tokens, the 2021 habits; from ``Sandbox(...)``, the command line and a ``[sandbox]`` TOML table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from eternaltwin.sandbox import Sandbox, SandboxConfig, SandboxConfigError, ServerOptions
from eternaltwin.sandbox.__main__ import build_parser

from .helpers import authorize_params, get_code, login, running_cli


def token_post(sandbox: Sandbox, body: dict[str, str], **kwargs: Any) -> httpx.Response:
    app = sandbox.apps[0]
    kwargs.setdefault("auth", (app.key, app.secret))
    return httpx.post(f"{sandbox.url}/oauth/token", json=body, **kwargs)


def self_with(sandbox: Sandbox, authorization: str) -> httpx.Response:
    return httpx.get(f"{sandbox.url}/api/v1/auth/self", headers={"Authorization": authorization})


# ------------------------------------------------------------------------------- eternaltwin.org


def test_a_code_gives_a_long_lived_token_and_no_refresh_token(sandbox_server: Sandbox) -> None:
    response = token_post(sandbox_server, {"code": get_code(sandbox_server)})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token_type", "access_token", "expires_in"]  # the real server's members, in order
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1_000_000_000
    context = self_with(sandbox_server, f"Bearer {body['access_token']}").json()
    assert context["type"] == "AccessToken" and context["user"]["display_name"]["current"]["value"] == "Bob"
    assert sandbox_server.options == ServerOptions()


def test_a_code_can_be_redeemed_again_while_it_lasts(sandbox_fresh: Sandbox) -> None:
    code = get_code(sandbox_fresh)
    first = token_post(sandbox_fresh, {"code": code}).json()["access_token"]
    sandbox_fresh.clock.advance(599)
    second = token_post(sandbox_fresh, {"code": code}).json()["access_token"]
    assert first != second
    assert self_with(sandbox_fresh, f"Bearer {first}").status_code == 200  # nothing revoked
    assert self_with(sandbox_fresh, f"Bearer {second}").status_code == 200
    sandbox_fresh.clock.advance(1)
    expired = token_post(sandbox_fresh, {"code": code})
    assert expired.status_code == 400 and expired.json() == {"error": "AuthorizationCodeExpired"}


def test_the_token_endpoint_reads_only_the_code(sandbox_server: Sandbox) -> None:
    for extra in (
        {"grant_type": "password"},
        {"grant_type": "refresh_token"},
        {"redirect_uri": "http://elsewhere.example/cb"},
        {"refresh_token": "whatever"},
    ):
        response = token_post(sandbox_server, {"code": get_code(sandbox_server), **extra})
        assert response.status_code == 200, extra
        assert "refresh_token" not in response.json()


def test_a_refresh_request_is_told_there_is_no_refresh(sandbox_server: Sandbox) -> None:
    response = token_post(sandbox_server, {"grant_type": "refresh_token", "refresh_token": "r1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "UnsupportedGrantType"
    assert "no refresh token" in body["message"] and "refresh_tokens=True" in body["message"]
    missing = token_post(sandbox_server, {"grant_type": "authorization_code"})
    assert missing.status_code == 422 and missing.json() == {"error": "InvalidRequestBody"}


def test_the_client_authenticates_with_http_basic_only(sandbox_server: Sandbox) -> None:
    app = sandbox_server.apps[0]
    body = {"code": get_code(sandbox_server), "client_id": app.key, "client_secret": app.secret}
    response = httpx.post(f"{sandbox_server.url}/oauth/token", data=body)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized" and "HTTP Basic" in response.json()["message"]
    assert token_post(sandbox_server, {"code": body["code"]}).status_code == 200  # the code still works


@pytest.mark.parametrize("scope", ["base", "forum:write", "base forum:write", " forum:write  base ", ""])
def test_granted_scopes(sandbox_server: Sandbox, scope: str) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, scope=scope))
    assert response.status_code == 302 and "code=" in response.headers["location"]


@pytest.mark.parametrize("scope", ["forum:read", "base forum:admin", "FORUM:WRITE", "forum"])
def test_unknown_scopes_are_refused(sandbox_server: Sandbox, scope: str) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, scope=scope))
    assert response.status_code == 400 and response.json() == {"error": "InvalidScope"}


# ---------------------------------------------------------------------------------------- options


def test_a_token_lifetime() -> None:
    with Sandbox(token_lifetime=120) as sandbox:
        body = token_post(sandbox, {"code": get_code(sandbox)}).json()
        assert body["expires_in"] == 120 and "refresh_token" not in body
        sandbox.clock.advance(119)
        assert self_with(sandbox, f"Bearer {body['access_token']}").status_code == 200
        sandbox.clock.advance(1)
        assert self_with(sandbox, f"Bearer {body['access_token']}").status_code == 401


@pytest.mark.parametrize(("lifetime", "expected"), [(None, 3600), (60, 60)])
def test_refresh_tokens(lifetime: int | None, expected: int) -> None:
    with Sandbox(refresh_tokens=True, token_lifetime=lifetime) as sandbox:
        body = token_post(sandbox, {"grant_type": "authorization_code", "code": get_code(sandbox)}).json()
        assert list(body) == ["token_type", "access_token", "expires_in", "refresh_token"]
        assert body["expires_in"] == expected
        refreshed = token_post(
            sandbox, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        )
        assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != body["refresh_token"]
        assert sandbox.options == ServerOptions(token_lifetime=lifetime, refresh_tokens=True)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"token_lifetime": 0}, "token_lifetime"),
        ({"token_lifetime": -5}, "token_lifetime"),
        ({"token_lifetime": 1_000_000_001}, "token_lifetime"),
        ({"token_lifetime": True}, "token_lifetime"),
        ({"token_lifetime": "60"}, "token_lifetime"),
        ({"token_lifetime": 1.5}, "token_lifetime"),
        ({"refresh_tokens": "yes"}, "refresh_tokens"),
        ({"habits": "2022"}, "habits"),
        ({"habits": "2021", "refresh_tokens": True}, "refresh_tokens"),
    ],
)
def test_bad_options_are_refused_by_name(options: dict[str, Any], named: str) -> None:
    with pytest.raises(SandboxConfigError, match=named):
        Sandbox(**options)
    with pytest.raises(SandboxConfigError, match=rf"\[sandbox\] {named}"):
        SandboxConfig.from_mapping({"sandbox": options}, source="eternaltwin.toml")


def test_options_from_a_toml_table_and_what_overrides_them(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(
        "[sandbox]\nrefresh_tokens = true\ntoken_lifetime = 300\n"
        '[seed.user.user1]\nusername = "user1"\npassword = "1234567891"\n',
        encoding="utf-8",
    )
    assert SandboxConfig.from_file(path).options == ServerOptions(token_lifetime=300, refresh_tokens=True)
    with Sandbox(config=path) as sandbox:
        body = token_post(sandbox, {"code": get_code(sandbox, "user1", "1234567891")}).json()
        assert body["expires_in"] == 300 and "refresh_token" in body
    with Sandbox(config=path, refresh_tokens=False, token_lifetime=50) as sandbox:
        assert sandbox.options == ServerOptions(token_lifetime=50, refresh_tokens=False)
    with pytest.raises(
        SandboxConfigError,
        match=r"unknown key .refresh.; expected one of token_lifetime, refresh_tokens, habits",
    ):
        SandboxConfig.from_mapping({"sandbox": {"refresh": True}})
    with pytest.raises(SandboxConfigError, match=r"\[sandbox\] must be a table"):
        SandboxConfig.from_mapping({"sandbox": "2021"})


def test_command_line_options() -> None:
    args = build_parser().parse_args([])
    assert (args.token_lifetime, args.refresh_tokens, args.habits) == (None, None, None)
    with running_cli("--refresh-tokens", "--token-lifetime", "90") as (process, url, lines):
        assert "Access tokens valid 90 s, rotating refresh tokens." in lines
        process.terminate()
        assert process.wait(timeout=30) == 0
    with running_cli("--habits", "2021") as (process, url, lines):
        assert "Access tokens valid 1000000000 s, no refresh token, 2021 habits." in lines
        assert self_with_url(url, "Bearer nope").status_code == 500
        process.terminate()
        assert process.wait(timeout=30) == 0


def self_with_url(url: str, authorization: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/auth/self", headers={"Authorization": authorization})


def test_command_line_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eternaltwin.sandbox", "--port", "0", "--habits", "2021", "--refresh-tokens"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refresh_tokens" in result.stderr and "Traceback" not in result.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "eternaltwin.sandbox", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "--token-lifetime" in help_text and "--refresh-tokens" in help_text and "--habits" in help_text
    assert "eternaltwin.org" in help_text


# ----------------------------------------------------------------------------------- 2021 habits


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer nope",
        "Bearer 00000000-0000-4000-8000-000000000000",
        "Bearer",
        "Basic !!!",
        "Basic Ym9iOm5vcGU=",
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/auth/self", "/api/v1/users", "/api/v1/users/00000000-0000-4000-8000-000000000000"]
)
def test_2021_a_bad_credential_is_a_plain_text_500(
    sandbox_2021: Sandbox, authorization: str, path: str
) -> None:
    response = httpx.get(f"{sandbox_2021.url}{path}", headers={"Authorization": authorization})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Internal Server Error"


def test_2021_public_routes_still_ignore_credentials(sandbox_2021: Sandbox) -> None:
    for path in ("/api/v1/clock", "/api/v1/config", "/api/v1/archive/twinoid/users/38", "/api/v1/"):
        response = httpx.get(f"{sandbox_2021.url}{path}", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 200, path


def test_2021_login_and_token_as_the_real_server(sandbox_2021: Sandbox) -> None:
    body = token_post(
        sandbox_2021, {"grant_type": "authorization_code", "code": get_code(sandbox_2021)}
    ).json()
    assert list(body) == ["token_type", "access_token", "expires_in"] and body["expires_in"] == 1_000_000_000
    context = self_with(sandbox_2021, f"Bearer {body['access_token']}").json()
    assert context["type"] == "AccessToken" and context["user"]["display_name"]["current"]["value"] == "Bob"
    assert httpx.get(f"{sandbox_2021.url}/api/v1/auth/self").json() == {"type": "Guest", "scope": "Default"}


def test_2021_search_pages_hold_short_users_without_offset_or_limit(sandbox_2021: Sandbox) -> None:
    page = httpx.get(f"{sandbox_2021.url}/api/v1/users", params={"q": "", "limit": 5, "offset": 2}).json()
    assert list(page) == ["count", "items"]
    assert page["count"] == 3 + 50 and len(page["items"]) == 5
    for item in page["items"]:
        assert list(item) == ["type", "id", "display_name"] and item["type"] == "User"
        assert set(item["display_name"]) == {"current"} and isinstance(
            item["display_name"]["current"]["value"], str
        )
    default = httpx.get(f"{sandbox_2021.url}/api/v1/users", params={"limit": 7}).json()
    assert len(default["items"]) == 7
