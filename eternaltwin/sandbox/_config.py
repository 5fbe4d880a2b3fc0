"""Seeds and options for the sandbox: from the real server's TOML (``[seed.app.*]``, ``[seed.user.*]``),
from a ``[sandbox]`` table of its own, or demo data.

Of the real server's tables only ``seed.app``, ``seed.user`` and ``seed.forum_section`` are read (spec
§7.2); every other table (``[backend]``, ``[frontend]``, ``[postgres]``, ...) is ignored. The
``[sandbox]`` table, which the real server does not have, holds :class:`ServerOptions`. A malformed entry
is refused with a :class:`SandboxConfigError` naming the table and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast
from urllib.parse import urlsplit, urlunsplit

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._forum import SectionSeed, is_forum_key
from eternaltwin.sandbox._validation import is_display_name, is_oauth_client_display_name, is_username

__all__ = [
    "AppSeed",
    "ConfigLike",
    "Habits",
    "SandboxConfig",
    "SandboxConfigError",
    "ServerOptions",
    "UserSeed",
    "normalize_url",
]

_APP_KEYS = ("display_name", "uri", "oauth_callback", "secret")
_USER_KEYS = ("username", "password", "display_name", "is_administrator")
_SECTION_KEYS = ("display_name", "locale")
# Names from the 2021 `[clients.*]` format (spec §7.1), to hint at the rename.
_RENAMED_APP_KEYS = {"app_uri": "uri", "callback_uri": "oauth_callback"}
_MAX_PASSWORD_BYTES = 256


class SandboxConfigError(ValueError):
    """A configuration that the sandbox cannot use; the message names the table and key."""


#: The server whose habits the sandbox follows where they differ (see :class:`ServerOptions`).
Habits: TypeAlias = Literal["default", "2021"]
_HABITS: tuple[Habits, ...] = ("default", "2021")
_OPTION_KEYS = ("token_lifetime", "refresh_tokens", "habits")


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How the sandbox departs from eternaltwin.org, for what a kit needs to test (``[sandbox]`` in TOML).

    With no option the sandbox behaves as eternaltwin.org does as far as its source shows (spec §11):
    access tokens valid ``ACCESS_TOKEN_LIFETIME_SECONDS`` (1,000,000,000 s), no refresh token, a token
    endpoint that reads only ``code``, codes that can be redeemed again while they last.

    Attributes
    ----------
    token_lifetime : int or None
        Seconds an access token lives (1 to 1,000,000,000). None: 1,000,000,000, or
        ``REFRESH_MODE_ACCESS_TOKEN_LIFETIME_SECONDS`` (3600) with ``refresh_tokens``.
    refresh_tokens : bool
        Issue a rotating refresh token with every access token and accept the ``refresh_token`` grant,
        with the rest of RFC 6749's lifecycle: single-use codes, a replay revoking what was granted.
        eternaltwin.org issues no refresh token (spec §3.7, §11.1); this exists to test a client's refresh.
    habits : {"default", "2021"}
        ``"2021"``: answer as the 2021 server does where the sandbox otherwise chooses friendlier
        replies: a plain-text 500 for a bad Bearer token or Basic credentials, search pages of ShortUser
        items without ``offset``/``limit`` (spec §1.1, §3.8, §11.7). No refresh tokens in this mode.
    """

    token_lifetime: int | None = None
    refresh_tokens: bool = False
    habits: Habits = "default"

    def __post_init__(self) -> None:
        where = "[sandbox]"
        lifetime = self.token_lifetime
        if lifetime is not None and (
            isinstance(lifetime, bool)
            or not isinstance(lifetime, int)
            or not 1 <= lifetime <= _choices.ACCESS_TOKEN_LIFETIME_SECONDS
        ):
            raise SandboxConfigError(
                f"{where} token_lifetime must be a whole number of seconds from 1 to "
                f"{_choices.ACCESS_TOKEN_LIFETIME_SECONDS}, not {lifetime!r}"
            )
        if not isinstance(self.refresh_tokens, bool):
            raise SandboxConfigError(
                f"{where} refresh_tokens must be true or false, not {self.refresh_tokens!r}"
            )
        if self.habits not in _HABITS:
            raise SandboxConfigError(
                f"{where} habits must be one of {', '.join(map(repr, _HABITS))}, not {self.habits!r}"
            )
        if self.habits == "2021" and self.refresh_tokens:
            raise SandboxConfigError(
                f"{where} refresh_tokens cannot be on with habits '2021' (the 2021 server issues no refresh "
                "token): leave refresh_tokens off, or use habits 'default' to test refreshing"
            )

    @property
    def access_token_lifetime(self) -> int:
        """Seconds an access token lives, the default resolved."""
        if self.token_lifetime is not None:
            return self.token_lifetime
        if self.refresh_tokens:
            return _choices.REFRESH_MODE_ACCESS_TOKEN_LIFETIME_SECONDS
        return _choices.ACCESS_TOKEN_LIFETIME_SECONDS

    def overridden(
        self,
        *,
        token_lifetime: int | None = None,
        refresh_tokens: bool | None = None,
        habits: str | None = None,
    ) -> ServerOptions:
        """A copy where each given (not None) value replaces this one's."""
        return ServerOptions(
            token_lifetime=self.token_lifetime if token_lifetime is None else token_lifetime,
            refresh_tokens=self.refresh_tokens if refresh_tokens is None else refresh_tokens,
            habits=self.habits if habits is None else cast(Habits, habits),
        )

    @classmethod
    def from_table(cls, source: str, table: object) -> ServerOptions:
        """Read the ``[sandbox]`` table of a TOML document.

        Raises
        ------
        SandboxConfigError
            For an unknown key or a bad value; the message names the key.
        """
        if not isinstance(table, Mapping):
            raise SandboxConfigError(f"{source}: [sandbox] must be a table")
        for key in table:
            if key not in _OPTION_KEYS:
                raise SandboxConfigError(
                    f"{source}: [sandbox] unknown key {key!r}; expected one of {', '.join(_OPTION_KEYS)}"
                )
        try:
            return cls(
                token_lifetime=table.get("token_lifetime"),
                refresh_tokens=table.get("refresh_tokens", False),
                habits=table.get("habits", "default"),
            )
        except SandboxConfigError as error:
            raise SandboxConfigError(f"{source}: {error}") from None


@dataclass(frozen=True, slots=True)
class AppSeed:
    """An OAuth app from ``[seed.app.NAME]``; its client key is ``NAME@clients``.

    Attributes
    ----------
    name : str
        Table name, a valid username.
    display_name, uri, oauth_callback : str
        As in the TOML; ``oauth_callback`` normalised like a URL parser would (spec §5.2).
    secret : str
        The client secret, in plain text (the store keeps only a hash).
    """

    name: str
    display_name: str
    uri: str
    oauth_callback: str
    secret: str = field(repr=False)

    @property
    def key(self) -> str:
        """The client key, ``NAME@clients``."""
        return f"{self.name}@clients"


@dataclass(frozen=True, slots=True)
class UserSeed:
    """A user from ``[seed.user.NAME]``.

    Attributes
    ----------
    name : str
        Table name.
    username : str
        Valid username (spec §6).
    password : str
        Plain-text password (hex-encoded only on the wire).
    display_name : str or None
        None means "the username" (spec §10).
    is_administrator : bool or None
        None means "first user created is administrator" (spec §10).
    """

    name: str
    username: str
    password: str = field(repr=False)
    display_name: str | None = None
    is_administrator: bool | None = None


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """What the sandbox seeds at start-up.

    Build it with :meth:`demo`, :meth:`from_mapping`, :meth:`from_file` or :meth:`load`.

    Attributes
    ----------
    apps : tuple of AppSeed
        At least one app (the demo app is added when a config has none).
    users : tuple of UserSeed
        Seeded users, created in this order before any generated population.
    demo : bool
        True when these are the built-in demo seeds (their users get linked game accounts).
    source : str
        Where the config came from, for messages.
    options : ServerOptions
        The ``[sandbox]`` table (defaults when absent).
    forum_sections : tuple of SectionSeed
        The forum sections of ``[seed.forum_section.KEY]``; when there are none, the sandbox seeds
        ``_choices.FORUM_DEFAULT_SECTIONS``.
    """

    apps: tuple[AppSeed, ...]
    users: tuple[UserSeed, ...]
    demo: bool = False
    source: str = "<demo>"
    options: ServerOptions = field(default_factory=ServerOptions)
    forum_sections: tuple[SectionSeed, ...] = ()

    @classmethod
    def demo_config(cls) -> SandboxConfig:
        """The built-in demo: one app (``demo_app@clients``) and the demo users of ``_choices``."""
        users = tuple(
            UserSeed(
                name=username,
                username=username,
                password=password,
                display_name=display,
                is_administrator=admin,
            )
            for username, password, display, admin in _choices.DEMO_USERS
        )
        return cls(apps=(_demo_app(),), users=users, demo=True, source="<demo>")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "<mapping>") -> SandboxConfig:
        """Read the seeds out of a parsed TOML document.

        Parameters
        ----------
        data : mapping
            The parsed TOML (as from :func:`tomllib.load`).
        source : str
            Name used in error messages.

        Raises
        ------
        SandboxConfigError
            If a ``seed.app`` or ``seed.user`` entry, or the ``[sandbox]`` table, is malformed.
        """
        if not isinstance(data, Mapping):
            raise SandboxConfigError(f"{source}: the configuration must be a table (mapping)")
        seed = data.get("seed", {})
        if not isinstance(seed, Mapping):
            raise SandboxConfigError(f"{source}: [seed] must be a table")
        apps = tuple(_read_app(source, name, table) for name, table in _tables(source, seed, "app").items())
        users = tuple(
            _read_user(source, name, table) for name, table in _tables(source, seed, "user").items()
        )
        seen: dict[str, str] = {}
        for user in users:
            if user.username in seen:
                raise SandboxConfigError(
                    f"{source}: [seed.user.{user.name}] key 'username': {user.username!r} is already used by "
                    f"[seed.user.{seen[user.username]}]"
                )
            seen[user.username] = user.name
        if not apps:
            apps = (_demo_app(),)
        options = ServerOptions.from_table(source, data["sandbox"]) if "sandbox" in data else ServerOptions()
        sections = tuple(
            _read_section(source, key, table) for key, table in _tables(source, seed, "forum_section").items()
        )
        return cls(
            apps=apps, users=users, demo=False, source=source, options=options, forum_sections=sections
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SandboxConfig:
        """Read an ``eternaltwin.toml`` file.

        Raises
        ------
        SandboxConfigError
            If the file cannot be read, is not TOML, or has a malformed seed entry.
        """
        file = Path(path)
        try:
            with file.open("rb") as stream:
                data = tomllib.load(stream)
        except OSError as error:
            raise SandboxConfigError(f"{file}: cannot read the configuration: {error}") from error
        except tomllib.TOMLDecodeError as error:
            raise SandboxConfigError(f"{file}: not valid TOML: {error}") from error
        return cls.from_mapping(data, source=str(file))

    @classmethod
    def load(cls, config: ConfigLike | object) -> SandboxConfig:
        """Accept what :class:`~eternaltwin.sandbox.Sandbox` accepts as ``config``.

        Parameters
        ----------
        config : SandboxConfig, mapping, str, os.PathLike or None
            None gives :meth:`demo_config`; a mapping is parsed TOML; a str or path names a TOML file.
        """
        if config is None:
            return cls.demo_config()
        if isinstance(config, SandboxConfig):
            return config
        if isinstance(config, Mapping):
            return cls.from_mapping(config)
        if isinstance(config, str | os.PathLike):
            return cls.from_file(config)
        raise TypeError(f"config must be None, a path or a mapping, not {type(config).__name__}")

    def with_callback(self, redirect_uri: str) -> SandboxConfig:
        """Return a copy whose first app uses ``redirect_uri`` as its OAuth callback.

        Besides an absolute http(s) URL, ``redirect_uri`` may be an origin-relative path
        (``/user/x/proxy/8765/callback``): behind a proxy whose public origin is unknown (Binder), that
        is the only address of the callback that the browser can use.
        """
        first = self.apps[0]
        where = f"seed.app.{first.name}"
        callback = (
            _origin_relative(self.source, where, redirect_uri)
            if isinstance(redirect_uri, str) and redirect_uri.startswith("/")
            else _url(self.source, where, "oauth_callback", redirect_uri)
        )
        app = AppSeed(first.name, first.display_name, first.uri, callback, first.secret)
        return replace(self, apps=(app, *self.apps[1:]))


#: What ``Sandbox(config=...)`` and ``create_app(config)`` accept.
ConfigLike: TypeAlias = "SandboxConfig | Mapping[str, Any] | str | os.PathLike[str] | None"


def normalize_url(value: str) -> str | None:
    """Normalise an absolute http(s) URL as a URL parser would, or return None if it is not one.

    Lowercases scheme and host and gives a bare origin a ``/`` path (spec §5.2).
    """
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        return None
    netloc = parts.netloc
    if "@" not in netloc:
        netloc = netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment))


def _demo_app() -> AppSeed:
    return AppSeed(
        name=_choices.DEMO_APP_NAME,
        display_name=_choices.DEMO_APP_DISPLAY_NAME,
        uri=_choices.DEMO_APP_URI,
        oauth_callback=_choices.DEMO_APP_CALLBACK,
        secret=_choices.DEMO_APP_SECRET,
    )


def _tables(source: str, seed: Mapping[str, Any], kind: str) -> dict[str, Mapping[str, Any]]:
    tables = seed.get(kind, {})
    if not isinstance(tables, Mapping):
        raise SandboxConfigError(f"{source}: [seed.{kind}] must be a table of tables")
    result: dict[str, Mapping[str, Any]] = {}
    for name, table in tables.items():
        if not isinstance(table, Mapping):
            raise SandboxConfigError(f"{source}: [seed.{kind}.{name}] must be a table")
        result[str(name)] = table
    return result


def _check_keys(
    source: str, where: str, table: Mapping[str, Any], allowed: tuple[str, ...], required: tuple[str, ...]
) -> None:
    for key in table:
        if key not in allowed:
            hint = f" (did you mean {_RENAMED_APP_KEYS[key]!r}?)" if key in _RENAMED_APP_KEYS else ""
            raise SandboxConfigError(
                f"{source}: [{where}] unknown key {key!r}{hint}; expected one of {', '.join(allowed)}"
            )
    for key in required:
        if key not in table:
            raise SandboxConfigError(f"{source}: [{where}] missing required key {key!r}")


def _string(source: str, where: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise SandboxConfigError(
            f"{source}: [{where}] key {key!r} must be a string, not {type(value).__name__}"
        )
    return value


def _url(source: str, where: str, key: str, value: object) -> str:
    normalized = normalize_url(_string(source, where, key, value))
    if normalized is None:
        raise SandboxConfigError(
            f"{source}: [{where}] key {key!r} must be an absolute http(s) URL: {value!r}"
        )
    return normalized


def _origin_relative(source: str, where: str, value: str) -> str:
    """``value`` if it is a path of the browser's origin (one leading ``/``, no backslash, no blank)."""
    if value.startswith("//") or "\\" in value or any(c.isspace() or not c.isprintable() for c in value):
        raise SandboxConfigError(
            f"{source}: [{where}] key 'oauth_callback' must be an absolute http(s) URL or a path "
            f"starting with a single '/': {value!r}"
        )
    return value


def _read_app(source: str, name: str, table: Mapping[str, Any]) -> AppSeed:
    where = f"seed.app.{name}"
    _check_keys(source, where, table, _APP_KEYS, _APP_KEYS)
    if not is_username(name):
        raise SandboxConfigError(
            f"{source}: [{where}] the table name must be a valid client name "
            "(^[a-z_][a-z0-9_]{1,31}$, giving the key NAME@clients)"
        )
    display_name = _string(source, where, "display_name", table["display_name"])
    if not is_oauth_client_display_name(display_name):
        raise SandboxConfigError(
            f"{source}: [{where}] key 'display_name' must match ^[A-Za-z_ ()-]{{2,32}}$: {display_name!r}"
        )
    secret = _string(source, where, "secret", table["secret"])
    if not secret:
        raise SandboxConfigError(f"{source}: [{where}] key 'secret' must not be empty")
    return AppSeed(
        name=name,
        display_name=display_name,
        uri=_url(source, where, "uri", table["uri"]),
        oauth_callback=_url(source, where, "oauth_callback", table["oauth_callback"]),
        secret=secret,
    )


def _read_user(source: str, name: str, table: Mapping[str, Any]) -> UserSeed:
    where = f"seed.user.{name}"
    _check_keys(source, where, table, _USER_KEYS, ("username", "password"))
    username = _string(source, where, "username", table["username"])
    if not is_username(username):
        raise SandboxConfigError(
            f"{source}: [{where}] key 'username' must match ^[a-z_][a-z0-9_]{{1,31}}$: {username!r}"
        )
    password = _string(source, where, "password", table["password"])
    if len(password.encode("utf-8")) > _MAX_PASSWORD_BYTES:
        raise SandboxConfigError(
            f"{source}: [{where}] key 'password' is longer than {_MAX_PASSWORD_BYTES} bytes"
        )
    display_name: str | None = None
    if "display_name" in table:
        display_name = _string(source, where, "display_name", table["display_name"]).strip()
        if not is_display_name(display_name):
            raise SandboxConfigError(
                f"{source}: [{where}] key 'display_name' is not a valid display name (2 to 64 letters, "
                f"digits, spaces, '_', '(' or ')'; no leading digit): {display_name!r}"
            )
    is_administrator: bool | None = None
    if "is_administrator" in table:
        value = table["is_administrator"]
        if not isinstance(value, bool):
            raise SandboxConfigError(f"{source}: [{where}] key 'is_administrator' must be a boolean")
        is_administrator = value
    return UserSeed(name, username, password, display_name, is_administrator)


def _read_section(source: str, key: str, table: Mapping[str, Any]) -> SectionSeed:
    where = f"seed.forum_section.{key}"
    _check_keys(source, where, table, _SECTION_KEYS, ("display_name",))
    if not is_forum_key(key):
        raise SandboxConfigError(
            f"{source}: [{where}] the table name is the section's key and must match "
            f"^{_choices.FORUM_KEY_PATTERN}$"
        )
    display_name = _string(source, where, "display_name", table["display_name"]).strip()
    if not 2 <= len(display_name) <= 64:
        raise SandboxConfigError(f"{source}: [{where}] key 'display_name' must have 2 to 64 characters")
    locale: str | None = None
    if "locale" in table:
        locale = _string(source, where, "locale", table["locale"])
        if locale not in _choices.FORUM_LOCALES:
            raise SandboxConfigError(
                f"{source}: [{where}] key 'locale' must be one of {', '.join(_choices.FORUM_LOCALES)}: "
                f"{locale!r}"
            )
    return SectionSeed(key, display_name, locale)
