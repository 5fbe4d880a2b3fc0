"""Validation rules of spec §6 (usernames, display names, ids, game account ids)."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DINOPARC_SERVERS",
    "HAMMERFEST_SERVERS",
    "is_client_key",
    "is_display_name",
    "is_lower_uuid",
    "is_oauth_client_display_name",
    "is_twinoid_id",
    "is_username",
    "parse_dinoparc_id",
    "parse_hammerfest_id",
]

_USERNAME = re.compile(r"[a-z_][a-z0-9_]{1,31}")
_CLIENT_KEY = re.compile(r"[a-z_][a-z0-9_]{1,31}@clients")
_LOWER_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLIENT_DISPLAY_NAME = re.compile(r"[A-Za-z_ ()-]{2,32}")
_TWINOID_ID = re.compile(r"[1-9][0-9]{0,11}")
_DECIMAL = re.compile(r"[0-9]{1,9}")
_DISPLAY_NAME_EXTRA: Final = frozenset("_ ()")
_ASCII_DIGITS: Final = frozenset("0123456789")

HAMMERFEST_SERVERS: Final = ("hammerfest.fr", "hfest.net", "hammerfest.es")
DINOPARC_SERVERS: Final = ("dinoparc.com", "en.dinoparc.com", "sp.dinoparc.com")


def is_username(value: str) -> bool:
    """``^[a-z_][a-z0-9_]{1,31}$`` (spec §6)."""
    return _USERNAME.fullmatch(value) is not None


def is_client_key(value: str) -> bool:
    """``^[a-z_][a-z0-9_]{1,31}@clients$`` (spec §6)."""
    return _CLIENT_KEY.fullmatch(value) is not None


def is_lower_uuid(value: str) -> bool:
    """A 36-character lowercase hyphenated UUID (spec §2)."""
    return _LOWER_UUID.fullmatch(value) is not None


def is_oauth_client_display_name(value: str) -> bool:
    """``^[A-Za-z_ ()-]{2,32}$`` (spec §6)."""
    return _CLIENT_DISPLAY_NAME.fullmatch(value) is not None


def is_display_name(value: str) -> bool:
    """User display name rule of spec §6.

    Already trimmed, 2 to 64 characters, ``^[\\p{Letter}_ ()][\\p{Letter}_ ()0-9]*$``. Python's
    :meth:`str.isalpha` is exactly the Unicode ``Letter`` category (Lu, Ll, Lt, Lm, Lo).
    """
    if value != value.strip() or not 2 <= len(value) <= 64:
        return False
    first = value[0]
    if not (first.isalpha() or first in _DISPLAY_NAME_EXTRA):
        return False
    return all(c.isalpha() or c in _DISPLAY_NAME_EXTRA or c in _ASCII_DIGITS for c in value[1:])


def is_twinoid_id(value: str) -> bool:
    """``^[1-9]\\d{0,11}$`` (spec §6), ASCII digits only."""
    return _TWINOID_ID.fullmatch(value) is not None


def parse_hammerfest_id(value: str) -> int | None:
    """A Hammerfest user id, 1..999999999, or None (spec §6)."""
    if _DECIMAL.fullmatch(value) is None:
        return None
    number = int(value)
    return number if number >= 1 else None


def parse_dinoparc_id(value: str) -> int | None:
    """A Dinoparc user id, 0..999999999, or None (spec §6)."""
    if _DECIMAL.fullmatch(value) is None:
        return None
    return int(value)
