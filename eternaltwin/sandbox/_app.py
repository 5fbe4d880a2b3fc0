"""The Starlette application: the routes of ``_api`` (spec §4), ``_forum_api`` (spec §4.9, §11.5),
``_oauth`` (spec §5) and ``_pages``, assembled over an in-memory store, with the error handlers and
middleware they share."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._api import api_routes
from eternaltwin.sandbox._clock import VirtualClock
from eternaltwin.sandbox._config import ConfigLike, SandboxConfig
from eternaltwin.sandbox._forum_api import forum_routes
from eternaltwin.sandbox._http import error_response, logger
from eternaltwin.sandbox._limits import BodyLimitMiddleware
from eternaltwin.sandbox._oauth import oauth_routes
from eternaltwin.sandbox._pages import page_routes
from eternaltwin.sandbox._seed import seed_store
from eternaltwin.sandbox._state import SandboxState

__all__ = ["LatencyMiddleware", "SandboxState", "create_app"]


async def _latency_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class LatencyMiddleware:
    """Pure ASGI middleware delaying every HTTP response by a fixed time (``--latency-ms``)."""

    def __init__(self, app: ASGIApp, delay_ms: float) -> None:
        self.app = app
        self.delay = max(0.0, delay_ms) / 1000.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Sleep, then hand the request on."""
        if scope["type"] == "http" and self.delay:
            await _latency_sleep(self.delay)
        await self.app(scope, receive, send)


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = exc.headers if isinstance(exc, HTTPException) else None
    code = {404: _choices.NOT_FOUND_ERROR, 405: _choices.METHOD_NOT_ALLOWED_ERROR}.get(
        status, _choices.INTERNAL_ERROR_ERROR
    )
    return error_response(status, code, dict(headers) if headers else None)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_choices.INTERNAL_ERROR_STATUS, _choices.INTERNAL_ERROR_ERROR)


def create_app(
    config: ConfigLike = None,
    *,
    population: int = 0,
    latency_ms: float = 0.0,
    redirect_uri: str | None = None,
    external_url: str | None = None,
    clock: VirtualClock | None = None,
    token_lifetime: int | None = None,
    refresh_tokens: bool | None = None,
    habits: str | None = None,
) -> Starlette:
    """Build the sandbox ASGI application (seeded store included).

    Parameters
    ----------
    config : SandboxConfig, mapping, str, os.PathLike or None
        Seeds (see :meth:`SandboxConfig.load`); None gives the demo app and users.
    population : int
        Number of generated users (deterministic for a given number).
    latency_ms : float
        Fixed delay added to every response.
    redirect_uri : str, optional
        Replaces the OAuth callback of the first app (an absolute URL, or an origin-relative path).
    external_url : str, optional
        Base URL browsers use (e.g. behind a proxy path; may be origin-relative); used for the login
        redirect and form. Without it, the address of the socket that took the request (never the
        ``Host`` header).
    clock : VirtualClock, optional
        Server time; a fresh one by default.
    token_lifetime, refresh_tokens, habits : optional
        The :class:`ServerOptions`; each one given replaces the config's ``[sandbox]`` value. None of
        them: the behaviour of eternaltwin.org.

    Returns
    -------
    Starlette
        The app; ``app.state.sandbox`` is its :class:`SandboxState`.

    Raises
    ------
    SandboxConfigError
        For a malformed config or option (the message names it).
    """
    seeds = SandboxConfig.load(config)
    if redirect_uri is not None:
        seeds = seeds.with_callback(redirect_uri)
    options = seeds.options.overridden(
        token_lifetime=token_lifetime, refresh_tokens=refresh_tokens, habits=habits
    )
    clock = clock or VirtualClock()
    store, apps, demo_users = seed_store(seeds, population, clock.now(), options)
    state = SandboxState(
        store=store,
        clock=clock,
        apps=apps,
        demo_users=demo_users,
        external_url=external_url.rstrip("/") if external_url else None,
        options=options,
    )
    middleware = [Middleware(LatencyMiddleware, delay_ms=latency_ms)] if latency_ms > 0 else []
    middleware.append(
        Middleware(BodyLimitMiddleware, limit=_choices.MAX_BODY_BYTES, on_abandoned=state.note_abandoned)
    )
    app = Starlette(
        routes=[*page_routes(), *oauth_routes(), *api_routes(), *forum_routes()],
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception, Exception: _internal_error},
    )
    app.state.sandbox = state
    return app
