"""Install the jupyter-server-proxy releases that the proxy tests run, each in its own folder.

Two releases of one distribution cannot live in one environment, so each goes into
``build/proxies/<version>/`` (``pip install --no-deps --target``), which the tests put first on the
``PYTHONPATH`` of the jupyter-server they start. What the proxy needs besides (jupyter-server, tornado,
traitlets, aiohttp) comes from the environment the tests run in (the kit's ``dev`` extra); simpervisor,
which the kit does not otherwise need, goes into each folder too.

Run it once before the tests (``.ci/run`` does); it reaches the package index, the tests never do::

    python tests/proxy/prepare.py

A folder is complete once it holds the ``.prepared`` marker; an incomplete one is installed again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

#: The releases the tests run: 4.4 (before the proxy rewrote ``Location``), 4.5 (which rewrote every
#: ``Location`` without a host, relative ones included) and the current release (4.6: root-relative only).
VERSIONS = ("4.4.0", "4.5.0", "4.6.0")
#: Pinned so that every folder is the same from one run to the next.
EXTRA_REQUIREMENTS = ("simpervisor==1.0.0",)

ROOT = Path(__file__).resolve().parents[2]
PROXIES = ROOT / "build" / "proxies"
MARKER = ".prepared"


def folder(version: str) -> Path:
    """Where the given release is installed."""
    return PROXIES / version


def is_prepared(version: str) -> bool:
    """Whether :func:`prepare` completed for ``version``."""
    return (folder(version) / MARKER).is_file()


def prepare(version: str) -> Path:
    """Install jupyter-server-proxy ``version`` (and :data:`EXTRA_REQUIREMENTS`) into its folder."""
    target = folder(version)
    if is_prepared(version):
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--target",
        str(target),
        f"jupyter-server-proxy=={version}",
        *EXTRA_REQUIREMENTS,
    ]
    subprocess.run(command, check=True)
    (target / MARKER).write_text(f"jupyter-server-proxy=={version}\n", encoding="utf-8")
    return target


def main() -> int:
    """Prepare every release of :data:`VERSIONS`; print where each went."""
    for version in VERSIONS:
        print(f"jupyter-server-proxy {version}: {prepare(version).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
