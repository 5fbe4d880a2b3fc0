"""The login widget's opt-in cache of logins ("Remember me"), so that a later session logs in silently.

It keeps what the server gave, one entry per ``(url, client_id)``:

- a **refresh token** when the login has one (the kit renews the access token with it; when a refresh
  rotates it, the login widget saves the new one);
- else the **access token** itself, with its type and expiry, until it expires (eternaltwin.org issues
  access tokens valid for 1,000,000,000 s and no refresh token).

Never a client secret, a state key or an authorization code. The file is ``refresh-tokens.json`` (its
name from when it held refresh tokens only) in the user's configuration directory:

- ``$ETERNALTWIN_CONFIG_DIR`` when set (tests point it at a temporary directory);
- else ``$XDG_CONFIG_HOME/eternaltwin``, or ``~/.config/eternaltwin`` on Linux and other Unixes;
- ``~/Library/Application Support/eternaltwin`` on macOS, ``%APPDATA%\\eternaltwin`` on Windows.

Nothing writes to it unless the person asked to be remembered (the login widget's "Remember me" box, off
by default).

Format
------
``{"version": 2, "logins": {"<url> <client_id>": ENTRY}}``, where ``ENTRY`` is
``{"kind": "refresh_token", "token": "..."}`` or
``{"kind": "access_token", "token": "...", "token_type": "Bearer", "expires_at": 1.9e9}`` (``expires_at``
a POSIX time, or null for a token without expiry). A version 1 file (``{"version": 1, "refresh_tokens":
{key: token}}``) is read as refresh-token entries and rewritten as version 2 by the next write.

Safety (POSIX)
--------------
- The directory is created with mode 0700. An existing one that other users may read, write or enter,
  or that belongs to another user, is **refused** (:class:`~eternaltwin.exceptions.ConfigurationError`
  naming it and the ``chmod`` to run) when it was chosen (``ETERNALTWIN_CONFIG_DIR``, ``directory=``),
  since it may be shared on purpose (``/tmp``); the kit's own default directory is **tightened** to 0700
  when it belongs to this user (and refused otherwise).
- The file is never followed through a symbolic link: it is opened with ``O_NOFOLLOW`` (a link there
  counts as no file, and the next write replaces the link itself, not its target), and a file widened by
  someone is narrowed back to 0600 through its open descriptor (``fchmod``), never by path.
- A damaged file counts as empty: bad JSON, nesting deep enough to exhaust the parser, anything not a
  regular file, a file of more than :data:`MAX_FILE_BYTES`, entries of the wrong shape.
- Writes are read-modify-write under an exclusive lock on ``refresh-tokens.json.lock`` (``flock``), and
  replace the file atomically (a 0600 temporary file renamed over it): two kernels saving at once lose
  no entry, and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eternaltwin._secrets import mask
from eternaltwin.exceptions import ConfigurationError
from eternaltwin.tokens import EXPIRATION_LEEWAY, Token

__all__ = ["CONFIG_DIR_ENV", "MAX_FILE_BYTES", "SavedLogin", "TokenCache", "config_dir"]

#: The environment variable that overrides the configuration directory.
CONFIG_DIR_ENV = "ETERNALTWIN_CONFIG_DIR"

#: A cache file larger than this counts as damaged (a few hundred logins take a few tens of KiB).
MAX_FILE_BYTES = 1 << 20

_FILE_NAME = "refresh-tokens.json"
_LOCK_SUFFIX = ".lock"
_FORMAT_VERSION = 2
_POSIX = os.name == "posix"

Kind = Literal["refresh_token", "access_token"]
_KINDS: tuple[Kind, ...] = ("refresh_token", "access_token")


def config_dir() -> Path:
    """The kit's configuration directory for this user (it may not exist yet)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return _default_dir()


def _default_dir() -> Path:
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "eternaltwin"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "eternaltwin"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base_dir / "eternaltwin"


@dataclass(frozen=True, slots=True)
class SavedLogin:
    """One remembered login.

    Attributes
    ----------
    kind : {"refresh_token", "access_token"}
        What :attr:`secret` is.
    secret : str
        The refresh token, or the access token (never shown: the repr masks it).
    token_type : str
        The access token's type (``"Bearer"``).
    expires_at : float or None
        For an access token, the POSIX time after which the kit treats it as expired (its
        :attr:`~eternaltwin.tokens.Token.expiration`); None when it has no expiry. Always None for a
        refresh token.
    """

    kind: Kind
    secret: str = field(repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None

    @classmethod
    def of(cls, token: Token) -> SavedLogin | None:
        """What to keep of ``token``: its refresh token, else its access token while it is valid.

        Returns None for a token with neither, or an access token that has already expired.
        """
        if token.refresh_token:
            return cls("refresh_token", token.refresh_token, token.token_type or "Bearer")
        if token.access_token and not token.has_expired():
            return cls("access_token", token.access_token, token.token_type or "Bearer", token.expiration)
        return None

    @property
    def has_expired(self) -> bool:
        """Whether this is an access token past its expiry (a refresh token never is, as far as we know)."""
        return self.expires_at is not None and time.time() >= self.expires_at

    def token(self) -> Token:
        """A :class:`~eternaltwin.tokens.Token` to start from.

        For a refresh token, one with an empty, expired access token (refresh it first); for an access
        token, that token with its saved expiry.
        """
        if self.kind == "refresh_token":
            return Token(access_token="", expires_in=0, token_type=self.token_type, refresh_token=self.secret)
        token = Token(access_token=self.secret, expires_in=None, token_type=self.token_type)
        if self.expires_at is not None:
            token.expiration = self.expires_at
            token.expires_in = max(0.0, self.expires_at + EXPIRATION_LEEWAY - time.time())
        return token

    def same_as(self, other: SavedLogin | None) -> bool:
        """Whether ``other`` keeps the same secret of the same kind."""
        return other is not None and other.kind == self.kind and other.secret == self.secret

    def to_json(self) -> dict[str, Any]:
        """The file's entry."""
        if self.kind == "refresh_token":
            return {"kind": self.kind, "token": self.secret}
        return {
            "kind": self.kind,
            "token": self.secret,
            "token_type": self.token_type,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, entry: Any) -> SavedLogin | None:
        """An entry of the file, or None when it is not of a known shape."""
        if not isinstance(entry, dict):
            return None
        kind, secret = entry.get("kind"), entry.get("token")
        if kind not in _KINDS or not isinstance(secret, str) or not secret:
            return None
        token_type = entry.get("token_type", "Bearer")
        if not isinstance(token_type, str) or not token_type:
            return None
        expires_at = entry.get("expires_at")
        if kind == "refresh_token":
            return cls("refresh_token", secret, token_type)
        if expires_at is not None and (
            isinstance(expires_at, bool)
            or not isinstance(expires_at, int | float)
            or expires_at != expires_at
        ):
            return None
        return cls("access_token", secret, token_type, None if expires_at is None else float(expires_at))

    def __repr__(self) -> str:
        when = "no expiry" if self.expires_at is None else f"expires_at={self.expires_at:.0f}"
        extra = "" if self.kind == "refresh_token" else f", {self.token_type}, {when}"
        return f"<SavedLogin {self.kind}={mask(self.secret)}{extra}>"


class TokenCache:
    """Remembered logins by ``(url, client_id)``, in a file only its owner can read (see the module).

    Parameters
    ----------
    directory : str or Path, optional
        Where the file lives; :func:`config_dir` by default (read when the cache is used, so that a
        changed ``ETERNALTWIN_CONFIG_DIR`` is honoured).

    Raises
    ------
    ConfigurationError
        From every method, when the directory is open to other users or belongs to another user (see
        the module's notes for when it is tightened instead).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._directory = Path(directory) if directory is not None else None

    @property
    def directory(self) -> Path:
        """The directory of the cache file."""
        return self._directory or config_dir()

    @property
    def path(self) -> Path:
        """The cache file."""
        return self.directory / _FILE_NAME

    @staticmethod
    def key(url: str, client_id: str) -> str:
        """The entry's key: the server's url (no trailing slash) and the client id."""
        return f"{url.rstrip('/')} {client_id}"

    def get(self, url: str, client_id: str) -> SavedLogin | None:
        """The login saved for this server and client, or None (an expired access token counts as none).

        Raises
        ------
        ConfigurationError
            The directory is refused (see the class).
        """
        if not self._check_directory(create=False):
            return None
        saved = self._read().get(self.key(url, client_id))
        return None if saved is None or saved.has_expired else saved

    def put(self, url: str, client_id: str, token: Token) -> SavedLogin | None:
        """Save what is worth keeping of ``token`` (see :meth:`SavedLogin.of`) for this server and client.

        Returns
        -------
        SavedLogin or None
            What was saved; None when ``token`` holds nothing to keep (the entry is then removed).

        Raises
        ------
        ConfigurationError
            The directory is refused (see the class).
        OSError
            The file cannot be written (a full disk...).
        """
        if not isinstance(token, Token):
            raise TypeError(f"TokenCache.put takes a Token, not {type(token).__name__}")
        saved = SavedLogin.of(token)
        key = self.key(url, client_id)
        with self._locked():
            entries = self._read()
            if saved is None:
                entries.pop(key, None)
            else:
                entries[key] = saved
            self._write(entries)
        return saved

    def delete(self, url: str, client_id: str) -> bool:
        """Forget this server and client's login; whether there was one.

        Raises
        ------
        ConfigurationError
            The directory is refused (see the class).
        """
        if not self._check_directory(create=False):
            return False
        key = self.key(url, client_id)
        with self._locked():
            entries = self._read()
            if entries.pop(key, None) is None:
                return False
            self._write(entries)
        return True

    def __contains__(self, item: object) -> bool:
        if not (isinstance(item, tuple) and len(item) == 2):
            return False
        url, client_id = item
        return isinstance(url, str) and isinstance(client_id, str) and self.get(url, client_id) is not None

    def __repr__(self) -> str:
        return f"<TokenCache {str(self.path)!r}>"

    # -- the directory ------------------------------------------------------------------------------

    def _check_directory(self, *, create: bool) -> bool:
        """Whether the directory exists (made 0700 when ``create``), after checking who may use it."""
        directory = self.directory
        try:
            info = directory.stat()
        except FileNotFoundError:
            if not create:
                return False
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = directory.stat()
        if not stat.S_ISDIR(info.st_mode):
            raise ConfigurationError(
                f"The login cache's directory {str(directory)!r} is not a directory: remove it, or set "
                f"{CONFIG_DIR_ENV} to a private directory."
            )
        if not _POSIX:
            return True
        foreign = info.st_uid != os.getuid()
        open_to_others = bool(info.st_mode & 0o077)
        if not foreign and not open_to_others:
            return True
        if not foreign and self._directory is None and os.environ.get(CONFIG_DIR_ENV) is None:
            # The kit's own directory, widened by someone (a umask, a chmod): put it back.
            os.chmod(directory, 0o700)
            return True
        whose = "belongs to another user" if foreign else "can be used by other users"
        advice = (
            f"set {CONFIG_DIR_ENV} to a directory of your own"
            if foreign
            else f"run `chmod 700 {directory}`, or set {CONFIG_DIR_ENV} to a private directory"
        )
        raise ConfigurationError(
            f"The login cache's directory {str(directory)!r} {whose} (mode "
            f"{stat.S_IMODE(info.st_mode):04o}), so remembered logins are neither read from nor written to "
            f"it: {advice}."
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the cache's write lock (other processes and other TokenCache objects wait for it)."""
        self._check_directory(create=True)
        lock_path = self.directory / (_FILE_NAME + _LOCK_SUFFIX)
        fd = _open_lock_file(lock_path)
        try:
            _lock(fd)
            try:
                yield
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    # -- the file ------------------------------------------------------------------------------------

    def _read(self) -> dict[str, SavedLogin]:
        """The file's entries; {} when there is no file or it is damaged (see the module)."""
        data = _load(self.path)
        if not isinstance(data, dict):
            return {}
        entries: dict[str, SavedLogin] = {}
        if data.get("version") == 1:  # refresh tokens only, as plain strings
            old = data.get("refresh_tokens")
            if isinstance(old, dict):
                for key, value in old.items():
                    if isinstance(key, str) and isinstance(value, str) and value:
                        entries[key] = SavedLogin("refresh_token", value)
            return entries
        if data.get("version") != _FORMAT_VERSION:
            return {}
        logins = data.get("logins")
        if not isinstance(logins, dict):
            return {}
        for key, value in logins.items():
            saved = SavedLogin.from_json(value)
            if isinstance(key, str) and saved is not None:
                entries[key] = saved
        return entries

    def _write(self, entries: dict[str, SavedLogin]) -> None:
        # (No local here holds the file's text: a verbose traceback shows locals, and SavedLogin masks.)
        path = self.path
        live = {key: saved for key, saved in entries.items() if not saved.has_expired}
        # mkstemp creates the file 0600 under a fresh name; the rename makes the write all-or-nothing and
        # replaces whatever is at the path (a symbolic link included) rather than writing through it.
        fd, tmp = tempfile.mkstemp(prefix=".refresh-tokens-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_dumps(live))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _dumps(entries: dict[str, SavedLogin]) -> str:
    logins = {key: saved.to_json() for key, saved in entries.items()}
    return json.dumps({"version": _FORMAT_VERSION, "logins": logins}, indent=2, sort_keys=True) + "\n"


def _load(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, damaged, or not a regular file of this user's."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # missing, unreadable, or a symbolic link (ELOOP): no file to us
        return None
    try:
        return _parse(fd)
    except (OSError, ValueError, RecursionError):  # bad JSON or encoding; nesting deeper than the parser goes
        return None
    finally:
        os.close(fd)


def _parse(fd: int) -> Any:
    """The JSON of the open file ``fd``; None when it is not a regular file of this user's or too large."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        return None
    if _POSIX:
        if info.st_uid != os.getuid():
            return None
        if info.st_mode & 0o077:
            os.fchmod(fd, 0o600)  # widened by someone: put it back (the descriptor, never the path)
    with os.fdopen(os.dup(fd), "rb") as handle:
        content = handle.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        return None
    return json.loads(content.decode("utf-8"))


def _open_lock_file(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o600)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
    os.unlink(path)  # a symbolic link planted where the lock goes: replace it with a file of our own
    return os.open(path, flags | os.O_EXCL, 0o600)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for about 10 s before OSError
                return
            except OSError as error:
                if error.errno != errno.EDEADLK:
                    raise

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
