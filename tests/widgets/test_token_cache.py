"""The opt-in refresh-token cache: owner-only file, keyed by url and client id."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from eternaltwin.widgets._token_cache import CONFIG_DIR_ENV, TokenCache, config_dir

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


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


@posix_only
def test_put_get_delete_and_modes(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "conf")
    cache.put("http://a/", "app@clients", "r1")
    cache.put("http://b", "app@clients", "r2")
    assert cache.get("http://a", "app@clients") == "r1"  # trailing slash does not matter
    assert cache.get("http://a", "other@clients") is None
    assert ("http://b", "app@clients") in cache
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    data = json.loads(cache.path.read_text())
    assert data == {
        "version": 1,
        "refresh_tokens": {"http://a app@clients": "r1", "http://b app@clients": "r2"},
    }
    assert cache.delete("http://a", "app@clients") is True
    assert cache.get("http://a", "app@clients") is None
    assert cache.get("http://b", "app@clients") == "r2"
    assert list(cache.path.parent.iterdir()) == [cache.path]  # no temporary file left behind


@posix_only
def test_widened_file_is_narrowed_back(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("http://a", "c", "r")
    cache.path.chmod(0o644)
    assert cache.get("http://a", "c") == "r"
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_damaged_file_counts_as_empty(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.path.write_text("{not json")
    assert cache.get("http://a", "c") is None
    cache.path.write_text(json.dumps({"version": 99, "refresh_tokens": {"http://a c": "r"}}))
    assert cache.get("http://a", "c") is None
    cache.put("http://a", "c", "r")
    assert cache.get("http://a", "c") == "r"
