"""The pages a browser sees (spec §1: ``/login``, the target of the OAuth redirect for guests, and a home
page); their HTML is in ``_html``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._auth import GUEST, check_login
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._html import home_page, login_page
from eternaltwin.sandbox._http import handles_errors
from eternaltwin.sandbox._state import caller, sandbox_state
from eternaltwin.sandbox._web import external_base, html, navigate, safe_next, set_session_cookie

__all__ = ["page_routes"]


def _from_another_site(request: Request) -> bool:
    """Whether a browser says that this form post comes from a page of another site (login CSRF).

    ``Sec-Fetch-Site`` is what every current browser sends; only ``same-origin`` (the form of this page)
    and ``none`` (typed or bookmarked) pass. A browser without it sends ``Origin``, which must then name
    where the request went (its ``Host``, the ``X-Forwarded-Host`` a proxy sets, or the external URL's
    origin): a page of another site can set none of these. A request with neither header is not from a
    browser, and no page can make a browser send it.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in _choices.LOGIN_ALLOWED_FETCH_SITES
    origin = request.headers.get("origin")
    if origin is None:
        return False
    try:
        netloc = urlsplit(origin.strip()).netloc.lower()
    except ValueError:
        return True
    ours = {
        request.headers.get("host", "").lower(),
        request.headers.get("x-forwarded-host", "").lower(),
        urlsplit(external_base(request)).netloc.lower(),
    }
    return not netloc or netloc not in ours


@handles_errors
async def login(request: Request) -> Response:
    """GET /login shows the form; POST /login checks it, sets ``sid`` and continues to ``next``.

    A post that a browser says comes from another site is refused (403, the form again, no session).
    """
    state = sandbox_state(request)
    action = f"{external_base(request)}/login"
    if request.method == "GET":
        return html(login_page(action, safe_next(request.query_params.get("next"))))
    body = await request.body()
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        form = {}
    next_path = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    if _from_another_site(request):
        page = login_page(action, next_path, error=_choices.LOGIN_CROSS_SITE_MESSAGE)
        return html(page, status=_choices.LOGIN_CROSS_SITE_STATUS)
    password = form.get("password", "")
    user = check_login(state.store, username, password.encode("utf-8"))
    if user is None:
        page = login_page(action, next_path, username=username, error="Wrong username or password.")
        return html(page, status=_choices.INVALID_CREDENTIALS_STATUS)
    session = state.store.create_session(user, state.clock.now())
    response = navigate(f"{external_base(request)}{next_path}", _choices.LOGIN_CONTINUE_STATUS)
    set_session_cookie(response, session.id)
    return response


@handles_errors
async def home(request: Request) -> Response:
    """GET /: a small landing page."""
    try:
        context = caller(request)
    except ApiError:
        context = GUEST
    name = context.user.display_name if context.user is not None else None
    return html(home_page(f"{external_base(request)}/api/v1/", name))


def page_routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/", home, methods=["GET"]),
        Route("/login", login, methods=["GET", "POST"]),
    ]
