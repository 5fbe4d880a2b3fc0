"""``python -m eternaltwin.sandbox``: prints its URL and credentials, stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from eternaltwin.sandbox.__main__ import build_parser

from .helpers import running_cli


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_and_stops_with_exit_0(sig: signal.Signals) -> None:
    with running_cli() as (process, url, lines):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.get(f"{url}/api/v1/").json() == {"status": "OK"}
        text = "\n".join(lines)
        assert "client_id:     demo_app@clients" in text
        assert "client_secret: dev_secret" in text
        assert "redirect_uri:  http://localhost:8000/oauth/callback" in text
        assert "alice / alice_password  (administrator)" in text and "bob / bob_password" in text
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None and "stopped" in process.stdout.read()
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/")


def test_cli_options(tmp_path: Path) -> None:
    with running_cli(
        "--population", "100", "--latency-ms", "1", "--redirect-uri", "http://127.0.0.1:9/cb"
    ) as (
        process,
        url,
        lines,
    ):
        assert "  redirect_uri:  http://127.0.0.1:9/cb" in lines
        assert any("Generated users: 100" in line for line in lines)
        assert httpx.get(f"{url}/api/v1/users", params={"limit": 0}).json()["count"] == 103
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_cli_config_file(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(
        '[seed.app.kit]\ndisplay_name = "Kit"\nuri = "http://localhost:1/"\n'
        'oauth_callback = "http://localhost:1/cb"\nsecret = "kit_secret"\n'
        '[seed.user.user1]\nusername = "user1"\npassword = "1234567891"\n',
        encoding="utf-8",
    )
    with running_cli("--config", str(path)) as (process, _url, lines):
        assert "  client_id:     kit@clients" in lines and "  user1 / 1234567891  (administrator)" in lines
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_cli_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "eternaltwin.toml"
    path.write_text('[seed.user.bad]\nusername = "Not Valid"\npassword = "x"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "eternaltwin.sandbox", "--port", "0", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "[seed.user.bad]" in result.stderr and "'username'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_port_in_use_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "eternaltwin.sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "cannot start" in result.stderr and "Traceback" not in result.stderr


def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.population, args.latency_ms) == ("127.0.0.1", 50320, 0, 0.0)
    assert args.config is None and args.redirect_uri is None
