"""The ``df.eternaltwin`` accessor: back to User objects, and full records fetched concurrently."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from eternaltwin.exceptions import UserFetchError
from eternaltwin.pandas import USER_COLUMNS, users_frame
from eternaltwin.users import GAME_SITES, User

FakeFixture = tuple[Any, Any]


def linked_records(records: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` records with at least one linked account, then as many without."""
    with_links = [r for r in records if any(e["current"] for e in r["links"].values())][:count]
    without = [r for r in records if not any(e["current"] for e in r["links"].values())][:count]
    assert len(with_links) == len(without) == count
    return with_links + without


def test_users_round_trip(all_records: list[dict[str, Any]]) -> None:
    records = linked_records(all_records, 20)
    frame = users_frame(records)
    users = frame.eternaltwin.users()
    originals = [User.from_json(record) for record in records]
    assert users == originals  # same identifiers, same order
    for user, original in zip(users, originals, strict=True):
        assert user.display_name == original.display_name
        assert user.is_administrator == original.is_administrator
        assert user.created_at == original.created_at
        assert user.deleted_at == original.deleted_at
        assert {site: (a.id, a.name, a.type, a.server) for site, a in user.links.items()} == {
            site: (a.id, a.name, a.type, a.server) for site, a in original.links.items()
        }
    pd.testing.assert_frame_equal(users_frame(users), frame)


def test_users_of_short_records_keep_missing_values() -> None:
    frame = users_frame([{"id": "x", "display_name": {"current": {"value": "X"}}}])
    (user,) = frame.eternaltwin.users()
    assert (user.identifier, user.display_name) == ("x", "X")
    assert user.created_at is None and user.is_administrator is None and user.links == {}


def test_accessor_on_another_frame() -> None:
    with pytest.raises(AttributeError, match="users frame"):
        pd.DataFrame({"a": [1]}).eternaltwin.users()


def test_details_fill_in_full_records(fake: FakeFixture, all_records: list[dict[str, Any]]) -> None:
    server, configure = fake
    configure()
    chosen = all_records[::25]  # 41 users
    short = users_frame([{"id": r["id"], "display_name": r["display_name"]} for r in chosen])
    short.index = pd.Index([f"row{n}" for n in range(len(short))])
    short["note"] = range(len(short))
    full = short.eternaltwin.details(progress=False)
    expected = users_frame(chosen)
    expected.index = short.index
    assert list(full.columns) == [*USER_COLUMNS, "note"]
    pd.testing.assert_frame_equal(full[list(USER_COLUMNS)], expected)
    assert full["note"].tolist() == list(range(len(short)))
    assert sorted(key for kind, key in server.requests if kind == "user") == sorted(r["id"] for r in chosen)


async def test_adetails_and_sync_details_in_a_running_loop(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    chosen = server.records[:12]
    short = users_frame([{"id": r["id"]} for r in chosen])
    expected = users_frame(chosen)
    pd.testing.assert_frame_equal(await short.eternaltwin.adetails(concurrency=3), expected)
    pd.testing.assert_frame_equal(short.eternaltwin.details(), expected)


def test_details_failure_names_the_user(fake: FakeFixture) -> None:
    server, configure = fake
    configure(max_retries=2)
    victim = server.records[3]["id"]
    server.always[("user", victim)] = 503
    frame = users_frame(server.records[:5])
    with pytest.raises(UserFetchError, match=victim) as caught:
        frame.eternaltwin.details()
    assert caught.value.attempts == 3


def test_details_of_an_empty_frame(fake: FakeFixture) -> None:
    _, configure = fake
    configure()
    empty = users_frame([])
    full = empty.eternaltwin.details()
    assert list(full.columns) == list(USER_COLUMNS)
    assert len(full) == 0


def test_details_progress_bar(fake: FakeFixture, capsys: pytest.CaptureFixture[str]) -> None:
    server, configure = fake
    configure()
    users_frame(server.records[:60]).eternaltwin.details()
    assert "Details" in capsys.readouterr().err
    users_frame(server.records[:10]).eternaltwin.details()
    assert "Details" not in capsys.readouterr().err


def test_every_site_has_two_columns() -> None:
    assert [c for c in USER_COLUMNS if c.endswith("_id") and c != "id"] == [f"{s}_id" for s in GAME_SITES]
