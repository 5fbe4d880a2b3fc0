"""The panel in a real JupyterLab: it renders, its button opens the login tab, and the login completes.

This runs ``docs/make_widget_screenshot.py`` (the script that makes the README's screenshot) into a
temporary folder, so the screenshot script itself is tested too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHROMIUM, MISSING

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "make_widget_screenshot.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.timeout(300)
def test_panel_in_jupyterlab(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    pytest.importorskip("jupyterlab", reason="jupyterlab is missing")
    before, pending, after = tmp_path / "before.png", tmp_path / "pending.png", tmp_path / "after.png"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            f"--output={before}",
            f"--pending={pending}",
            f"--after={after}",
        ],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(then: 'Logged in as Alice')" in result.stdout
    for png in (before, pending, after):
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 5_000
