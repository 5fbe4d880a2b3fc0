"""Fixtures of the notebook tests (prefixed ``nb_`` so as not to collide with the suite-wide ones).

``nb_shell``
    The in-process IPython shell with ``%load_ext eternaltwin`` done, in an empty working directory, with
    no ``ETERNALTWIN_*`` variable and empty connection registries; unloaded and cleared afterwards.
``nb_connected``
    ``nb_shell`` with alias ``default`` (both registries) pointing at the suite's shared ``sandbox``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import eternaltwin
from eternaltwin.connections import async_connections, connections
from eternaltwin.sandbox import Sandbox


def reset_registries() -> None:
    """Close and forget every connection of both registries."""
    connections.close()
    asyncio.run(async_connections.aclose())
    connections.clear()
    async_connections.clear()


@pytest.fixture
def nb_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory, no ETERNALTWIN_* variables, empty registries (before and after)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("ETERNALTWIN_"):
            monkeypatch.delenv(name)
    reset_registries()
    yield tmp_path
    reset_registries()


@pytest.fixture
def nb_bare_shell(nb_clean: Path) -> Iterator[InteractiveShell]:
    """The in-process shell without the extension (unloaded again afterwards if a test loaded it)."""
    shell = InteractiveShell.instance()
    if "eternaltwin" in shell.extension_manager.loaded:
        shell.run_line_magic("unload_ext", "eternaltwin")
    yield shell
    if "eternaltwin" in shell.extension_manager.loaded:
        with capture_output():
            shell.run_line_magic("unload_ext", "eternaltwin")


@pytest.fixture
def nb_shell(nb_bare_shell: InteractiveShell) -> InteractiveShell:
    """The in-process shell with the extension loaded."""
    with capture_output():
        nb_bare_shell.run_line_magic("load_ext", "eternaltwin")
    return nb_bare_shell


@pytest.fixture
def nb_connected(nb_shell: InteractiveShell, sandbox: Sandbox) -> InteractiveShell:
    """``nb_shell`` with ``default`` -> the shared sandbox, on both registries."""
    eternaltwin.configure(default=sandbox.connection_config())
    return nb_shell
