"""What every route shares: the sandbox's state (``app.state.sandbox``) and the caller of a request."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._auth import AuthContext, authenticate
from eternaltwin.sandbox._clock import VirtualClock
from eternaltwin.sandbox._config import ServerOptions
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._seed import DemoUser, SeededApp
from eternaltwin.sandbox._store import Store

__all__ = ["SandboxState", "caller", "sandbox_state"]


@dataclass(slots=True)
class SandboxState:
    """What the handlers share, available as ``app.state.sandbox``.

    Attributes
    ----------
    store : Store
        The in-memory data.
    clock : VirtualClock
        Server time.
    apps : list of SeededApp
        Apps registered at start-up (with plain-text secrets).
    demo_users : list of DemoUser
        Users seeded at start-up (with plain-text passwords).
    external_url : str or None
        Base URL a browser uses to reach the server; None means the bound address of the request's socket.
    options : ServerOptions
        Token lifetime, refresh tokens, habits.
    abandoned_requests : int
        How many clients went away before their request body was complete (dropped quietly).
    """

    store: Store
    clock: VirtualClock
    apps: list[SeededApp]
    demo_users: list[DemoUser]
    external_url: str | None = None
    options: ServerOptions = field(default_factory=ServerOptions)
    abandoned_requests: int = 0

    def note_abandoned(self) -> None:
        """Count a request whose client went away before its body was complete."""
        self.abandoned_requests += 1


def sandbox_state(request: Request) -> SandboxState:
    """The :class:`SandboxState` of the app that serves ``request``."""
    state: SandboxState = request.app.state.sandbox
    return state


def caller(request: Request) -> AuthContext:
    """Who sent ``request`` (spec §1.1): its ``Authorization`` header, else its session cookie, else Guest.

    Public routes (archives, clock, config) do not call it: they ignore credentials (spec §11.2).

    Raises
    ------
    ApiError
        For a bad Bearer token or bad Basic credentials (see :func:`~eternaltwin.sandbox._auth.authenticate`);
        with the 2021 habits, Koa's plain-text 500 instead (spec §1.1, §11.7).
    """
    state = sandbox_state(request)
    try:
        return authenticate(
            state.store,
            request.headers.get("authorization"),
            request.cookies.get(_choices.SESSION_COOKIE),
            state.clock.now(),
        )
    except ApiError:
        if state.options.habits == "2021":
            raise ApiError(
                _choices.INTERNAL_ERROR_STATUS, _choices.INTERNAL_ERROR_ERROR, plain=True
            ) from None
        raise
