"""Link kinds the kit does not know (newer servers link more kinds of accounts): extra columns after the
fixed ones, never dropped, whatever path builds the frame."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd

from eternaltwin.pandas import USER_COLUMNS, users_frame
from eternaltwin.users import GAME_SITES, User

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "users"
FIXED = list(USER_COLUMNS)
FakeFixture = tuple[Any, Any]


def entry(kind: str, remote_id: str, name: str | None, *, typed: bool = True) -> dict[str, Any]:
    remote: dict[str, Any] = {"id": remote_id, "username": name}
    if typed:
        remote["type"] = kind
    return {"current": {"link": None, "unlink": None, "user": remote}, "old": []}


def with_links(record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = copy.deepcopy(record)
    result.setdefault("links", {site: {"current": None, "old": []} for site in GAME_SITES})
    result["links"].update(extra)
    return result


def user(user_id: str, **links: Any) -> dict[str, Any]:
    return with_links(
        {"type": "User", "id": user_id, "display_name": {"current": {"value": user_id}}}, **links
    )


def test_unknown_kinds_become_extra_columns_after_the_fixed_ones() -> None:
    records = [
        user("a", gitlab=entry("GitlabUser", "g1", "ga")),
        user("b"),
        user("c", discord=entry("DiscordUser", "d3", None), gitlab=entry("GitlabUser", "g3", "gc")),
    ]
    frame = users_frame(records)
    assert list(frame.columns) == [*FIXED, "discord_id", "discord_name", "gitlab_id", "gitlab_name"]
    assert dict(frame.dtypes[FIXED]) == dict(USER_COLUMNS)  # the known columns keep their dtypes
    assert all(frame[column].dtype == pd.StringDtype() for column in frame.columns[len(FIXED) :])
    assert frame["gitlab_id"].tolist() == ["g1", pd.NA, "g3"]
    assert frame["gitlab_name"].tolist() == ["ga", pd.NA, "gc"]
    assert frame["discord_id"].tolist() == [pd.NA, pd.NA, "d3"]
    assert frame["discord_name"].isna().all()


def test_users_and_raw_json_give_the_same_frame() -> None:
    newer = json.loads((CORPUS / "newer-links.json").read_text(encoding="utf-8"))
    default = json.loads((CORPUS / "default.json").read_text(encoding="utf-8"))
    from_json = users_frame([default, newer])
    from_users = users_frame([User.from_json(default), User.from_json(newer)])
    pd.testing.assert_frame_equal(from_json, from_users)
    # hammerfest_es is null and hfest_net has no type: not linked; discord is kept; gitlab is empty.
    assert list(from_json.columns) == [*FIXED, "discord_id", "discord_name"]
    assert from_json["discord_id"].tolist() == [pd.NA, "301234567890123456"]
    assert from_json["hfest_net_id"].isna().all() and from_json["hammerfest_es_id"].isna().all()
    assert pd.isna(from_json.loc[1, "display_name"])  # display_name {"current": {}}


def test_no_unknown_kind_no_extra_column() -> None:
    frame = users_frame([user("a", discord={"current": None, "old": []}), user("b", discord=None)])
    assert list(frame.columns) == FIXED
    assert list(users_frame([]).columns) == FIXED


def test_a_kind_whose_columns_would_take_a_fixed_name_is_prefixed() -> None:
    frame = users_frame([user("a", display=entry("DisplayUser", "7", "seven"))])
    assert frame.loc[0, "display_name"] == "a"  # the fixed column is untouched
    assert frame.loc[0, "links_display_id"] == "7" and frame.loc[0, "links_display_name"] == "seven"


def test_search_frame_merges_extra_kinds_across_pages(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    chosen = {5: "matrix", 240: "discord", 777: "discord"}  # rows on pages 0, 2 and 7

    def rewrite(offset: int, limit: int, reply: dict[str, Any]) -> dict[str, Any]:
        items = []
        for position, item in enumerate(reply["items"], start=offset):
            kind = chosen.get(position)
            if kind is not None:
                item = with_links(item, **{kind: entry(f"{kind}User", f"{kind}-{position}", None)})
            items.append(item)
        return {**reply, "items": items}

    server.rewrite = rewrite
    frame = User.search_frame(progress=False)
    assert list(frame.columns) == [*FIXED, "discord_id", "discord_name", "matrix_id", "matrix_name"]
    assert frame["discord_id"].dropna().to_dict() == {240: "discord-240", 777: "discord-777"}
    assert frame["matrix_id"].dropna().to_dict() == {5: "matrix-5"}


def test_details_replace_extra_link_columns_rather_than_doubling_them(fake: FakeFixture) -> None:
    server, configure = fake
    configure()
    server.records = [with_links(r, discord=entry("DiscordUser", "d", "n")) for r in server.records[:3]]
    server._by_id = {r["id"]: r for r in server.records}
    frame = users_frame(server.records)
    frame["note"] = [1, 2, 3]
    full = frame.eternaltwin.details(progress=False)
    assert list(full.columns) == [*FIXED, "discord_id", "discord_name", "note"]
    assert full["discord_id"].tolist() == ["d", "d", "d"]
