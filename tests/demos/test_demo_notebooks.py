"""The demo notebooks: each runs top to bottom with a real kernel (nbclient), against its embedded sandbox.

The kernel is the one ``python -m eternaltwin notebooks`` uses (:func:`eternaltwin._lab.execute_notebook`),
started with no ``ETERNALTWIN_*`` variable and a private config directory, so that nothing of the
machine's configuration (or a remembered login) leaks in. A cell error fails the test, except in a cell
tagged ``raises-exception``, which shows an error on purpose and must then really end in one.

The other tests read the committed files only: clean (no outputs), valid, and each with its extension
cell and its eternaltwin.org cell that skips itself without network.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

from eternaltwin._lab import execute_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DEMOS = ("01-quickstart", "02-login", "03-explore-users", "04-async", "05-explore-forum-and-archives")
EXPECTED_ERROR = "raises-exception"


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


@pytest.fixture
def kernel_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the kernel inherits: no ETERNALTWIN_* configuration, an empty config directory, inline plots."""
    for name in list(os.environ):
        if name.startswith("ETERNALTWIN_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("ETERNALTWIN_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def test_the_demo_notebooks_are_all_there() -> None:
    found = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(DEMOS)


@pytest.mark.notebook
@pytest.mark.timeout(300)  # a hang (a notebook takes seconds); how fast they run is benchmarks' business
@pytest.mark.parametrize("name", DEMOS)
def test_notebook_runs_top_to_bottom(name: str, kernel_environment: Path) -> None:
    executed = execute_notebook(NOTEBOOKS / f"{name}.ipynb")  # a cell error raises CellExecutionError

    for index, cell in enumerate(_code_cells(executed)):
        errors = [output for output in cell.outputs if output.output_type == "error"]
        where = f"{name}, code cell {index}:\n{cell.source}"
        if EXPECTED_ERROR in _tags(cell):
            assert errors, f"{where}\nis tagged {EXPECTED_ERROR!r} but ran without error"
            assert "Traceback" not in "".join(errors[0].traceback), f"{where}\nshows a traceback"
        else:
            assert not errors, f"{where}\nfailed: {errors[0].ename}: {errors[0].evalue}"
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                assert not re.search(r"Warning\b", output.text), f"{where}\nwarns:\n{output.text}"


@pytest.mark.parametrize("name", DEMOS)
def test_committed_notebook_is_clean_and_valid(name: str) -> None:
    notebook = _read(name)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in _code_cells(notebook):
        assert cell.outputs == [], f"{name}: outputs committed in\n{cell.source}"
        assert cell.execution_count is None, f"{name}: execution count committed in\n{cell.source}"


@pytest.mark.parametrize("name", DEMOS)
def test_notebook_loads_the_extension_first(name: str) -> None:
    first = _code_cells(_read(name))[0]
    assert first.source.splitlines()[0] == "%load_ext eternaltwin"


@pytest.mark.parametrize("name", DEMOS)
def test_notebook_has_a_skippable_eternaltwin_org_cell(name: str) -> None:
    sources = [cell.source for cell in _code_cells(_read(name))]
    probe = [source for source in sources if "def reachable(" in source]
    assert len(probe) == 1
    assert '"eternaltwin.org"' in probe[0] and "timeout: float = 2.0" in probe[0]
    assert "thread.join(" in probe[0], "the probe must not hang on name resolution"
    online = [source for source in sources if source.lstrip().startswith("# ▶ eternaltwin.org")]
    assert any("if not ONLINE:" in source and "eternaltwin.org" in source for source in online)


@pytest.mark.parametrize("name", DEMOS)
def test_expected_errors_are_announced(name: str) -> None:
    """A cell that fails on purpose says so in the markdown just before it."""
    cells = _read(name).cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and EXPECTED_ERROR in _tags(cell):
            before = cells[index - 1]
            assert before.cell_type == "markdown" and "on purpose" in before.source, cell.source
