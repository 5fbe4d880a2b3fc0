"""Search pages decoded into compact rows (msgspec, the ``fast`` extra) give exactly the frames and the
errors of the JSON path: every shape the row decoder takes is read alike, every other one goes the JSON
way."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pandas as pd
import pytest

import eternaltwin.pandas as frames
from eternaltwin.clients import _calls
from eternaltwin.connections import connections
from eternaltwin.exceptions import UnexpectedResponseError
from eternaltwin.responses import Response
from eternaltwin.sandbox import Sandbox

rows_module = pytest.importorskip("eternaltwin._compact", reason="needs msgspec (the fast extra)")

_REMOTE = {"type": "HammerfestUser", "server": "hammerfest.fr", "id": "42", "username": "igor"}

# Users of every shape the API may send that the row decoder takes (each must give the JSON path's row).
ODD_BUT_PLAIN: list[dict[str, Any]] = [
    {"id": "a", "type": "User"},  # a short view: every member missing
    {"id": "b", "display_name": None, "created_at": None, "deleted_at": None, "is_administrator": None},
    {"id": "c", "display_name": "plain string", "links": None},
    {"id": "d", "display_name": {}, "links": {}},
    {"id": "e", "display_name": {"current": None}, "is_administrator": False},
    {"id": "f", "display_name": {"current": {"value": 7}}, "created_at": "2021-02-03T04:05:06.789Z"},
    {"id": "g", "display_name": {"current": {}}, "deleted_at": "2022-01-01T00:00:00Z"},
    {
        "id": "h",
        "display_name": {"current": {"value": "Héloïse", "extra": [1, {"x": None}]}},
        "is_administrator": True,
        "links": {
            "hammerfest_fr": {"current": {"user": _REMOTE, "link": {}}, "old": [{"x": 1}]},
            "twinoid": None,
            "dinoparc_com": {"current": None, "old": []},
            "hfest_net": {"current": {"user": None}},
            "hammerfest_es": {"current": {"user": {"type": None, "id": "1", "username": "no type"}}},
            "sp_dinoparc_com": {
                "current": {"user": {"type": "DinoparcUser", "id": 17, "display_name": "dn"}}
            },
            "en_dinoparc_com": {"current": {"user": {"type": "X", "id": True, "username": 5}}},
            "newkind": {"current": {"user": {"type": "NewUser", "id": "n1", "display_name": "new"}}},
            "display": {"current": {"user": {"type": 3, "id": [1], "username": None, "display_name": "dn2"}}},
        },
    },
    {"id": "i", "unknown": {"deep": [1, 2, {"x": "y"}]}, "display_name": {"current": {"value": "last"}}},
]

# Pages the row decoder refuses: the JSON path reads them (a row or an error), as without msgspec.
NOT_PLAIN: list[Any] = [
    {"count": 1, "items": [{"id": "x", "display_name": 5}]},
    {"count": 1, "items": [{"id": "x", "created_at": 1234}]},
    {"count": 1, "items": [{"id": "x", "is_administrator": "yes"}]},
    {"count": 1, "items": [{"id": "x", "links": ["hammerfest_fr"]}]},
    {"count": 1, "items": [{"id": "x", "links": {"twinoid": "linked"}}]},
    {"count": 1, "items": [{"id": "x", "links": {"twinoid": {"current": {"user": "someone"}}}}]},
    {"count": 1, "items": [{"id": "x", "display_name": {"current": "name"}}]},
    {"count": 1, "items": [{"id": 12}]},
    {"count": 1, "items": ["x"]},
    {"count": 1, "items": [{"items": []}]},
    {"count": -1, "items": []},
    {"count": 1.0, "items": []},
    {"count": True, "items": []},
    {"count": 2, "offset": -1, "items": []},
    {"items": []},
    {"count": 1},
    [],
    "users",
]


def _reply(body: Any) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response("http://fake.test/api/v1/users", 200, content, {"content-type": "application/json"})


def _frame(items: list[Any]) -> pd.DataFrame:
    columns = frames._Columns()
    columns.add(items)
    return columns.frame()


def test_plain_pages_give_the_json_paths_frame() -> None:
    body = {"offset": 0, "limit": 100, "count": len(ODD_BUT_PLAIN), "items": ODD_BUT_PLAIN}
    compact = _calls.parse_search_rows(_reply(body))
    plain = _calls.parse_search_records(_reply(body))
    assert all(type(row) is rows_module.UserRow for row in compact.items)  # the rows path was taken
    assert (compact.offset, compact.limit, compact.count) == (plain.offset, plain.limit, plain.count)
    expected = _frame(plain.items)
    assert expected["hammerfest_fr_name"].iloc[7] == "igor"  # (the reference reads what it should)
    assert list(expected.columns[-4:]) == [
        "links_display_id",
        "links_display_name",
        "newkind_id",
        "newkind_name",
    ]
    pd.testing.assert_frame_equal(_frame(compact.items), expected)


def test_rows_answer_the_bulk_layers_questions_as_records_do() -> None:
    body = {"count": 2, "items": ODD_BUT_PLAIN[:2]}
    short, nulls = _calls.parse_search_rows(_reply(body)).items
    assert short["id"] == "a" and nulls["id"] == "b"
    for member in ("created_at", "is_administrator", "links", "display_name"):
        assert member not in short
    assert "created_at" in nulls and "is_administrator" in nulls and "links" not in nulls
    assert "nothing" not in nulls and 3 not in nulls
    with pytest.raises(KeyError):
        short["created_at"]


@pytest.mark.parametrize("body", NOT_PLAIN, ids=range(len(NOT_PLAIN)))
def test_other_pages_are_read_as_json_with_the_same_result_or_error(body: Any) -> None:
    assert rows_module.decode_search_page(json.dumps(body).encode()) is None
    try:
        expected = _calls.parse_search_records(_reply(body))
    except UnexpectedResponseError as error:
        with pytest.raises(UnexpectedResponseError) as raised:
            _calls.parse_search_rows(_reply(body))
        assert str(raised.value) == str(error)
        assert raised.value.response is not None
    else:
        got = _calls.parse_search_rows(_reply(body))
        assert got == expected
        pd.testing.assert_frame_equal(_frame(got.items), _frame(expected.items))


@pytest.mark.parametrize(
    "content", [b"", b"not json", b'{"count": 1, "items": [{"id": "x"}]} trailing', b'{"count": NaN}']
)
def test_bodies_that_are_not_json_fail_as_before(content: bytes) -> None:
    assert rows_module.decode_search_page(content) is None
    with pytest.raises(UnexpectedResponseError) as before:
        _calls.parse_search_records(_reply(content))
    with pytest.raises(UnexpectedResponseError) as now:
        _calls.parse_search_rows(_reply(content))
    assert str(now.value) == str(before.value)


def test_search_frame_is_the_same_with_or_without_rows(
    pd_connected: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = httpx.get(f"{pd_connected.url}/api/v1/users", params={"q": "", "limit": 100, "offset": 500})
    assert rows_module.decode_search_page(page.content) is not None  # the sandbox's pages take the rows path
    with_rows = frames.search_frame(progress=False)
    connections.close()
    monkeypatch.setattr(_calls, "_row_decoder", lambda: None)
    without = frames.search_frame(progress=False)
    assert len(with_rows) == 1003
    pd.testing.assert_frame_equal(with_rows, without)
