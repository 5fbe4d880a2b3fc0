"""Archive lookups: Hammerfest, Dinoparc and Twinoid users with reverse links (spec §3.9, §3.10, §4.8)."""

from __future__ import annotations

import re

import httpx
import pytest

from eternaltwin.sandbox import Sandbox

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def demo_id(sandbox: Sandbox, username: str) -> str:
    return next(u.id for u in sandbox.demo_users if u.username == username)


def test_hammerfest_user_with_reverse_link(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/api/v1/archive/hammerfest/hammerfest.fr/users/127")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["type", "server", "id", "username", "archived_at", "profile", "items", "etwin"]
    assert body["type"] == "HammerfestUser" and body["server"] == "hammerfest.fr"
    assert body["id"] == "127" and body["username"] == "alice"
    assert TIMESTAMP.fullmatch(body["archived_at"])
    assert set(body["profile"]) == {"first_archived_at", "last_archived_at", "best_score", "best_level",
                                    "game_completed", "items", "quests"}  # fmt: skip
    assert set(body["profile"]["quests"].values()) <= {"None", "Pending", "Complete"}
    assert all(isinstance(v, int) for v in body["items"]["items"].values())
    current = body["etwin"]["current"]
    assert body["etwin"]["old"] == [] and current["unlink"] is None
    assert current["user"] == {"type": "User", "id": demo_id(sandbox_server, "alice"),
                               "display_name": {"current": {"value": "Alice"}}}  # fmt: skip


def test_archive_is_deterministic(sandbox_http: httpx.Client) -> None:
    first = sandbox_http.get("/api/v1/archive/hammerfest/hfest.net/users/201").json()
    second = sandbox_http.get("/api/v1/archive/hammerfest/hfest.net/users/201").json()
    assert first == second and first["username"] == "bobby"


def test_unlinked_archive_has_empty_etwin(sandbox_http: httpx.Client) -> None:
    body = sandbox_http.get("/api/v1/archive/hammerfest/hammerfest.es/users/42").json()
    assert body["etwin"] == {"current": None, "old": []}


def test_dinoparc_user(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    body = sandbox_http.get("/api/v1/archive/dinoparc/en.dinoparc.com/users/58").json()
    assert list(body) == ["type", "server", "id", "archived_at", "username", "coins", "dinoz", "inventory",
                          "collection", "etwin"]  # fmt: skip
    assert body["type"] == "DinoparcUser" and body["username"] == "bob"
    latest = body["coins"]["latest"]
    assert set(latest) == {"period", "retrieved", "value"} and latest["period"]["end"] is None
    assert all(
        d["type"] == "DinoparcDinoz" and d["server"] == "en.dinoparc.com"
        for d in body["dinoz"]["latest"]["value"]
    )
    assert body["etwin"]["current"]["user"]["id"] == demo_id(sandbox_server, "bob")


def test_twinoid_user(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    body = sandbox_http.get("/api/v1/archive/twinoid/users/38").json()
    assert list(body) == ["type", "id", "archived_at", "display_name", "etwin"]
    assert body["type"] == "TwinoidUser" and body["display_name"] == "Alice"
    assert body["etwin"]["current"]["user"]["id"] == demo_id(sandbox_server, "alice")


def test_population_links_point_at_existing_archives(
    sandbox_server: Sandbox, sandbox_http: httpx.Client
) -> None:
    linked = [
        u for u in sandbox_server.store.users.values() if u.links and u.username not in ("alice", "bob")
    ]
    assert linked
    user = linked[0]
    links = sandbox_http.get(f"/api/v1/users/{user.id}").json()["links"]
    for key, entry in links.items():
        if entry["current"] is None:
            continue
        remote = entry["current"]["user"]
        if remote["type"] == "TwinoidUser":
            path = f"/api/v1/archive/twinoid/users/{remote['id']}"
        else:
            game = "hammerfest" if remote["type"] == "HammerfestUser" else "dinoparc"
            path = f"/api/v1/archive/{game}/{remote['server']}/users/{remote['id']}"
        archived = sandbox_http.get(path)
        assert archived.status_code == 200, key
        assert archived.json()["etwin"]["current"]["user"]["id"] == user.id


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/api/v1/archive/hammerfest/hammerfest.fr/users/999", "HammerfestUserNotFound"),
        ("/api/v1/archive/dinoparc/dinoparc.com/users/999", "DinoparcUserNotFound"),
        ("/api/v1/archive/twinoid/users/999", "TwinoidUserNotFound"),
    ],
)
def test_unknown_archived_users_are_404(sandbox_http: httpx.Client, path: str, error: str) -> None:
    response = sandbox_http.get(path)
    assert response.status_code == 404 and response.json() == {"error": error}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/archive/hammerfest/hammerfest.com/users/127",
        "/api/v1/archive/hammerfest/hammerfest.fr/users/abc",
        "/api/v1/archive/hammerfest/hammerfest.fr/users/0",
        "/api/v1/archive/hammerfest/hammerfest.fr/users/1000000000",
        "/api/v1/archive/dinoparc/dinoparc.fr/users/58",
        "/api/v1/archive/dinoparc/en.dinoparc.com/users/-1",
        "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/x",
        "/api/v1/archive/dinoparc/dinoparc.fr/dinoz/581",
    ],
)
def test_bad_archive_paths_are_404_with_an_empty_body(sandbox_http: httpx.Client, path: str) -> None:
    response = sandbox_http.get(path)
    assert response.status_code == 404 and response.content == b""  # a router rejection (spec §11.2)


@pytest.mark.parametrize("bad", ["0", "abc", "0123", "1234567890123"])
def test_invalid_twinoid_id_is_422(sandbox_http: httpx.Client, bad: str) -> None:
    response = sandbox_http.get(f"/api/v1/archive/twinoid/users/{bad}")
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidDinoparcServerOrDinoparcUserId"}  # sic, as in 2021


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/archive/twinoid/users/38",
        "/api/v1/archive/hammerfest/hammerfest.fr/users/127",
        "/api/v1/archive/dinoparc/en.dinoparc.com/users/58",
        "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/581",
        "/api/v1/clock",
        "/api/v1/config",
        "/api/v1/",
    ],
)
@pytest.mark.parametrize(
    "authorization",
    ["Bearer nope", "Basic bm9ib2R5Om5vcGU=", "Basic !!!", "Bearer 00000000-0000-4000-8000-000000000000"],
)
def test_public_routes_ignore_credentials(sandbox_server: Sandbox, path: str, authorization: str) -> None:
    plain = httpx.get(f"{sandbox_server.url}{path}")
    with_bad_credentials = httpx.get(f"{sandbox_server.url}{path}", headers={"Authorization": authorization})
    assert plain.status_code == with_bad_credentials.status_code == 200
    if path != "/api/v1/clock":
        assert with_bad_credentials.json() == plain.json()


def test_dinoparc_shapes_and_types_are_the_real_servers(sandbox_http: httpx.Client) -> None:
    body = sandbox_http.get("/api/v1/archive/dinoparc/en.dinoparc.com/users/58").json()
    collection = body["collection"]["latest"]["value"]
    assert collection["rewards"] and all(re.fullmatch(r"[1-9][0-9]?", r) for r in collection["rewards"])
    assert [int(r) for r in collection["rewards"]] == sorted(int(r) for r in collection["rewards"])
    assert collection["epic_rewards"] and all(
        re.fullmatch(r"[a-z0-9_]{1,30}", k) for k in collection["epic_rewards"]
    )
    assert all(
        isinstance(k, str) and isinstance(v, int) for k, v in body["inventory"]["latest"]["value"].items()
    )
    for ref in body["dinoz"]["latest"]["value"]:
        assert set(ref) == {"type", "server", "id"}
        assert ref["type"] == "DinoparcDinoz" and ref["server"] == "en.dinoparc.com" and ref["id"].isdigit()


def test_every_dinoz_reference_leads_to_its_dinoz(sandbox_http: httpx.Client) -> None:
    owner = sandbox_http.get("/api/v1/archive/dinoparc/en.dinoparc.com/users/58").json()
    refs = owner["dinoz"]["latest"]["value"]
    for ref in refs:
        dinoz = sandbox_http.get(f"/api/v1/archive/dinoparc/{ref['server']}/dinoz/{ref['id']}").json()
        assert list(dinoz) == ["type", "server", "id", "archived_at", "name", "owner", "location", "race",
                               "skin", "life", "level", "experience", "danger", "in_tournament", "elements",
                               "skills"]  # fmt: skip
        assert {k: dinoz[k] for k in ("type", "server", "id")} == ref
        latest = {k: v["latest"]["value"] for k, v in dinoz.items() if isinstance(v, dict)}
        assert latest["owner"] == {
            "type": "DinoparcUser",
            "server": "en.dinoparc.com",
            "id": "58",
            "username": "bob",
        }
        assert isinstance(latest["location"], str) and 0 <= int(latest["location"]) < 23
        assert set(latest["elements"]) == {"fire", "earth", "water", "thunder", "air"}
        assert all(0 <= level <= 5 for level in latest["skills"].values())
        assert all(isinstance(latest[k], int) for k in ("life", "level", "experience", "danger"))
        assert isinstance(latest["race"], str) and isinstance(latest["skin"], str)
        assert isinstance(latest["in_tournament"], bool)
    beyond = int(refs[-1]["id"]) + 1
    missing = sandbox_http.get(f"/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/{beyond}")
    assert missing.status_code == 404 and missing.json() == {"error": "DinoparcDinozNotFound"}
