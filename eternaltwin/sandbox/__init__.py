"""A local Eternaltwin-compatible HTTP server, for tests, demos and notebooks.

Run it in-process::

    from eternaltwin.sandbox import Sandbox

    with Sandbox(population=100) as sb:
        print(sb.url, sb.connection_config())

or from a shell: ``python -m eternaltwin.sandbox --port 50320``.

By default it behaves as eternaltwin.org does as far as its source shows: access tokens valid for
1,000,000,000 s and no refresh token. What a kit needs to test beyond that is an option
(:class:`ServerOptions`: ``token_lifetime``, ``refresh_tokens``, ``habits="2021"``), given to
``Sandbox(...)``, on the command line or in a ``[sandbox]`` TOML table. Behaviours the API notes leave
open are chosen in :mod:`eternaltwin.sandbox._choices`.
This package stands apart from the client: it imports nothing else from ``eternaltwin``.
"""

from eternaltwin.sandbox._app import create_app
from eternaltwin.sandbox._clock import VirtualClock, format_instant
from eternaltwin.sandbox._config import (
    AppSeed,
    ConfigLike,
    SandboxConfig,
    SandboxConfigError,
    ServerOptions,
    UserSeed,
)
from eternaltwin.sandbox._seed import DemoUser, SeededApp
from eternaltwin.sandbox._server import Sandbox
from eternaltwin.sandbox._state import SandboxState
from eternaltwin.sandbox._store import Store

__all__ = [
    "AppSeed",
    "ConfigLike",
    "DemoUser",
    "Sandbox",
    "SandboxConfig",
    "SandboxConfigError",
    "SandboxState",
    "SeededApp",
    "ServerOptions",
    "Store",
    "UserSeed",
    "VirtualClock",
    "create_app",
    "format_instant",
]
