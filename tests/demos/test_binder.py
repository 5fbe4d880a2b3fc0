"""The Binder configuration, read from the files (Binder itself cannot be reached from the tests).

repo2docker reads ``binder/`` instead of the repository root when it exists, so the root
``pyproject.toml`` is not installed by itself: ``binder/postBuild`` must install the kit with its
``notebook`` extra, ``binder/requirements.txt`` adds what only Binder needs (jupyter-server-proxy, through
which the person's browser reaches the embedded sandbox's login page, pinned to the releases that
``tests/proxy/`` runs the login through) and ``binder/runtime.txt`` picks a
Python the kit supports. The last test checks that what the notebooks import is what that installs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import shlex
import stat
import sys
import tomllib
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DISTRIBUTION = canonicalize_name(PYPROJECT["project"]["name"])


def _requirements(path: Path) -> list[Requirement]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Requirement(line.split("#", 1)[0].strip()) for line in lines if line.split("#", 1)[0].strip()]


def _commands(path: Path) -> list[list[str]]:
    """The shell commands of a script, one list of words each (comments and blank lines dropped)."""
    commands = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands


def _extra_requirements(extra: str) -> list[Requirement]:
    """What ``eternaltwin-kit[extra]`` requires: dependencies, then the extra (self-references followed)."""
    found: list[Requirement] = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    pending, seen = [extra], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in PYPROJECT["project"]["optional-dependencies"][name]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == DISTRIBUTION:
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def _installed_closure(requirements: list[Requirement]) -> set[str]:
    """The distributions that installing ``requirements`` brings, read from this environment's metadata."""
    closure: set[str] = set()
    pending = [canonicalize_name(requirement.name) for requirement in requirements]
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return closure


def _notebook_imports() -> set[str]:
    """Top-level modules imported by the code cells of the demo notebooks (magics turned into Python)."""
    transformer = TransformerManager()
    modules: set[str] = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            tree = ast.parse(transformer.transform_cell(cell.source))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return modules


def test_runtime_is_a_supported_python() -> None:
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"runtime.txt should read python-X.Y, not {runtime!r}"
    version = (int(match.group(1)), int(match.group(2)))
    assert version >= (3, 11)
    supported = Requirement(f"x{PYPROJECT['project']['requires-python']}").specifier
    assert supported.contains(f"{version[0]}.{version[1]}")


def _tested_proxy_releases() -> tuple[str, ...]:
    """The jupyter-server-proxy releases tests/proxy/ runs the login through."""
    spec = importlib.util.spec_from_file_location("_proxy_prepare", ROOT / "tests" / "proxy" / "prepare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    versions: tuple[str, ...] = module.VERSIONS
    return versions


def test_jupyter_server_proxy_is_pinned_to_the_tested_releases() -> None:
    requirements = _requirements(BINDER / "requirements.txt")
    found = [r for r in requirements if canonicalize_name(r.name) == "jupyter-server-proxy"]
    assert len(found) == 1, "binder/requirements.txt must install jupyter-server-proxy"
    specifier = found[0].specifier
    tested = sorted(Version(version) for version in _tested_proxy_releases())
    for version in tested:
        assert specifier.contains(version), f"{version} is tested but excluded by {specifier}"
    # Nothing outside the tested minor releases: not the one before the oldest, not the one after the newest.
    oldest, newest = tested[0], tested[-1]
    assert not specifier.contains(f"{oldest.major}.{oldest.minor - 1}.99"), f"{specifier} allows untested"
    assert not specifier.contains(f"{newest.major}.{newest.minor + 1}.0"), f"{specifier} allows untested"


def test_post_build_installs_the_kit_with_its_notebook_extra() -> None:
    post_build = BINDER / "postBuild"
    assert post_build.read_text(encoding="utf-8").startswith("#!")
    assert post_build.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    installs = [
        words for words in _commands(post_build) if "pip" in " ".join(words[:3]) and "install" in words
    ]
    targets = [word for words in installs for word in words if re.fullmatch(r"\.(\[[\w,-]+\])?", word)]
    assert targets, f"postBuild installs nothing from the repository: {installs}"
    extras = set(re.findall(r"[\w-]+", targets[0]))
    assert "notebook" in extras
    assert "-e" not in installs[0] and "--editable" not in installs[0], "Binder images want a real install"


def test_notebook_extra_brings_the_notebook_tools() -> None:
    names = {canonicalize_name(requirement.name) for requirement in _extra_requirements("notebook")}
    for needed in ("jupyterlab", "ipykernel", "ipywidgets", "pandas", "matplotlib", "tqdm"):
        assert needed in names, f"the notebook extra lacks {needed}"
    for needed in ("starlette", "uvicorn"):  # the embedded sandbox
        assert needed in names, f"the notebook extra lacks the sandbox's {needed}"


def test_what_the_notebooks_import_is_installed_by_binder() -> None:
    binder = _extra_requirements("notebook") + _requirements(BINDER / "requirements.txt")
    installed = _installed_closure(binder)
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_notebook_imports()):
        if module in sys.stdlib_module_names or module == "eternaltwin":
            continue
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        if not distributions & installed:
            missing[module] = sorted(distributions) or ["(not installed here either)"]
    assert not missing, f"imported by the notebooks but not installed by binder/: {missing}"


def test_binder_folder_holds_only_what_binder_reads() -> None:
    # An environment.yml would switch repo2docker to conda and make it ignore runtime.txt.
    known = {"postBuild", "requirements.txt", "runtime.txt", "apt.txt", "start"}
    assert {path.name for path in BINDER.iterdir()} <= known
