"""What the browser-facing routes share (OAuth and pages): where a browser reaches this server, how it is
sent on (a redirect, or a page that refreshes), HTML replies and the session cookie."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._html import continue_page
from eternaltwin.sandbox._state import sandbox_state

__all__ = ["bound_base", "external_base", "html", "navigate", "safe_next", "set_session_cookie", "with_query"]

_MAX_NEXT_CHARS = 4096

#: What ``quote`` keeps in a URL sent in a header (the set Starlette's ``RedirectResponse`` keeps).
_URL_SAFE = ":/%#?=@[]!$&'()*+,;"


def bound_base(request: Request) -> str:
    """``http://HOST:PORT`` of the socket that accepted ``request``, or ``""`` when the server has none.

    Read from the ASGI ``server`` address, never from the ``Host`` or ``X-Forwarded-*`` headers: those are
    whatever the client (or a page that makes a browser send requests here) says, and would let it point
    the login form and every redirect at another server.
    """
    server = request.scope.get("server")
    if not server or server[1] is None:  # a Unix socket: no address a browser could use
        return ""
    host, port = server
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def external_base(request: Request) -> str:
    """Where browsers reach this server: ``external_url`` (absolute, or an origin-relative path behind a
    proxy whose public origin is unknown), else the bound address."""
    state = sandbox_state(request)
    if state.external_url:
        return state.external_url
    return bound_base(request)


def html(content: str, status: int = 200) -> HTMLResponse:
    """An HTML reply that no cache keeps and no other page may frame (clickjacking, ``_choices``)."""
    return HTMLResponse(content, status_code=status, headers=dict(_choices.HTML_HEADERS))


def navigate(target: str, status: int) -> Response:
    """Send the browser to ``target``: a real redirect when it is absolute, else a page that refreshes.

    Behind jupyter-server-proxy the browser-facing URLs are ``{prefix}proxy/{port}/...``. When the hub's
    public origin is known they are absolute, and an absolute ``Location`` is left alone by every release
    of the proxy, so this answers ``status`` (302/303, as eternaltwin.org does; also off a hub, where the
    base is the bound address). When the origin is unknown (Binder) the URL is an origin-relative path,
    and no ``Location`` then works with every release: 4.4 passes it on as it is, 4.5 and later prefix
    any ``Location`` without a host with ``{prefix}proxy/{port}`` once more (upstream issue #574; 4.5 does
    it to relative paths too, 4.6 only to paths starting with ``/``), which doubles the prefix into a 404.
    The proxy only ever rewrites the ``Location`` of a 3xx answer, so the browser is sent on with a 200
    page and a ``Refresh: 0`` header instead (which every browser follows). Its body does not repeat
    ``target``, which may carry an authorization code.
    """
    location = quote(target, safe=_URL_SAFE)
    parts = urlsplit(location)
    if parts.scheme and parts.netloc:
        return RedirectResponse(location, status_code=status)
    response = html(continue_page())
    response.headers["Refresh"] = f"0; url={location}"
    return response


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """``url`` with ``params`` appended to its query (what it had is kept, in front)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def safe_next(value: str | None) -> str:
    """``value`` if it is a local path (no scheme, no host, no backslash, no control char), else ``/``."""
    if (
        not value
        or len(value) > _MAX_NEXT_CHARS
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    ):
        return "/"
    return value


def set_session_cookie(response: Response, session_id: str) -> None:
    """Log the browser in: the ``sid`` cookie (spec §4.2)."""
    response.set_cookie(
        _choices.SESSION_COOKIE,
        session_id,
        path="/",
        httponly=True,
        samesite=_choices.SESSION_COOKIE_SAMESITE,
    )
