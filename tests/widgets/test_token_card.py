"""The token's card (eternaltwin.display): which kind of token the login gave, and when it runs out."""

from __future__ import annotations

from typing import Any

import pytest

from eternaltwin.display import html, text
from eternaltwin.tokens import Token


@pytest.mark.parametrize(
    ("made", "kind", "expires"),
    [
        (
            dict(expires_in=3690, refresh_token="r" * 36),
            "refreshable: the kit renews it with its refresh token",
            "expires in 1 h",
        ),
        (  # eternaltwin.org's: 1,000,000,000 s and no refresh token
            dict(expires_in=1_000_000_000),
            "long-lived: no refresh token, and none needed",
            "expires in 32 years",
        ),
        (
            dict(expires_in=None),
            "long-lived: no refresh token, and none needed",
            "no expiry",
        ),
        (
            dict(expires_in=3690),
            "short-lived: no refresh token, log in again once it expires",
            "expires in 1 h",
        ),
    ],
    ids=["refreshable", "long-lived", "no-expiry", "short-lived"],
)
def test_the_card_says_which_kind_of_token(made: dict[str, Any], kind: str, expires: str) -> None:
    token = Token(access_token="a" * 36, token_type="Bearer", **made)  # 3690 s: an hour and a half minute
    plain = text(token)
    assert plain.splitlines()[0] == f"Token: Bearer  [{expires}]"
    assert f"  kind           {kind}" in plain.splitlines()
    assert f"  expires        {expires}" in plain.splitlines()
    page = html(token)
    assert kind in page and expires in page
    assert "a" * 36 not in plain + page and "r" * 36 not in plain + page
