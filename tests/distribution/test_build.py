"""The sdist and the wheel, built from this checkout: ``twine check``, and what each must (not) hold.

``python -m build --no-isolation`` builds the sdist, then the wheel from the unpacked sdist (so the sdist is
shown to be complete), with the hatchling of this environment: no download. Skipped when the tests do not
run from a checkout (no ``pyproject.toml`` above them).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEMOS = [
    "01-quickstart.ipynb",
    "02-login.ipynb",
    "03-explore-users.ipynb",
    "04-async.ipynb",
    "05-explore-forum-and-archives.ipynb",
]

pytestmark = [
    pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not run from a checkout"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel), built once for the module."""
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def _wheel_metadata(wheel: Path) -> tuple[list[str], Message]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        return names, HeaderParser().parsestr(archive.read(metadata).decode("utf-8"))


def test_twine_check_passes(built: tuple[Path, Path]) -> None:
    pytest.importorskip("twine")
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, built)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_wheel_holds_the_package_its_data_and_the_license(built: tuple[Path, Path]) -> None:
    names, metadata = _wheel_metadata(built[1])

    assert "eternaltwin/py.typed" in names
    assert "eternaltwin/static/display.css" in names
    assert sorted(n.rpartition("/")[2] for n in names if n.startswith("eternaltwin/notebooks/")) == DEMOS
    (license_file,) = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE"
    # Only the package and its metadata: no tests, benchmarks, docs or notebooks/ at the top.
    assert {name.split("/")[0] for name in names} == {"eternaltwin", license_file.split("/")[0]}
    assert not [name for name in names if "/tests/" in name or "__pycache__" in name or "/." in name]


def test_the_sdist_builds_the_wheel_and_holds_the_license(built: tuple[Path, Path]) -> None:
    with tarfile.open(built[0]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "eternaltwin/py.typed"} <= names
    assert {f"notebooks/{name}" for name in DEMOS} <= names
    assert not [name for name in names if name.startswith(("eternaltwin-notebooks/", "build/", ".venv/"))]


def test_commands_and_project_urls(built: tuple[Path, Path]) -> None:
    _, metadata = _wheel_metadata(built[1])
    with zipfile.ZipFile(built[1]) as archive:
        (entry_points,) = [
            name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")
        ]
        scripts = archive.read(entry_points).decode("utf-8")
    assert "eternaltwin = eternaltwin.__main__:main" in scripts
    assert "eternaltwin-sandbox = eternaltwin.sandbox.__main__:main" in scripts

    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL", []))
    assert urls["Homepage"] == "https://eternaltwin.org/"
    # The same placeholder repository as the README's Binder badge (OWNER/REPO until published).
    (repository,) = set(
        re.findall(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/", (ROOT / "README.md").read_text())
    )
    assert urls["Source"] == f"https://github.com/{repository}"
    assert urls["Issues"] == f"https://github.com/{repository}/issues"
    assert urls["Documentation"].startswith(f"https://github.com/{repository}")


def test_the_kernel_extra_is_lean_and_notebook_adds_the_tools(built: tuple[Path, Path]) -> None:
    _, metadata = _wheel_metadata(built[1])
    extras: dict[str, set[str]] = {}
    for text in metadata.get_all("Requires-Dist", []):
        requirement = Requirement(text)
        for extra in metadata.get_all("Provides-Extra", []):
            if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
                extras.setdefault(extra, set()).add(requirement.name.lower())
    assert {"sandbox", "fast", "kernel", "notebook", "dev"} <= set(extras)

    # hatchling writes the extras' self-references (kernel -> sandbox, fast ...) out in full.
    kernel = extras["kernel"]
    wanted = ["ipython", "ipykernel", "ipywidgets", "pandas", "tqdm", "aiohttp"]
    for needed in [*wanted, "starlette", "uvicorn", "python-multipart"]:
        assert needed in kernel, f"the kernel extra lacks {needed}"
    for heavy in ("jupyterlab", "notebook", "matplotlib", "nbconvert", "nbclient"):
        assert heavy not in kernel, f"the kernel extra should not bring {heavy}"
    # asyncio.run in a cell needs no patching library: %load_ext runs it on its own loop.
    assert not any(name.startswith("nest-asyncio") for name in kernel)
    for needed in ("jupyterlab", "matplotlib", "nbconvert", "nbclient", "nbformat"):
        assert needed in extras["notebook"], f"the notebook extra lacks {needed}"
    assert kernel <= extras["notebook"] <= extras["dev"]
    assert {"build", "twine", "hatchling", "pytest"} <= extras["dev"]
