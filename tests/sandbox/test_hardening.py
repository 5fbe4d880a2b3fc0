"""Hostile or careless clients (issue 12, items 13 to 17 and 23): bodies, disconnects, expiry, OAuth replays,
cross-site login posts, framing, and the cost of a login.

Raw-socket tests speak HTTP/1.1 by hand, to send what httpx would not (a body that never ends, a
``Content-Length`` that lies, a client that leaves mid-body).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from eternaltwin.sandbox import Sandbox, _secrets
from eternaltwin.sandbox._choices import MAX_BODY_BYTES

from .helpers import authorize_params, get_code, hex_password, location_query, login


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds (a safety bound only: a correct server gets there at once)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def raw_request(sandbox: Sandbox, data: bytes, *, close_after_send: bool = False) -> bytes:
    """Send ``data`` on a new connection and return the first response (head and body) as bytes."""
    with socket.create_connection((sandbox.host, sandbox.port), timeout=30) as connection:
        connection.sendall(data)
        if close_after_send:
            return b""
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return received
            received += chunk
            head, separator, body = received.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length: *(\d+)", head)
            if separator and length and len(body) >= int(length.group(1)):
                return received


def status_and_json(response: bytes) -> tuple[int, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else None


def request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: sandbox.test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n"


@pytest.fixture
def sandbox_errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at WARNING or above, from the sandbox or uvicorn; the test asserts on them."""
    with caplog.at_level(logging.WARNING):
        yield caplog


def serious(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


# ------------------------------------------------------------------------------------- 13: bodies


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/users"), ("PUT", "/api/v1/auth/self?method=Etwin"), ("POST", "/oauth/token")],
)
def test_deeply_nested_json_is_an_invalid_body(
    sandbox_server: Sandbox, sandbox_errors: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    app = sandbox_server.apps[0]
    response = httpx.request(
        method,
        f"{sandbox_server.url}{path}",
        content=b"[" * 50_000,
        headers={"content-type": "application/json"},
        auth=(app.key, app.secret),
    )
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidRequestBody"}
    assert serious(sandbox_errors) == []


def test_a_client_that_leaves_mid_body_is_dropped_quietly(
    sandbox_fresh: Sandbox, sandbox_errors: pytest.LogCaptureFixture
) -> None:
    state = sandbox_fresh.app.state.sandbox
    head = request_head("/api/v1/users", {"Content-Type": "application/json", "Content-Length": "1000"})
    raw_request(sandbox_fresh, head + b'{"username": ', close_after_send=True)
    wait_for(lambda: state.abandoned_requests == 1, "the server saw the client leave")
    assert serious(sandbox_errors) == []
    assert httpx.get(f"{sandbox_fresh.url}/api/v1/").status_code == 200  # and it serves on


# ------------------------------------------------------------------------------------- 14: size


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    sandbox_server: Sandbox,
) -> None:
    head = request_head(
        "/api/v1/users", {"Content-Type": "application/json", "Content-Length": str(300 * 2**20)}
    )
    status, body = status_and_json(raw_request(sandbox_server, head))  # not one byte of body sent
    assert status == 413
    assert body == {
        "error": "PayloadTooLarge",
        "message": f"request bodies are limited to {MAX_BODY_BYTES} bytes",
    }


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(sandbox_server: Sandbox) -> None:
    head = request_head("/api/v1/users", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    # One byte over the limit, and the body never ends (no last chunk): only a server that stops
    # reading at the limit can answer.
    pieces = [chunk(b" " * 4096) for _ in range(MAX_BODY_BYTES // 4096)] + [chunk(b" ")]
    status, body = status_and_json(raw_request(sandbox_server, head + b"".join(pieces)))
    assert status == 413 and body is not None and body["error"] == "PayloadTooLarge"  # type: ignore[index]


def test_a_content_length_that_lies_changes_nothing(sandbox_server: Sandbox) -> None:
    head = request_head(
        "/api/v1/users",
        {"Content-Type": "application/json", "Content-Length": "5", "Transfer-Encoding": "chunked"},
    )
    pieces = [chunk(b" " * 8192) for _ in range(2 * MAX_BODY_BYTES // 8192)] + [b"0\r\n\r\n"]
    status, _ = status_and_json(raw_request(sandbox_server, head + b"".join(pieces)))
    assert status == 413


def test_a_body_at_the_limit_is_read(sandbox_server: Sandbox) -> None:
    login_body = json.dumps({"login": "bob", "password": hex_password("bob_password")}).encode()
    padded = login_body[:-1] + b" " * (MAX_BODY_BYTES - len(login_body)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    url = f"{sandbox_server.url}/api/v1/auth/self?method=Etwin"
    headers = {"content-type": "application/json"}
    assert httpx.put(url, content=padded, headers=headers).status_code == 200
    assert httpx.put(url, content=padded + b" ", headers=headers).status_code == 413


# ------------------------------------------------------------------------------------ 15: expiry


def test_expired_sessions_codes_and_tokens_are_purged(sandbox_fresh_refresh: Sandbox) -> None:
    sandbox_fresh = sandbox_fresh_refresh  # refresh tokens, and access tokens that expire in an hour
    store = sandbox_fresh.store
    with httpx.Client(base_url=sandbox_fresh.url) as browser:
        assert login(browser, "alice", "alice_password").status_code == 200
        assert browser.get("/oauth/authorize", params=authorize_params(sandbox_fresh)).status_code == 302
    app = sandbox_fresh.apps[0]
    code = get_code(sandbox_fresh)
    tokens = httpx.post(f"{sandbox_fresh.url}/oauth/token", auth=(app.key, app.secret), json={"code": code})
    assert tokens.status_code == 200
    counts = (len(store.sessions), len(store.codes), len(store.access_tokens), len(store.refresh_tokens))
    assert counts == (2, 2, 1, 1)

    sandbox_fresh.clock.advance(40 * 24 * 3600)
    with httpx.Client(base_url=sandbox_fresh.url) as browser:  # one write purges
        assert login(browser, "charlie", "charlie_password").status_code == 200
        latest = browser.cookies["sid"]
    assert list(store.sessions) == [latest]
    assert (len(store.codes), len(store.access_tokens), len(store.refresh_tokens)) == (0, 0, 0)


def test_what_lasts_as_on_eternaltwin_org_is_kept(sandbox_fresh: Sandbox) -> None:
    store = sandbox_fresh.store
    code = get_code(sandbox_fresh)
    app = sandbox_fresh.apps[0]
    token = httpx.post(f"{sandbox_fresh.url}/oauth/token", auth=(app.key, app.secret), json={"code": code})
    sandbox_fresh.clock.advance(40 * 24 * 3600)
    with httpx.Client(base_url=sandbox_fresh.url) as browser:
        assert login(browser, "charlie", "charlie_password").status_code == 200
    assert (len(store.sessions), len(store.codes)) == (1, 0)
    assert list(store.access_tokens) == [token.json()["access_token"]]  # valid 10^9 s


def test_a_session_lives_while_it_is_used(sandbox_fresh: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_fresh.url) as used, httpx.Client(base_url=sandbox_fresh.url) as idle:
        login(used, "alice", "alice_password")
        login(idle, "bob", "bob_password")
        for _ in range(3):
            sandbox_fresh.clock.advance(20 * 24 * 3600)
            assert used.get("/api/v1/auth/self").json()["type"] == "User"
        assert idle.get("/api/v1/auth/self").json()["type"] == "Guest"


# ------------------------------------------------------------------------------ 17: OAuth lifecycle


def token_post(sandbox: Sandbox, body: dict[str, str]) -> httpx.Response:
    app = sandbox.apps[0]
    return httpx.post(f"{sandbox.url}/oauth/token", auth=(app.key, app.secret), json=body)


def bearer(sandbox: Sandbox, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return httpx.get(f"{sandbox.url}/api/v1/auth/self", headers=headers).status_code


def test_a_replayed_code_revokes_the_tokens_it_gave(sandbox_refresh: Sandbox) -> None:
    sandbox_server = sandbox_refresh  # single-use codes come with the refresh_tokens option
    code = get_code(sandbox_server)
    first = token_post(sandbox_server, {"grant_type": "authorization_code", "code": code}).json()
    assert bearer(sandbox_server, first["access_token"]) == 200
    replay = token_post(sandbox_server, {"grant_type": "authorization_code", "code": code})
    assert replay.status_code == 400 and replay.json() == {"error": "AuthorizationCodeAlreadyUsed"}
    assert bearer(sandbox_server, first["access_token"]) == 401
    refreshed = token_post(
        sandbox_server, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 400


def test_a_replayed_refresh_token_revokes_its_chain(sandbox_refresh: Sandbox) -> None:
    sandbox_server = sandbox_refresh
    code = get_code(sandbox_server)
    first = token_post(sandbox_server, {"grant_type": "authorization_code", "code": code}).json()
    second = token_post(
        sandbox_server, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    ).json()
    other = token_post(sandbox_server, {"grant_type": "authorization_code", "code": get_code(sandbox_server)})
    assert bearer(sandbox_server, second["access_token"]) == 200

    replay = token_post(
        sandbox_server, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 400 and replay.json() == {"error": "RefreshTokenNotFound"}
    assert bearer(sandbox_server, first["access_token"]) == 401
    assert bearer(sandbox_server, second["access_token"]) == 401
    again = token_post(
        sandbox_server, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert again.status_code == 400
    assert bearer(sandbox_server, other.json()["access_token"]) == 200  # another login is left alone


def form_post(
    sandbox: Sandbox, headers: dict[str, str], username: str = "bob", password: str = "bob_password"
) -> httpx.Response:
    with httpx.Client(base_url=sandbox.url) as browser:
        return browser.post(
            "/login",
            data={"username": username, "password": password, "next": "/oauth/authorize?x=1"},
            headers=headers,
        )


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_cross_site_login_post_is_refused(sandbox_server: Sandbox, headers: dict[str, str]) -> None:
    sessions = len(sandbox_server.store.sessions)
    response = form_post(sandbox_server, headers)
    assert response.status_code == 403
    assert "sid" not in response.cookies and "location" not in response.headers
    assert "from another site" in response.text and "<form" in response.text
    assert len(sandbox_server.store.sessions) == sessions


def test_a_same_origin_login_post_is_taken(sandbox_server: Sandbox) -> None:
    for headers in (
        {"Sec-Fetch-Site": "same-origin", "Origin": sandbox_server.url},
        {"Sec-Fetch-Site": "none"},
        {"Origin": sandbox_server.url},  # a browser without Sec-Fetch-Site
        {},  # not a browser
    ):
        response = form_post(sandbox_server, headers)
        assert response.status_code == 303, headers
        assert "sid" in response.cookies


@pytest.mark.parametrize("path", ["/login", "/", "/login?next=/oauth/authorize"])
def test_pages_cannot_be_framed(sandbox_http: httpx.Client, path: str) -> None:
    response = sandbox_http.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every password hash the sandbox computes from now on (the candidate hashed)."""
    calls: list[bytes] = []
    derive = _secrets._derive

    def counting(secret: bytes, salt: bytes) -> bytes:
        calls.append(secret)
        return derive(secret, salt)

    monkeypatch.setattr(_secrets, "_derive", counting)
    return calls


def test_every_login_costs_one_hash_known_or_not(sandbox_server: Sandbox, hash_calls: list[bytes]) -> None:
    users = sandbox_server.store.users.values()
    generated = next(u for u in users if u.password_is_username and u.username and u.deleted_at is None)
    deleted = next(u for u in users if u.password_is_username and u.username and u.deleted_at is not None)
    attempts = {
        "known, right password": ("bob", "bob_password"),
        "known, wrong password": ("bob", "nope"),
        "unknown": ("nobody_here", "nope"),
        "not a username": ("Not A Name!", "nope"),
        "an email": ("bob@example.org", "nope"),
        "generated, right password": (generated.username, generated.username),
        "generated, wrong password": (generated.username, "nope"),
        "deleted, right password": (deleted.username, deleted.username),
    }
    url = f"{sandbox_server.url}/api/v1/auth/self"

    def through_the_api(name: str, password: str) -> object:
        return httpx.put(
            url, params={"method": "Etwin"}, json={"login": name, "password": hex_password(password)}
        )

    def through_the_form(name: str, password: str) -> object:
        return form_post(sandbox_server, {}, name, password)

    def through_basic(name: str, password: str) -> object:
        return httpx.get(url, auth=(name, password))

    for what, (name, password) in attempts.items():
        for send in (through_the_api, through_the_form, through_basic):
            hash_calls.clear()
            send(name, password)
            assert len(hash_calls) == 1, (what, send.__name__)


def test_every_client_check_costs_one_hash(sandbox_server: Sandbox, hash_calls: list[bytes]) -> None:
    app = sandbox_server.apps[0]
    for client_id, secret in (
        (app.key, app.secret),
        (app.key, "wrong"),
        (app.id, "wrong"),
        ("ghost@clients", "wrong"),
        ("00000000-0000-4000-8000-000000000000", "wrong"),
    ):
        hash_calls.clear()
        httpx.post(f"{sandbox_server.url}/oauth/token", auth=(client_id, secret), json={"code": "c"})
        assert len(hash_calls) == 1, client_id
        hash_calls.clear()
        httpx.get(f"{sandbox_server.url}/api/v1/auth/self", auth=(client_id, secret))
        assert len(hash_calls) == 1, client_id


def test_the_login_flow_still_ends_at_the_callback(sandbox_server: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        to_login = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, state="s"))
        next_path = location_query(to_login)["next"]
        posted = browser.post(
            "/login",
            data={"username": "bob", "password": "bob_password", "next": next_path},
            headers={"Sec-Fetch-Site": "same-origin", "Origin": sandbox_server.url},
        )
        assert posted.status_code == 303
        final = browser.get(posted.headers["location"])
    assert final.status_code == 302 and location_query(final)["state"] == "s"
