"""GET/PUT/DELETE /api/v1/auth/self: login, the four context shapes, logout (spec §1.1, §3.5, §4.2)."""

from __future__ import annotations

import base64

import httpx
import pytest

from eternaltwin.sandbox import Sandbox

from .helpers import get_tokens, hex_password, login


def test_guest_context(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/api/v1/auth/self")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"type": "Guest", "scope": "Default"}


def test_login_sets_sid_cookie_and_returns_complete_user(
    sandbox_server: Sandbox, sandbox_http: httpx.Client
) -> None:
    response = login(sandbox_http, "alice", "alice_password")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    sid = response.cookies["sid"]
    assert cookie.startswith(f"sid={sid};")
    assert "HttpOnly" in cookie and "Path=/" in cookie and "SameSite=lax" in cookie
    assert len(sid) == 36 and sid == sid.lower()
    body = response.json()
    alice = next(u for u in sandbox_server.demo_users if u.username == "alice")
    assert body["type"] == "User" and body["id"] == alice.id
    assert body["username"] == "alice" and body["email_address"] is None and body["has_password"] is True
    assert body["display_name"] == {"current": {"value": "Alice"}}
    assert body["is_administrator"] is True and body["deleted_at"] is None
    assert list(body) == [
        "type", "id", "created_at", "deleted_at", "display_name", "is_administrator", "links",
        "username", "email_address", "has_password",
    ]  # fmt: skip


def test_user_context_after_login(sandbox_http: httpx.Client) -> None:
    login(sandbox_http, "bob", "bob_password")
    context = sandbox_http.get("/api/v1/auth/self").json()
    assert context["type"] == "User" and context["scope"] == "Default"
    assert context["is_administrator"] is False
    assert context["user"]["display_name"]["current"]["value"] == "Bob"
    assert set(context["user"]) == {"type", "id", "display_name"}


def test_access_token_context(sandbox_server: Sandbox) -> None:
    tokens = get_tokens(sandbox_server, "charlie", "charlie_password")
    response = httpx.get(
        f"{sandbox_server.url}/api/v1/auth/self",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 200
    context = response.json()
    app = sandbox_server.apps[0]
    assert context["type"] == "AccessToken"
    assert context["client"] == {
        "type": "OauthClient",
        "id": app.id,
        "key": app.key,
        "display_name": app.display_name,
    }
    assert context["user"]["display_name"]["current"]["value"] == "Charlie"


def test_oauth_client_context_with_basic_client_credentials(sandbox_server: Sandbox) -> None:
    app = sandbox_server.apps[0]
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", auth=(app.key, app.secret))
    assert response.json() == {
        "type": "OauthClient",
        "scope": "Default",
        "client": {"type": "OauthClient", "id": app.id, "key": app.key, "display_name": "Demo App"},
    }
    by_uuid = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", auth=(app.id, app.secret))
    assert by_uuid.json()["type"] == "OauthClient"


def test_basic_user_credentials_give_user_context(sandbox_server: Sandbox) -> None:
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", auth=("bob", "bob_password"))
    assert response.json()["type"] == "User"
    assert "set-cookie" not in response.headers  # no session for Basic


@pytest.mark.parametrize(
    "credentials",
    [("bob", "wrong"), ("nobody", "x"), ("demo_app@clients", "wrong"), ("ghost@clients", "dev_secret")],
)
def test_bad_basic_credentials_are_401(sandbox_server: Sandbox, credentials: tuple[str, str]) -> None:
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", auth=credentials)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Basic")


def test_malformed_basic_header_is_401(sandbox_server: Sandbox) -> None:
    response = httpx.get(
        f"{sandbox_server.url}/api/v1/auth/self", headers={"Authorization": "Basic !!notbase64"}
    )
    assert response.status_code == 401


def test_unknown_scheme_is_ignored(sandbox_server: Sandbox) -> None:
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", headers={"Authorization": "Digest abc"})
    assert response.status_code == 200 and response.json()["type"] == "Guest"


@pytest.mark.parametrize("token", ["00000000-0000-4000-8000-000000000000", "not-a-token", "a b"])
def test_unknown_bearer_token_is_401(sandbox_server: Sandbox, token: str) -> None:
    response = httpx.get(
        f"{sandbox_server.url}/api/v1/auth/self", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_bearer_does_not_fall_back_to_cookie(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    login(sandbox_http, "bob", "bob_password")
    response = sandbox_http.get("/api/v1/auth/self", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_wrong_password(sandbox_http: httpx.Client) -> None:
    response = login(sandbox_http, "alice", "not_her_password")
    assert response.status_code == 401
    assert response.json() == {"error": "InvalidCredentials"}
    assert "set-cookie" not in response.headers
    assert sandbox_http.get("/api/v1/auth/self").json()["type"] == "Guest"


@pytest.mark.parametrize("login_name", ["nobody", "alice@example.com", "Alice", "not a username"])
def test_unknown_login(sandbox_http: httpx.Client, login_name: str) -> None:
    response = login(sandbox_http, login_name, "alice_password")
    assert response.status_code == 401
    assert response.json() == {"error": "InvalidCredentials"}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"alice"',
        b'{"login": "alice"}',
        b'{"login": 3, "password": "00"}',
        b'{"login": "alice", "password": "zz"}',
        b'{"login": "alice", "password": "abc"}',
        b'{"login": "", "password": "00"}',
        b"\xff\xfe",
    ],
)
def test_malformed_login_bodies_are_422(sandbox_http: httpx.Client, body: bytes) -> None:
    response = sandbox_http.put(
        "/api/v1/auth/self",
        params={"method": "Etwin"},
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidRequestBody"}


def test_login_with_too_long_login_is_422(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.put(
        "/api/v1/auth/self", params={"method": "Etwin"}, json={"login": "a" * 101, "password": "00"}
    )
    assert response.status_code == 422


def test_form_encoded_login(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.put(
        "/api/v1/auth/self",
        params={"method": "Etwin"},
        data={"login": "bob", "password": hex_password("bob_password")},
    )
    assert response.status_code == 200 and response.json()["username"] == "bob"


@pytest.mark.parametrize(
    "params", [{}, {"method": "etwin"}, {"method": "Password"}, {"method": ["Etwin", "Etwin"]}]
)
def test_missing_or_unknown_method_is_422(sandbox_http: httpx.Client, params: dict[str, str]) -> None:
    response = sandbox_http.put("/api/v1/auth/self", params=params, json={"login": "bob", "password": "00"})
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidMethod"}


@pytest.mark.parametrize("method", ["Dinoparc", "Hammerfest", "Twinoid"])
def test_game_methods_are_not_supported(sandbox_http: httpx.Client, method: str) -> None:
    response = sandbox_http.put("/api/v1/auth/self", params={"method": method}, json={})
    assert response.status_code == 501
    assert response.json() == {"error": "UnsupportedAuthMethod"}


def test_logout_returns_guest_clears_cookie_and_revokes(
    sandbox_server: Sandbox, sandbox_http: httpx.Client
) -> None:
    sid = login(sandbox_http, "bob", "bob_password").cookies["sid"]
    assert sid in sandbox_server.store.sessions
    response = sandbox_http.delete("/api/v1/auth/self")
    assert response.status_code == 200
    assert response.json() == {"type": "Guest", "scope": "Default"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith('sid="";') or cookie.startswith("sid=;")
    assert "Max-Age=0" in cookie
    assert sid not in sandbox_server.store.sessions
    replay = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", cookies={"sid": sid})
    assert replay.json()["type"] == "Guest"


@pytest.mark.parametrize("sid", ["garbage", "00000000-0000-4000-8000-000000000000"])
def test_unknown_or_malformed_sid_is_guest(sandbox_server: Sandbox, sid: str) -> None:
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", cookies={"sid": sid})
    assert response.status_code == 200 and response.json()["type"] == "Guest"


def test_uppercase_sid_is_guest(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    sid = login(sandbox_http, "bob", "bob_password").cookies["sid"]
    response = httpx.get(f"{sandbox_server.url}/api/v1/auth/self", cookies={"sid": sid.upper()})
    assert response.json()["type"] == "Guest"


def test_basic_header_with_users_suffix(sandbox_server: Sandbox) -> None:
    bob = next(u for u in sandbox_server.demo_users if u.username == "bob")
    for login_name in ("bob@users", f"{bob.id}@users", bob.id):
        token = base64.b64encode(f"{login_name}:bob_password".encode()).decode()
        response = httpx.get(
            f"{sandbox_server.url}/api/v1/auth/self", headers={"Authorization": f"Basic {token}"}
        )
        assert response.json()["type"] == "User", login_name
