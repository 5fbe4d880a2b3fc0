"""The demo notebooks as package data, ``eternaltwin lab``'s writable copy, and the ``eternaltwin`` command.

``lab`` runs in-process with JupyterLab's launch recorded instead of run (``test_lab_signals.py`` runs the
real one). A "packaged" stand-in is a notebooks folder with no ``pyproject.toml`` beside it, as in
site-packages; a "clone" one has one.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import eternaltwin
from eternaltwin import _lab
from eternaltwin.__main__ import main

DEMOS = [
    "01-quickstart.ipynb",
    "02-login.ipynb",
    "03-explore-users.ipynb",
    "04-async.ipynb",
    "05-explore-forum-and-archives.ipynb",
]
#: The repository's notebooks/, when these tests run from a checkout (with an editable install or not).
REPOSITORY_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _stand_in(folder: Path, *names: str, clone: bool = False) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text(f'{{"stand-in": "{name}"}}', encoding="utf-8")
    if clone:
        (folder.parent / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    return folder


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """JupyterLab's command lines, recorded instead of run."""
    commands: list[list[str]] = []

    def run(command: Any, **_: Any) -> int:
        commands.append(list(command))
        return 0

    monkeypatch.setattr(_lab, "run_until_stopped", run)
    return commands


def _root_dir(command: list[str]) -> Path:
    (option,) = [word for word in command if word.startswith("--ServerApp.root_dir=")]
    return Path(option.partition("=")[2])


def test_demo_notebooks_are_found_where_the_kit_is_installed() -> None:
    found = _lab.demo_notebooks()

    assert sorted(path.name for path in found.glob("*.ipynb")) == DEMOS
    package = Path(eternaltwin.__file__).resolve().parent
    if found.resolve().parent == package:  # a wheel: package data
        assert not _lab._in_clone(found)
    else:  # an editable install: the clone's notebooks/, beside the package
        assert found.resolve() == package.parent / "notebooks" and _lab._in_clone(found)
    if REPOSITORY_NOTEBOOKS.is_dir():  # the same files as the repository's
        for name in DEMOS:
            assert (found / name).read_bytes() == (REPOSITORY_NOTEBOOKS / name).read_bytes(), name


def test_lab_from_a_wheel_copies_the_demo_notebooks_and_opens_the_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    launches: list[list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    packaged = _stand_in(tmp_path / "site" / "eternaltwin" / "notebooks", "01-a.ipynb", "02-b.ipynb")
    monkeypatch.setattr(_lab, "demo_notebooks", lambda: packaged)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    assert main(["lab", "--no-browser"]) == 0

    copy = work / "eternaltwin-notebooks"
    assert sorted(path.name for path in copy.iterdir()) == ["01-a.ipynb", "02-b.ipynb"]
    assert (copy / "02-b.ipynb").read_bytes() == (packaged / "02-b.ipynb").read_bytes()
    (command,) = launches
    assert _root_dir(command) == copy.resolve()
    assert command[-1] == str((copy / "01-a.ipynb").resolve())
    assert f"Copied 2 demo notebooks into {copy.resolve()}" in capsys.readouterr().out


def test_lab_never_overwrites_a_copy_and_fills_in_what_is_missing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    launches: list[list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    packaged = _stand_in(
        tmp_path / "site" / "eternaltwin" / "notebooks", "01-a.ipynb", "02-b.ipynb", "03-c.ipynb"
    )
    monkeypatch.setattr(_lab, "demo_notebooks", lambda: packaged)
    monkeypatch.chdir(tmp_path)
    assert main(["lab", "--no-browser"]) == 0
    copy = tmp_path / "eternaltwin-notebooks"
    (copy / "01-a.ipynb").write_text('{"mine": "edited"}', encoding="utf-8")
    (copy / "03-c.ipynb").unlink()
    (copy / "09-mine.ipynb").write_text('{"mine": "new"}', encoding="utf-8")
    capsys.readouterr()

    assert main(["lab", "--no-browser"]) == 0

    assert (copy / "01-a.ipynb").read_text(encoding="utf-8") == '{"mine": "edited"}'
    assert (copy / "03-c.ipynb").read_bytes() == (packaged / "03-c.ipynb").read_bytes()
    assert (copy / "09-mine.ipynb").read_text(encoding="utf-8") == '{"mine": "new"}'
    out = capsys.readouterr().out
    assert f"Copied 1 demo notebook into {copy.resolve()}" in out
    assert f"Kept 1 demo notebook already in {copy.resolve()}" in out  # 02-b, unchanged
    assert "Kept your edited 01-a.ipynb" in out and "not overwritten" in out
    assert len(launches) == 2 and _root_dir(launches[1]) == copy.resolve()


def test_lab_from_a_clone_opens_its_notebooks_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, launches: list[list[str]]
) -> None:
    clone = _stand_in(tmp_path / "clone" / "notebooks", "01-a.ipynb", clone=True)
    monkeypatch.setattr(_lab, "demo_notebooks", lambda: clone)
    monkeypatch.chdir(tmp_path)

    assert main(["lab", "--no-browser"]) == 0

    assert _root_dir(launches[0]) == clone.resolve()
    assert not (tmp_path / "eternaltwin-notebooks").exists()


def test_lab_says_when_it_cannot_write_its_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    launches: list[list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    packaged = _stand_in(tmp_path / "site" / "eternaltwin" / "notebooks", "01-a.ipynb")
    monkeypatch.setattr(_lab, "demo_notebooks", lambda: packaged)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "eternaltwin-notebooks").write_text("a file where the folder would go", encoding="utf-8")

    assert main(["lab", "--no-browser"]) == 2

    error = capsys.readouterr().err
    assert f"Cannot copy the demo notebooks into {tmp_path / 'eternaltwin-notebooks'}" in error
    assert "run this from a folder you can write to, or pass --dir" in error
    assert launches == []


def test_lab_without_jupyterlab_still_leaves_a_copy_to_open_elsewhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    launches: list[list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    packaged = _stand_in(tmp_path / "site" / "eternaltwin" / "notebooks", "01-a.ipynb")
    monkeypatch.setattr(_lab, "demo_notebooks", lambda: packaged)
    monkeypatch.setattr(_lab, "_has_module", lambda name: name != "jupyterlab")
    monkeypatch.chdir(tmp_path)

    assert main(["lab"]) == 2

    copy = tmp_path / "eternaltwin-notebooks"
    assert (copy / "01-a.ipynb").is_file()
    error = capsys.readouterr().err
    assert f"JupyterLab is not installed here: open {copy} in your own Jupyter" in error
    assert 'pip install "eternaltwin-kit[notebook]"' in error
    assert launches == []


def test_the_eternaltwin_command_is_installed() -> None:
    (entry_point,) = importlib.metadata.entry_points(group="console_scripts", name="eternaltwin")
    assert entry_point.value == "eternaltwin.__main__:main"
    assert entry_point.load() is main
    script = Path(sys.executable).parent / ("eternaltwin.exe" if os.name == "nt" else "eternaltwin")
    shown = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert shown.stdout.startswith("usage: eternaltwin ")
    for command in ("lab", "notebooks", "sandbox"):
        assert command in shown.stdout
    module = subprocess.run(
        [sys.executable, "-m", "eternaltwin", "notebooks", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert module.stdout.startswith("usage: python -m eternaltwin notebooks ")


@pytest.mark.notebook
@pytest.mark.timeout(300)
def test_notebooks_runs_the_demo_notebooks_from_an_empty_folder(tmp_path: Path) -> None:
    """``eternaltwin notebooks`` needs no clone and no notebooks folder: the installed ones run."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("ETERNALTWIN_")}
    env.pop("JUPYTERHUB_SERVICE_PREFIX", None)
    env["ETERNALTWIN_CONFIG_DIR"] = str(tmp_path / "config")
    script = Path(sys.executable).parent / ("eternaltwin.exe" if os.name == "nt" else "eternaltwin")

    done = subprocess.run(
        [str(script), "notebooks", "--output", "html", "quickstart"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(path.name for path in empty.iterdir()) == ["html"]
    assert [path.name for path in (empty / "html").iterdir()] == ["01-quickstart.html"]
    page = (empty / "html" / "01-quickstart.html").read_text(encoding="utf-8")
    assert "jp-OutputArea-executeResult" in page, "the HTML holds no executed output"
    assert re.search(r"http://127\.0\.0\.1:\d+", page), "the embedded sandbox's address is not shown"
    assert "Traceback" not in page
    assert "1 notebook(s) executed" in done.stdout
