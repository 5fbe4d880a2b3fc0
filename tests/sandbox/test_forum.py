"""The forum and announcement routes (spec §4.9, §11.5, §11.6): shapes, paging, orders, errors, seeds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eternaltwin.sandbox import Sandbox, SandboxConfig, SandboxConfigError

from .helpers import TWO_APPS_TOML, login

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SECTION_META = {"type", "id", "key", "display_name", "ctime", "locale", "threads", "self"}
SECTION = {"type", "id", "key", "display_name", "ctime", "locale", "threads", "role_grants", "self"}
THREAD_META = {"type", "id", "key", "title", "ctime", "is_pinned", "is_locked", "posts"}
THREAD = {"type", "id", "key", "title", "ctime", "section", "posts", "is_pinned", "is_locked"}
SHORT_POST = {"type", "id", "ctime", "author", "revisions"}
REVISION = {"type", "id", "time", "author", "content", "moderation", "comment"}
ANNOUNCEMENT = {"type", "id", "created_at", "thread", "locale"}
UNKNOWN_UUID = "0000000a-0000-4000-8000-00000000000b"
# A config without the demo users: every generated thread and post is then the same on every start.
NO_DEMO: dict[str, Any] = {"seed": {"user": {"writer": {"username": "writer", "password": "pw"}}}}


@pytest.fixture(scope="module")
def big() -> Iterator[httpx.Client]:
    """A demo sandbox of 4,000 generated users (400 threads), read only."""
    with Sandbox(population=4000) as sandbox, httpx.Client(base_url=sandbox.url) as client:
        yield client


def every_thread(http: httpx.Client, section: str) -> list[dict[str, Any]]:
    """Every thread meta of a section, paged by 100."""
    threads: list[dict[str, Any]] = []
    while True:
        page = http.get(f"/api/v1/forum/sections/{section}", params={"offset": len(threads), "limit": 100})
        listing = page.json()["threads"]
        threads += listing["items"]
        if not listing["items"] or len(threads) >= listing["count"]:
            return threads


def every_post(http: httpx.Client, thread: str) -> list[dict[str, Any]]:
    """Every post of a thread, paged by 100."""
    posts: list[dict[str, Any]] = []
    while True:
        listing = http.get(f"/api/v1/forum/threads/{thread}", params={"offset": len(posts), "limit": 100})
        page = listing.json()["posts"]
        posts += page["items"]
        if not page["items"] or len(posts) >= page["count"]:
            return posts


# -- sections -----------------------------------------------------------------------------------------


def test_sections_listing(sandbox_http: httpx.Client) -> None:
    reply = sandbox_http.get("/api/v1/forum/sections").json()
    assert set(reply) == {"items"}  # the 2021 shape (_choices.FORUM_SECTIONS_PAGED)
    sections = reply["items"]
    assert [(s["key"], s["locale"]) for s in sections] == [
        ("en_main", "en-US"),
        ("fr_main", "fr-FR"),
        ("es_main", "es-SP"),
        ("de_main", "de-DE"),
        ("eo_main", "eo"),
    ]
    for section in sections:
        assert set(section) == SECTION_META and section["type"] == "ForumSection"
        assert set(section["threads"]) == {"count"} and section["self"] == {"roles": []}
        assert TIMESTAMP.fullmatch(section["ctime"])
    assert [s["ctime"] for s in sections] == sorted(s["ctime"] for s in sections)  # 2021: by ctime
    full = sandbox_http.get(f"/api/v1/forum/sections/{sections[0]['id']}").json()
    assert full["threads"]["count"] == sections[0]["threads"]["count"] >= 2


def test_section_by_key_or_id_with_its_first_page(sandbox_http: httpx.Client) -> None:
    by_key = sandbox_http.get("/api/v1/forum/sections/en_main").json()
    assert set(by_key) == SECTION
    by_id = sandbox_http.get(f"/api/v1/forum/sections/{by_key['id']}").json()
    assert by_id == by_key
    threads = by_key["threads"]
    assert (threads["offset"], threads["limit"]) == (0, 20)  # threads_per_page of /api/v1/config
    assert len(threads["items"]) == min(20, threads["count"])
    for thread in threads["items"]:
        assert set(thread) == THREAD_META and thread["type"] == "ForumThread"
        assert set(thread["posts"]) == {"count"} and thread["posts"]["count"] >= 1
    assert threads["items"][0]["key"] == "en_welcome" and threads["items"][0]["is_pinned"] is True
    [grant] = by_key["role_grants"]
    assert grant["role"] == "Moderator" and grant["user"]["display_name"]["current"]["value"] == "Bob"
    assert grant["granted_by"]["display_name"]["current"]["value"] == "Alice"


def test_threads_are_listed_by_last_post_newest_first(sandbox_http: httpx.Client) -> None:
    last_posts = []
    for thread in every_thread(sandbox_http, "en_main"):
        posts = every_post(sandbox_http, thread["id"])
        assert [p["ctime"] for p in posts] == sorted(p["ctime"] for p in posts)  # oldest first
        assert posts[0]["ctime"] == thread["ctime"]
        last_posts.append(posts[-1]["ctime"])
    assert len(last_posts) >= 3
    assert last_posts == sorted(last_posts, reverse=True)


def test_section_window_and_cap(big: httpx.Client) -> None:
    threads = every_thread(big, "fr_main")
    assert len(threads) > 100 and len({t["id"] for t in threads}) == len(threads)
    window = big.get("/api/v1/forum/sections/fr_main", params={"offset": 7, "limit": 5}).json()["threads"]
    assert (window["offset"], window["limit"], window["count"]) == (7, 5, len(threads))
    assert window["items"] == threads[7:12]
    # A listing declares at most 100 items: more is served as 100, the limit echoed as asked.
    capped = big.get("/api/v1/forum/sections/fr_main", params={"limit": 65535}).json()["threads"]
    assert capped["limit"] == 65535 and capped["items"] == threads[:100]
    empty = big.get("/api/v1/forum/sections/fr_main", params={"limit": 0}).json()["threads"]
    assert empty["items"] == [] and empty["count"] == len(threads)
    past = big.get("/api/v1/forum/sections/fr_main", params={"offset": 65535}).json()["threads"]
    assert past["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"offset": "-1"},
        {"limit": "65536"},
        {"limit": "ten"},
        {"offset": ""},
        {"limit": "+3"},
        {"limit": "1.5"},
    ],
)
def test_bad_windows_are_422(sandbox_http: httpx.Client, query: dict[str, str]) -> None:
    for path in (
        "/api/v1/forum/sections/en_main",
        "/api/v1/forum/threads/en_welcome",
        "/api/v1/announcements",
    ):
        response = sandbox_http.get(path, params=query)
        assert response.status_code == 422 and response.json()["error"] == "InvalidQueryParameters", path
        assert response.json()["message"].startswith(
            f"{next(iter(query))} must be a whole number from 0 to 65535"
        )


def test_a_repeated_window_parameter_is_422(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/api/v1/forum/sections/en_main?limit=1&limit=2")
    assert response.status_code == 422
    assert response.json() == {
        "error": "InvalidQueryParameters",
        "message": "limit may be given at most once",
    }


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/forum/sections/bad%20key", 422, "InvalidSectionIdOrKey"),
        ("/api/v1/forum/sections/cl%C3%A9", 422, "InvalidSectionIdOrKey"),
        ("/api/v1/forum/sections/" + "k" * 65, 422, "InvalidSectionIdOrKey"),
        ("/api/v1/forum/sections/no_such_section", 404, "SectionNotFound"),
        (f"/api/v1/forum/sections/{UNKNOWN_UUID}", 404, "SectionNotFound"),
        ("/api/v1/forum/threads/bad%21", 422, "InvalidThreadIdOrKey"),
        ("/api/v1/forum/threads/no_such_thread", 404, "ThreadNotFound"),
        (f"/api/v1/forum/threads/{UNKNOWN_UUID}", 404, "ThreadNotFound"),
        ("/api/v1/forum/posts/en_welcome", 422, "InvalidPostId"),
        (f"/api/v1/forum/posts/{UNKNOWN_UUID.upper()}", 422, "InvalidPostId"),
        (f"/api/v1/forum/posts/{UNKNOWN_UUID}", 404, "PostNotFound"),
        (f"/api/v1/announcements/{UNKNOWN_UUID}", 404, "AnnouncementNotFound"),
        ("/api/v1/announcements/not-an-id", 404, "AnnouncementNotFound"),
    ],
)
def test_errors(sandbox_http: httpx.Client, path: str, status: int, code: str) -> None:
    response = sandbox_http.get(path)
    assert response.status_code == status and response.json() == {"error": code}


def test_the_id_is_checked_before_the_query(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/api/v1/forum/sections/bad%20key", params={"limit": "-1"})
    assert response.json() == {"error": "InvalidSectionIdOrKey"}
    response = sandbox_http.get("/api/v1/forum/sections/no_such_section", params={"limit": "-1"})
    assert response.json()["error"] == "InvalidQueryParameters"


def test_write_routes_are_not_served(sandbox_http: httpx.Client) -> None:
    for method, path in (
        ("POST", "/api/v1/forum/sections/en_main"),
        ("POST", "/api/v1/forum/threads/en_welcome"),
        ("PATCH", f"/api/v1/forum/posts/{UNKNOWN_UUID}"),
        ("POST", "/api/v1/announcements"),
    ):
        response = sandbox_http.request(method, path, json={})
        assert response.status_code == 405 and response.json() == {"error": "MethodNotAllowed"}


# -- threads and posts --------------------------------------------------------------------------------


def test_thread_by_key_with_its_posts(sandbox_http: httpx.Client) -> None:
    thread = sandbox_http.get("/api/v1/forum/threads/en_welcome").json()
    assert set(thread) == THREAD and thread["type"] == "ForumThread"
    assert set(thread["section"]) == SECTION_META and thread["section"]["key"] == "en_main"
    assert sandbox_http.get(f"/api/v1/forum/threads/{thread['id']}").json() == thread
    posts = thread["posts"]
    assert (posts["offset"], posts["limit"], posts["count"]) == (0, 10, 4)  # posts_per_page
    authors = [p["author"]["user"]["display_name"]["current"]["value"] for p in posts["items"]]
    assert authors == ["Alice", "Bob", "Charlie", "Alice"]
    for post in posts["items"]:
        assert set(post) == SHORT_POST and post["author"]["type"] == "UserForumActor"
        assert set(post["revisions"]) == {"count", "last"}
        assert set(post["revisions"]["last"]) == REVISION
    edited = posts["items"][2]["revisions"]
    assert edited["count"] == 2 and edited["last"]["content"]["marktwin"].endswith("Edit: fixed a typo.")
    content = posts["items"][3]["revisions"]["last"]["content"]
    assert "<script>" in content["marktwin"]
    assert "<script>" not in content["html"] and "&lt;script&gt;" in content["html"]
    bold = posts["items"][0]["revisions"]["last"]["content"]["html"]
    assert bold.startswith("<p>") and "<strong>sandbox</strong>" in bold


def test_post_with_its_revisions_and_thread(sandbox_http: httpx.Client) -> None:
    thread = sandbox_http.get("/api/v1/forum/threads/en_welcome").json()
    short = thread["posts"]["items"][2]
    post = sandbox_http.get(f"/api/v1/forum/posts/{short['id']}").json()
    assert set(post) == {"type", "id", "ctime", "author", "revisions", "thread"}
    revisions = post["revisions"]
    assert (revisions["offset"], revisions["count"]) == (0, 2) and len(revisions["items"]) == 2
    assert revisions["items"][-1] == short["revisions"]["last"]
    assert revisions["items"][0]["time"] < revisions["items"][1]["time"]
    assert set(post["thread"]) == THREAD_META | {"section"} and post["thread"]["id"] == thread["id"]
    assert post["thread"]["section"]["key"] == "en_main"


def test_generated_content_is_varied(big: httpx.Client) -> None:
    threads = [
        t for s in ("en_main", "fr_main", "es_main", "de_main", "eo_main") for t in every_thread(big, s)
    ]
    assert len(threads) == 400 + 5  # population // 10, and the demo threads
    assert any(t["is_pinned"] for t in threads) and any(t["is_locked"] for t in threads)
    assert len({t["ctime"][:4] for t in threads}) >= 10  # spread over the years
    assert max(t["posts"]["count"] for t in threads) > 100  # several pages
    posts = [p for t in threads for p in every_post(big, t["id"])]
    assert len(posts) == sum(t["posts"]["count"] for t in threads)
    last = [p["revisions"]["last"] for p in posts]
    assert any(p["revisions"]["count"] > 1 for p in posts)
    deleted = [r for r in last if r["content"] is None]
    moderated = [r for r in last if r["moderation"] is not None]
    assert deleted and all(r["comment"] for r in deleted)
    assert moderated and all(
        r["author"] == {"type": "RoleForumActor", "role": "Moderator"} for r in moderated
    )
    authors = {p["author"]["user"]["id"] for p in posts}
    assert 50 < len(authors) < 4003  # many posters, a few of them very active


def test_generated_forum_is_deterministic() -> None:
    seen = []
    for _ in range(2):
        with Sandbox(config=NO_DEMO, population=300) as sandbox, httpx.Client(base_url=sandbox.url) as http:
            sections = http.get("/api/v1/forum/sections").json()["items"]
            threads = [t for s in sections for t in every_thread(http, s["id"])]
            posts = [every_post(http, t["id"]) for t in threads[:10]]
            seen.append((sections, threads, posts, http.get("/api/v1/announcements").json()))
    assert len(seen[0][1]) == 30
    assert seen[0] == seen[1]


# -- announcements ------------------------------------------------------------------------------------


def test_announcements(sandbox_http: httpx.Client) -> None:
    listing = sandbox_http.get("/api/v1/announcements").json()
    assert (listing["offset"], listing["limit"]) == (0, 20) and listing["count"] == len(listing["items"]) >= 2
    items = listing["items"]
    assert [a["created_at"] for a in items] == sorted((a["created_at"] for a in items), reverse=True)
    for item in items:
        assert set(item) == ANNOUNCEMENT and item["type"] == "Announcement"
        assert set(item["thread"]) == THREAD and item["thread"]["posts"]["limit"] == 10
        assert item["locale"] == item["thread"]["section"]["locale"]
        assert sandbox_http.get(f"/api/v1/announcements/{item['id']}").json() == item
    assert {"en_welcome", "fr_welcome"} <= {item["thread"]["key"] for item in items}
    window = sandbox_http.get("/api/v1/announcements", params={"offset": 1, "limit": 1}).json()
    assert window["items"] == items[1:2]


# -- who asks -----------------------------------------------------------------------------------------


def _roles(http: httpx.Client) -> dict[str, list[str]]:
    return {s["key"]: s["self"]["roles"] for s in http.get("/api/v1/forum/sections").json()["items"]}


def test_self_roles_follow_the_caller(sandbox_server: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_server.url) as guest:
        assert set(map(tuple, _roles(guest).values())) == {()}
    with httpx.Client(base_url=sandbox_server.url) as alice:
        assert login(alice, "alice", "alice_password").status_code == 200
        assert set(map(tuple, _roles(alice).values())) == {("Administrator",)}
    with httpx.Client(base_url=sandbox_server.url) as bob:
        assert login(bob, "bob", "bob_password").status_code == 200
        roles = _roles(bob)
        assert roles.pop("en_main") == ["Moderator"] and set(map(tuple, roles.values())) == {()}
        thread = bob.get("/api/v1/forum/threads/en_welcome").json()
        assert thread["section"]["self"]["roles"] == ["Moderator"]


def test_a_bad_token_is_refused_on_forum_routes(sandbox_http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {uuid.uuid4()}"}
    for path in ("/api/v1/forum/sections", "/api/v1/forum/threads/en_welcome", "/api/v1/announcements"):
        assert sandbox_http.get(path, headers=headers).status_code == 401


# -- seeds --------------------------------------------------------------------------------------------


def test_sections_from_the_config(sandbox_two_apps: Sandbox) -> None:
    sections = httpx.get(f"{sandbox_two_apps.url}/api/v1/forum/sections").json()["items"]
    assert [(s["key"], s["display_name"], s["locale"]) for s in sections] == [("main_en", "Main", "en-US")]
    assert sections[0]["threads"]["count"] == 0  # no demo users, no population: an empty forum
    assert httpx.get(f"{sandbox_two_apps.url}/api/v1/announcements").json()["count"] == 0


def test_a_section_without_locale() -> None:
    config = SandboxConfig.from_mapping({"seed": {"forum_section": {"misc": {"display_name": "Misc"}}}})
    assert [(s.key, s.locale) for s in config.forum_sections] == [("misc", None)]
    with Sandbox(config=config, population=100) as sandbox:
        [section] = httpx.get(f"{sandbox.url}/api/v1/forum/sections").json()["items"]
        assert section["locale"] is None and section["threads"]["count"] == 10


@pytest.mark.parametrize(
    ("table", "fragments"),
    [
        ({"bad key": {"display_name": "Main"}}, ["[seed.forum_section.bad key]", "key"]),
        ({"main": {}}, ["[seed.forum_section.main]", "'display_name'"]),
        ({"main": {"display_name": "M"}}, ["[seed.forum_section.main]", "'display_name'"]),
        (
            {"main": {"display_name": "Main", "locale": "fr"}},
            ["[seed.forum_section.main]", "'locale'", "fr-FR"],
        ),
        ({"main": {"display_name": "Main", "lang": "fr-FR"}}, ["[seed.forum_section.main]", "'lang'"]),
    ],
)
def test_malformed_forum_sections(table: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(SandboxConfigError) as caught:
        SandboxConfig.from_mapping({"seed": {"forum_section": table}})
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_the_config_keeps_its_sections_with_another_callback() -> None:
    config = SandboxConfig.from_mapping(TWO_APPS_TOML).with_callback("http://localhost:9/cb")
    assert [s.key for s in config.forum_sections] == ["main_en"]
