"""Headless Chromium (Debian's ``chromium``) driven by Playwright; skipped when it is not installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Debian's Chromium; Playwright's own browser download is never used (no network in CI).
CHROMIUM = Path(os.environ.get("ETERNALTWIN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def w_chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright sync API).

    Module-scoped: while Playwright's sync API runs, an event loop is running in this thread, which
    async tests elsewhere in the session must not find.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run this"
        )
    playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
