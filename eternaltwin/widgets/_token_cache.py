"""An opt-in cache of OAuth refresh tokens, so that a later session can log in without a browser.

Only refresh tokens are kept (never an access token, a client secret or a state key), one per
``(url, client_id)``, in ``refresh-tokens.json`` inside the user's configuration directory:

- ``$ETERNALTWIN_CONFIG_DIR`` when set (tests point it at a temporary directory);
- else ``$XDG_CONFIG_HOME/eternaltwin``, or ``~/.config/eternaltwin`` on Linux and other Unixes;
- ``~/Library/Application Support/eternaltwin`` on macOS, ``%APPDATA%\\eternaltwin`` on Windows.

The directory is created with mode 0700 and the file is written atomically with mode 0600, so that only
its owner can read it. Nothing writes to it unless the person asked to be remembered (the login widget's
"Remember me" box, off by default).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_DIR_ENV", "TokenCache", "config_dir"]

#: The environment variable that overrides the configuration directory.
CONFIG_DIR_ENV = "ETERNALTWIN_CONFIG_DIR"

_FILE_NAME = "refresh-tokens.json"
_FORMAT_VERSION = 1


def config_dir() -> Path:
    """The kit's configuration directory for this user (it may not exist yet)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "eternaltwin"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "eternaltwin"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base_dir / "eternaltwin"


class TokenCache:
    """Refresh tokens by ``(url, client_id)``, in a file only its owner can read.

    Parameters
    ----------
    directory : str or Path, optional
        Where the file lives; :func:`config_dir` by default (read when the cache is used, so that a
        changed ``ETERNALTWIN_CONFIG_DIR`` is honoured).

    Notes
    -----
    A damaged or unreadable file counts as empty; it is replaced by the next :meth:`put`.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._directory = Path(directory) if directory is not None else None

    @property
    def path(self) -> Path:
        """The cache file."""
        return (self._directory or config_dir()) / _FILE_NAME

    @staticmethod
    def key(url: str, client_id: str) -> str:
        """The entry's key: the server's url (no trailing slash) and the client id."""
        return f"{url.rstrip('/')} {client_id}"

    def get(self, url: str, client_id: str) -> str | None:
        """The refresh token saved for this server and client, or None."""
        value = self._read().get(self.key(url, client_id))
        return value if isinstance(value, str) and value else None

    def put(self, url: str, client_id: str, refresh_token: str) -> None:
        """Save (or replace) the refresh token of this server and client."""
        entries = self._read()
        entries[self.key(url, client_id)] = refresh_token
        self._write(entries)

    def delete(self, url: str, client_id: str) -> bool:
        """Forget this server and client's token; whether there was one."""
        entries = self._read()
        if entries.pop(self.key(url, client_id), None) is None:
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

    def _read(self) -> dict[str, Any]:
        path = self.path
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                # Someone widened it: put it back before reading.
                path.chmod(0o600)
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            return {}
        entries = data.get("refresh_tokens")
        return dict(entries) if isinstance(entries, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        path = self.path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        payload = json.dumps(
            {"version": _FORMAT_VERSION, "refresh_tokens": entries}, indent=2, sort_keys=True
        )
        # mkstemp creates the file 0600; the rename makes the write all-or-nothing.
        fd, tmp = tempfile.mkstemp(prefix=".refresh-tokens-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
