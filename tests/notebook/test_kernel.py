"""The extension in a real Jupyter kernel (ipykernel through nbclient), where cells run inside a loop."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _run(cells: list[tuple[str, list[str]]], folder: Path) -> Any:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    for source, tags in cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return notebook


def _outputs(cell: Any, output_type: str) -> list[Any]:
    return [output for output in cell.outputs if output.output_type == output_type]


def test_magics_displays_and_asyncio_in_a_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for name in [n for n in os.environ if n.startswith("ETERNALTWIN_")]:
        monkeypatch.delenv(name)
    cells = [
        ("%load_ext eternaltwin", []),
        ("%et sandbox --population 12", []),
        ("%et aliases", []),
        ("%config EternaltwinMagics.progress = False\n%et search --all -o everyone\nlen(everyone)", []),
        ("from eternaltwin import User\nUser.search(limit=3)", []),
        (f"%et user {MISSING_ID}", ["raises-exception"]),
        ("import asyncio\nasync def main():\n    return await User.acount()\nasyncio.run(main())", []),
        ("%unload_ext eternaltwin", []),
    ]
    notebook = _run(cells, tmp_path)
    load, sandbox, aliases, search, page, error, script, unload = notebook.cells

    assert "".join(o.text for o in _outputs(load, "stream")).startswith(
        "eternaltwin: no connection configured"
    )
    assert "alias 'sandbox' is active" in _outputs(sandbox, "stream")[0].text

    for displayed in (aliases, page):
        data = _outputs(displayed, "execute_result")[0].data
        assert data["text/html"].startswith('<div class="et-repr">') and data["text/plain"]

    stored = _outputs(search, "stream")[0].text
    assert stored.startswith("Stored 15 users in everyone.")
    assert _outputs(search, "execute_result")[0].data["text/plain"] == "15"

    [failure] = _outputs(error, "error")
    assert failure.ename == "MagicError"
    assert failure.traceback == [
        f"eternaltwin: no user with id {MISSING_ID} on connection 'sandbox'; %eternaltwin search finds ids."
    ]

    assert _outputs(script, "execute_result")[0].data["text/plain"] == "15"
    assert not _outputs(script, "error")
    assert not unload.outputs

    assert "dev_secret" not in json.dumps(notebook)
