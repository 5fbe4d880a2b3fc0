"""``%load_ext eternaltwin`` / ``%unload_ext eternaltwin``: what loading adds and unloading takes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import eternaltwin
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import RequestError
from eternaltwin.magics import EternaltwinMagics
from eternaltwin.sandbox import Sandbox

from .helpers import cell, formatted


def _load(shell: InteractiveShell) -> str:
    with capture_output() as captured:
        shell.run_line_magic("load_ext", "eternaltwin")
    return captured.stdout


def _our_magics(shell: InteractiveShell) -> list[EternaltwinMagics]:
    return [m for m in shell.configurables if isinstance(m, EternaltwinMagics)]


def test_load_registers_magics_formatters_and_settings(nb_bare_shell: InteractiveShell) -> None:
    shell = nb_bare_shell
    assert "eternaltwin" not in shell.magics_manager.magics["line"]
    assert "text/html" not in formatted(shell, connections)
    _load(shell)
    for kind in ("line", "cell"):
        assert {"eternaltwin", "et"} <= set(shell.magics_manager.magics[kind])
    assert len(_our_magics(shell)) == 1
    assert "text/html" in formatted(shell, connections)
    assert "limit" in cell(shell, "%config EternaltwinMagics").stdout


def test_load_twice_is_harmless(nb_bare_shell: InteractiveShell) -> None:
    shell = nb_bare_shell
    _load(shell)
    before = dict(shell.display_formatter.mimebundle_formatter.type_printers)
    assert "already loaded" in _load(shell)
    with capture_output() as captured:
        eternaltwin.load_ipython_extension(shell)  # even when called directly
    assert captured.stdout == ""
    assert len(_our_magics(shell)) == 1
    assert dict(shell.display_formatter.mimebundle_formatter.type_printers) == before


def test_unload_removes_what_load_added(nb_bare_shell: InteractiveShell) -> None:
    shell = nb_bare_shell
    bundles = dict(shell.display_formatter.mimebundle_formatter.type_printers)
    plain = dict(shell.display_formatter.formatters["text/plain"].type_printers)
    hooks = list(shell.events.callbacks["pre_run_cell"])
    _load(shell)
    cell(shell, "%unload_ext eternaltwin")
    assert "eternaltwin" not in shell.magics_manager.magics["line"]
    assert "et" not in shell.magics_manager.magics["cell"]
    assert "EternaltwinMagics" not in shell.magics_manager.registry
    assert _our_magics(shell) == []
    assert dict(shell.display_formatter.mimebundle_formatter.type_printers) == bundles
    assert dict(shell.display_formatter.formatters["text/plain"].type_printers) == plain
    assert list(shell.events.callbacks["pre_run_cell"]) == hooks
    assert "text/html" not in formatted(shell, connections)
    eternaltwin.unload_ipython_extension(shell)  # unloading what is not loaded does nothing


def test_reload(nb_bare_shell: InteractiveShell) -> None:
    shell = nb_bare_shell
    _load(shell)
    with capture_output():
        cell(shell, "%reload_ext eternaltwin")
    assert len(_our_magics(shell)) == 1
    assert "Active connection" not in cell(shell, "%et --help").stdout


def test_formatter_registered_for_request_errors_keeps_previous_printers(
    nb_bare_shell: InteractiveShell,
) -> None:
    shell = nb_bare_shell
    plain = shell.display_formatter.formatters["text/plain"]
    previous = plain.lookup_by_type(RequestError)  # IPython's exception printer
    _load(shell)
    assert plain.lookup_by_type(RequestError) is not previous
    cell(shell, "%unload_ext eternaltwin")
    assert plain.lookup_by_type(RequestError) is previous


# -- configuration on load ------------------------------------------------------------------------------


def test_load_without_configuration_says_what_to_do(nb_bare_shell: InteractiveShell) -> None:
    assert _load(nb_bare_shell) == (
        "eternaltwin: no connection configured; %eternaltwin sandbox starts a local server, "
        "%%eternaltwin config takes a TOML cell.\n"
    )


def test_load_reads_eternaltwin_toml(
    nb_bare_shell: InteractiveShell, nb_clean: Path, sandbox: Sandbox
) -> None:
    (nb_clean / "eternaltwin.toml").write_text(
        f'[default]\nurl = "{sandbox.url}"\n\n[mirror]\nurl = "{sandbox.url}"\n', encoding="utf-8"
    )
    assert _load(nb_bare_shell) == "eternaltwin: default, mirror from eternaltwin.toml (active: default).\n"
    assert sorted(connections) == sorted(async_connections) == ["default", "mirror"]


def test_load_reads_the_environment(
    nb_bare_shell: InteractiveShell, nb_clean: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    (nb_clean / "eternaltwin.toml").write_text('[other]\nurl = "http://x/"\n', encoding="utf-8")
    monkeypatch.setenv("ETERNALTWIN_URL", sandbox.url)
    monkeypatch.setenv("ETERNALTWIN_CLIENT_SECRET", "env-secret-value")
    shown = _load(nb_bare_shell)
    assert shown == "eternaltwin: default from the ETERNALTWIN_* environment variables (active: default).\n"
    assert list(connections) == ["default"] and connections["default"].client_secret == "env-secret-value"


def test_load_keeps_an_existing_configuration(nb_bare_shell: InteractiveShell, nb_clean: Path) -> None:
    (nb_clean / "eternaltwin.toml").write_text('[other]\nurl = "http://x/"\n', encoding="utf-8")
    eternaltwin.configure(mine={"url": "http://127.0.0.1:9/"})
    assert _load(nb_bare_shell) == "eternaltwin: connections mine already configured.\n"
    assert list(connections) == ["mine"]


def test_load_reports_a_broken_file_in_one_line(nb_bare_shell: InteractiveShell, nb_clean: Path) -> None:
    (nb_clean / "eternaltwin.toml").write_text("[default]\nurl = \n", encoding="utf-8")
    shown = _load(nb_bare_shell)
    assert shown.startswith("eternaltwin: connections not configured: ")
    assert "TOML" in shown and shown.count("\n") == 1
    assert "eternaltwin" in nb_bare_shell.magics_manager.magics["line"]  # loaded all the same


# -- import cost ----------------------------------------------------------------------------------------


def test_import_eternaltwin_stays_light() -> None:
    code = (
        "import sys, eternaltwin, eternaltwin.display, eternaltwin.users, eternaltwin.connections\n"
        "print(sorted(m for m in ('IPython', 'ipywidgets', 'pandas', 'traitlets', 'nest_asyncio')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
