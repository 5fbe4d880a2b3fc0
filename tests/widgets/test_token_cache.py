"""The opt-in login cache: what it keeps (a refresh token, else the access token until it expires), an
owner-only file that is never followed through a link, a damaged file counting as empty, and writers that
lose no entry."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from eternaltwin.exceptions import ConfigurationError
from eternaltwin.tokens import Token
from eternaltwin.widgets._token_cache import (
    CONFIG_DIR_ENV,
    MAX_FILE_BYTES,
    SavedLogin,
    TokenCache,
    config_dir,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def refreshable(refresh_token: str = "r1", access_token: str = "a1") -> Token:
    return Token(access_token=access_token, expires_in=3600, token_type="Bearer", refresh_token=refresh_token)


def long_lived(access_token: str = "a1") -> Token:
    """What eternaltwin.org issues: 1,000,000,000 s and no refresh token."""
    return Token(access_token=access_token, expires_in=1_000_000_000, token_type="Bearer")


def test_config_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "etc"))
    assert config_dir() == tmp_path / "etc"
    assert TokenCache().path == tmp_path / "etc" / "refresh-tokens.json"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout")
def test_config_dir_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "eternaltwin"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    assert config_dir() == Path.home() / ".config" / "eternaltwin"


def test_empty_until_written(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "conf")
    assert cache.get("http://a", "app@clients") is None
    assert not cache.path.exists()
    assert cache.delete("http://a", "app@clients") is False
    assert not cache.path.exists()


# -- what is kept ---------------------------------------------------------------------------------------


@posix_only
def test_put_get_delete_and_modes(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "conf")
    cache.put("http://a/", "app@clients", refreshable("r1"))
    real = long_lived("a2")
    cache.put("http://b", "app@clients", real)

    assert cache.get("http://a", "app@clients") == SavedLogin("refresh_token", "r1")  # trailing slash
    assert cache.get("http://a", "other@clients") is None
    assert cache.get("http://b", "app@clients") == SavedLogin("access_token", "a2", "Bearer", real.expiration)
    assert ("http://b", "app@clients") in cache
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert json.loads(cache.path.read_text()) == {
        "version": 2,
        "logins": {
            # A refresh token when the server gave one: the access token is not kept.
            "http://a app@clients": {"kind": "refresh_token", "token": "r1"},
            # Else the access token, with what it takes to use it until it expires.
            "http://b app@clients": {
                "kind": "access_token",
                "token": "a2",
                "token_type": "Bearer",
                "expires_at": real.expiration,
            },
        },
    }
    assert "a1" not in cache.path.read_text()
    assert cache.delete("http://a", "app@clients") is True
    assert cache.get("http://a", "app@clients") is None
    assert cache.get("http://b", "app@clients") is not None
    lock = cache.path.with_name("refresh-tokens.json.lock")
    assert sorted(cache.path.parent.iterdir()) == [cache.path, lock]  # no temporary file left behind
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_a_token_without_expiry_is_kept_without_one(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("http://a", "c", Token(access_token="forever", token_type="Bearer"))
    saved = cache.get("http://a", "c")
    assert saved == SavedLogin("access_token", "forever", "Bearer", None)
    token = saved.token()
    assert token.access_token == "forever" and not token.expires and token.kind == "long-lived"


def test_a_saved_access_token_is_used_until_it_expires(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    token = Token(access_token="short", expires_in=3600, token_type="Bearer")
    cache.put("http://a", "c", token)
    saved = cache.get("http://a", "c")
    assert saved is not None
    rebuilt = saved.token()
    assert rebuilt.expiration == token.expiration and rebuilt.kind == "short-lived"
    assert rebuilt.seconds_left is not None and 3500 < rebuilt.seconds_left <= 3540

    token.expiration = time.time() - 1  # expired (as the kit reckons, leeway included)
    cache.put("http://a", "c", token)  # nothing left worth keeping: the entry goes
    assert cache.get("http://a", "c") is None
    assert json.loads(cache.path.read_text())["logins"] == {}


def test_an_expired_access_token_counts_as_none_and_is_dropped_by_the_next_write(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.path.write_text(
        json.dumps(
            {
                "version": 2,
                "logins": {
                    "http://a c": {"kind": "access_token", "token": "old", "expires_at": time.time() - 5},
                    "http://b c": {"kind": "refresh_token", "token": "r"},
                },
            }
        )
    )
    assert cache.get("http://a", "c") is None
    cache.put("http://z", "c", refreshable("rz"))
    assert sorted(json.loads(cache.path.read_text())["logins"]) == ["http://b c", "http://z c"]


def test_a_saved_refresh_token_starts_an_expired_token_to_refresh() -> None:
    token = SavedLogin("refresh_token", "r9").token()
    assert token.refresh_token == "r9" and token.access_token == "" and token.has_expired()


def test_the_repr_shows_no_secret(tmp_path: Path) -> None:
    saved = SavedLogin("access_token", "s3cr3t-access", "Bearer", 12.0)
    assert "s3cr3t" not in repr(saved) and "access_token=••••••" in repr(saved)
    assert "s3cr3t" not in repr(SavedLogin("refresh_token", "s3cr3t-refresh"))


def test_put_takes_a_token(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="takes a Token, not str"):
        TokenCache(tmp_path).put("http://a", "c", "r")  # type: ignore[arg-type]
    assert not TokenCache(tmp_path).path.exists()


def test_a_version_1_file_is_read_and_rewritten_as_version_2(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.path.write_text(json.dumps({"version": 1, "refresh_tokens": {"http://a c": "r-old"}}))
    assert cache.get("http://a", "c") == SavedLogin("refresh_token", "r-old")
    cache.put("http://b", "c", long_lived("a"))
    data = json.loads(cache.path.read_text())
    assert data["version"] == 2
    assert data["logins"]["http://a c"] == {"kind": "refresh_token", "token": "r-old"}


# -- a damaged file counts as empty -----------------------------------------------------------------------


_ENTRY = {"kind": "refresh_token", "token": "r"}


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"version": 2, "logins": {"http://a c": {"kind": "refresh_token", "token": "\xff"}}}',  # not UTF-8
        b"[" * 100_000,  # deep enough to exhaust the parser (a RecursionError)
        b'{"version": 2, "logins": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        json.dumps({"version": 99, "logins": {"http://a c": _ENTRY}}).encode(),
        json.dumps({"version": 2, "logins": []}).encode(),
        json.dumps({"version": 2, "logins": {"http://a c": {**_ENTRY, "kind": "password"}}}).encode(),
        json.dumps({"version": 2, "logins": {"http://a c": {**_ENTRY, "token": 5}}}).encode(),
        json.dumps({"version": 2, "logins": {"http://a c": {**_ENTRY, "token_type": None}}}).encode(),
        json.dumps(
            {
                "version": 2,
                "logins": {"http://a c": {"kind": "access_token", "token": "t", "expires_at": "x"}},
            }
        ).encode(),
        json.dumps({"version": 1, "refresh_tokens": {"http://a c": ["r"]}}).encode(),
        b"[1, 2]",
    ],
    ids=lambda content: content[:24].decode("latin-1"),
)
def test_damaged_file_counts_as_empty(tmp_path: Path, content: bytes) -> None:
    cache = TokenCache(tmp_path)
    cache.path.write_bytes(content)
    assert cache.get("http://a", "c") is None
    cache.put("http://b", "c", refreshable("r2"))  # replaced by the next write
    assert cache.get("http://b", "c") == SavedLogin("refresh_token", "r2")


def test_an_oversized_file_counts_as_empty(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    entry = {"kind": "refresh_token", "token": "r"}
    padding = "x" * MAX_FILE_BYTES
    cache.path.write_text(json.dumps({"version": 2, "logins": {"http://a c": entry}, "pad": padding}))
    assert cache.get("http://a", "c") is None


@posix_only
def test_something_else_than_a_file_counts_as_empty(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    os.mkfifo(cache.path)  # opening a FIFO to read would wait for a writer: it must not
    assert cache.get("http://a", "c") is None
    cache.put("http://a", "c", refreshable("r"))
    assert stat.S_ISREG(cache.path.lstat().st_mode)
    assert cache.get("http://a", "c") == SavedLogin("refresh_token", "r")


# -- who may read it ------------------------------------------------------------------------------------


@posix_only
def test_widened_file_is_narrowed_back(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("http://a", "c", refreshable("r"))
    cache.path.chmod(0o644)
    assert cache.get("http://a", "c") == SavedLogin("refresh_token", "r")
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


@posix_only
def test_a_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    directory = tmp_path / "conf"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim.json"
    victim.write_text(
        json.dumps({"version": 2, "logins": {"http://a c": {"kind": "refresh_token", "token": "x"}}})
    )
    victim.chmod(0o644)
    cache = TokenCache(directory)
    cache.path.symlink_to(victim)

    assert cache.get("http://a", "c") is None  # a link there counts as no file: not read through
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644  # and not chmod-ed through either

    cache.put("http://b", "c", refreshable("mine"))
    assert not cache.path.is_symlink()  # the link itself was replaced by the cache file
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert "mine" not in victim.read_text() and stat.S_IMODE(victim.stat().st_mode) == 0o644


@posix_only
def test_a_symlink_planted_as_the_lock_file_is_replaced(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "conf")
    cache.put("http://a", "c", refreshable("r"))
    lock = cache.path.with_name("refresh-tokens.json.lock")
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    lock.unlink()
    lock.symlink_to(victim)
    cache.put("http://b", "c", refreshable("r2"))
    assert not lock.is_symlink() and victim.read_text() == "untouched"
    assert cache.get("http://b", "c") is not None


@posix_only
def test_a_chosen_directory_open_to_others_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    for cache in (TokenCache(shared), TokenCache()):  # given, or through the environment variable
        monkeypatch.setenv(CONFIG_DIR_ENV, str(shared))
        with pytest.raises(ConfigurationError, match=r"can be used by other users \(mode 0777\)") as caught:
            cache.put("http://a", "c", refreshable("r"))
        assert f"chmod 700 {shared}" in str(caught.value) and CONFIG_DIR_ENV in str(caught.value)
        with pytest.raises(ConfigurationError, match="can be used by other users"):
            cache.get("http://a", "c")  # a file planted there is not read either
    assert stat.S_IMODE(shared.stat().st_mode) == 0o777  # left as it is: it may be shared on purpose
    assert list(shared.iterdir()) == []


@posix_only
@pytest.mark.skipif(sys.platform == "darwin", reason="XDG layout")
def test_the_kits_own_directory_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    own = tmp_path / "eternaltwin"
    own.mkdir()
    own.chmod(0o777)
    cache = TokenCache()
    assert cache.path.parent == own
    cache.put("http://a", "c", refreshable("r"))
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert cache.get("http://a", "c") == SavedLogin("refresh_token", "r")


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 12345, 12345)
    with pytest.raises(ConfigurationError, match="belongs to another user"):
        TokenCache(theirs).put("http://a", "c", refreshable("r"))


# -- two kernels at once ----------------------------------------------------------------------------------


def test_writers_at_once_lose_no_entry(tmp_path: Path) -> None:
    # Each thread has its own TokenCache and its own descriptors, as two kernels would: the lock is what
    # keeps one's read-modify-write from overwriting the other's.
    per_writer = 25
    start = threading.Barrier(3)

    def write(writer: int) -> None:
        cache = TokenCache(tmp_path)
        start.wait()
        for i in range(per_writer):
            cache.put(f"http://server{writer}", f"app{i}@clients", refreshable(f"r{writer}-{i}"))

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logins = json.loads(TokenCache(tmp_path).path.read_text())["logins"]
    assert len(logins) == 3 * per_writer
    assert logins["http://server2 app24@clients"] == {"kind": "refresh_token", "token": "r2-24"}
