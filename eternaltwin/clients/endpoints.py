"""Paths of the Eternaltwin API endpoints the clients use.

Each path begins with a slash and is joined onto a connection's ``url`` with :func:`urllib.parse.urljoin`
semantics, so a url of ``https://eternaltwin.org/api/v1/`` still reaches
``https://eternaltwin.org/api/v1/users``. Placeholders in braces are filled with ``str.format``.
"""

from __future__ import annotations

__all__ = [
    "ANNOUNCEMENT",
    "ANNOUNCEMENTS",
    "AUTHORIZATION",
    "CLOCK",
    "CONFIG",
    "DINOPARC_DINOZ",
    "DINOPARC_USER",
    "FORUM_POST",
    "FORUM_SECTION",
    "FORUM_SECTIONS",
    "FORUM_THREAD",
    "HAMMERFEST_USER",
    "SELF",
    "TOKEN",
    "TWINOID_USER",
    "USER",
    "USERS",
]

#: OAuth authorization page (the browser goes there).
AUTHORIZATION = "/oauth/authorize"
#: OAuth token endpoint (the authorization code grant; the refresh grant where a server has one, which
#: eternaltwin.org does not).
TOKEN = "/oauth/token"
#: The caller's authentication context.
SELF = "/api/v1/auth/self"
#: One user, by id.
USER = "/api/v1/users/{user_id}"
#: User search (``q``, ``limit``, ``offset``).
USERS = "/api/v1/users"
#: The server's clock.
CLOCK = "/api/v1/clock"
#: An archived Hammerfest account.
HAMMERFEST_USER = "/api/v1/archive/hammerfest/{server}/users/{user_id}"
#: An archived Dinoparc account.
DINOPARC_USER = "/api/v1/archive/dinoparc/{server}/users/{user_id}"
#: An archived Dinoparc dinoz.
DINOPARC_DINOZ = "/api/v1/archive/dinoparc/{server}/dinoz/{dinoz_id}"
#: An archived Twinoid account.
TWINOID_USER = "/api/v1/archive/twinoid/users/{user_id}"
#: The server's public configuration (forum paging defaults).
CONFIG = "/api/v1/config"
#: Every forum section.
FORUM_SECTIONS = "/api/v1/forum/sections"
#: One forum section by id or key, with a page of its threads (``offset``, ``limit``).
FORUM_SECTION = "/api/v1/forum/sections/{section}"
#: One forum thread by id or key, with a page of its posts (``offset``, ``limit``).
FORUM_THREAD = "/api/v1/forum/threads/{thread}"
#: One forum post by id, with its revisions and thread.
FORUM_POST = "/api/v1/forum/posts/{post_id}"
#: A page of announcements, most recent first (``offset``, ``limit``).
ANNOUNCEMENTS = "/api/v1/announcements"
#: One announcement by id.
ANNOUNCEMENT = "/api/v1/announcements/{announcement_id}"
