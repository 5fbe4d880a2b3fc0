"""The generated population: deterministic, varied, valid (``--population N``)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import httpx

from eternaltwin.sandbox import Sandbox, create_app
from eternaltwin.sandbox._population import NAMES
from eternaltwin.sandbox._records import User
from eternaltwin.sandbox._validation import is_display_name, is_lower_uuid, is_username


def population(n: int) -> list[User]:
    """Generated users of a demo app with population n, in search order, without the demo users."""
    store = create_app(population=n).state.sandbox.store
    return [u for u in store.ordered_users() if u.username not in ("alice", "bob", "charlie")]


def fingerprint(users: list[User]) -> list[tuple[object, ...]]:
    return [
        (u.id, u.username, u.display_name, u.created_at, u.is_administrator, u.deleted_at,
         sorted((k, a.id, a.name) for k, a in u.links.items()))
        for u in users
    ]  # fmt: skip


def test_same_size_gives_same_users() -> None:
    assert fingerprint(population(300)) == fingerprint(population(300))


def test_smaller_population_is_a_prefix() -> None:
    small = {u.id for u in population(100)}
    large = {u.id for u in population(300)}
    assert len(small) == 100 and small < large


def test_population_is_deterministic_over_http() -> None:
    pages = []
    for _ in range(2):
        with Sandbox(population=50) as sandbox:
            page = httpx.get(f"{sandbox.url}/api/v1/users", params={"limit": 100}).json()
            assert page["count"] == 53
            demo_ids = {u.id for u in sandbox.demo_users}  # created "now": their timestamps differ
            pages.append([item for item in page["items"] if item["id"] not in demo_ids])
    assert len(pages[0]) == 50
    assert pages[0] == pages[1]


def test_generated_users_are_valid() -> None:
    users = population(2000)
    assert len(users) == 2000
    usernames = [u.username for u in users if u.username is not None]
    assert len(set(usernames)) == len(usernames)
    assert all(is_username(name) for name in usernames)
    assert all(is_display_name(u.display_name) for u in users)
    assert all(unicodedata.is_normalized("NFC", u.display_name) for u in users)
    assert all(is_lower_uuid(u.id) and u.id[14] == "4" and u.id[19] in "89ab" for u in users)
    assert len({u.id for u in users}) == 2000


def test_every_name_in_the_tables_is_a_valid_display_name() -> None:
    for script, names in NAMES.items():
        for display, roman in names:
            assert is_display_name(display), (script, display)
            assert is_username(roman + "1"), (script, roman)


def test_population_is_varied() -> None:
    users = population(2000)
    scripts = set()
    for user in users:
        for char in user.display_name:
            if char.isalpha():
                scripts.add(unicodedata.name(char).split()[0])
    assert {
        "LATIN",
        "CYRILLIC",
        "GREEK",
        "HIRAGANA",
        "KATAKANA",
        "ARABIC",
        "HANGUL",
        "CJK",
        "HEBREW",
    } <= scripts
    assert any(not c.isascii() for u in users if u.display_name.isascii() is False for c in u.display_name)
    years = {u.created_at.year for u in users}
    assert min(years) == 2010 and max(years) == 2025 and len(years) == 16
    assert all(
        datetime(2010, 1, 1, tzinfo=UTC) <= u.created_at < datetime(2026, 1, 1, tzinfo=UTC) for u in users
    )
    admins = sum(u.is_administrator for u in users)
    deleted = [u for u in users if u.deleted_at is not None]
    linked = sum(bool(u.links) for u in users)
    no_username = sum(u.username is None for u in users)
    assert 5 <= admins <= 50  # ~1%
    assert 50 <= len(deleted) <= 160  # ~5%
    assert all(u.deleted_at is not None and u.deleted_at > u.created_at for u in deleted)
    assert 450 <= linked <= 750  # ~30%
    assert 10 <= no_username <= 90  # ~2%


def test_linked_accounts_exist_in_the_archive_and_point_back() -> None:
    store = create_app(population=500).state.sandbox.store
    for user in store.users.values():
        for account in user.links.values():
            assert store.archived(account.kind, account.server, account.id) is account
            assert account.etwin is not None and account.etwin.user_id == user.id


def test_generated_user_can_log_in_with_username_as_password() -> None:
    with Sandbox(population=20) as sandbox:
        user = next(u for u in sandbox.store.users.values() if u.username and u.deleted_at is None and
                    u.username not in ("alice", "bob", "charlie"))  # fmt: skip
        assert user.username is not None
        response = httpx.put(
            f"{sandbox.url}/api/v1/auth/self",
            params={"method": "Etwin"},
            json={"login": user.username, "password": user.username.encode().hex()},
        )
        assert response.status_code == 200 and response.json()["id"] == user.id
        assert response.json()["has_password"] is True


def test_deleted_user_cannot_log_in() -> None:
    with Sandbox(population=200) as sandbox:
        user = next(u for u in sandbox.store.users.values() if u.username and u.deleted_at is not None)
        assert user.username is not None
        response = httpx.put(
            f"{sandbox.url}/api/v1/auth/self",
            params={"method": "Etwin"},
            json={"login": user.username, "password": user.username.encode().hex()},
        )
        assert response.status_code == 401


def test_population_avoids_seeded_usernames() -> None:
    first = population(5)[0]
    assert first.username is not None
    config = {"seed": {"user": {"taken": {"username": first.username, "password": "pw"}}}}
    store = create_app(config, population=5).state.sandbox.store
    assert store.user_by_username(first.username) is not None
    assert len(store.users) == 6
    assert len(store.users_by_username) == len({u.username for u in store.users.values() if u.username})
