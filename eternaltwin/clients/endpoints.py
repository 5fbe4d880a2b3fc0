"""Paths of the Eternaltwin API endpoints the clients use.

Each path begins with a slash and is joined onto a connection's ``url`` with :func:`urllib.parse.urljoin`
semantics, so a url of ``https://eternaltwin.org/api/v1/`` still reaches
``https://eternaltwin.org/api/v1/users``. Placeholders in braces are filled with ``str.format``.
"""

from __future__ import annotations

__all__ = [
    "AUTHORIZATION",
    "CLOCK",
    "DINOPARC_DINOZ",
    "DINOPARC_USER",
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
