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
``scope`` (``"base"``)
    The OAuth scopes the authorization URL asks for, space-separated (``"base forum:write"``); a list of
    scope names is joined. ``authorization_url(state, scope=...)`` overrides it for one login.
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
import importlib.util
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from eternaltwin.exceptions import ConfigurationError, warn
from eternaltwin.keys import MIN_SECRET_BYTES, HS256Key, Key, as_key

__all__ = [
    "ASYNC_BACKENDS",
    "DEFAULT_ALIAS",
    "DEFAULT_SCOPE",
    "ENVIRONMENT_VARIABLES",
    "OPTIONS",
    "ConnectionSettings",
    "check_keys",
    "check_scope",
    "load_env",
    "load_file",
    "load_mapping",
    "load_text",
    "resolve_backend",
    "validate_options",
]

#: The alias that ``using=None`` resolves to until ``connections.use()`` changes it.
DEFAULT_ALIAS = "default"

#: The OAuth scope asked for unless a connection (or a call) says otherwise: what eternaltwin.org grants.
DEFAULT_SCOPE = "base"

#: The values of the ``async_backend`` option.
ASYNC_BACKENDS = ("auto", "aiohttp", "httpx")

#: Environment variable -> connection key, read by :func:`load_env` for the ``"default"`` alias.
ENVIRONMENT_VARIABLES: Mapping[str, str] = {
    "ETERNALTWIN_URL": "url",
    "ETERNALTWIN_CLIENT_ID": "client_id",
    "ETERNALTWIN_CLIENT_SECRET": "client_secret",
    "ETERNALTWIN_REDIRECT_URI": "redirect_uri",
    "ETERNALTWIN_STATE_KEY": "state_key",
    "ETERNALTWIN_SCOPE": "scope",
}


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """The validated options of one connection (see the module docstring for each key).

    Made by :func:`validate_options`; a client keeps one (``client.settings``) and reads every option from
    it. The defaults here are the defaults of every way of configuring a connection.
    """

    url: str
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    state_key: Key | None = None
    scope: str = DEFAULT_SCOPE
    timeout: float | None = 5.0
    verify_ssl: bool = True
    allow_redirects: bool = False
    user_agent: str | None = None
    max_connections: int = 10
    max_retries: int = 3
    retry_backoff: float = 0.5
    retry_max_backoff: float = 10.0
    async_backend: str = "auto"

    def __repr__(self) -> str:
        from eternaltwin._secrets import mask

        return (
            f"ConnectionSettings(url={self.url!r}, client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)}, redirect_uri={self.redirect_uri!r}, "
            f"state_key={self.state_key!r}, timeout={self.timeout!r})"
        )


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def _type_error(source: str | None, key: str, expected: str, value: Any) -> ConfigurationError:
    return ConfigurationError(f"{_where(source)}{key} must be {expected}, got {type(value).__name__}.")


# -- one checker per kind of value: (source, key, value) -> the normalised value, or ConfigurationError --


def _optional_str(source: str | None, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(source, key, "a string", value)
    if not value.strip():
        raise ConfigurationError(f"{_where(source)}{key} is empty.")
    return value


def _number(minimum: float, *, strict: bool = False, optional: bool = False) -> _Check:
    def check(source: str | None, key: str, value: Any) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(source, key, "a number", value)
        if value < minimum or (strict and value == minimum):
            sign = ">" if strict else ">="
            raise ConfigurationError(f"{_where(source)}{key} must be {sign} {minimum:g}, got {value!r}.")
        return float(value)

    return check


def _count(minimum: int) -> _Check:
    def check(source: str | None, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(source, key, f"an int >= {minimum}", value)
        if value < minimum:
            raise ConfigurationError(f"{_where(source)}{key} must be >= {minimum}, got {value!r}.")
        return value

    return check


def _bool(source: str | None, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _type_error(source, key, "True or False", value)
    return value


def _state_key(source: str | None, key: str, value: Any) -> Key | None:
    if value is None:
        return None
    if not isinstance(value, str | bytes | Key):
        raise _type_error(source, key, "a string or an eternaltwin.keys.Key", value)
    if isinstance(value, str | bytes) and not value:
        raise ConfigurationError(f"{_where(source)}{key} is empty.")
    checked = as_key(value)
    if isinstance(checked, HS256Key) and checked.is_short:
        warn(
            f"{_where(source)}{key} is shorter than {MIN_SECRET_BYTES} bytes: the OAuth state it signs "
            "travels through the browser, where a short secret can be guessed offline. Use "
            "secrets.token_urlsafe(32).",
        )
    return checked


def _backend(source: str | None, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(source, key, "'auto', 'aiohttp' or 'httpx'", value)
    try:
        resolve_backend(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{_where(source)}{exc}") from None
    return value


def _url(source: str | None, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(source, key, "a string", value)
    if not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"{_where(source)}url must start with http:// or https://, got {value!r}.")
    if len(value.split("://", 1)[1].split("/", 1)[0]) == 0:
        raise ConfigurationError(f"{_where(source)}url has no host: {value!r}.")
    return value


# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), tokens separated by single spaces.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def check_scope(value: Any, source: str | None = None, key: str = "scope") -> str:
    """An OAuth scope, checked and normalised: names separated by single spaces.

    Parameters
    ----------
    value : str or sequence of str
        ``"base forum:write"``, or ``["base", "forum:write"]``; extra blanks are dropped.
    source : str, optional
        Where it comes from, for the message.
    key : str
        The option's name, for the message.

    Returns
    -------
    str
        E.g. ``"base forum:write"``.

    Raises
    ------
    ConfigurationError
        Not a string (or list of strings), empty, or a name with a character OAuth does not allow
        (quotes, backslashes, control or non-ASCII characters).
    """
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
        names = [part for name in value for part in name.split()]
    else:
        raise _type_error(
            source, key, "a string such as 'base forum:write' (or a list of scope names)", value
        )
    if not names:
        raise ConfigurationError(
            f"{_where(source)}{key} is empty; eternaltwin.org's scope is {DEFAULT_SCOPE!r}."
        )
    for name in names:
        if not _SCOPE_TOKEN.fullmatch(name):
            raise ConfigurationError(
                f"{_where(source)}{key} has {name!r}, which is not a scope name (printable ASCII without "
                'quotes or backslashes, e.g. "base" or "forum:write").'
            )
    return " ".join(names)


def _scope(source: str | None, key: str, value: Any) -> str:
    return check_scope(value, source, key)


def _unchecked(source: str | None, key: str, value: Any) -> Any:
    return value


_Check = Callable[[str | None, str, Any], Any]


@dataclass(frozen=True, slots=True)
class _Option:
    describe: str
    check: _Check
    python_only: bool = False


# Every key a connection accepts. Those that are fields of ConnectionSettings are checked by their entry
# here; scheme, host, port and prefix only build the url; the Python-only hooks are kept by the client.
_OPTIONS: dict[str, _Option] = {
    "url": _Option("the server's url, e.g. 'https://eternaltwin.org/'", _url),
    "scheme": _Option("'http' or 'https', with host", _unchecked),
    "host": _Option("the server's host name, instead of url", _unchecked),
    "port": _Option("the server's port, with host", _unchecked),
    "prefix": _Option("a path prefix, with host", _unchecked),
    "client_id": _Option("the OAuth app's id, e.g. 'myapp@clients'", _optional_str),
    "client_secret": _Option("the OAuth app's secret", _optional_str),
    "redirect_uri": _Option("the OAuth app's callback url", _optional_str),
    "state_key": _Option("the key that signs OAuth states (a string or an eternaltwin.keys.Key)", _state_key),
    "scope": _Option("the OAuth scopes to ask for, space-separated (default 'base')", _scope),
    "timeout": _Option(
        "seconds before a request times out (a number > 0, or None for no limit)",
        _number(0, strict=True, optional=True),
    ),
    "verify_ssl": _Option("whether to check TLS certificates (bool)", _bool),
    "allow_redirects": _Option("whether to follow HTTP redirects (bool)", _bool),
    "user_agent": _Option("the User-Agent header to send", _optional_str),
    "max_connections": _Option("most requests in flight at once (int >= 1)", _count(1)),
    "max_retries": _Option("how many times a failed GET is retried (int >= 0)", _count(0)),
    "retry_backoff": _Option("first retry delay in seconds, doubled at each retry (number >= 0)", _number(0)),
    "retry_max_backoff": _Option(
        "longest retry delay in seconds, and longest Retry-After obeyed (number >= 0)", _number(0)
    ),
    "async_backend": _Option(
        "the async client's HTTP engine: 'auto' (aiohttp when installed), 'aiohttp' or 'httpx'", _backend
    ),
    # Hooks for tests and embedding; not settable from files or the environment.
    "transport": _Option("an httpx transport to send through (tests)", _unchecked, python_only=True),
    "sleep": _Option("the function used to wait between retries (tests)", _unchecked, python_only=True),
}

#: Every key a connection accepts, with a short description (used by messages and docs).
OPTIONS: Mapping[str, str] = {name: option.describe for name, option in _OPTIONS.items()}

_URL_PARTS = ("scheme", "host", "port", "prefix")
_SETTINGS = tuple(f.name for f in fields(ConnectionSettings))


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
    known = [name for name, option in _OPTIONS.items() if python or not option.python_only]
    for key in options:
        if not isinstance(key, str):
            raise ConfigurationError(
                f"{_where(source)}option names must be strings, got {type(key).__name__}."
            )
        if key in known:
            continue
        if key in _OPTIONS:
            raise ConfigurationError(f"{_where(source)}{key!r} can only be given from Python.")
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(
            f"{_where(source)}unknown option {key!r}.{hint} Known options: {', '.join(known)}."
        )


def _build_url(source: str | None, scheme: Any, host: Any, port: Any, prefix: Any) -> str:
    if host is None:
        raise ConfigurationError(
            f"{_where(source)}no server given: pass url='https://eternaltwin.org/' "
            f"(or scheme='https', host='eternaltwin.org', with optional port and prefix)."
        )
    if not isinstance(host, str) or not host:
        raise _type_error(source, "host", "a non-empty string", host)
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{_where(source)}scheme must be 'http' or 'https', got {scheme!r}.")
    if isinstance(port, str) and port.isascii() and port.isdigit():
        port = int(port)  # the older client's users pass it from the environment, as a string
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise ConfigurationError(
            f"{_where(source)}port must be an int between 1 and 65535 (or its digits), got {port!r}."
        )
    if not isinstance(prefix, str):
        raise _type_error(source, "prefix", "a string", prefix)
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    return f"{scheme}://{host}{'' if port is None else f':{port}'}{prefix}"


def validate_options(*, source: str | None = None, **options: Any) -> ConnectionSettings:
    """Check every connection option and normalise them.

    Parameters
    ----------
    source : str, optional
        Where the options come from, for messages.
    **options
        The keys of :data:`OPTIONS` (unknown keys are refused; see :func:`check_keys`). ``url``, or
        ``host`` with optional ``scheme``, ``port`` and ``prefix``, is required. The Python-only hooks
        (``transport``, ``sleep``) are accepted and ignored: the client keeps them itself.

    Returns
    -------
    ConnectionSettings

    Raises
    ------
    ConfigurationError
        Naming the key and what was expected (a ValueError subclass), never a secret's value.
    """
    check_keys(options, source)
    given = {key: value for key, value in options.items() if key in _SETTINGS}
    if given.get("url") is None:
        parts = {"scheme": "http", "prefix": "/", **{k: options[k] for k in _URL_PARTS if k in options}}
        given["url"] = _build_url(
            source, parts["scheme"], parts.get("host"), parts.get("port"), parts["prefix"]
        )
    checked = {key: _OPTIONS[key].check(source, key, value) for key, value in given.items()}
    return ConnectionSettings(**checked)


def _has_aiohttp() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


def resolve_backend(name: str) -> Literal["aiohttp", "httpx"]:
    """The engine an ``async_backend`` option stands for.

    ``"auto"`` picks by measurement, on both of the kit's workloads: aiohttp when it is installed, for it
    wins many small lookups at once (about twice httpx's rate at 32 in flight,
    ``benchmarks/client_lookups.py``) and paging through large replies at the polite 8 in flight (about
    half the CPU per page of httpx's pool, and closer to the latency bound, ``benchmarks/bulk_bound.py``);
    else httpx. A named engine is used as named.

    Raises
    ------
    ConfigurationError
        For an unknown name, or ``"aiohttp"`` when aiohttp is not installed.
    """
    if name == "httpx":
        return "httpx"
    if name == "aiohttp":
        if not _has_aiohttp():
            raise ConfigurationError(
                "async_backend='aiohttp' needs aiohttp: pip install 'eternaltwin-kit[fast]' "
                "(or use async_backend='httpx')."
            )
        return "aiohttp"
    if name == "auto":
        return "aiohttp" if _has_aiohttp() else "httpx"
    raise ConfigurationError(f"async_backend must be one of {', '.join(ASYNC_BACKENDS)}; got {name!r}.")


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
