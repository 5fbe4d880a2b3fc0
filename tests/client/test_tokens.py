"""Tokens as real servers issue them: with or without an expiry, with or without a refresh token, and the
older client's Token API kept."""

from __future__ import annotations

import time

import pytest

from eternaltwin import display
from eternaltwin.clients import _calls
from eternaltwin.exceptions import NotAuthenticatedError, UnexpectedResponseError
from eternaltwin.tokens import EXPIRATION_LEEWAY, LONG_LIVED_SECONDS, Token


def test_the_older_constructor_still_works() -> None:
    before = time.time()
    token = Token(access_token="a", expires_in=3600, token_type="Bearer", refresh_token="r")
    assert token.expiration is not None
    assert before + 3600 - EXPIRATION_LEEWAY <= token.expiration <= time.time() + 3600 - EXPIRATION_LEEWAY
    assert not token.has_expired() and token.expires and token.kind == "refreshable"
    token.expiration = time.time() - 1  # writable, as before
    assert token.has_expired() and token.seconds_left is not None and token.seconds_left < 0


def test_a_token_without_expiry() -> None:
    token = Token(access_token="secret-access", token_type="Bearer")
    assert token.expires_in is None and token.expiration is None and not token.expires
    assert not token.has_expired() and token.seconds_left is None and token.expires_at is None
    assert token.kind == "long-lived" and not token.can_refresh
    assert repr(token).endswith("(no expiry)>") and "secret-access" not in repr(token)
    token.expiration = time.time() - 1  # the caller may still decide it has expired
    assert token.has_expired() and token.kind == "short-lived"


@pytest.mark.parametrize(
    ("expires_in", "refresh", "kind"),
    [
        (1_000_000_000, None, "long-lived"),  # eternaltwin.org's
        (LONG_LIVED_SECONDS + EXPIRATION_LEEWAY + 3600, None, "long-lived"),
        (3600, None, "short-lived"),
        (3600, "r", "refreshable"),
        (None, "r", "refreshable"),
        (0, None, "short-lived"),
    ],
)
def test_kind(expires_in: float | None, refresh: str | None, kind: str) -> None:
    token = Token(access_token="a", expires_in=expires_in, token_type="Bearer", refresh_token=refresh)
    assert token.kind == kind


@pytest.mark.parametrize(
    "reply",
    [
        {"access_token": "a", "token_type": "Bearer"},
        {"access_token": "a", "token_type": "Bearer", "expires_in": None, "refresh_token": None},
        {"access_token": "a", "token_type": "Bearer", "refresh_token": ""},
    ],
)
def test_replies_without_expiry_or_refresh_token_parse(reply: dict[str, object]) -> None:
    token = Token.from_json(reply)
    assert token.expiration is None and token.refresh_token is None and not token.can_refresh


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        ({"token_type": "Bearer"}, "access_token"),
        ({"access_token": "a"}, "token_type"),
        ({"access_token": "a", "token_type": "Bearer", "expires_in": "3600"}, "expires_in"),
        ({"access_token": "a", "token_type": "Bearer", "refresh_token": 5}, "refresh_token"),
    ],
)
def test_broken_replies_still_name_the_member(reply: dict[str, object], named: str) -> None:
    with pytest.raises(UnexpectedResponseError, match=named):
        Token.from_json(reply)


def test_a_refresh_without_expiry_clears_the_old_expiry() -> None:
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    _calls.update_token(token, Token(access_token="new", token_type="Bearer"))
    assert token.access_token == "new" and token.expiration is None and not token.has_expired()
    assert token.refresh_token == "r1"  # none issued: the old one is kept


def test_an_explicit_refresh_without_refresh_token_says_to_log_in_again() -> None:
    with pytest.raises(NotAuthenticatedError, match="log in again"):
        _calls.token_refresh(Token(access_token="a", expires_in=1_000_000_000, token_type="Bearer"))


def test_the_display_of_a_token_without_expiry() -> None:
    text = display.text(Token(access_token="secret-access", token_type="Bearer"))
    assert "no expiry" in text and "secret-access" not in text
    assert display.format_countdown(None) == "no expiry"
