"""``client.forum``, ``client.announcements`` and ``client.server_config()``, both twins, over HTTP
against the sandbox; newer and malformed replies through ``httpx.MockTransport``."""

from __future__ import annotations

import inspect
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from eternaltwin._repr import RichRepr
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.exceptions import (
    InvalidArgumentError,
    InvalidForumIdError,
    NotFoundError,
    UnexpectedResponseError,
    ValidationError,
)
from eternaltwin.forum import (
    Announcement,
    ForumActor,
    ForumPost,
    ForumSection,
    ForumThread,
    Page,
    ServerConfig,
)
from eternaltwin.sandbox import Sandbox

from .conftest import CLASSES, close, resolve

UNKNOWN = "0000000a-0000-4000-8000-00000000000b"


# -- against the sandbox ------------------------------------------------------------------------------


async def test_sections(client: ClientABC) -> None:
    sections = await resolve(client.forum.sections())
    assert isinstance(sections, Page) and sections.count == len(sections) == 5
    assert [s.key for s in sections] == ["en_main", "fr_main", "es_main", "de_main", "eo_main"]
    assert [s.locale for s in sections] == ["en-US", "fr-FR", "es-SP", "de-DE", "eo"]
    english = sections[0]
    assert isinstance(english, ForumSection) and english.threads is None and english.thread_count >= 2
    assert english.roles == () and english.ctime.tzinfo is UTC and english.raw["type"] == "ForumSection"


async def test_section_by_key_id_or_uuid(client: ClientABC) -> None:
    by_key = await resolve(client.forum.section("en_main", limit=2))
    assert by_key.threads is not None and len(by_key.threads) == 2
    assert by_key.threads.count == by_key.thread_count and by_key.threads.next_offset == 2
    first = by_key.threads[0]
    assert isinstance(first, ForumThread) and first.key == "en_welcome" and first.is_pinned
    assert first.posts is None and first.post_count == 4 and first.section is None
    [grant] = by_key.role_grants
    assert grant.role == "Moderator" and grant.user.display_name == "Bob" and grant.granted_by is not None
    by_uuid = await resolve(client.forum.section(uuid.UUID(by_key.id), offset=1, limit=1))
    by_upper = await resolve(client.forum.section(by_key.id.upper(), offset=1, limit=1))
    assert by_uuid.id == by_upper.id == by_key.id
    assert by_uuid.threads is not None and by_uuid.threads.offset == 1
    assert by_uuid.threads[0].id == by_key.threads[1].id


async def test_thread_with_its_posts(client: ClientABC) -> None:
    thread = await resolve(client.forum.thread("en_welcome"))
    assert isinstance(thread, ForumThread) and thread.title == "Welcome to the sandbox forum"
    assert thread.section is not None and thread.section.key == "en_main"
    assert thread.posts is not None and thread.posts.count == thread.post_count == 4
    assert thread.posts.limit == 10 and thread.posts.next_offset is None
    posts = list(thread.posts)
    assert all(isinstance(post, ForumPost) for post in posts)
    assert [post.author.display_name for post in posts] == ["Alice", "Bob", "Charlie", "Alice"]
    assert [post.ctime for post in posts] == sorted(post.ctime for post in posts)
    assert posts[0].author.type == "UserForumActor" and posts[0].author.user is not None
    assert posts[0].marktwin is not None and "**sandbox**" in posts[0].marktwin
    assert posts[0].html is not None and "<strong>sandbox</strong>" in posts[0].html
    assert posts[2].is_edited and posts[2].revision_count == 2 and not posts[0].is_edited
    assert posts[3].html is not None and "&lt;script&gt;" in posts[3].html
    assert posts[0].revisions is None and posts[0].thread is None
    second = await resolve(client.forum.thread(thread.id, offset=2, limit=1))
    assert second.posts is not None and [p.id for p in second.posts] == [posts[2].id]
    assert second.posts.next_offset == 3


async def test_post_with_its_revisions_and_thread(client: ClientABC) -> None:
    thread = await resolve(client.forum.thread("en_welcome"))
    edited = thread.posts[2]
    post = await resolve(client.forum.post(edited.id))
    assert post.id == edited.id and post.revision_count == 2
    assert post.revisions is not None and len(post.revisions) == post.revisions.count == 2
    assert post.last_revision == post.revisions[-1] and post.marktwin == edited.marktwin
    assert post.revisions[0].marktwin is not None and post.revisions[0].marktwin != post.marktwin
    assert post.thread is not None and post.thread.id == thread.id and post.thread.posts is None
    assert post.thread.section is not None and post.thread.section.key == "en_main"
    assert (await resolve(client.forum.post(uuid.UUID(edited.id)))).id == edited.id


async def test_announcements(client: ClientABC) -> None:
    page = await resolve(client.announcements.list())
    assert isinstance(page, Page) and page.count == len(page) >= 2 and page.limit == 20
    assert all(isinstance(item, Announcement) for item in page)
    assert [a.created_at for a in page] == sorted((a.created_at for a in page), reverse=True)
    welcome = next(item for item in page if item.thread.key == "en_welcome")
    assert welcome.title == welcome.thread.title and welcome.locale == "en-US"
    assert welcome.thread.posts is not None and welcome.thread.posts.count == 4
    again = await resolve(client.announcements.get(welcome.id))
    assert again.id == welcome.id and again.thread.id == welcome.thread.id
    window = await resolve(client.announcements.list(offset=1, limit=1))
    assert [a.id for a in window] == [page[1].id]


async def test_server_config(client: ClientABC) -> None:
    config = await resolve(client.server_config())
    assert isinstance(config, ServerConfig)
    assert (config.forum.threads_per_page, config.forum.posts_per_page) == (20, 10)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.forum.section("no_such_section"), "SectionNotFound"),
        (lambda c: c.forum.section(UNKNOWN), "SectionNotFound"),
        (lambda c: c.forum.thread(UNKNOWN), "ThreadNotFound"),
        (lambda c: c.forum.post(UNKNOWN), "PostNotFound"),
        (lambda c: c.announcements.get(UNKNOWN), "AnnouncementNotFound"),
    ],
)
async def test_unknown_objects_are_not_found(client: ClientABC, call: Any, code: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        await resolve(call(client))
    assert caught.value.code == code and caught.value.status_code == 404


async def test_a_key_the_server_refuses_says_how_sections_are_named(client: ClientABC) -> None:
    with pytest.raises(ValidationError) as caught:
        await resolve(client.forum.section("no spaces here"))
    assert caught.value.code == "InvalidSectionIdOrKey"
    assert "its key, such as 'en_main'" in str(caught.value)


def test_both_twins_offer_the_same_methods_awaited() -> None:
    for name in ("sections", "section", "thread", "post", "threads_records", "posts_records"):
        sync = inspect.signature(getattr(SyncEternaltwin(url="http://x.test/").forum, name))
        async_ = inspect.signature(getattr(AsyncEternaltwin(url="http://x.test/").forum, name))
        assert sync.parameters == async_.parameters
        assert str(async_.return_annotation) == f"Awaitable[{sync.return_annotation}]"
    assert "Page[Announcement]" in str(
        inspect.signature(SyncEternaltwin(url="http://x.test/").announcements.list)
    )


# -- refused before any request -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda c: c.forum.section(""), InvalidForumIdError, "forum section id or key"),
        (lambda c: c.forum.section("   "), InvalidForumIdError, "or a key such as 'en_main'"),
        (lambda c: c.forum.section(None), InvalidForumIdError, "NoneType is not a forum section"),
        (lambda c: c.forum.section(42), InvalidForumIdError, "int is not"),
        (lambda c: c.forum.thread("tab\there"), InvalidForumIdError, "forum thread id or key"),
        (lambda c: c.forum.post("en_welcome"), InvalidForumIdError, "'en_welcome' is not a forum post id"),
        (lambda c: c.forum.post(12), InvalidForumIdError, "expected a UUID"),
        (lambda c: c.announcements.get("latest"), InvalidForumIdError, "announcement id"),
        (lambda c: c.forum.section("en_main", limit=-1), InvalidArgumentError, "limit must be an integer"),
        (lambda c: c.forum.section("en_main", limit=65536), InvalidArgumentError, "0 to 65535"),
        (lambda c: c.forum.thread("en_welcome", offset=True), InvalidArgumentError, "offset"),
        (lambda c: c.forum.thread("en_welcome", offset=1.0), InvalidArgumentError, "not 1.0"),
        (lambda c: c.announcements.list(limit="20"), InvalidArgumentError, "not '20'"),
        (lambda c: c.forum.posts_records("en_welcome", 0, None), InvalidArgumentError, "NoneType"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    flavour: str, call: Any, error: type[Exception], fragment: str
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    client = CLASSES[flavour](url="http://forum.test/", transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(error) as caught:
            await resolve(call(client))
        assert isinstance(caught.value, ValueError) and fragment in str(caught.value)
    finally:
        await close(client)
    assert sent == []


# -- newer and malformed replies (MockTransport) ------------------------------------------------------

SHORT_USER = {
    "type": "User",
    "id": "3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11",
    "display_name": {"current": {"value": "Mira"}},
}
T0 = "2023-04-05T06:07:08.009Z"


def _revision(author: dict[str, Any], content: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "type": "ForumPostRevision",
        "id": str(uuid.uuid4()),
        "time": T0,
        "author": author,
        "content": content,
        "moderation": None,
        "comment": None,
    }


def _post(author: dict[str, Any], content: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "type": "ForumPost",
        "id": str(uuid.uuid4()),
        "ctime": T0,
        "author": author,
        "revisions": {"count": 1, "last": _revision(author, content)},
    }


def _section(**extra: Any) -> dict[str, Any]:
    return {
        "type": "ForumSection",
        "id": str(uuid.uuid4()),
        "key": "en_main",
        "display_name": "Main",
        "ctime": T0,
        "locale": "en-US",
        "threads": {"count": 1},
        "self": {"roles": [], "can_create_thread": True, "can_moderate": False, "future": "ignored"},
        **extra,
    }


def _thread(**extra: Any) -> dict[str, Any]:
    return {
        "type": "ForumThread",
        "id": str(uuid.uuid4()),
        "key": None,
        "title": "Hello",
        "ctime": T0,
        "is_pinned": False,
        "is_locked": True,
        "posts": {"count": 3},
        **extra,
    }


def _serving(routes: dict[str, Any]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = routes.get(request.url.path)
        if body is None:
            return httpx.Response(404, json={"error": "NotFound"})
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return httpx.MockTransport(handler)


async def test_newer_members_are_read_when_present(flavour: str) -> None:
    role_actor = {"type": "RoleForumActor", "role": "Moderator"}
    app_actor = {"type": "ClientForumActor", "client": {"type": "OauthClient", "id": "c1", "key": "g@clients",
                                                          "display_name": "My Game"}}  # fmt: skip
    newer_actor = {"type": "BotForumActor", "user": SHORT_USER, "mood": "cheerful"}
    last_post = _post({"type": "UserForumActor", "user": SHORT_USER, "role": "Moderator"})
    thread = _thread(
        section=_section(),
        last_post=last_post,
        self={"can_reply": True},
        posts={
            "offset": 0,
            "limit": 10,
            "count": 3,
            "items": [_post(role_actor), _post(app_actor), _post(newer_actor)],
        },
    )
    routes = {
        "/api/v1/forum/sections": {"offset": 0, "limit": 20, "count": 7, "items": [_section()]},
        f"/api/v1/forum/threads/{thread['id']}": thread,
    }
    client = CLASSES[flavour](url="http://forum.test/", transport=_serving(routes))
    try:
        sections = await resolve(client.forum.sections())
        assert sections.count == 7 and len(sections) == 1 and sections.next_offset == 1
        assert sections[0].permissions == {"can_create_thread": True, "can_moderate": False}
        got = await resolve(client.forum.thread(thread["id"]))
    finally:
        await close(client)
    assert got.permissions == {"can_reply": True} and got.is_locked
    assert got.last_post is not None and got.last_post.author.role == "Moderator"
    assert got.last_post.author.display_name == "Mira"
    actors = [post.author for post in got.posts or ()]
    assert [actor.type for actor in actors] == ["RoleForumActor", "ClientForumActor", "BotForumActor"]
    assert actors[0].user is None and actors[0].display_name == "Moderator"
    assert actors[1].client_id == "c1" and actors[1].display_name == "My Game"
    assert actors[2].user is not None and actors[2].display_name == "Mira"
    assert got.posts is not None and got.posts[0].marktwin is None and got.posts[0].is_deleted


def test_the_2021_sections_listing_is_a_whole_page() -> None:
    page = Page.from_json({"items": [_section(), _section()]}, "forum sections", ForumSection.from_json)
    assert (page.offset, page.limit, page.count, len(page)) == (0, 2, 2, 2) and page.next_offset is None


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: t.pop("title"), "forum thread has no 'title'"),
        (lambda t: t.update(is_pinned="yes"), "'is_pinned'"),
        (lambda t: t.update(ctime="yesterday"), "ctime='yesterday'"),
        (lambda t: t.update(posts={"count": "3"}), "forum thread's posts has count=str"),
        (lambda t: t.update(posts={"count": 1, "items": [{"id": "x"}]}), "posts' items[0]"),
        (lambda t: t.update(posts={"count": 1, "items": "none"}), "no 'items' list"),
        (lambda t: t.update(section={"id": 3}), "forum thread's section"),
        (
            lambda t: t.update(last_post={**_post({"type": "UserForumActor"})}),
            "UserForumActor without a 'user'",
        ),
        (
            lambda t: t.update(last_post={**_post({"type": "RoleForumActor"})}),
            "RoleForumActor without a 'role'",
        ),
    ],
)
def test_malformed_threads_name_the_member(mutate: Any, fragment: str) -> None:
    thread = _thread()
    mutate(thread)
    with pytest.raises(UnexpectedResponseError) as caught:
        ForumThread.from_json(thread)
    assert fragment in str(caught.value)


async def test_a_malformed_reply_keeps_its_response(flavour: str) -> None:
    routes = {"/api/v1/announcements": {"offset": 0, "limit": 20, "count": 1, "items": [{"id": "a"}]}}
    client = CLASSES[flavour](url="http://forum.test/", transport=_serving(routes))
    try:
        with pytest.raises(UnexpectedResponseError) as caught:
            await resolve(client.announcements.list())
    finally:
        await close(client)
    assert "announcements' items[0]" in str(caught.value) and "created_at" in str(caught.value)
    assert caught.value.response is not None and caught.value.response.status_code == 200


def test_a_post_whose_revision_page_ends_before_the_last() -> None:
    actor = {"type": "UserForumActor", "user": SHORT_USER}
    full = _post(actor, {"marktwin": "v1", "html": "<p>v1</p>"})
    full["revisions"] = {
        "offset": 0,
        "limit": 1,
        "count": 2,
        "items": [_revision(actor, {"marktwin": "v1", "html": "x"})],
    }
    post = ForumPost.from_json(full)
    assert post.revision_count == 2 and post.revisions is not None and len(post.revisions) == 1
    assert (
        post.last_revision is None and post.marktwin is None and not post.is_deleted
    )  # unknown, not removed


def test_values_are_typed() -> None:
    actor = ForumActor.from_json({"type": "UserForumActor", "user": SHORT_USER})
    assert actor.user is not None and actor.user.identifier == SHORT_USER["id"]
    section = ForumSection.from_json(_section(locale=None, key=None))
    assert section.locale is None and section.key is None
    assert section.ctime == datetime(2023, 4, 5, 6, 7, 8, 9000, tzinfo=UTC)
    config = ServerConfig.from_json({"forum": {"threads_per_page": 5, "posts_per_page": 7}, "new": 1})
    assert config.forum.posts_per_page == 7 and config.raw["new"] == 1
    with pytest.raises(UnexpectedResponseError, match="server config's forum"):
        ServerConfig.from_json({"forum": None})


def test_a_class_without_a_card_shows_its_plain_repr() -> None:
    class Plain(RichRepr):
        __slots__ = ()

    assert Plain()._repr_mimebundle_() is None


async def test_the_forum_routes_of_a_sandbox_with_another_config(flavour: str) -> None:
    config = {"seed": {"forum_section": {"misc": {"display_name": "Misc", "locale": "eo"}}}}
    with Sandbox(config=config) as sandbox:
        client = CLASSES[flavour](url=sandbox.url)
        try:
            [section] = await resolve(client.forum.sections())
            assert (section.key, section.locale, section.thread_count) == ("misc", "eo", 0)
            empty = await resolve(client.forum.section("misc"))
            assert empty.threads is not None and len(empty.threads) == 0 and empty.threads.next_offset is None
            assert (await resolve(client.announcements.list())).count == 0
        finally:
            await close(client)
