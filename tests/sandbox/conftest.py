"""Fixtures for the sandbox tests: real servers on ephemeral 127.0.0.1 ports, driven with plain httpx.

Fixture names carry a ``sandbox_`` prefix so that they cannot clash with a top-level ``tests/conftest.py``
(whose ``sandbox_refresh`` and ``sandbox_2021`` these tests use too).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from eternaltwin.sandbox import Sandbox

from .helpers import POPULATION, TWO_APPS_TOML


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    """The shared demo sandbox (alice, bob, charlie, demo_app) with a small generated population."""
    with Sandbox(population=POPULATION) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def sandbox_two_apps() -> Iterator[Sandbox]:
    """A sandbox seeded from a parsed TOML with two apps and two users."""
    with Sandbox(config=TWO_APPS_TOML) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_fresh() -> Iterator[Sandbox]:
    """A private demo sandbox, for tests that move its clock or change its data."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_fresh_refresh() -> Iterator[Sandbox]:
    """A private demo sandbox with the ``refresh_tokens`` option."""
    with Sandbox(refresh_tokens=True) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_http(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    """A fresh cookie jar on the shared sandbox; redirects are not followed."""
    with httpx.Client(base_url=sandbox_server.url, follow_redirects=False) as client:
        yield client
