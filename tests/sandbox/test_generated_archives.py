"""The archives ``--population N`` generates (issue 14, item 4), explored over HTTP as a client would: from
the search pages to the linked Hammerfest and Dinoparc accounts, and from each Dinoparc account's ``dinoz``
references to the dinoz route."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from eternaltwin.sandbox import Sandbox
from eternaltwin.sandbox._archive import _DINOZ_RACES, _DINOZ_SKILLS

POPULATION = 1500
# A config without the demo users and their accounts: everything served is generated.
NO_DEMO: dict[str, Any] = {"seed": {"user": {"writer": {"username": "writer", "password": "pw"}}}}
HAMMERFEST = {"hammerfest_fr": "hammerfest.fr", "hfest_net": "hfest.net", "hammerfest_es": "hammerfest.es"}
DINOPARC = {
    "dinoparc_com": "dinoparc.com",
    "en_dinoparc_com": "en.dinoparc.com",
    "sp_dinoparc_com": "sp.dinoparc.com",
}


@dataclass
class Explored:
    """What a walk over the archives found."""

    hammerfest: list[dict[str, Any]] = field(default_factory=list)
    dinoparc: list[dict[str, Any]] = field(default_factory=list)
    dinoz: list[dict[str, Any]] = field(default_factory=list)


def explore(http: httpx.Client) -> Explored:
    """Every linked Hammerfest and Dinoparc account, and every dinoz those reference, over HTTP."""
    found = Explored()
    offset = 0
    while True:
        page = http.get("/api/v1/users", params={"offset": offset, "limit": 100}).json()
        if not page["items"]:
            return found
        offset += len(page["items"])
        for user in page["items"]:
            for key, entry in user["links"].items():
                remote = entry["current"] and entry["current"]["user"]
                if not remote:
                    continue
                if key in HAMMERFEST:
                    found.hammerfest.append(
                        get(http, f"/api/v1/archive/hammerfest/{HAMMERFEST[key]}/users/{remote['id']}")
                    )
                elif key in DINOPARC:
                    account = get(http, f"/api/v1/archive/dinoparc/{DINOPARC[key]}/users/{remote['id']}")
                    found.dinoparc.append(account)
                    for ref in account["dinoz"]["latest"]["value"] if account["dinoz"] else []:
                        found.dinoz.append(
                            get(http, f"/api/v1/archive/dinoparc/{ref['server']}/dinoz/{ref['id']}")
                        )


def get(http: httpx.Client, path: str) -> dict[str, Any]:
    response = http.get(path)
    assert response.status_code == 200, (path, response.status_code)
    body: dict[str, Any] = response.json()
    return body


def latest(obj: dict[str, Any], member: str) -> Any:
    """The value of a latest-snapshot member, or None when it is null."""
    wrapper = obj[member]
    return None if wrapper is None else wrapper["latest"]["value"]


@pytest.fixture(scope="module")
def explored() -> Iterator[Explored]:
    with (
        Sandbox(config=NO_DEMO, population=POPULATION) as sandbox,
        httpx.Client(base_url=sandbox.url) as http,
    ):
        yield explore(http)


def test_linked_accounts_are_many(explored: Explored) -> None:
    assert len(explored.hammerfest) > 150 and len(explored.dinoparc) > 150
    assert len(explored.dinoz) > 1.5 * len(explored.dinoparc) * 0.9  # 1 to 3 each, some accounts bare


def test_dinoz_are_varied(explored: Explored) -> None:
    full = [d for d in explored.dinoz if d["elements"] is not None]
    races = Counter(latest(d, "race") for d in explored.dinoz)
    assert set(races) <= set(_DINOZ_RACES) and len(races) >= 15
    assert races.most_common(1)[0][1] > 3 * min(races.values())  # common and rare races
    skins = [latest(d, "skin") for d in explored.dinoz]
    assert len(set(skins)) == len(skins) and all(len(skin) == 16 for skin in skins)
    levels = [latest(d, "level") for d in explored.dinoz]
    assert min(levels) == 1 and max(levels) >= 50 and statistics.median(levels) < 15  # many low, a few high
    skills = Counter(name for d in full for name in latest(d, "skills"))
    assert set(skills) <= set(_DINOZ_SKILLS) and len(skills) >= 30
    assert all(1 <= level <= 5 for d in full for level in latest(d, "skills").values())
    assert len({tuple(latest(d, "elements").values()) for d in full}) > len(full) / 2
    # Higher dinoz know more skills and have more element points.
    ranked = sorted(full, key=lambda d: latest(d, "level"))
    low, high = ranked[: len(ranked) // 4], ranked[-len(ranked) // 4 :]
    for measure in (lambda d: len(latest(d, "skills")), lambda d: sum(latest(d, "elements").values())):
        assert statistics.mean(map(measure, high)) > 2 * statistics.mean(map(measure, low))
    assert {latest(d, "in_tournament") for d in full} == {True, False}
    assert len({latest(d, "name") for d in explored.dinoz}) >= 15


def test_some_dinoz_were_archived_from_a_glance(explored: Explored) -> None:
    glances = [d for d in explored.dinoz if d["elements"] is None]
    assert 0.05 * len(explored.dinoz) < len(glances) < 0.25 * len(explored.dinoz)
    for dinoz in glances:
        known = {name for name, value in dinoz.items() if value is not None}
        assert known == {"type", "server", "id", "archived_at", "name", "owner", "race", "skin", "level"}


def test_each_dinoz_names_its_owner(explored: Explored) -> None:
    owners = {(a["server"], a["id"]): a["username"] for a in explored.dinoparc}
    for dinoz in explored.dinoz:
        owner = latest(dinoz, "owner")
        assert owner["type"] == "DinoparcUser" and owner["server"] == dinoz["server"]
        assert owners[(owner["server"], owner["id"])] == owner["username"]
        assert int(dinoz["id"]) // 10 == int(owner["id"])


def test_some_dinoparc_accounts_are_known_by_name_only(explored: Explored) -> None:
    bare = [a for a in explored.dinoparc if a["dinoz"] is None]
    assert 0.02 * len(explored.dinoparc) < len(bare) < 0.2 * len(explored.dinoparc)
    assert all(a["coins"] is a["inventory"] is a["collection"] is None for a in bare)
    full = [a for a in explored.dinoparc if a["dinoz"] is not None]
    assert all(1 <= len(latest(a, "dinoz")) <= 3 for a in full)
    assert all(isinstance(latest(a, "coins"), int) and latest(a, "collection")["rewards"] for a in full)


def test_hammerfest_profiles_hold_quests_items_and_completed_games(explored: Explored) -> None:
    profiles = [a["profile"] for a in explored.hammerfest if a["profile"] is not None]
    states = Counter(state for p in profiles for state in p["quests"].values())
    assert set(states) == {"None", "Pending", "Complete"}
    completed = [p for p in profiles if p["game_completed"]]
    assert 0.03 * len(profiles) < len(completed) < 0.5 * len(profiles)
    assert all(p["best_level"] >= 80 for p in completed)
    assert all(p["items"] and all(isinstance(v, bool) for v in p["items"].values()) for p in profiles)
    with_items = [a["items"] for a in explored.hammerfest if a["items"] is not None]
    assert with_items and all(all(n >= 1 for n in i["items"].values()) for i in with_items)
    # Gaps, as in real archives: some accounts known by name only, some profiles without items.
    assert any(a["profile"] is None and a["items"] is None for a in explored.hammerfest)
    assert any(a["profile"] is not None and a["items"] is None for a in explored.hammerfest)


def test_the_archives_are_the_same_on_every_start(explored: Explored) -> None:
    with (
        Sandbox(config=NO_DEMO, population=POPULATION) as sandbox,
        httpx.Client(base_url=sandbox.url) as http,
    ):
        again = explore(http)
    assert again == explored


def test_demo_accounts_have_no_gaps() -> None:
    with Sandbox(population=200) as sandbox, httpx.Client(base_url=sandbox.url) as http:
        hammerfest = get(http, "/api/v1/archive/hammerfest/hammerfest.fr/users/127")
        dinoparc = get(http, "/api/v1/archive/dinoparc/en.dinoparc.com/users/58")
        assert hammerfest["profile"] is not None and hammerfest["items"] is not None
        assert all(dinoparc[m] is not None for m in ("coins", "dinoz", "inventory", "collection"))
        for ref in latest(dinoparc, "dinoz"):
            dinoz = get(http, f"/api/v1/archive/dinoparc/{ref['server']}/dinoz/{ref['id']}")
            assert all(value is not None for value in dinoz.values())


def test_announcements_of_generated_threads() -> None:
    with Sandbox(config=NO_DEMO, population=4000) as sandbox, httpx.Client(base_url=sandbox.url) as http:
        listing = get(http, "/api/v1/announcements")
        assert listing["count"] == 4000 // 2000  # one per 2,000 generated users
        sections = {s["id"]: s for s in get(http, "/api/v1/forum/sections")["items"]}
        for item in listing["items"]:
            thread = get(http, f"/api/v1/forum/threads/{item['thread']['id']}")
            assert thread["is_pinned"] and thread["posts"]["count"] >= 1
            assert sections[thread["section"]["id"]]["locale"] == item["locale"]
            assert item["created_at"] >= thread["ctime"]
