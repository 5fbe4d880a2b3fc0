"""Headless Chromium for the screenshot scripts and the browser tests: one place for its path and flags.

Debian's ``chromium`` package is used through Playwright's Python package; Playwright's own browser
download cannot work here (no network), so it is never asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Debian's Chromium, unless ``ETERNALTWIN_CHROMIUM`` names another binary.
CHROMIUM = Path(os.environ.get("ETERNALTWIN_CHROMIUM", "/usr/bin/chromium"))

#: Flags for running as root in a container with no network: no sandbox, no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

MISSING = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run this"


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a started Playwright (sync or async API)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
