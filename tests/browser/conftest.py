"""Headless Chromium (Debian's ``chromium``) driven by Playwright; skipped when it is not installed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
from _chromium import CHROMIUM, MISSING, launch


@pytest.fixture(scope="module")
def w_chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright sync API).

    Module-scoped: while Playwright's sync API runs, an event loop is running in this thread, which
    async tests elsewhere in the session must not find.
    """
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
    with playwright_sync.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
