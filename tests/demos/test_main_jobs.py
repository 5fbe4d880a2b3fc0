"""``eternaltwin lab`` and ``eternaltwin notebooks`` (or ``python -m eternaltwin``), on stand-in notebooks.

The packaged demo notebooks, the copy into a writable folder and the stop signals: tests/distribution/.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from eternaltwin import _lab
from eternaltwin.__main__ import main


def _notebook(path: Path, *sources: str) -> Path:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def _record_launches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """JupyterLab's command lines, recorded instead of run."""
    commands: list[list[str]] = []

    def run(command: Any, **_: Any) -> int:
        commands.append(list(command))
        return 0

    monkeypatch.setattr(_lab, "run_until_stopped", run)
    return commands


def test_lab_opens_the_first_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _notebook(tmp_path / "02-second.ipynb", "2")
    first = _notebook(tmp_path / "01-first.ipynb", "1")
    commands = _record_launches(monkeypatch)

    assert main(["lab", "--dir", str(tmp_path), "--port", "8123", "--no-browser"]) == 0

    (command,) = commands
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in command
    assert "--port=8123" in command and "--no-browser" in command
    assert command[-1] == str(first.resolve())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["01-first.ipynb", "02-second.ipynb"]


def test_lab_without_notebooks_says_what_to_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "--dir", str(tmp_path / "missing")]) == 2
    error = capsys.readouterr().err
    assert f"No notebooks folder at {tmp_path / 'missing'}" in error
    assert "leave --dir out to use the kit's demo notebooks" in error


@pytest.mark.notebook
@pytest.mark.timeout(120)
def test_notebooks_writes_html_and_filters_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notebooks"
    source.mkdir()
    _notebook(source / "01-hello.ipynb", "print('hello from ' + 'the kernel')")
    _notebook(source / "02-other.ipynb", "raise SystemExit('not run')")
    output = tmp_path / "html"

    assert main(["notebooks", "--dir", str(source), "--output", str(output), "hello"]) == 0

    assert [path.name for path in output.iterdir()] == ["01-hello.html"]
    assert "hello from the kernel" in (output / "01-hello.html").read_text(encoding="utf-8")
    assert "1 notebook(s) executed" in capsys.readouterr().out


@pytest.mark.notebook
@pytest.mark.timeout(120)
def test_notebooks_stops_at_a_failing_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _notebook(tmp_path / "01-broken.ipynb", "x = 1", "raise ValueError('the demo broke')", "x = 2")

    assert main(["notebooks", "--dir", str(tmp_path), "--output", str(tmp_path / "html")]) == 1

    shown = capsys.readouterr()
    assert "FAILED 01-broken.ipynb" in shown.out
    assert "a notebook cell failed" in shown.err and "the demo broke" in shown.err
    assert not (tmp_path / "html" / "01-broken.html").exists()


def test_execute_notebook_runs_in_the_notebooks_folder(tmp_path: Path) -> None:
    """The kernel's working directory is the notebook's folder (where an eternaltwin.toml would be)."""
    pytest.importorskip("nbclient")
    path = _notebook(tmp_path / "where.ipynb", "import os\nprint(os.getcwd())")
    executed: Any = _lab.execute_notebook(path, timeout=60)
    assert executed.cells[0].outputs[0].text.strip() == str(tmp_path)


def test_a_name_that_matches_nothing_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "notebooks"
    source.mkdir()
    _notebook(source / "01-hello.ipynb", "raise SystemExit('not run')")
    _notebook(source / "02-other.ipynb", "raise SystemExit('not run')")
    output = tmp_path / "html"

    assert main(["notebooks", "--dir", str(source), "--output", str(output), "hello", "helo"]) == 2

    error = capsys.readouterr().err
    assert "No notebook matches 'helo': the notebooks are 01-hello, 02-other" in error
    assert not output.exists(), "nothing runs when a name matches nothing"


def test_notebooks_without_the_runner_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _notebook(tmp_path / "01-hello.ipynb", "1")
    monkeypatch.setattr(_lab, "_has_module", lambda name: name != "nbconvert")

    assert main(["notebooks", "--dir", str(tmp_path), "--output", str(tmp_path / "html")]) == 2

    error = capsys.readouterr().err
    assert "Running notebooks headless needs nbconvert" in error
    assert 'pip install "eternaltwin-kit[notebook]"' in error
