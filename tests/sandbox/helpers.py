"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from eternaltwin.sandbox import Sandbox

POPULATION = 60

# Two apps, to check that a code of one cannot be redeemed by the other.
TWO_APPS_TOML: dict[str, Any] = {
    "backend": {"store": "Memory", "clock": "System"},
    "postgres": {"host": "localhost"},
    "seed": {
        "app": {
            "first_app": {
                "display_name": "First App",
                "uri": "http://localhost:9001/",
                "oauth_callback": "http://localhost:9001/oauth/callback",
                "secret": "first_secret",
            },
            "second_app": {
                "display_name": "Second App",
                "uri": "http://localhost:9002",
                "oauth_callback": "http://localhost:9002/cb?x=1",
                "secret": "second_secret",
            },
        },
        "user": {
            "user1": {"username": "user1", "password": "1234567891"},
            "user2": {"username": "user2", "password": "1234567892", "display_name": "Second User"},
        },
        "forum_section": {"main_en": {"display_name": "Main", "locale": "en-US"}},
    },
}


def hex_password(password: str) -> str:
    """Passwords travel hex-encoded (spec §2)."""
    return password.encode("utf-8").hex()


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """PUT /api/v1/auth/self?method=Etwin."""
    return client.put(
        "/api/v1/auth/self",
        params={"method": "Etwin"},
        json={"login": username, "password": hex_password(password)},
    )


def authorize_params(sandbox: Sandbox, app_index: int = 0, **overrides: str | None) -> dict[str, str]:
    """Query of /oauth/authorize as the seed client builds it."""
    app = sandbox.apps[app_index]
    params: dict[str, str | None] = {
        "response_type": "code",
        "access_type": "offline",
        "client_id": app.key,
        "scope": "base",
        "state": "some-state",
        "redirect_uri": app.oauth_callback,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def location_query(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect's Location, as a dict."""
    query = urllib.parse.urlsplit(response.headers["location"]).query
    return dict(urllib.parse.parse_qsl(query))


def get_code(
    sandbox: Sandbox, username: str = "bob", password: str = "bob_password", app_index: int = 0
) -> str:
    """Log in with a password and return a fresh authorization code for the app."""
    with httpx.Client(base_url=sandbox.url) as client:
        assert login(client, username, password).status_code == 200
        response = client.get("/oauth/authorize", params=authorize_params(sandbox, app_index))
        assert response.status_code == 302, response.text
        return location_query(response)["code"]


def get_tokens(sandbox: Sandbox, username: str = "bob", password: str = "bob_password") -> dict[str, Any]:
    """Run the whole flow and return the token reply."""
    app = sandbox.apps[0]
    code = get_code(sandbox, username, password)
    response = httpx.post(
        f"{sandbox.url}/oauth/token",
        auth=(app.key, app.secret),
        json={"grant_type": "authorization_code", "code": code},
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


@contextmanager
def running_cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """Start the CLI, wait for its "ready" line, yield (process, url, lines so far)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "eternaltwin.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        url = None
        while url is None:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(
                    f"CLI ended early: {process.wait()} {process.stderr.read() if process.stderr else ''}"
                )
            lines.append(line.rstrip("\n"))
            match = re.search(r"ready at (http://\S+)", line)
            url = match.group(1) if match else None
        while not lines[-1].startswith("Press Ctrl-C"):
            lines.append(process.stdout.readline().rstrip("\n"))
        yield process, url, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
