"""The async client's two engines answer alike over real HTTP: content decoding, headers, bodies."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin

BODY = {"time": "2021-11-15T00:00:00.000Z"}


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with gzip-compressed JSON and echoes what it received in headers."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def _answer(self, body: bytes) -> None:
        type(self).seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        payload = gzip.compress(json.dumps(BODY).encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Echo", "yes")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def gzip_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_engines_decode_and_pass_headers_alike(gzip_server: str, backend: str) -> None:
    _Handler.seen.clear()
    client = AsyncEternaltwin(url=gzip_server, async_backend=backend, user_agent="probe/1")
    try:
        response = await client.get("/api/v1/clock", params={"q": "é"})
        assert response.status_code == 200
        assert response.json() == BODY  # gzip undone once, by httpx
        assert response.headers["x-echo"] == "yes"
        posted = await client.post("/oauth/token", json={"code": "c"}, raise_on_error=False)
        assert posted.json() == BODY
    finally:
        await client.aclose()
    get, post = _Handler.seen
    assert get["path"] == "/api/v1/clock?q=%C3%A9"
    assert get["headers"]["User-Agent"] == "probe/1"
    assert json.loads(post["body"]) == {"code": "c"}
    assert post["headers"]["Content-Type"] == "application/json"


def _proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str, no_proxy: str) -> None:
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, proxy)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, no_proxy)


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
async def test_each_engine_takes_proxies_from_the_environment(
    gzip_server: str, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """HTTP_PROXY is followed, for every request (aiohttp's engine looks it up once per origin), and
    NO_PROXY goes around it."""
    _Handler.seen.clear()
    _proxy_env(monkeypatch, gzip_server, "")
    client = AsyncEternaltwin(url="http://proxied.invalid/", async_backend=backend)
    try:
        for _ in range(2):
            assert (await client.get("/api/v1/clock")).json() == BODY
    finally:
        await client.aclose()
    # The proxy received both requests in absolute form (no name of .invalid was ever resolved).
    assert [seen["path"] for seen in _Handler.seen] == ["http://proxied.invalid/api/v1/clock"] * 2
    _Handler.seen.clear()
    _proxy_env(monkeypatch, "http://127.0.0.1:9", "127.0.0.1")  # a proxy that is not there, bypassed
    client = AsyncEternaltwin(url=gzip_server, async_backend=backend)
    try:
        assert (await client.get("/api/v1/clock")).json() == BODY
    finally:
        await client.aclose()
    assert [seen["path"] for seen in _Handler.seen] == ["/api/v1/clock"]


def test_the_sync_client_takes_proxies_from_the_environment(
    gzip_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Handler.seen.clear()
    _proxy_env(monkeypatch, gzip_server, "")
    with Eternaltwin(url="http://proxied.invalid/") as client:
        assert client.get("/api/v1/clock").json() == BODY
    assert [seen["path"] for seen in _Handler.seen] == ["http://proxied.invalid/api/v1/clock"]
