"""Connection configuration: the keys a connection takes, their validation, and loading them from a TOML
file or from the environment.

Every connection option goes through :func:`validate_options`, whichever way it arrives (the client
constructor, ``configure(**aliases)``, :func:`load_file`, :func:`load_env`), so the messages are the same
everywhere. Messages name the key and the expected type, never the value of a secret.

Keys
----
``url``
    The server, e.g. ``"https://eternaltwin.org/"`` (or ``scheme`` + ``host`` [+ ``port``, ``prefix``]).
``client_id``, ``client_secret``, ``redirect_uri``, ``state_key``
    The OAuth app's credentials; optional for read-only connections. ``state_key`` is a string (an HS256
    secret) or a :class:`~eternaltwin.keys.Key`.
``timeout`` (5), ``verify_ssl`` (True), ``allow_redirects`` (False)
    Transport options.
``user_agent``
    Replaces the kit's ``User-Agent``.
``max_connections`` (10)
    Requests in flight at once on the connection; more wait for a free slot (without a time limit).
``max_retries`` (3), ``retry_backoff`` (0.5), ``retry_max_backoff`` (10.0)
    Retries of GET requests (``max_retries = 0`` disables them); see :mod:`eternaltwin.clients`.

TOML files
----------
One table per alias, at the top level::

    [default]
    url = "https://eternaltwin.org/"
    client_id = "myapp@clients"
    client_secret = "..."
    redirect_uri = "http://localhost:8000/oauth/callback"
    state_key = "..."

    [sandbox]
    url = "http://127.0.0.1:50320"

The ``[connections.ALIAS]`` layout is refused with a message saying how to rewrite it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eternaltwin.exceptions import ConfigurationError
from eternaltwin.keys import Key, as_key

__all__ = [
    "DEFAULT_ALIAS",
    "ENVIRONMENT_VARIABLES",
    "OPTIONS",
    "ConnectionSettings",
    "check_keys",
    "load_env",
    "load_file",
    "load_mapping",
    "load_text",
    "validate_options",
]

#: The alias that ``using=None`` resolves to until ``connections.use()`` changes it.
DEFAULT_ALIAS = "default"

#: Every key a connection accepts, with a short description (used by messages and docs).
OPTIONS: Mapping[str, str] = {
    "url": "the server's url, e.g. 'https://eternaltwin.org/'",
    "scheme": "'http' or 'https', with host",
    "host": "the server's host name, instead of url",
    "port": "the server's port, with host",
    "prefix": "a path prefix, with host",
    "client_id": "the OAuth app's id, e.g. 'myapp@clients'",
    "client_secret": "the OAuth app's secret",
    "redirect_uri": "the OAuth app's callback url",
    "state_key": "the key that signs OAuth states (a string or an eternaltwin.keys.Key)",
    "timeout": "seconds before a request times out (a number > 0, or None for no limit)",
    "verify_ssl": "whether to check TLS certificates (bool)",
    "allow_redirects": "whether to follow HTTP redirects (bool)",
    "user_agent": "the User-Agent header to send",
    "max_connections": "most requests in flight at once (int >= 1)",
    "max_retries": "how many times a failed GET is retried (int >= 0)",
    "retry_backoff": "first retry delay in seconds, doubled at each retry (number >= 0)",
    "retry_max_backoff": "longest retry delay in seconds, and longest Retry-After obeyed (number >= 0)",
    "async_backend": "the async client's HTTP engine: 'auto' (aiohttp when installed), 'aiohttp' or 'httpx'",
    # Hooks for tests and embedding; not settable from files or the environment.
    "transport": "an httpx transport to send through (tests)",
    "sleep": "the function used to wait between retries (tests)",
}

_PYTHON_ONLY = frozenset({"transport", "sleep"})
_SECRET_KEYS = frozenset({"client_secret", "state_key"})

#: Environment variable -> connection key, read by :func:`load_env` for the ``"default"`` alias.
ENVIRONMENT_VARIABLES: Mapping[str, str] = {
    "ETERNALTWIN_URL": "url",
    "ETERNALTWIN_CLIENT_ID": "client_id",
    "ETERNALTWIN_CLIENT_SECRET": "client_secret",
    "ETERNALTWIN_REDIRECT_URI": "redirect_uri",
    "ETERNALTWIN_STATE_KEY": "state_key",
}


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """The validated options of one connection (see the module docstring for each key)."""

    url: str
    client_id: str | None
    client_secret: str | None
    redirect_uri: str | None
    state_key: Key | None
    timeout: float | None
    verify_ssl: bool
    allow_redirects: bool
    user_agent: str | None
    max_connections: int
    max_retries: int
    retry_backoff: float
    retry_max_backoff: float
    async_backend: str

    def __repr__(self) -> str:
        from eternaltwin._secrets import mask

        return (
            f"ConnectionSettings(url={self.url!r}, client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)}, redirect_uri={self.redirect_uri!r}, "
            f"state_key={self.state_key!r}, timeout={self.timeout!r})"
        )


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def check_keys(options: Mapping[str, Any], source: str | None = None, *, python: bool = True) -> None:
    """Refuse unknown option keys, suggesting the closest known one.

    Parameters
    ----------
    options : Mapping
        The options.
    source : str, optional
        Where they come from, for the message (``"connection 'default'"``...).
    python : bool
        Whether Python-only keys (``transport``, ``sleep``) are allowed.

    Raises
    ------
    ConfigurationError
    """
    known = list(OPTIONS) if python else [k for k in OPTIONS if k not in _PYTHON_ONLY]
    for key in options:
        if not isinstance(key, str):
            raise ConfigurationError(
                f"{_where(source)}option names must be strings, got {type(key).__name__}."
            )
        if key in known:
            continue
        if key in _PYTHON_ONLY:
            raise ConfigurationError(f"{_where(source)}{key!r} can only be given from Python.")
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(
            f"{_where(source)}unknown option {key!r}.{hint} Known options: {', '.join(known)}."
        )


def _type_error(source: str | None, key: str, expected: str, value: Any) -> ConfigurationError:
    return ConfigurationError(f"{_where(source)}{key} must be {expected}, got {type(value).__name__}.")


def _optional_str(source: str | None, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(source, key, "a string", value)
    if not value.strip():
        raise ConfigurationError(f"{_where(source)}{key} is empty.")
    return value


def _number(source: str | None, key: str, value: Any, *, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(source, key, "a number", value)
    if value < minimum or (strict and value == minimum):
        sign = ">" if strict else ">="
        raise ConfigurationError(f"{_where(source)}{key} must be {sign} {minimum:g}, got {value!r}.")
    return float(value)


def _bool(source: str | None, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _type_error(source, key, "True or False", value)
    return value


def _build_url(source: str | None, url: Any, scheme: Any, host: Any, port: Any, prefix: Any) -> str:
    if url is not None:
        if not isinstance(url, str):
            raise _type_error(source, "url", "a string", url)
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"{_where(source)}url must start with http:// or https://, got {url!r}.")
        if len(url.split("://", 1)[1].split("/", 1)[0]) == 0:
            raise ConfigurationError(f"{_where(source)}url has no host: {url!r}.")
        return url
    if host is None:
        raise ConfigurationError(
            f"{_where(source)}no server given: pass url='https://eternaltwin.org/' "
            f"(or scheme='https', host='eternaltwin.org', with optional port and prefix)."
        )
    if not isinstance(host, str) or not host:
        raise _type_error(source, "host", "a non-empty string", host)
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{_where(source)}scheme must be 'http' or 'https', got {scheme!r}.")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise ConfigurationError(f"{_where(source)}port must be an int between 1 and 65535, got {port!r}.")
    if not isinstance(prefix, str):
        raise _type_error(source, "prefix", "a string", prefix)
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    return f"{scheme}://{host}{'' if port is None else f':{port}'}{prefix}"


def validate_options(
    *,
    url: Any = None,
    scheme: Any = "http",
    host: Any = None,
    port: Any = None,
    prefix: Any = "/",
    client_id: Any = None,
    client_secret: Any = None,
    redirect_uri: Any = None,
    state_key: Any = None,
    timeout: Any = 5,
    verify_ssl: Any = True,
    allow_redirects: Any = False,
    user_agent: Any = None,
    max_connections: Any = 10,
    max_retries: Any = 3,
    retry_backoff: Any = 0.5,
    retry_max_backoff: Any = 10.0,
    async_backend: Any = "auto",
    source: str | None = None,
) -> ConnectionSettings:
    """Check every connection option and normalise them.

    Raises
    ------
    ConfigurationError
        Naming the key and what was expected (a ValueError subclass).
    """
    if state_key is not None and not isinstance(state_key, str | bytes | Key):
        raise _type_error(source, "state_key", "a string or an eternaltwin.keys.Key", state_key)
    if isinstance(state_key, str | bytes) and not state_key:
        raise ConfigurationError(f"{_where(source)}state_key is empty.")
    if isinstance(max_connections, bool) or not isinstance(max_connections, int):
        raise _type_error(source, "max_connections", "an int >= 1", max_connections)
    if max_connections < 1:
        raise ConfigurationError(f"{_where(source)}max_connections must be >= 1, got {max_connections!r}.")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise _type_error(source, "max_retries", "an int >= 0", max_retries)
    if max_retries < 0:
        raise ConfigurationError(f"{_where(source)}max_retries must be >= 0, got {max_retries!r}.")
    if not isinstance(async_backend, str):
        raise _type_error(source, "async_backend", "'auto', 'aiohttp' or 'httpx'", async_backend)
    from eternaltwin.clients._transports import resolve_backend

    try:
        resolve_backend(async_backend)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{_where(source)}{exc}") from None
    return ConnectionSettings(
        url=_build_url(source, url, scheme, host, port, prefix),
        client_id=_optional_str(source, "client_id", client_id),
        client_secret=_optional_str(source, "client_secret", client_secret),
        redirect_uri=_optional_str(source, "redirect_uri", redirect_uri),
        state_key=None if state_key is None else as_key(state_key),
        timeout=None if timeout is None else _number(source, "timeout", timeout, minimum=0, strict=True),
        verify_ssl=_bool(source, "verify_ssl", verify_ssl),
        allow_redirects=_bool(source, "allow_redirects", allow_redirects),
        user_agent=_optional_str(source, "user_agent", user_agent),
        max_connections=max_connections,
        max_retries=max_retries,
        retry_backoff=_number(source, "retry_backoff", retry_backoff, minimum=0),
        retry_max_backoff=_number(source, "retry_max_backoff", retry_max_backoff, minimum=0),
        async_backend=async_backend,
    )


def load_file(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read connection options from a TOML file: one table per alias.

    Parameters
    ----------
    path : str or PathLike
        The file.

    Returns
    -------
    dict
        ``{alias: options}``, with keys checked (values are checked when the clients are built).

    Raises
    ------
    ConfigurationError
        Unreadable file, invalid TOML, wrong layout or unknown keys.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"No configuration file at {str(file)!r}.") from None
    except OSError as exc:
        raise ConfigurationError(f"Cannot read {str(file)!r}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{str(file)!r} is not UTF-8 text.") from None
    return load_text(text, file.name)


def load_text(text: str, name: str) -> dict[str, dict[str, Any]]:
    """Read connection options from TOML text (a file's or a ``%%eternaltwin config`` cell's).

    Parameters
    ----------
    text : str
        The TOML.
    name : str
        What the text is, for messages (a file name, "the cell").

    Raises
    ------
    ConfigurationError
        Invalid TOML, wrong layout or unknown keys.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{name} is not valid TOML: {exc}.") from None
    return load_mapping(data, name)


def load_mapping(data: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """Check parsed TOML connection options: one table per alias, known keys, a url in each.

    Parameters
    ----------
    data : Mapping
        The parsed TOML.
    name : str
        Where it came from, for messages.

    Returns
    -------
    dict
        ``{alias: options}``.

    Raises
    ------
    ConfigurationError
        Wrong layout, unknown keys or a missing url.
    """
    aliases: dict[str, dict[str, Any]] = {}
    for alias, table in data.items():
        source = f"{name} [{alias}]"
        if not isinstance(table, dict):
            raise ConfigurationError(
                f"{name}: top-level key {alias!r} is not a table; put connection options under a "
                f'table named after the alias, e.g. [default] then url = "...".'
            )
        if alias == "connections" and table and all(isinstance(v, dict) for v in table.values()):
            names = ", ".join(f"[{name}]" for name in table)
            raise ConfigurationError(
                f"{name}: the [connections.ALIAS] layout is not supported; write one top-level table "
                f"per alias instead ({names})."
            )
        check_keys(table, source, python=False)
        if "url" not in table and "host" not in table:
            raise ConfigurationError(f'{source}: missing url (e.g. url = "https://eternaltwin.org/").')
        aliases[alias] = dict(table)
    if not aliases:
        raise ConfigurationError(f"{name}: no connection table found (expected e.g. [default]).")
    return aliases


def load_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the ``default`` connection's options from ``ETERNALTWIN_*`` environment variables.

    Parameters
    ----------
    environ : Mapping, optional
        Defaults to :data:`os.environ`.

    Returns
    -------
    dict
        The options (only the variables that are set and non-empty).

    Raises
    ------
    ConfigurationError
        When ``ETERNALTWIN_URL`` is not set.
    """
    env = os.environ if environ is None else environ
    options = {key: env[name] for name, key in ENVIRONMENT_VARIABLES.items() if env.get(name)}
    if "url" not in options:
        raise ConfigurationError(
            "ETERNALTWIN_URL is not set; set it (e.g. ETERNALTWIN_URL=https://eternaltwin.org/) and, for "
            "OAuth, ETERNALTWIN_CLIENT_ID, ETERNALTWIN_CLIENT_SECRET, ETERNALTWIN_REDIRECT_URI, "
            "ETERNALTWIN_STATE_KEY."
        )
    return options


def is_secret_option(key: str) -> bool:
    """Whether an option holds a secret (its value never goes into a message)."""
    return key in _SECRET_KEYS
