"""Stopping ``eternaltwin lab`` by its PID stops JupyterLab too (scripts, IDEs and supervisors do that).

A real ``eternaltwin lab --no-browser --port P`` runs in a subprocess on stand-in notebooks. The tests wait
until JupyterLab answers on P (polling, under a generous deadline), then signal the ``lab`` process only.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eternaltwin._hub import free_port

pytest.importorskip("jupyterlab")
pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals"),
    pytest.mark.timeout(240),
]

#: Seconds JupyterLab may take to start on a loaded machine, and to stop.
DEADLINE = 150.0


@dataclass
class Lab:
    process: subprocess.Popen[bytes]
    port: int
    jupyterlab_pid: int
    log: Path


def _answers(port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/api", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and "version" in response.json()


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _wait_until(condition: Callable[[], object], what: str, lab: Lab) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {DEADLINE:g}s; log:\n{lab.log.read_text(errors='replace')}")
        time.sleep(0.2)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """``eternaltwin lab`` running and answering; whatever is left of it is killed afterwards."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01-stand-in.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8"
    )
    port = free_port()
    log = tmp_path / "lab.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eternaltwin",
                "lab",
                "--no-browser",
                "--port",
                str(port),
                "--dir",
                str(notebooks),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    lab = Lab(process, port, 0, log)
    try:
        _wait_until(
            lambda: (
                process.poll() is not None or re.search(rb"JupyterLab runs as PID (\d+)", log.read_bytes())
            ),
            "no 'JupyterLab runs as PID' line",
            lab,
        )
        assert process.poll() is None, f"eternaltwin lab ended early:\n{log.read_text(errors='replace')}"
        found = re.search(rb"JupyterLab runs as PID (\d+)", log.read_bytes())
        assert found
        lab.jupyterlab_pid = int(found.group(1))
        _wait_until(
            lambda: process.poll() is not None or _answers(port), f"JupyterLab not answering on {port}", lab
        )
        assert process.poll() is None, f"eternaltwin lab ended early:\n{log.read_text(errors='replace')}"
        yield lab
    finally:
        for pid in (process.pid, lab.jupyterlab_pid):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait()


def test_sigterm_to_lab_stops_jupyterlab(lab: Lab) -> None:
    os.kill(lab.process.pid, signal.SIGTERM)
    returncode = lab.process.wait(timeout=DEADLINE)

    # lab returns only once JupyterLab has exited and been reaped: nothing left to wait for.
    assert returncode == 0, lab.log.read_text(errors="replace")
    assert not _alive(lab.jupyterlab_pid)
    assert not _answers(lab.port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{lab.port}/api", timeout=5)
    shown = lab.log.read_text(errors="replace")
    assert f"Stopping JupyterLab (PID {lab.jupyterlab_pid})" in shown
    assert "received signal 15, stopping" in shown  # JupyterLab's clean shutdown, not a kill


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_jupyterlab_stops_even_when_lab_is_killed(lab: Lab) -> None:
    """SIGKILL leaves no chance to forward anything: the kernel sends JupyterLab its SIGTERM."""
    os.kill(lab.process.pid, signal.SIGKILL)
    assert lab.process.wait(timeout=DEADLINE) == -signal.SIGKILL

    _wait_until(lambda: not _alive(lab.jupyterlab_pid), "JupyterLab still running", lab)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{lab.port}/api", timeout=5)
    assert "received signal 15, stopping" in lab.log.read_text(errors="replace")
