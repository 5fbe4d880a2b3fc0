"""Small routes, error plumbing, latency, clock and package hygiene."""

from __future__ import annotations

import ast
import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import eternaltwin.sandbox
from eternaltwin.sandbox import Sandbox, VirtualClock, create_app, format_instant
from eternaltwin.sandbox import _app as app_module

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1"])
def test_api_root(sandbox_http: httpx.Client, path: str) -> None:
    assert sandbox_http.get(path).json() == {"status": "OK"}


def test_clock_route_follows_virtual_clock(sandbox_fresh: Sandbox) -> None:
    before = httpx.get(f"{sandbox_fresh.url}/api/v1/clock").json()["time"]
    assert TIMESTAMP.fullmatch(before)
    sandbox_fresh.clock.set(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    after = httpx.get(f"{sandbox_fresh.url}/api/v1/clock").json()["time"]
    assert after.startswith("2030-01-02T03:04:0")


def test_config_route(sandbox_http: httpx.Client) -> None:
    assert sandbox_http.get("/api/v1/config").json() == {
        "forum": {"threads_per_page": 20, "posts_per_page": 10}
    }


def test_unknown_route_is_json_404(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/api/v1/forum/nothing-here")
    assert response.status_code == 404 and response.json() == {"error": "NotFound"}


def test_wrong_method_is_json_405(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.patch("/api/v1/users")
    assert response.status_code == 405 and response.json() == {"error": "MethodNotAllowed"}
    assert "GET" in response.headers["allow"]


def test_home_page(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get("/")
    assert response.status_code == 200 and "Eternaltwin sandbox" in response.text


def test_internal_errors_are_json_without_traceback(
    sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("kaboom secret detail")

    monkeypatch.setattr(sandbox_fresh.store, "search_users", explode)
    with caplog.at_level(logging.ERROR, logger="eternaltwin.sandbox"):
        response = httpx.get(f"{sandbox_fresh.url}/api/v1/users")
    assert response.status_code == 500
    assert response.json() == {"error": "InternalServerError"}
    assert "kaboom" not in response.text and "Traceback" not in response.text
    assert any("kaboom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_latency_middleware_sleeps_before_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)

    monkeypatch.setattr(app_module, "_latency_sleep", fake_sleep)
    with Sandbox(latency_ms=250) as sandbox:
        assert httpx.get(f"{sandbox.url}/api/v1/").status_code == 200
        assert httpx.get(f"{sandbox.url}/api/v1/nope").status_code == 404
    assert delays == [0.25, 0.25]


def test_no_latency_middleware_by_default() -> None:
    app = create_app()
    assert not any(m.cls is app_module.LatencyMiddleware for m in app.user_middleware)


def test_virtual_clock() -> None:
    clock = VirtualClock()
    start = clock.now()
    assert start.tzinfo is not None
    moved = clock.advance(3600)
    assert moved - start >= timedelta(seconds=3600)
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.now() - start < timedelta(seconds=60)


def test_format_instant() -> None:
    assert format_instant(datetime(2021, 3, 4, 5, 6, 7, 89999, tzinfo=UTC)) == "2021-03-04T05:06:07.089Z"
    assert format_instant(datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)) == "2021-03-04T05:06:07.000Z"


def test_sandbox_lifecycle_is_idempotent() -> None:
    sandbox = Sandbox()
    with pytest.raises(RuntimeError):
        _ = sandbox.url
    sandbox.stop()  # not started: no-op
    sandbox.start()
    url = sandbox.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert sandbox.start() is sandbox  # already running
    assert httpx.get(f"{url}/api/v1/").status_code == 200
    sandbox.stop()
    sandbox.stop()
    assert not sandbox.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/")


def test_connection_config(sandbox_server: Sandbox) -> None:
    config = sandbox_server.connection_config()
    assert set(config) == {"url", "client_id", "client_secret", "redirect_uri", "state_key"}
    assert config["url"] == sandbox_server.url and not config["url"].endswith("/")
    assert config["client_id"] == "demo_app@clients" and config["client_secret"] == "dev_secret"
    assert config["redirect_uri"] == "http://localhost:8000/oauth/callback"
    assert len(config["state_key"]) >= 32
    with Sandbox() as other:
        assert other.connection_config()["state_key"] != config["state_key"]


def test_demo_users_and_apps(sandbox_server: Sandbox) -> None:
    users = {u.username: u for u in sandbox_server.demo_users}
    assert set(users) == {"alice", "bob", "charlie"}
    assert users["alice"].is_administrator and not users["bob"].is_administrator
    assert "alice_password" not in repr(users["alice"])
    app = sandbox_server.apps[0]
    assert (app.key, app.display_name) == ("demo_app@clients", "Demo App")
    assert "dev_secret" not in repr(app)
    assert "dev_secret" not in repr(sandbox_server.store.clients[app.id])


def test_the_sandbox_imports_nothing_else_from_the_package() -> None:
    package_dir = Path(eternaltwin.sandbox.__file__).parent
    for source in package_dir.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "eternaltwin" or name.startswith("eternaltwin."):
                    assert name.startswith("eternaltwin.sandbox") or name == "eternaltwin._version", (
                        source,
                        name,
                    )


def test_all_is_sorted_and_complete() -> None:
    exported = eternaltwin.sandbox.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(eternaltwin.sandbox, name)
    for name in ("Sandbox", "SandboxConfig", "create_app"):
        assert name in exported
