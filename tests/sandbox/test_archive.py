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
    ],
)
def test_bad_archive_paths_are_404(sandbox_http: httpx.Client, path: str) -> None:
    response = sandbox_http.get(path)
    assert response.status_code == 404 and response.json() == {"error": "NotFound"}


@pytest.mark.parametrize("bad", ["0", "abc", "0123", "1234567890123"])
def test_invalid_twinoid_id_is_422(sandbox_http: httpx.Client, bad: str) -> None:
    response = sandbox_http.get(f"/api/v1/archive/twinoid/users/{bad}")
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidDinoparcServerOrDinoparcUserId"}  # sic, as in 2021


def test_archive_with_bad_token_is_401(sandbox_server: Sandbox) -> None:
    response = httpx.get(
        f"{sandbox_server.url}/api/v1/archive/twinoid/users/38", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
