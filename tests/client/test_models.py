"""The models alone: tokens by identity, operation signatures, and odd or hostile JSON as the kit's errors."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest

from eternaltwin.clients import _calls
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.exceptions import UnexpectedResponseError
from eternaltwin.responses import Response
from eternaltwin.users import SearchPage, SearchRecords, User

USER_ID = "3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11"


def test_a_token_stays_findable_after_it_is_refreshed_in_place() -> None:
    from eternaltwin.tokens import Token

    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    twin = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    held = {token: "alice"}
    _calls.update_token(token, Token(access_token="new", expires_in=3600, token_type="Bearer"))
    assert held[token] == "alice"  # its hash did not change with its fields
    assert token != twin and len({token, twin}) == 2  # identity, as it is mutable


@pytest.mark.parametrize("cls", [ClientABC, Eternaltwin, AsyncEternaltwin])
def test_operations_have_a_signature_at_class_level(cls: type[ClientABC]) -> None:
    signature = inspect.signature(cls.get_user)
    assert list(signature.parameters) == ["self", "user_id"]
    assert signature.return_annotation == "User"
    assert list(inspect.signature(cls.search_users).parameters) == ["self", "query", "limit", "offset"]


def test_an_operation_called_on_the_class_takes_the_client_first() -> None:
    client = Eternaltwin(url="http://127.0.0.1:9/")
    try:
        with pytest.raises(Exception, match="not an Eternaltwin user id"):
            Eternaltwin.get_user(client, "nope")
    finally:
        client.close()


def _page(**overrides: Any) -> dict[str, Any]:
    return {"offset": 0, "limit": 20, "count": 1, "items": [{"type": "User", "id": USER_ID}], **overrides}


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        (_page(items=[None]), "items[0]"),
        (_page(items=["x"]), "items[0]"),
        (_page(items=[{"id": USER_ID}, {"type": "User"}]), "items[1]"),
        (_page(items=[[[[]]]]), "items[0]"),
        (_page(offset=math.nan), "offset"),
        (_page(offset=1e400), "offset"),
        (_page(limit="20"), "limit"),
        (_page(count=-1), "count"),
        (_page(count=True), "count"),
        (_page(items={"0": {}}), "items"),
    ],
)
def test_hostile_search_pages_name_the_member(reply: dict[str, Any], named: str) -> None:
    for parse in (SearchRecords.from_json, SearchPage.from_json):
        with pytest.raises(UnexpectedResponseError, match=named.replace("[", r"\[").replace("]", r"\]")):
            parse(reply)


def test_a_deeply_nested_item_is_refused_without_recursion() -> None:
    nested: Any = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(UnexpectedResponseError, match=r"items\[0\]"):
        SearchRecords.from_json(_page(items=[nested]))


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "not a date"])
def test_a_date_out_of_range_is_an_unexpected_response(stamp: str) -> None:
    with pytest.raises(UnexpectedResponseError, match="created_at"):
        User.from_json({"id": USER_ID, "created_at": stamp})


def test_parsers_read_ids_as_strings() -> None:
    page = SearchPage.from_json(_page())
    assert page[0].identifier == USER_ID
    response = Response("http://x/", 200, b'{"type": "User", "id": "%s"}' % USER_ID.encode(), {})
    assert _calls.parse_user_record(response)["id"] == USER_ID


@pytest.mark.parametrize(
    "body",
    [
        b'{"count": 3, "items": [{"id": "x", "n": 1.5, "s": "\\u00e9t\\u00e9"}]}',
        b"[1, 2, 3]",
        b'{"big": 9223372036854775807, "small": -9223372036854775808}',  # the 64-bit limits, exact
        b'{"nan": NaN}',  # not JSON, but Python's json reads it: the answer stays the same
        b'"\\ud800"',
    ],
)
def test_the_fast_decoder_answers_what_the_standard_library_does(body: bytes) -> None:
    import json as stdlib

    response = Response("http://x/", 200, body, {})
    decoded, expected = response.json(), stdlib.loads(body)
    assert repr(decoded) == repr(expected)


def test_a_body_that_is_not_json_is_still_a_value_error() -> None:
    with pytest.raises(ValueError):
        Response("http://x/", 200, b"<html>", {}).json()
