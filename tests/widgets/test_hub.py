"""The browser-facing URLs of local ports on a hub (jupyter-server-proxy)."""

from __future__ import annotations

import pytest

from eternaltwin import _hub

HUB = {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"}
HUB_PUBLIC = {**HUB, "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/hub-base/"}


def test_not_on_a_hub() -> None:
    assert _hub.service_prefix({}) is None
    assert _hub.proxy_url(8000, environ={}) is None
    assert _hub.proxied_port("/user/alice/proxy/8000/", environ={}) is None
    assert _hub.browser_url("http://127.0.0.1:8000/x?y=1", environ={}) == "http://127.0.0.1:8000/x?y=1"


def test_prefix_is_normalised() -> None:
    assert _hub.service_prefix({"JUPYTERHUB_SERVICE_PREFIX": "user/bob"}) == "/user/bob/"
    assert _hub.service_prefix({"JUPYTERHUB_SERVICE_PREFIX": "  "}) is None


def test_proxy_url_relative_when_origin_unknown() -> None:
    assert _hub.proxy_url(8000, environ=HUB) == "/user/alice/proxy/8000/"
    assert _hub.proxy_url(8000, "/callback", environ=HUB) == "/user/alice/proxy/8000/callback"


def test_proxy_url_absolute_with_a_public_origin() -> None:
    assert (
        _hub.proxy_url(8000, "cb", environ=HUB_PUBLIC) == "https://hub.example.org/user/alice/proxy/8000/cb"
    )
    env = {**HUB, "JUPYTERHUB_HOST": "https://alice.hub.example.org"}
    assert _hub.public_origin(env) == "https://alice.hub.example.org"
    env = {**HUB_PUBLIC, "ETERNALTWIN_HUB_ORIGIN": "http://override.test:8080"}
    assert _hub.proxy_url(1, environ=env) == "http://override.test:8080/user/alice/proxy/1/"


def test_proxy_url_rejects_a_non_port() -> None:
    with pytest.raises(ValueError, match="port"):
        _hub.proxy_url(70000, environ=HUB)


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://127.0.0.1:8765/callback", 8765),
        ("http://localhost:1234/", 1234),
        ("http://[::1]:99/cb", 99),
        ("http://localhost/cb", None),
        ("https://127.0.0.1:8765/cb", None),
        ("http://example.org:8765/cb", None),
        ("http://127.0.0.1:notaport/cb", None),
    ],
)
def test_loopback_port(url: str, port: int | None) -> None:
    assert _hub.loopback_port(url) == port


def test_proxied_port_round_trip() -> None:
    url = _hub.proxy_url(8123, "callback", environ=HUB_PUBLIC)
    assert url is not None
    assert _hub.proxied_port(url, environ=HUB_PUBLIC) == (8123, "/callback")
    assert _hub.proxied_port("/user/alice/proxy/8123", environ=HUB) == (8123, "/")
    assert _hub.proxied_port("https://elsewhere.test/user/alice/proxy/8123/cb", environ=HUB_PUBLIC) is None
    assert _hub.proxied_port("/user/bob/proxy/8123/cb", environ=HUB) is None
    assert _hub.proxied_port("/user/alice/lab", environ=HUB) is None


def test_browser_url_rewrites_loopback_only() -> None:
    assert (
        _hub.browser_url("http://127.0.0.1:50320/oauth/authorize?a=1&b=2", environ=HUB_PUBLIC)
        == "https://hub.example.org/user/alice/proxy/50320/oauth/authorize?a=1&b=2"
    )
    assert _hub.browser_url("https://eternaltwin.org/oauth/authorize", environ=HUB) == (
        "https://eternaltwin.org/oauth/authorize"
    )


def test_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/carol/")
    monkeypatch.delenv("JUPYTERHUB_PUBLIC_URL", raising=False)
    monkeypatch.delenv("JUPYTERHUB_HOST", raising=False)
    monkeypatch.delenv("ETERNALTWIN_HUB_ORIGIN", raising=False)
    assert _hub.proxy_url(9) == "/user/carol/proxy/9/"


def test_docstring_examples() -> None:
    import doctest

    result = doctest.testmod(_hub, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_remote_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(__import__("sys").modules, "google.colab", raising=False)
    assert _hub.is_remote_kernel({}) is False
    assert _hub.is_remote_kernel(HUB) is True
    assert _hub.is_remote_kernel({"COLAB_RELEASE_TAG": "release-colab_2024"}) is True


def test_sandbox_options_off_a_hub() -> None:
    options = _hub.sandbox_options(environ={})
    assert set(options) == {"redirect_uri"}
    assert _hub.loopback_port(options["redirect_uri"]) is not None
    assert options["redirect_uri"].endswith("/oauth/callback")


def test_sandbox_options_on_a_hub() -> None:
    options = _hub.sandbox_options(environ=HUB_PUBLIC, callback_path="cb")
    assert options["external_url"] == f"https://hub.example.org/user/alice/proxy/{options['port']}/"
    port_and_path = _hub.proxied_port(options["redirect_uri"], environ=HUB_PUBLIC)
    assert port_and_path is not None and port_and_path[1] == "/cb"
    # Origin unknown (Binder): both are origin-relative paths through the proxy, on two other ports.
    options = _hub.sandbox_options(environ=HUB)
    assert options["external_url"] == f"/user/alice/proxy/{options['port']}/"
    port_and_path = _hub.proxied_port(options["redirect_uri"], environ=HUB)
    assert port_and_path is not None
    assert options["redirect_uri"] == f"/user/alice/proxy/{port_and_path[0]}/oauth/callback"
    assert port_and_path[0] != options["port"]
