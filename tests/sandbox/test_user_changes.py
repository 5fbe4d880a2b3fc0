"""Changing users (PATCH /api/v1/users/{id}, spec §4.5; links; deletion) and the pre-rendered JSON of search
pages, which must follow every change (issue 15: a page is served from JSON rendered once per user)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from eternaltwin.sandbox import Sandbox
from eternaltwin.sandbox._http import JsonResponse
from eternaltwin.sandbox._views import search_item, short_user

from .helpers import get_tokens, hex_password, login


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A private demo sandbox with 300 generated users, for tests that change users."""
    with Sandbox(population=300) as sandbox:
        yield sandbox


def demo_id(sandbox: Sandbox, username: str) -> str:
    return next(u.id for u in sandbox.demo_users if u.username == username)


@contextmanager
def session(sandbox: Sandbox, username: str, password: str) -> Iterator[httpx.Client]:
    """A client signed in as ``username`` (a session cookie)."""
    with httpx.Client(base_url=sandbox.url) as client:
        assert login(client, username, password).status_code == 200
        yield client


def login_status(sandbox: Sandbox, username: str, password: str) -> int:
    with httpx.Client(base_url=sandbox.url) as client:
        return login(client, username, password).status_code


def every_item(http: httpx.Client) -> list[dict[str, Any]]:
    """Every item of the search, paged by 100."""
    items: list[dict[str, Any]] = []
    while True:
        page = http.get("/api/v1/users", params={"offset": len(items), "limit": 100}).json()
        items += page["items"]
        if not page["items"]:
            return items


def listed(http: httpx.Client, user_id: str, query: str = "") -> dict[str, Any] | None:
    """The item of ``user_id`` in the search for ``query`` (every page), or None."""
    found = [item for item in every_item_for(http, query) if item["id"] == user_id]
    return found[0] if found else None


def every_item_for(http: httpx.Client, query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = http.get("/api/v1/users", params={"q": query, "offset": len(items), "limit": 100}).json()
        items += page["items"]
        if not page["items"]:
            return items


# -- the pre-rendered JSON is the view --------------------------------------------------------------------


def test_every_pre_rendered_item_is_the_view_as_json_response_writes_it() -> None:
    with Sandbox(population=2000) as sandbox:
        store = sandbox.store
        _, items = store.search_page_json("", 0, 3000)
        _, shorts = store.search_page_json("", 0, 3000, short=True)
        users = store.ordered_users()
        assert any(u.links for u in users) and any(u.deleted_at for u in users)
        assert any(u.username is None for u in users)
        expected = [JsonResponse(search_item(u, store)).body for u in users]
        assert items == b",".join(expected)
        assert shorts == b",".join(JsonResponse(short_user(u)).body for u in users)


def test_pages_over_http_are_the_users_default_views(sandbox_server: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_server.url) as http:
        items = every_item(http)
        assert len(items) == len(sandbox_server.store.users)
        for item in items[:: max(1, len(items) // 25)]:
            assert http.get(f"/api/v1/users/{item['id']}").json() == item


# -- a changed user is served changed ---------------------------------------------------------------------


def test_a_renamed_user_is_served_renamed_and_moves_in_the_order(fresh: Sandbox) -> None:
    bob = demo_id(fresh, "bob")
    with session(fresh, "bob", "bob_password") as http:
        before = every_item(http)  # renders every page first
        assert [i["display_name"]["current"]["value"] for i in before if i["id"] == bob] == ["Bob"]
        reply = http.patch(f"/api/v1/users/{bob}", json={"display_name": "  Zébulon  "})
        assert reply.status_code == 200, reply.text
        assert reply.json()["display_name"] == {"current": {"value": "Zébulon"}}
        after = every_item(http)
        mine = [i for i in after if i["id"] == bob]
        assert [i["display_name"]["current"]["value"] for i in mine] == ["Zébulon"]
        names = [i["display_name"]["current"]["value"].casefold() for i in after]
        assert names == sorted(names)  # in its new place
        assert listed(http, bob, "zébulon") is not None
        assert http.get(f"/api/v1/users/{bob}").json()["display_name"]["current"]["value"] == "Zébulon"


def test_a_renamed_user_is_served_renamed_with_the_2021_habits() -> None:
    with Sandbox(habits="2021") as sandbox, session(sandbox, "alice", "alice_password") as http:
        alice = demo_id(sandbox, "alice")
        first = http.get("/api/v1/users", params={"q": "alice"}).json()
        alice_item = {"type": "User", "id": alice, "display_name": {"current": {"value": "Alice"}}}
        assert first == {"count": 1, "items": [alice_item]}
        assert http.patch(f"/api/v1/users/{alice}", json={"display_name": "Alicia"}).status_code == 200
        again = http.get("/api/v1/users", params={"q": "alice"}).json()
        assert again["items"][0]["display_name"] == {"current": {"value": "Alicia"}}


def test_a_registered_user_joins_the_pages(fresh: Sandbox) -> None:
    with httpx.Client(base_url=fresh.url) as http:
        count = len(every_item(http))
        reply = http.post(
            "/api/v1/users",
            json={"username": "newcomer", "display_name": "Newcomer", "password": hex_password("pw")},
        )
        assert reply.status_code == 200
        items = every_item(http)
        assert len(items) == count + 1 and reply.json() in items


def test_links_made_and_removed_are_served(fresh: Sandbox) -> None:
    store = fresh.store
    charlie, alice = store.user(demo_id(fresh, "charlie")), store.user(demo_id(fresh, "alice"))
    assert charlie is not None and alice is not None
    account = next(a for a in store.archives.values() if a.etwin is None and a.kind == "hammerfest")
    with httpx.Client(base_url=fresh.url) as http:
        assert listed(http, charlie.id, "charlie") is not None  # rendered before the change
        store.link(charlie, account, fresh.clock.now(), by=alice)
        link = listed(http, charlie.id, "charlie")["links"][account.server.replace(".", "_")]  # type: ignore[index]
        assert link["current"]["user"]["id"] == account.id
        assert link["current"]["link"]["user"]["display_name"] == {"current": {"value": "Alice"}}
        # The author's new name reaches the links it made for others.
        store.update_user(alice, fresh.clock.now(), display_name="Alicia")
        link = listed(http, charlie.id, "charlie")["links"][account.server.replace(".", "_")]  # type: ignore[index]
        assert link["current"]["link"]["user"]["display_name"] == {"current": {"value": "Alicia"}}
        store.unlink(charlie, account.server.replace(".", "_"))
        item = listed(http, charlie.id, "charlie")
        assert item is not None and item["links"][account.server.replace(".", "_")] == {
            "current": None,
            "old": [],
        }
        archived = http.get(f"/api/v1/archive/hammerfest/{account.server}/users/{account.id}").json()
        assert archived["etwin"] == {"current": None, "old": []}


def test_a_link_moves_from_its_previous_owner(fresh: Sandbox) -> None:
    store = fresh.store
    alice, charlie = store.user(demo_id(fresh, "alice")), store.user(demo_id(fresh, "charlie"))
    assert alice is not None and charlie is not None
    account = alice.links["hammerfest_fr"]
    with httpx.Client(base_url=fresh.url) as http:
        assert listed(http, alice.id, "alice")["links"]["hammerfest_fr"]["current"] is not None  # type: ignore[index]
        store.link(charlie, account, fresh.clock.now())
        assert listed(http, alice.id, "alice")["links"]["hammerfest_fr"]["current"] is None  # type: ignore[index]
        moved = listed(http, charlie.id, "charlie")["links"]["hammerfest_fr"]["current"]  # type: ignore[index]
        assert moved["user"]["id"] == account.id and moved["link"]["user"]["id"] == charlie.id


def test_a_deleted_user_is_served_deleted(fresh: Sandbox) -> None:
    store = fresh.store
    charlie = store.user(demo_id(fresh, "charlie"))
    assert charlie is not None
    with httpx.Client(base_url=fresh.url) as http:
        assert listed(http, charlie.id, "charlie")["deleted_at"] is None  # type: ignore[index]
        at = fresh.clock.now()
        store.delete_user(charlie, at)
        assert (
            listed(http, charlie.id, "charlie")["deleted_at"]
            == at.isoformat(timespec="milliseconds")[:-6] + "Z"
        )  # type: ignore[index]
        assert login(http, "charlie", "charlie_password").status_code == 401


# -- PATCH /api/v1/users/{id} --------------------------------------------------------------------------------


def test_who_may_patch(fresh: Sandbox) -> None:
    bob, charlie = demo_id(fresh, "bob"), demo_id(fresh, "charlie")
    patch = {"display_name": "Robert"}
    guest = httpx.patch(f"{fresh.url}/api/v1/users/{bob}", json=patch)
    token = get_tokens(fresh)["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with_token = httpx.patch(f"{fresh.url}/api/v1/users/{bob}", json=patch, headers=bearer)
    for refused in (guest, with_token):
        assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
        assert "access token" in refused.json()["message"]
    with session(fresh, "charlie", "charlie_password") as other:
        refused = other.patch(f"/api/v1/users/{bob}", json=patch)
        assert refused.status_code == 403 and "administrator" in refused.json()["message"]
    basic = httpx.patch(f"{fresh.url}/api/v1/users/{bob}", json=patch, auth=("bob", "bob_password"))
    assert basic.status_code == 200 and basic.json()["display_name"] == {"current": {"value": "Robert"}}
    with session(fresh, "alice", "alice_password") as admin:
        reply = admin.patch(f"/api/v1/users/{charlie}", json={"display_name": "Charles"})
        assert reply.status_code == 200 and list(reply.json())[:2] == ["type", "id"]
        assert "username" not in reply.json()  # the default view (spec §4.5)
    assert (
        httpx.get(f"{fresh.url}/api/v1/users/{charlie}").json()["display_name"]["current"]["value"]
        == "Charles"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"email": "x@y"}, "unknown member 'email'"),
        ({"display_name": "1abc"}, "display_name must be"),
        ({"display_name": 7}, "display_name must be"),
        ({"username": "Bad Name"}, "username must be"),
        ({"password": "zz"}, None),
    ],
)
def test_bad_patches_are_422_and_change_nothing(
    fresh: Sandbox, body: dict[str, Any], fragment: str | None
) -> None:
    bob = demo_id(fresh, "bob")
    with session(fresh, "bob", "bob_password") as http:
        before = http.get(f"/api/v1/users/{bob}").json()
        reply = http.patch(f"/api/v1/users/{bob}", json=body)
        assert reply.status_code == 422 and reply.json()["error"] == "InvalidRequestBody"
        if fragment is not None:
            assert fragment in reply.json()["message"]
        assert http.get(f"/api/v1/users/{bob}").json() == before


def test_username_and_password_changes(fresh: Sandbox) -> None:
    bob = demo_id(fresh, "bob")
    with session(fresh, "bob", "bob_password") as http:
        # Creation counts for the username (7 days) and the password (10 minutes) locks.
        locked = http.patch(f"/api/v1/users/{bob}", json={"username": "robert"})
        assert locked.status_code == 409 and locked.json()["error"] == "FailedUserUpdate"
        assert "username changed too recently: it may change again from 20" in locked.json()["message"]
        fresh.clock.advance(7 * 86_400)
        taken = http.patch(f"/api/v1/users/{bob}", json={"username": "alice"})
        assert taken.status_code == 409 and taken.json()["error"] == "UsernameAlreadyInUse"
        both = http.patch(
            f"/api/v1/users/{bob}", json={"username": "robert", "password": hex_password("new_pw")}
        )
        assert both.status_code == 200, both.text
    assert login_status(fresh, "bob", "bob_password") == 401
    assert login_status(fresh, "robert", "new_pw") == 200
    assert fresh.store.user_by_username("bob") is None
    # A second password change within 10 minutes is refused, not after.
    with session(fresh, "robert", "new_pw") as http:
        again = http.patch(f"/api/v1/users/{bob}", json={"password": hex_password("newer")})
        assert again.status_code == 409 and "password changed too recently" in again.json()["message"]
        fresh.clock.advance(601)
        assert http.patch(f"/api/v1/users/{bob}", json={"password": None}).status_code == 200
        complete = http.get(f"/api/v1/users/{bob}").json()
        assert complete["has_password"] is False and complete["username"] == "robert"


def test_the_display_name_lock_starts_at_the_first_change(fresh: Sandbox) -> None:
    bob = demo_id(fresh, "bob")
    with session(fresh, "bob", "bob_password") as http:
        assert http.patch(f"/api/v1/users/{bob}", json={"display_name": "Robert"}).status_code == 200
        same = http.patch(f"/api/v1/users/{bob}", json={"display_name": "Robert"})  # no change: not locked
        assert same.status_code == 200
        locked = http.patch(f"/api/v1/users/{bob}", json={"display_name": "Bobby"})
        assert locked.status_code == 409 and "display name changed too recently" in locked.json()["message"]
        fresh.clock.advance(30 * 86_400)
    with session(fresh, "bob", "bob_password") as http:  # the session ended after 30 days unused
        assert http.patch(f"/api/v1/users/{bob}", json={"display_name": "Bobby"}).status_code == 200
        assert listed(http, bob, "bobby") is not None


def test_a_generated_user_keeps_its_password_when_its_username_changes() -> None:
    with Sandbox(population=50) as sandbox:
        user = next(u for u in sandbox.store.ordered_users() if u.username and u.password_is_username)
        old = user.username
        assert old is not None
        with session(sandbox, old, old) as http:
            reply = http.patch(f"/api/v1/users/{user.id}", json={"username": "renamed_user"})
            assert reply.status_code == 200, reply.text
        assert login_status(sandbox, "renamed_user", old) == 200
        assert login_status(sandbox, "renamed_user", "renamed_user") == 401


def test_a_patch_is_all_or_nothing(fresh: Sandbox) -> None:
    bob = demo_id(fresh, "bob")
    fresh.clock.advance(timedelta(days=8).total_seconds())
    with session(fresh, "bob", "bob_password") as http:
        assert http.patch(f"/api/v1/users/{bob}", json={"display_name": "Robert"}).status_code == 200
        # The display name is locked now: the username in the same patch must not change either.
        reply = http.patch(f"/api/v1/users/{bob}", json={"display_name": "Bobby", "username": "bobby"})
        assert reply.status_code == 409
        assert json.loads(http.get(f"/api/v1/users/{bob}").text)["username"] == "bob"
