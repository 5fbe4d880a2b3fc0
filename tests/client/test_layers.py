"""The import graph goes one way (issue 11): import-linter's contracts, declared in pyproject.toml.

Notebook layers -> frames -> registries -> client -> settings -> models, the sandbox apart; at most three
imports run back up a layer, each a deliberate lazy hook listed (and commented) in the contract.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--config",
            str(CONFIG),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_at_most_three_deliberate_hooks_run_back_up() -> None:
    contracts = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["type"] == "layers")
    assert len(layers.get("ignore_imports", [])) <= 3
    text = CONFIG.read_text(encoding="utf-8")
    for hook in layers["ignore_imports"]:
        importer = hook.split(" -> ")[0].removeprefix("eternaltwin.").replace(".", "/")
        source = (ROOT / "eternaltwin" / f"{importer}.py").read_text(encoding="utf-8")
        assert "hook" in source, (
            f"{importer}.py should say, where it imports up, that it is a deliberate hook"
        )
    assert "deliberate lazy hook" in text
