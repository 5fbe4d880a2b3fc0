"""``import eternaltwin`` warns once when the older ``eternaltwin`` distribution (1.0) is installed too.

The older package is never installed: a folder holding only its metadata (``eternaltwin-1.0.0.dist-info``)
goes first on ``sys.path`` of a fresh interpreter, which is all ``importlib.metadata`` (and pip) look at.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: Imports the package several ways (and reloads it), recording every warning as it is raised.
PROBE = """
import importlib, json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import eternaltwin
    import eternaltwin.users
    from eternaltwin import User
    importlib.reload(eternaltwin)
print(json.dumps([
    {
        "category": warning.category.__module__ + "." + warning.category.__qualname__,
        "user_warning": issubclass(warning.category, UserWarning),
        "is_exported": warning.category is eternaltwin.OlderClientWarning,
        "message": str(warning.message),
        "filename": warning.filename,
    }
    for warning in caught
]))
"""


def _metadata(folder: Path, name: str) -> Path:
    """A distribution's metadata folder, as pip (``.dist-info``) or setuptools (``.egg-info``) leave it."""
    path = folder / name
    path.mkdir(parents=True)
    project, _, version = name.rpartition(".")[0].partition("-")
    file = "METADATA" if name.endswith(".dist-info") else "PKG-INFO"
    version = version.partition("-")[0]
    (path / file).write_text(
        f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n", encoding="utf-8"
    )
    return path


def _warnings_on_import(site: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=site, timeout=60
    )
    assert done.returncode == 0, done.stderr
    warnings: list[dict[str, Any]] = json.loads(done.stdout)
    return warnings


@pytest.mark.parametrize(
    "older",
    ["eternaltwin-1.0.0.dist-info", "Eternaltwin-1.0.0.dist-info", "eternaltwin-1.0.0-py3.11.egg-info"],
)
def test_warns_once_with_the_fix(tmp_path: Path, older: str) -> None:
    _metadata(tmp_path, older)
    # What pip and importlib.metadata see: the older distribution, beside the kit.
    found = [dist.metadata["Name"] for dist in importlib.metadata.distributions(path=[str(tmp_path)])]
    assert [name.lower() for name in found] == ["eternaltwin"]

    (warning,) = _warnings_on_import(tmp_path)

    assert warning["category"] == "eternaltwin.exceptions.OlderClientWarning"
    assert warning["user_warning"] and warning["is_exported"]
    message = warning["message"]
    assert "older 'eternaltwin' distribution (1.0.0) is installed beside eternaltwin-kit" in message
    fix = "python -m pip uninstall -y eternaltwin eternaltwin-kit && python -m pip install eternaltwin-kit"
    assert fix in message
    assert warning["filename"] == "<string>", "the warning should point at the code that imports the kit"


def test_no_warning_without_the_older_client(tmp_path: Path) -> None:
    # Names that are close but are not the older client: the kit's own metadata, other projects.
    others = (
        "eternaltwin_kit-9.0.0.dist-info",
        "eternaltwin_tools-1.0.dist-info",
        "eternaltwinx-2.0.dist-info",
    )
    for name in others:
        _metadata(tmp_path, name)
    assert "eternaltwin" not in {
        dist.metadata["Name"].lower() for dist in importlib.metadata.distributions(path=[str(tmp_path)])
    }

    assert _warnings_on_import(tmp_path) == []
