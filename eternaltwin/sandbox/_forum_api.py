"""The forum and announcement routes (spec §4.9, §11.5, §11.6): JSON views and handlers.

Read-only: the write routes (new threads and posts, edits, role grants, new announcements) are not
served (405). Checks run in the 2021 order: the id or key, then the query, then the lookup.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._auth import AuthContext
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._forum import (
    Announcement,
    Forum,
    ForumPost,
    ForumSection,
    ForumThread,
    Revision,
    is_forum_key,
    post_revisions,
    render_marktwin,
)
from eternaltwin.sandbox._http import JsonResponse, handles_errors, query_int
from eternaltwin.sandbox._state import caller
from eternaltwin.sandbox._validation import is_lower_uuid
from eternaltwin.sandbox._views import Json, short_user

__all__ = ["forum_routes"]


def _forum(request: Request) -> Forum:
    forum: Forum = request.app.state.sandbox.store.forum
    return forum


def _window(request: Request, default_limit: int) -> tuple[int, int]:
    maximum = _choices.FORUM_MAX_QUERY_VALUE
    offset = query_int(request, "offset", 0, maximum)
    limit = query_int(request, "limit", default_limit, maximum)
    return offset, limit


def _listed(items: list[Any], offset: int, limit: int) -> list[Any]:
    return items[offset : offset + min(limit, _choices.FORUM_MAX_LISTED_ITEMS)]


# -- views ------------------------------------------------------------------------------------------


class _Viewer:
    """Who is looking, for the ``self.roles`` of sections."""

    __slots__ = ("is_administrator", "user_id")

    def __init__(self, context: AuthContext) -> None:
        user = context.user if context.kind in ("User", "AccessToken") else None
        self.user_id = user.id if user is not None else None
        self.is_administrator = user is not None and user.is_administrator

    def roles(self, section: ForumSection) -> list[str]:
        if self.is_administrator:
            return ["Administrator"]
        return [grant.role for grant in section.grants if grant.user.id == self.user_id]


def _section_meta(section: ForumSection, viewer: _Viewer) -> Json:
    return {
        "type": "ForumSection",
        "id": section.id,
        "key": section.key,
        "display_name": section.display_name,
        "ctime": format_instant(section.ctime),
        "locale": section.locale,
        "threads": {"count": len(section.threads)},
        "self": {"roles": viewer.roles(section)},
    }


def _section(section: ForumSection, offset: int, limit: int, viewer: _Viewer) -> Json:
    return {
        "type": "ForumSection",
        "id": section.id,
        "key": section.key,
        "display_name": section.display_name,
        "ctime": format_instant(section.ctime),
        "locale": section.locale,
        "threads": {
            "offset": offset,
            "limit": limit,
            "count": len(section.threads),
            "items": [_thread_meta(thread) for thread in _listed(section.threads, offset, limit)],
        },
        "role_grants": [
            {
                "role": grant.role,
                "user": short_user(grant.user),
                "start_time": format_instant(grant.start_time),
                "granted_by": short_user(grant.granted_by),
            }
            for grant in section.grants
        ],
        "self": {"roles": viewer.roles(section)},
    }


def _thread_meta(thread: ForumThread) -> Json:
    return {
        "type": "ForumThread",
        "id": thread.id,
        "key": thread.key,
        "title": thread.title,
        "ctime": format_instant(thread.ctime),
        "is_pinned": thread.is_pinned,
        "is_locked": thread.is_locked,
        "posts": {"count": len(thread.posts)},
    }


def _thread(thread: ForumThread, offset: int, limit: int, viewer: _Viewer) -> Json:
    return {
        "type": "ForumThread",
        "id": thread.id,
        "key": thread.key,
        "title": thread.title,
        "ctime": format_instant(thread.ctime),
        "section": _section_meta(thread.section, viewer),
        "posts": {
            "offset": offset,
            "limit": limit,
            "count": len(thread.posts),
            "items": [_short_post(post) for post in _listed(thread.posts, offset, limit)],
        },
        "is_pinned": thread.is_pinned,
        "is_locked": thread.is_locked,
    }


def _author(post: ForumPost) -> Json:
    return {"type": "UserForumActor", "user": short_user(post.author)}


def _content(marktwin: str | None) -> Json | None:
    return None if marktwin is None else {"marktwin": marktwin, "html": render_marktwin(marktwin)}


def _revision(revision: Revision, post: ForumPost) -> Json:
    role = revision.by_role
    author = _author(post) if role is None else {"type": "RoleForumActor", "role": role}
    return {
        "type": "ForumPostRevision",
        "id": revision.id,
        "time": format_instant(revision.time),
        "author": author,
        "content": _content(revision.marktwin),
        "moderation": _content(revision.moderation),
        "comment": revision.comment,
    }


def _short_post(post: ForumPost) -> Json:
    last = post_revisions(post)[-1]
    return {
        "type": "ForumPost",
        "id": post.id,
        "ctime": format_instant(post.ctime),
        "author": _author(post),
        "revisions": {"count": post.revisions, "last": _revision(last, post)},
    }


def _post(post: ForumPost, viewer: _Viewer) -> Json:
    revisions = post_revisions(post)
    limit = _choices.FORUM_POST_REVISIONS_LIMIT
    thread = post.thread
    return {
        "type": "ForumPost",
        "id": post.id,
        "ctime": format_instant(post.ctime),
        "author": _author(post),
        "revisions": {
            "offset": 0,
            "limit": limit,
            "count": len(revisions),
            "items": [_revision(revision, post) for revision in revisions[:limit]],
        },
        "thread": {**_thread_meta(thread), "section": _section_meta(thread.section, viewer)},
    }


def _announcement(announcement: Announcement, viewer: _Viewer) -> Json:
    return {
        "type": "Announcement",
        "id": announcement.id,
        "created_at": format_instant(announcement.created_at),
        "thread": _thread(announcement.thread, 0, _choices.FORUM_POSTS_PER_PAGE, viewer),
        "locale": announcement.locale,
    }


# -- handlers ---------------------------------------------------------------------------------------


@handles_errors
async def sections(request: Request) -> Response:
    """GET /api/v1/forum/sections (spec §11.5)."""
    viewer = _Viewer(caller(request))
    forum = _forum(request)
    items = [_section_meta(section, viewer) for section in forum.sections]
    if _choices.FORUM_SECTIONS_PAGED:
        return JsonResponse({"offset": 0, "limit": len(items), "count": len(items), "items": items})
    return JsonResponse({"items": items})


@handles_errors
async def section(request: Request) -> Response:
    """GET /api/v1/forum/sections/{id or key}?offset&limit (spec §11.5)."""
    viewer = _Viewer(caller(request))
    reference = request.path_params["section"]
    if not (is_lower_uuid(reference) or is_forum_key(reference)):
        raise ApiError(422, "InvalidSectionIdOrKey")
    offset, limit = _window(request, _choices.FORUM_THREADS_PER_PAGE)
    found = _forum(request).section(reference)
    if found is None:
        raise ApiError(404, "SectionNotFound")
    return JsonResponse(_section(found, offset, limit, viewer))


@handles_errors
async def thread(request: Request) -> Response:
    """GET /api/v1/forum/threads/{id or key}?offset&limit (spec §11.5)."""
    viewer = _Viewer(caller(request))
    reference = request.path_params["thread"]
    if not (is_lower_uuid(reference) or is_forum_key(reference)):
        raise ApiError(422, "InvalidThreadIdOrKey")
    offset, limit = _window(request, _choices.FORUM_POSTS_PER_PAGE)
    found = _forum(request).thread(reference)
    if found is None:
        raise ApiError(404, "ThreadNotFound")
    return JsonResponse(_thread(found, offset, limit, viewer))


@handles_errors
async def post(request: Request) -> Response:
    """GET /api/v1/forum/posts/{id} (spec §11.5)."""
    viewer = _Viewer(caller(request))
    post_id = request.path_params["post_id"]
    if not is_lower_uuid(post_id):
        raise ApiError(422, "InvalidPostId")
    found = _forum(request).posts.get(post_id)
    if found is None:
        raise ApiError(404, "PostNotFound")
    return JsonResponse(_post(found, viewer))


@handles_errors
async def announcements(request: Request) -> Response:
    """GET /api/v1/announcements?offset&limit (spec §11.6; default limit 20)."""
    offset, limit = _window(request, 20)
    viewer = _Viewer(caller(request))
    listed = _forum(request).announcements
    return JsonResponse(
        {
            "offset": offset,
            "limit": limit,
            "count": len(listed),
            "items": [_announcement(item, viewer) for item in _listed(listed, offset, limit)],
        }
    )


@handles_errors
async def announcement(request: Request) -> Response:
    """GET /api/v1/announcements/{id} (spec §11.6)."""
    viewer = _Viewer(caller(request))
    found = _forum(request).announcement(request.path_params["announcement_id"])
    if found is None:
        raise ApiError(404, "AnnouncementNotFound")
    return JsonResponse(_announcement(found, viewer))


def forum_routes(api: str = "/api/v1") -> list[Route]:
    """The routes to register under ``api``."""
    return [
        Route(f"{api}/forum/sections", sections, methods=["GET"]),
        Route(f"{api}/forum/sections/{{section}}", section, methods=["GET"]),
        Route(f"{api}/forum/threads/{{thread}}", thread, methods=["GET"]),
        Route(f"{api}/forum/posts/{{post_id}}", post, methods=["GET"]),
        Route(f"{api}/announcements", announcements, methods=["GET"]),
        Route(f"{api}/announcements/{{announcement_id}}", announcement, methods=["GET"]),
    ]
