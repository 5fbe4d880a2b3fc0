"""A real jupyter-server with a real jupyter-server-proxy on loopback, made to look like a hub's.

Every fixture here is prefixed ``p_``.

``p_jupyter``
    A started jupyter-server (``python -m jupyter_server``, this environment's) whose ``base_url`` is a
    hub's single-user prefix, ``/user/x/``, with one release of jupyter-server-proxy first on its
    ``PYTHONPATH`` (from ``build/proxies/<version>/``, which ``tests/proxy/prepare.py`` fills; the test is
    skipped when that folder is missing). Session-scoped and parametrized over
    :data:`prepare.VERSIONS`: one server per release, started once.
``p_hub``
    The test's own environment made to look like that hub's kernel (``JUPYTERHUB_SERVICE_PREFIX``), the
    token cache in a temporary folder, and the connection registries restored afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import ipywidgets
import pytest

from eternaltwin import connections as connections_module

from . import prepare

#: The single-user prefix the server is given, as JupyterHub gives ``/user/<name>/``.
BASE_URL = "/user/x/"
_START_TIMEOUT_SECONDS = 120.0  # a bound on a hang only: the loop below waits for readiness, not a time
_HUB_VARIABLES = (
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_HOST",
    "JUPYTERHUB_PUBLIC_URL",
    "ETERNALTWIN_HUB_ORIGIN",
)


@dataclass(frozen=True)
class JupyterServer:
    """A running jupyter-server with jupyter-server-proxy.

    Attributes
    ----------
    version : str
        The jupyter-server-proxy release it runs.
    origin : str
        ``http://127.0.0.1:PORT``: what the hub's public origin would be.
    token : str
        Its login token (exchanged once for a login cookie, as a person's browser holds one).
    log : Path
        Its output.
    """

    version: str
    origin: str
    token: str
    log: Path

    @property
    def prefix(self) -> str:
        """The single-user prefix (``/user/x/``)."""
        return BASE_URL

    @contextmanager
    def browser(self) -> Iterator[httpx.Client]:
        """An HTTP client holding the server's login cookie (no redirect followed by itself)."""
        with httpx.Client(base_url=self.origin, follow_redirects=False, timeout=30) as client:
            reply = client.get(f"{BASE_URL}api/status", params={"token": self.token})
            assert reply.status_code == 200, reply.text
            assert client.cookies, "jupyter-server set no login cookie"
            yield client

    def tail(self) -> str:
        """The end of its log, for failure messages."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def _environment(folder: Path, tmp: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _HUB_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "config")
    env["JUPYTER_NO_CONFIG"] = "1"  # no user, environment or system configuration: only the proxy loads
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def _check_release(version: str, folder: Path, env: dict[str, str]) -> None:
    """The server will import the wanted release, from its folder (not some other installed copy)."""
    probe = (
        "import importlib.metadata, jupyter_server_proxy; "
        "print(importlib.metadata.version('jupyter-server-proxy')); print(jupyter_server_proxy.__file__)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert found[0] == version, f"expected jupyter-server-proxy {version}, the server would import {found[0]}"
    assert Path(found[1]).resolve().is_relative_to(folder.resolve()), found[1]


@pytest.fixture(scope="session", params=prepare.VERSIONS, ids=lambda version: f"jsp-{version}")
def p_jupyter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    """A jupyter-server with the requested jupyter-server-proxy release (see the module docstring)."""
    version: str = request.param
    if not prepare.is_prepared(version):
        pytest.skip(f"jupyter-server-proxy {version} is not prepared: run python tests/proxy/prepare.py")
    pytest.importorskip("jupyter_server", reason="jupyter-server is missing: pip install -e '.[dev]'")
    pytest.importorskip("aiohttp", reason="aiohttp (needed by jupyter-server-proxy) is missing")
    folder = prepare.folder(version)
    tmp = tmp_path_factory.mktemp(f"jupyter-{version}")
    (tmp / "root").mkdir()
    env = _environment(folder, tmp)
    _check_release(version, folder, env)
    token = secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        f"--IdentityProvider.token={token}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={BASE_URL}",
        f"--ServerApp.root_dir={tmp / 'root'}",
        '--ServerApp.jpserver_extensions={"jupyter_server_proxy": True}',
    ]
    log = tmp / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    try:
        info = tmp / "runtime" / f"jpserver-{process.pid}.json"
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"jupyter-server exited ({process.returncode}):\n{log.read_text(errors='replace')}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter-server did not start:\n{log.read_text(errors='replace')}")
            if info.is_file():
                try:
                    port = json.loads(info.read_text(encoding="utf-8"))["port"]
                except (ValueError, KeyError):
                    port = None  # written but not complete yet
                if port:
                    break
            time.sleep(0.05)
        yield JupyterServer(version, f"http://127.0.0.1:{port}", token, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def p_hub(
    p_jupyter: JupyterServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JupyterServer]:
    """This process as a kernel of ``p_jupyter``'s hub (no public origin set: a test sets one if it
    wants); token cache in ``tmp_path``; the registries restored and every widget closed afterwards."""
    for name in _HUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", BASE_URL)
    monkeypatch.setenv("ETERNALTWIN_CONFIG_DIR", str(tmp_path / "config"))
    saved = [
        (registry, {alias: registry[alias] for alias in registry}, registry.active)
        for registry in (connections_module.connections, connections_module.async_connections)
    ]
    try:
        yield p_jupyter
    finally:
        ipywidgets.Widget.close_all()
        for registry, clients, active in saved:
            registry.configure()
            for alias, client in clients.items():
                registry[alias] = client
            registry._active = active  # no public way back to an alias that may not be configured
