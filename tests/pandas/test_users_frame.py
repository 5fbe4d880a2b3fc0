"""users_frame: fixed columns and dtypes, whatever the input."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

import eternaltwin.pandas as frames
from eternaltwin.exceptions import EternaltwinWarning, InvalidArgumentError, UnexpectedResponseError
from eternaltwin.pandas import USER_COLUMNS, users_frame
from eternaltwin.users import GAME_SITES, LinkedAccount, SearchPage, User

ALICE = "3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11"
BOB = "8a0d6c2e-1b5f-4c1a-8f8e-5d2b7a9e0c33"

EXPECTED_COLUMNS = [
    "id",
    "display_name",
    "created_at",
    "deleted_at",
    "is_administrator",
    "dinoparc_com_id",
    "dinoparc_com_name",
    "en_dinoparc_com_id",
    "en_dinoparc_com_name",
    "hammerfest_es_id",
    "hammerfest_es_name",
    "hammerfest_fr_id",
    "hammerfest_fr_name",
    "hfest_net_id",
    "hfest_net_name",
    "sp_dinoparc_com_id",
    "sp_dinoparc_com_name",
    "twinoid_id",
    "twinoid_name",
]


def expected_dtypes() -> dict[str, Any]:
    dtypes: dict[str, Any] = {
        "id": pd.StringDtype(),
        "display_name": pd.StringDtype(),
        "created_at": pd.DatetimeTZDtype("ns", "UTC"),
        "deleted_at": pd.DatetimeTZDtype("ns", "UTC"),
        "is_administrator": pd.BooleanDtype(),
    }
    for column in EXPECTED_COLUMNS[5:]:
        dtypes[column] = pd.StringDtype()
    return dtypes


def assert_shape(frame: pd.DataFrame, rows: int) -> None:
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert dict(frame.dtypes) == expected_dtypes()
    assert len(frame) == rows
    assert isinstance(frame.index, pd.RangeIndex)


def short_user(user_id: str, name: str) -> dict[str, Any]:
    return {"type": "User", "id": user_id, "display_name": {"current": {"value": name}}}


def no_links() -> dict[str, Any]:
    return {site: {"current": None, "old": []} for site in GAME_SITES}


def default_user(user_id: str, name: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "User",
        "id": user_id,
        "created_at": "2021-01-01T00:00:00.000Z",
        "deleted_at": None,
        "display_name": {"current": {"value": name}},
        "is_administrator": False,
        "links": no_links(),
    }
    data.update(extra)
    return data


def linked(user: dict[str, Any]) -> dict[str, Any]:
    links = no_links()
    links["hammerfest_fr"] = {
        "current": {
            "link": {"time": "2021-02-03T10:00:00.000Z", "user": short_user(user["id"], "x")},
            "unlink": None,
            "user": {"type": "HammerfestUser", "server": "hammerfest.fr", "id": "4321", "username": "mira"},
        },
        "old": [],
    }
    links["twinoid"] = {
        "current": {
            "link": {"time": "2021-02-03T10:00:00.000Z", "user": short_user(user["id"], "x")},
            "unlink": None,
            "user": {"type": "TwinoidUser", "id": "88", "display_name": "Mira"},
        },
        "old": [],
    }
    return {**user, "links": links}


def test_user_columns_constant_matches_the_frame() -> None:
    assert list(USER_COLUMNS) == EXPECTED_COLUMNS
    assert dict(USER_COLUMNS) == expected_dtypes()


@pytest.mark.parametrize("empty", [[], (), iter([]), SearchPage(offset=0, limit=20, count=0, items=())])
def test_empty_input_gives_empty_frame_with_the_columns(empty: Any) -> None:
    frame = users_frame(empty)
    assert_shape(frame, 0)


def test_short_users() -> None:
    frame = users_frame([short_user(ALICE, "Alice"), short_user(BOB, "Bob")])
    assert_shape(frame, 2)
    assert frame["id"].tolist() == [ALICE, BOB]
    assert frame["display_name"].tolist() == ["Alice", "Bob"]
    assert frame["created_at"].isna().all()
    assert frame["deleted_at"].isna().all()
    assert frame["is_administrator"].isna().all()
    for column in EXPECTED_COLUMNS[5:]:
        assert frame[column].isna().all(), column


def test_full_users_with_and_without_links() -> None:
    alice = linked(default_user(ALICE, "Alice", is_administrator=True))
    bob = default_user(BOB, "Bob", created_at="2022-05-06T07:08:09Z", deleted_at="2023-01-02T03:04:05.678Z")
    frame = users_frame([alice, bob])
    assert_shape(frame, 2)
    assert frame["is_administrator"].tolist() == [True, False]
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2021-01-01T00:00:00", tz="UTC"),
        pd.Timestamp("2022-05-06T07:08:09", tz="UTC"),
    ]
    assert frame["deleted_at"].isna().tolist() == [True, False]
    assert frame.loc[1, "deleted_at"] == pd.Timestamp("2023-01-02T03:04:05.678", tz="UTC")
    row = frame.loc[0]
    assert row["hammerfest_fr_id"] == "4321"
    assert row["hammerfest_fr_name"] == "mira"
    assert row["twinoid_id"] == "88"
    assert row["twinoid_name"] == "Mira"
    unlinked = [c for c in EXPECTED_COLUMNS[5:] if not c.startswith(("hammerfest_fr", "twinoid"))]
    assert frame.loc[0, unlinked].isna().all()
    assert frame.loc[1, EXPECTED_COLUMNS[5:]].isna().all()


def test_complete_view_extra_members_are_ignored() -> None:
    complete = default_user(ALICE, "Alice", username="alice", email_address=None, has_password=True)
    frame = users_frame([complete])
    assert_shape(frame, 1)
    assert frame.loc[0, "display_name"] == "Alice"


def test_mixed_inputs_keep_their_order() -> None:
    full = linked(default_user(ALICE, "Alice"))
    user = User.from_json(default_user(BOB, "Bob", is_administrator=True))
    page = SearchPage.from_json({"count": 1, "items": [short_user("c" * 8, "Charlie")]})
    reply = {"offset": 0, "limit": 20, "count": 1, "items": [short_user("d" * 8, "Dora")]}
    frame = users_frame([full, user, page, reply])
    assert_shape(frame, 4)
    assert frame["id"].tolist() == [ALICE, BOB, "c" * 8, "d" * 8]
    assert frame["display_name"].tolist() == ["Alice", "Bob", "Charlie", "Dora"]
    assert frame["is_administrator"].tolist() == [False, True, pd.NA, pd.NA]
    assert frame["created_at"].tolist()[:2] == [pd.Timestamp("2021-01-01", tz="UTC")] * 2
    assert frame["created_at"].isna().tolist() == [False, False, True, True]
    assert frame.loc[0, "hammerfest_fr_id"] == "4321"
    assert pd.isna(frame.loc[1, "hammerfest_fr_id"])


def test_a_single_search_page_is_accepted() -> None:
    page = SearchPage.from_json(
        {"count": 2, "items": [linked(default_user(ALICE, "Alice")), short_user(BOB, "Bob")]}
    )
    frame = users_frame(page)
    assert_shape(frame, 2)
    assert frame["twinoid_name"].tolist() == ["Mira", pd.NA]


def test_users_built_by_hand() -> None:
    created = datetime(2020, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    account = LinkedAccount(site="hfest_net", server="hfest.net", type="HammerfestUser", id="7", name=None)
    user = User(identifier=ALICE, created_at=created, links={"hfest_net": account}, has_links=True)
    frame = users_frame([user])
    assert_shape(frame, 1)
    assert frame.loc[0, "created_at"] == pd.Timestamp(created)
    assert frame.loc[0, "hfest_net_id"] == "7"
    assert pd.isna(frame.loc[0, "hfest_net_name"])
    assert pd.isna(frame.loc[0, "display_name"])


def test_missing_and_unexpected_members_become_na() -> None:
    odd: list[dict[str, Any]] = [
        {"id": ALICE},
        {"display_name": "plain string name"},
        {
            "id": BOB,
            "display_name": {"current": None},
            "created_at": 12,
            "is_administrator": "yes",
            "links": [],
        },
        {
            "id": "x",
            "created_at": "not a date",
            "deleted_at": {"time": 1},
            "links": {"twinoid": {"current": 3}},
        },
        {"id": "y", "links": {"twinoid": None, "unknown_site": {"current": {"user": {"id": "1"}}}}},
    ]
    frame = users_frame(odd)
    assert_shape(frame, 5)
    assert frame["id"].tolist() == [ALICE, pd.NA, BOB, "x", "y"]
    assert frame["display_name"].tolist() == [pd.NA, "plain string name", pd.NA, pd.NA, pd.NA]
    assert frame["created_at"].isna().all()
    assert frame["deleted_at"].isna().all()
    assert frame["is_administrator"].isna().all()
    assert frame[EXPECTED_COLUMNS[5:]].isna().all().all()


def test_ids_stay_strings() -> None:
    numeric = default_user("12345", "Num")
    numeric["links"]["hammerfest_fr"] = {
        "current": {"user": {"type": "HammerfestUser", "id": 127, "username": "u"}}
    }
    frame = users_frame([numeric, {"id": 678, "display_name": "int id"}, {"id": "00012"}])
    assert_shape(frame, 3)
    assert frame["id"].tolist() == ["12345", "678", "00012"]
    assert frame.loc[0, "hammerfest_fr_id"] == "127"
    assert frame["hammerfest_fr_id"].dtype == pd.StringDtype()


def test_items_of_another_type_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="not str"):
        users_frame(["3f1c2a58"])


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ({"count": 1, "items": [None]}, "hold a NoneType"),
        ({"count": 1, "items": ["x"]}, "hold a str"),
        ({"count": 1, "items": [{"count": 1, "items": [{"count": 1, "items": []}]}]}, "another reply"),
    ],
)
def test_hostile_replies_are_unexpected_responses_not_type_or_recursion_errors(
    reply: dict[str, Any], said: str
) -> None:
    with pytest.raises(UnexpectedResponseError, match=said):
        users_frame([reply])
    deep: Any = {"count": 1, "items": []}
    for _ in range(3000):
        deep = {"count": 1, "items": [deep]}
    with pytest.raises(UnexpectedResponseError, match="another reply"):
        users_frame([deep])


def test_a_date_outside_pandas_range_is_nat_with_a_warning() -> None:
    records = [
        {"id": "a", "created_at": "1600-01-01T00:00:00Z"},
        {"id": "b", "created_at": "2021-05-06T07:08:09.123Z"},
        {"id": "c", "created_at": "9999-12-31T23:59:59Z"},
    ]
    with pytest.warns(EternaltwinWarning, match=r"2 timestamp\(s\) outside"):
        frame = users_frame(records)
    assert frame["created_at"].isna().tolist() == [True, False, True]
    assert frame["created_at"].dtype == pd.DatetimeTZDtype(unit="ns", tz="UTC")


def test_rows_settled_in_parts_give_the_same_frame() -> None:
    # A bulk fetch converts the rows read so far ahead of time (settle); the frame joins the parts. Links
    # (a kind the kit does not know included), missing values and out-of-range dates fall in several
    # parts, and the warning comes once, with the total.
    records = [default_user(f"{n:08d}", f"user {n}") for n in range(700)]
    for n, record in enumerate(records):
        if n % 9 == 0:
            record["links"]["twinoid"] = {"current": {"user": {"type": "TwinoidUser", "id": str(n)}}}
        if n % 250 == 3:
            remote = {"type": "NewUser", "id": "k", "username": "u"}
            record["links"]["newkind"] = {"current": {"user": remote}}
        if n % 100 == 5:
            record["created_at"] = "1600-01-01T00:00:00Z"
        if n % 77 == 1:
            record["is_administrator"] = None
            record["deleted_at"] = "2024-01-02T03:04:05Z"
    with pytest.warns(EternaltwinWarning, match=r"7 timestamp\(s\) outside") as caught:
        expected = users_frame(records)
    assert len(caught) == 1
    columns = frames._Columns()
    aside = frames._Columns()  # a part read out of order, settled before it is joined
    aside.add(records[500:600])
    aside.settle()
    for start in (0, 100, 200, 300, 400, 600):
        columns.add(records[start : start + 100])
        if start == 400:
            columns.extend(aside)
        if start in (100, 200):
            columns.settle()
    assert len(columns.settled) == 4 and columns.rows == 700  # and rows 600 to 699 not settled
    with pytest.warns(EternaltwinWarning, match=r"7 timestamp\(s\) outside") as caught:
        frame = columns.frame()
    assert len(caught) == 1
    pd.testing.assert_frame_equal(frame, expected)
    assert frame["newkind_id"].notna().sum() == 3


def test_many_users_in_order() -> None:
    records = [default_user(f"{n:08d}", f"user {n}") for n in range(2500)]
    for record in records[::7]:
        record["links"]["twinoid"] = {"current": {"user": {"type": "TwinoidUser", "id": record["id"][-3:]}}}
    frame = users_frame(records)
    assert_shape(frame, 2500)
    assert frame["id"].tolist() == [r["id"] for r in records]
    expected = [r["id"][-3:] if n % 7 == 0 else pd.NA for n, r in enumerate(records)]
    assert frame["twinoid_id"].tolist() == expected


def test_import_eternaltwin_does_not_import_pandas() -> None:
    code = "import sys, eternaltwin, eternaltwin.users; print('pandas' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"
