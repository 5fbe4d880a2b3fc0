"""Explore the Eternaltwin API from Python and Jupyter.

The names below are loaded on first use, so ``import eternaltwin`` stays light (the standard library,
httpx and pyjwt at most; never IPython, ipywidgets or pandas).

Examples
--------
>>> import eternaltwin
>>> eternaltwin.configure(default={"url": "https://eternaltwin.org/"})
>>> eternaltwin.User.count()                # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

from eternaltwin._version import __version__

if TYPE_CHECKING:
    from eternaltwin.archive import DinoparcDinoz, DinoparcDinozRef, DinoparcUser, HammerfestUser, TwinoidUser
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
    from eternaltwin.clients.sync.clients import Eternaltwin
    from eternaltwin.connections import Connections, configure, configure_from_env, configure_from_file
    from eternaltwin.enums import AuthorizationType
    from eternaltwin.exceptions import (
        ArchiveFetchError,
        ConfigurationError,
        ConnectionFailed,
        EternalTwinError,
        EternaltwinWarning,
        InvalidArgumentError,
        InvalidForumIdError,
        InvalidStateError,
        InvalidUserIdError,
        MissingCredentialsError,
        NotAuthenticatedError,
        NotFoundError,
        OlderClientWarning,
        PageFetchError,
        RateLimitedError,
        RequestError,
        RequestTimeout,
        ServerError,
        TransportError,
        UnauthorizedError,
        UnexpectedResponseError,
        UnknownAliasError,
        UserFetchError,
        ValidationError,
    )
    from eternaltwin.forum import (
        Announcement,
        ForumActor,
        ForumPost,
        ForumRevision,
        ForumSection,
        ForumThread,
        Page,
        ServerConfig,
    )
    from eternaltwin.keys import EdDSAKey, ES256Key, HS256Key, PS256Key, RS256Key
    from eternaltwin.responses import Response
    from eternaltwin.states import State
    from eternaltwin.tokens import Token
    from eternaltwin.users import LinkedAccount, SearchPage, User

#: Public name -> (module, attribute), imported on first access.
_LAZY: dict[str, tuple[str, str]] = {
    "Announcement": ("eternaltwin.forum", "Announcement"),
    "ArchiveFetchError": ("eternaltwin.exceptions", "ArchiveFetchError"),
    "AsyncEternaltwin": ("eternaltwin.clients.asyncio.clients", "Eternaltwin"),
    "AuthorizationType": ("eternaltwin.enums", "AuthorizationType"),
    "ConfigurationError": ("eternaltwin.exceptions", "ConfigurationError"),
    "ConnectionFailed": ("eternaltwin.exceptions", "ConnectionFailed"),
    "Connections": ("eternaltwin.connections", "Connections"),
    "DinoparcDinoz": ("eternaltwin.archive", "DinoparcDinoz"),
    "DinoparcDinozRef": ("eternaltwin.archive", "DinoparcDinozRef"),
    "DinoparcUser": ("eternaltwin.archive", "DinoparcUser"),
    "ES256Key": ("eternaltwin.keys", "ES256Key"),
    "EdDSAKey": ("eternaltwin.keys", "EdDSAKey"),
    "EternalTwinError": ("eternaltwin.exceptions", "EternalTwinError"),
    "EternaltwinWarning": ("eternaltwin.exceptions", "EternaltwinWarning"),
    "Eternaltwin": ("eternaltwin.clients.sync.clients", "Eternaltwin"),
    "ForumActor": ("eternaltwin.forum", "ForumActor"),
    "ForumPost": ("eternaltwin.forum", "ForumPost"),
    "ForumRevision": ("eternaltwin.forum", "ForumRevision"),
    "ForumSection": ("eternaltwin.forum", "ForumSection"),
    "ForumThread": ("eternaltwin.forum", "ForumThread"),
    "HS256Key": ("eternaltwin.keys", "HS256Key"),
    "HammerfestUser": ("eternaltwin.archive", "HammerfestUser"),
    "InvalidArgumentError": ("eternaltwin.exceptions", "InvalidArgumentError"),
    "InvalidForumIdError": ("eternaltwin.exceptions", "InvalidForumIdError"),
    "InvalidStateError": ("eternaltwin.exceptions", "InvalidStateError"),
    "InvalidUserIdError": ("eternaltwin.exceptions", "InvalidUserIdError"),
    "LinkedAccount": ("eternaltwin.users", "LinkedAccount"),
    "MissingCredentialsError": ("eternaltwin.exceptions", "MissingCredentialsError"),
    "NotAuthenticatedError": ("eternaltwin.exceptions", "NotAuthenticatedError"),
    "NotFoundError": ("eternaltwin.exceptions", "NotFoundError"),
    "OlderClientWarning": ("eternaltwin.exceptions", "OlderClientWarning"),
    "PS256Key": ("eternaltwin.keys", "PS256Key"),
    "Page": ("eternaltwin.forum", "Page"),
    "PageFetchError": ("eternaltwin.exceptions", "PageFetchError"),
    "RS256Key": ("eternaltwin.keys", "RS256Key"),
    "RateLimitedError": ("eternaltwin.exceptions", "RateLimitedError"),
    "RequestError": ("eternaltwin.exceptions", "RequestError"),
    "RequestTimeout": ("eternaltwin.exceptions", "RequestTimeout"),
    "Response": ("eternaltwin.responses", "Response"),
    "SearchPage": ("eternaltwin.users", "SearchPage"),
    "ServerConfig": ("eternaltwin.forum", "ServerConfig"),
    "ServerError": ("eternaltwin.exceptions", "ServerError"),
    "State": ("eternaltwin.states", "State"),
    "Token": ("eternaltwin.tokens", "Token"),
    "TransportError": ("eternaltwin.exceptions", "TransportError"),
    "TwinoidUser": ("eternaltwin.archive", "TwinoidUser"),
    "UnauthorizedError": ("eternaltwin.exceptions", "UnauthorizedError"),
    "UnexpectedResponseError": ("eternaltwin.exceptions", "UnexpectedResponseError"),
    "UnknownAliasError": ("eternaltwin.exceptions", "UnknownAliasError"),
    "User": ("eternaltwin.users", "User"),
    "UserFetchError": ("eternaltwin.exceptions", "UserFetchError"),
    "ValidationError": ("eternaltwin.exceptions", "ValidationError"),
    "configure": ("eternaltwin.connections", "configure"),
    "configure_from_env": ("eternaltwin.connections", "configure_from_env"),
    "configure_from_file": ("eternaltwin.connections", "configure_from_file"),
}

__all__ = [
    "Announcement",
    "ArchiveFetchError",
    "AsyncEternaltwin",
    "AuthorizationType",
    "ConfigurationError",
    "ConnectionFailed",
    "Connections",
    "DinoparcDinoz",
    "DinoparcDinozRef",
    "DinoparcUser",
    "ES256Key",
    "EdDSAKey",
    "EternalTwinError",
    "Eternaltwin",
    "EternaltwinWarning",
    "ForumActor",
    "ForumPost",
    "ForumRevision",
    "ForumSection",
    "ForumThread",
    "HS256Key",
    "HammerfestUser",
    "InvalidArgumentError",
    "InvalidForumIdError",
    "InvalidStateError",
    "InvalidUserIdError",
    "LinkedAccount",
    "MissingCredentialsError",
    "NotAuthenticatedError",
    "NotFoundError",
    "OlderClientWarning",
    "PS256Key",
    "Page",
    "PageFetchError",
    "RS256Key",
    "RateLimitedError",
    "RequestError",
    "RequestTimeout",
    "Response",
    "SearchPage",
    "ServerConfig",
    "ServerError",
    "State",
    "Token",
    "TransportError",
    "TwinoidUser",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnknownAliasError",
    "User",
    "UserFetchError",
    "ValidationError",
    "__version__",
    "configure",
    "configure_from_env",
    "configure_from_file",
    "load_ipython_extension",
    "unload_ipython_extension",
]


#: Submodules reachable as attributes (``eternaltwin.connections.connections``), imported on first access.
_SUBMODULES = frozenset(
    {
        "archive",
        "clients",
        "config",
        "connections",
        "display",
        "enums",
        "exceptions",
        "forum",
        "keys",
        "magics",
        "pandas",
        "responses",
        "sandbox",
        "states",
        "tokens",
        "users",
        "widgets",
    }
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'eternaltwin' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext eternaltwin``: register the magics and display hooks (IPython is imported only now)."""
    from eternaltwin._extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext eternaltwin``: remove what loading added."""
    from eternaltwin._extension import unload

    unload(ipython)


# -- the older client beside the kit ---------------------------------------------------------------------


def _older_client_version() -> str | None:
    """The version of the older ``eternaltwin`` distribution when its metadata is on ``sys.path``, else None.

    A scan of the ``sys.path`` folders for ``eternaltwin-*.dist-info`` / ``.egg-info`` (what
    ``importlib.metadata.distribution("eternaltwin")`` would find): importing ``importlib.metadata`` alone
    takes longer than the whole ``import eternaltwin``. The kit's own metadata (``eternaltwin_kit-*``) and
    other ``eternaltwin*`` projects do not match.
    """
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a folder that does not exist
            continue
        for name in names:
            if name[:11].lower() != "eternaltwin":
                continue
            stem, _, kind = name.rpartition(".")
            project, _, version = stem.partition("-")
            if kind in ("dist-info", "egg-info") and project.lower() == "eternaltwin":
                return version.partition("-")[0] or "unknown version"
    return None


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the code importing this package (not importlib's).

    Counted as ``warnings.warn`` counts: it skips the frames of importlib's ``_bootstrap`` modules itself.
    """
    ours = os.path.dirname(__file__)
    importlib_package = os.path.dirname(import_module.__code__.co_filename)
    frame, level = sys._getframe(1), 1  # the caller: stacklevel 1
    while frame.f_back is not None:
        frame = frame.f_back
        filename = frame.f_code.co_filename
        if "importlib" in filename and "_bootstrap" in filename:
            continue  # not counted by warnings.warn
        level += 1
        if not filename.startswith((ours, importlib_package)):
            break
    return level


def _warn_if_older_client_installed() -> None:
    """Warn (``OlderClientWarning``) when the older ``eternaltwin`` distribution is installed too."""
    version = _older_client_version()
    if version is None:
        return
    import warnings

    from eternaltwin.exceptions import OlderClientWarning

    warnings.warn(
        f"The older 'eternaltwin' distribution ({version}) is installed beside eternaltwin-kit "
        f"{__version__}: both install the 'eternaltwin' package, so their files overwrite each other and "
        f"uninstalling either breaks the other. Fix it with: python -m pip uninstall -y eternaltwin "
        f"eternaltwin-kit && python -m pip install eternaltwin-kit (add your extras; from a clone: "
        f"pip install -e .). The kit runs code written for eternaltwin 1.0 unchanged.",
        OlderClientWarning,
        stacklevel=_caller_stacklevel(),
    )


if not globals().get("_older_client_checked"):  # once, even if the package is reloaded
    _older_client_checked = True
    _warn_if_older_client_installed()
