"""GET /api/v1/users/{id}, GET /api/v1/users (search) and POST /api/v1/users (spec §3.2, §3.3, §3.8, §4.3)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from eternaltwin.sandbox import Sandbox
from eternaltwin.sandbox._choices import SEARCH_ITEM_FIELDS

from .helpers import get_tokens, hex_password, login

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
DEFAULT_FIELDS = ["type", "id", "created_at", "deleted_at", "display_name", "is_administrator", "links"]
COMPLETE_FIELDS = [*DEFAULT_FIELDS, "username", "email_address", "has_password"]
LINK_KEYS = {
    "dinoparc_com", "en_dinoparc_com", "hammerfest_es", "hammerfest_fr", "hfest_net", "sp_dinoparc_com",
    "twinoid",
}  # fmt: skip


def demo_id(sandbox: Sandbox, username: str) -> str:
    return next(u.id for u in sandbox.demo_users if u.username == username)


# ----------------------------------------------------------------------------------------- by id


def test_guest_gets_default_view(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get(f"/api/v1/users/{demo_id(sandbox_server, 'alice')}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == DEFAULT_FIELDS
    assert body["display_name"] == {"current": {"value": "Alice"}}
    assert TIMESTAMP.fullmatch(body["created_at"])
    assert set(body["links"]) == LINK_KEYS
    hammerfest = body["links"]["hammerfest_fr"]["current"]
    assert hammerfest["user"] == {
        "type": "HammerfestUser",
        "server": "hammerfest.fr",
        "id": "127",
        "username": "alice",
    }
    assert hammerfest["unlink"] is None and TIMESTAMP.fullmatch(hammerfest["link"]["time"])
    assert hammerfest["link"]["user"]["id"] == body["id"]
    assert body["links"]["twinoid"]["current"]["user"] == {
        "type": "TwinoidUser",
        "id": "38",
        "display_name": "Alice",
    }
    assert body["links"]["dinoparc_com"] == {"current": None, "old": []}


def test_self_gets_complete_view(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    login(sandbox_http, "bob", "bob_password")
    body = sandbox_http.get(f"/api/v1/users/{demo_id(sandbox_server, 'bob')}").json()
    assert list(body) == COMPLETE_FIELDS
    assert body["username"] == "bob"


def test_non_admin_gets_default_view_of_others(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    login(sandbox_http, "bob", "bob_password")
    body = sandbox_http.get(f"/api/v1/users/{demo_id(sandbox_server, 'charlie')}").json()
    assert list(body) == DEFAULT_FIELDS


def test_admin_gets_complete_view_of_others(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    login(sandbox_http, "alice", "alice_password")
    body = sandbox_http.get(f"/api/v1/users/{demo_id(sandbox_server, 'charlie')}").json()
    assert list(body) == COMPLETE_FIELDS and body["username"] == "charlie"


def test_access_token_gets_default_view_even_of_itself(sandbox_server: Sandbox) -> None:
    tokens = get_tokens(sandbox_server, "alice", "alice_password")
    response = httpx.get(
        f"{sandbox_server.url}/api/v1/users/{demo_id(sandbox_server, 'alice')}",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert list(response.json()) == DEFAULT_FIELDS


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-uuid",
        "12345",
        "C0323858-CA37-460A-87F7-44B2767378AC",
        "c0323858ca37460a87f744b2767378ac",
        "%20",
    ],
)
def test_invalid_user_id_is_422(sandbox_http: httpx.Client, bad_id: str) -> None:
    response = sandbox_http.get(f"/api/v1/users/{bad_id}")
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidId"}


def test_uppercase_of_existing_id_is_422(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get(f"/api/v1/users/{demo_id(sandbox_server, 'alice').upper()}")
    assert response.status_code == 422


def test_unknown_user_is_404(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get(f"/api/v1/users/{uuid.UUID(int=7, version=4)}")
    assert response.status_code == 404
    assert response.json() == {"error": "UserNotFound"}


def test_deleted_user_shows_deleted_at(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    deleted = [u for u in sandbox_server.store.users.values() if u.deleted_at is not None]
    assert deleted, "the population should contain deleted users"
    body = sandbox_http.get(f"/api/v1/users/{deleted[0].id}").json()
    assert TIMESTAMP.fullmatch(body["deleted_at"])
    assert body["deleted_at"] > body["created_at"]


# ---------------------------------------------------------------------------------------- search


def search(client: httpx.Client, **params: object) -> httpx.Response:
    return client.get("/api/v1/users", params=params)  # type: ignore[arg-type]


def test_search_page_shape_and_defaults(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    body = search(sandbox_http).json()
    assert list(body) == ["offset", "limit", "count", "items"]
    assert body["offset"] == 0 and body["limit"] == 20
    assert body["count"] == len(sandbox_server.store.users) == 3 + 60
    assert len(body["items"]) == 20
    assert all(list(item) == list(SEARCH_ITEM_FIELDS) for item in body["items"])
    assert "username" not in body["items"][0]


def test_search_is_ordered_by_display_name_then_id(
    sandbox_server: Sandbox, sandbox_http: httpx.Client
) -> None:
    items = search(sandbox_http, limit=100).json()["items"]
    assert len(items) == 63
    keys = [(i["display_name"]["current"]["value"].casefold(), i["display_name"]["current"]["value"], i["id"])
            for i in items]  # fmt: skip
    assert keys == sorted(keys)


@pytest.mark.parametrize("query", ["ALI", "lic", "Alice", "  alice  ", "o", "_1", "MIRA"])
def test_search_is_case_insensitive_substring(
    sandbox_server: Sandbox, sandbox_http: httpx.Client, query: str
) -> None:
    needle = query.strip().casefold()
    expected = {
        u.id
        for u in sandbox_server.store.users.values()
        if needle in u.display_name.casefold() or needle in (u.username or "").casefold()
    }
    body = search(sandbox_http, q=query, limit=100).json()
    assert body["count"] == len(expected)
    assert {i["id"] for i in body["items"]} == expected
    if "alic" in needle:
        assert expected == {demo_id(sandbox_server, "alice")}


def test_search_matches_username_too(sandbox_fresh: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_fresh.url) as client:
        registered = client.post(
            "/api/v1/users",
            json={"username": "zorglub", "display_name": "Mister Z", "password": hex_password("pw")},
        )
        assert registered.status_code == 200
        body = client.get("/api/v1/users", params={"q": "ZORG"}).json()
        assert body["count"] == 1
        assert body["items"][0]["display_name"]["current"]["value"] == "Mister Z"
        assert client.get("/api/v1/users", params={"q": "mister"}).json()["count"] == 1


def test_search_count_is_independent_of_paging(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    everyone = search(sandbox_http, limit=100).json()["items"]
    page = search(sandbox_http, limit=5, offset=10).json()
    assert page["count"] == 63 and page["offset"] == 10 and page["limit"] == 5
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everyone[10:15]]
    beyond = search(sandbox_http, offset=1000).json()
    assert beyond["count"] == 63 and beyond["items"] == []


def test_search_limit_zero_counts_only(sandbox_http: httpx.Client) -> None:
    body = search(sandbox_http, q="o", limit=0).json()
    assert body["items"] == [] and body["limit"] == 0 and body["count"] > 0


def test_search_no_match(sandbox_http: httpx.Client) -> None:
    body = search(sandbox_http, q="qqqqqqqqzzzz").json()
    assert body["count"] == 0 and body["items"] == []


def test_search_finds_other_scripts(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    user = next(u for u in sandbox_server.store.users.values() if not u.display_name.isascii())
    body = search(sandbox_http, q=user.display_name.upper(), limit=100).json()
    assert user.id in [i["id"] for i in body["items"]]


def test_search_does_not_match_across_username_and_display_name(sandbox_http: httpx.Client) -> None:
    assert search(sandbox_http, q="alice\nalice").json()["count"] == 0


def test_search_max_limit(sandbox_http: httpx.Client) -> None:
    assert search(sandbox_http, limit=100).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "101"},
        {"limit": "abc"},
        {"limit": ""},
        {"limit": "1.5"},
        {"limit": "+5"},
        {"limit": " 5"},
        {"offset": "-1"},
        {"offset": "x"},
        {"offset": "99999999999999"},
        {"offset": ["1", "2"]},
    ],
)
def test_bad_paging_is_422_and_says_what_is_allowed(
    sandbox_http: httpx.Client, params: dict[str, str]
) -> None:
    response = search(sandbox_http, **params)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == "InvalidQueryParameters"
    name = next(iter(params))
    if isinstance(params[name], list):
        assert body["message"] == f"{name} may be given at most once"
    else:
        maximum = 100 if name == "limit" else 2**31 - 1
        assert body["message"].startswith(f"{name} must be a whole number from 0 to {maximum} ")


def test_search_with_bad_bearer_token_is_401(sandbox_server: Sandbox) -> None:
    response = httpx.get(f"{sandbox_server.url}/api/v1/users", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


# ---------------------------------------------------------------------------------- registration


def test_registration_logs_in_and_returns_default_view(sandbox_fresh: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_fresh.url) as client:
        response = client.post(
            "/api/v1/users",
            json={"username": "mirabelle", "display_name": " Mirabelle ", "password": hex_password("secret")},
        )
        assert response.status_code == 200
        body = response.json()
        assert list(body) == DEFAULT_FIELDS
        assert body["display_name"]["current"]["value"] == "Mirabelle"
        assert body["is_administrator"] is False  # alice, bob and charlie came first
        assert "sid" in response.cookies
        assert client.get("/api/v1/auth/self").json()["user"]["id"] == body["id"]
        relog = login(client, "mirabelle", "secret")
        assert relog.status_code == 200


def test_first_registered_user_is_administrator() -> None:
    config = {"seed": {"app": {"app": {"display_name": "App", "uri": "http://localhost/",
                                       "oauth_callback": "http://localhost/cb", "secret": "s"}}}}  # fmt: skip
    with Sandbox(config=config) as sandbox, httpx.Client(base_url=sandbox.url) as client:
        assert client.get("/api/v1/users").json()["count"] == 0
        first = client.post(
            "/api/v1/users", json={"username": "first", "display_name": "First", "password": "00"}
        )
        second = client.post(
            "/api/v1/users", json={"username": "second", "display_name": "Second", "password": "00"}
        )
        assert first.json()["is_administrator"] is True
        assert second.json()["is_administrator"] is False


def test_registration_username_conflict_is_409(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.post(
        "/api/v1/users", json={"username": "alice", "display_name": "Alice", "password": "00"}
    )
    assert response.status_code == 409
    assert response.json() == {"error": "UsernameAlreadyInUse"}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "Bad Name", "display_name": "Ok Name", "password": "00"},
        {"username": "1abc", "display_name": "Ok Name", "password": "00"},
        {"username": "okname", "display_name": "1 starts with digit", "password": "00"},
        {"username": "okname", "display_name": "x", "password": "00"},
        {"username": "okname", "display_name": "bad!chars", "password": "00"},
        {"username": "okname", "display_name": "Ok Name", "password": "not hex"},
        {"username": "okname", "display_name": "Ok Name"},
        {"display_name": "Ok Name", "password": "00"},
    ],
)
def test_registration_invalid_bodies_are_422(sandbox_http: httpx.Client, body: dict[str, str]) -> None:
    response = sandbox_http.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidRequestBody"}


def test_registration_malformed_json_is_422(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.post("/api/v1/users", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json() == {"error": "InvalidRequestBody"}


def test_registration_by_email_token_is_refused(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.post(
        "/api/v1/users", json={"email_token": "x", "display_name": "Ab", "password": "00"}
    )
    assert response.status_code == 422
    assert response.json() == {"error": "EmailRegistrationNotSupported"}
