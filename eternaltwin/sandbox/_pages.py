"""The pages a browser sees (spec §1: ``/login``, the target of the OAuth redirect for guests, and a home
page); their HTML is in ``_html``."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._auth import GUEST, find_login
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._html import home_page, login_page
from eternaltwin.sandbox._http import handles_errors
from eternaltwin.sandbox._state import caller, sandbox_state
from eternaltwin.sandbox._web import external_base, html, navigate, safe_next, set_session_cookie

__all__ = ["page_routes"]


@handles_errors
async def login(request: Request) -> Response:
    """GET /login shows the form; POST /login checks it, sets ``sid`` and continues to ``next``."""
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
    password = form.get("password", "")
    user = find_login(state.store, username)
    if user is None or user.deleted_at is not None or not user.check_password(password.encode("utf-8")):
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
