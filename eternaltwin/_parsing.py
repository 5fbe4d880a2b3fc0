"""Checked access to JSON replies: a reply that is not what was expected raises
:class:`~eternaltwin.exceptions.UnexpectedResponseError` naming the member, never a bare ``KeyError``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eternaltwin.exceptions import UnexpectedResponseError

__all__ = [
    "expect_mapping",
    "optional_bool",
    "optional_datetime",
    "optional_int",
    "optional_str",
    "parse_datetime",
    "require_id",
    "require_int",
    "require_number",
    "require_str",
]


def expect_mapping(data: Any, what: str) -> Mapping[str, Any]:
    """``data`` if it is a JSON object, else an :class:`UnexpectedResponseError` about ``what``."""
    if type(data) is dict:  # the common case, without the (slower) ABC check
        return data
    if not isinstance(data, Mapping):
        raise UnexpectedResponseError(f"Expected a JSON object for the {what}, got {type(data).__name__}.")
    return data


def require_str(obj: Mapping[str, Any], key: str, what: str) -> str:
    """The string member ``key`` of ``obj``."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise UnexpectedResponseError(_wrong(key, what, "a string", value, key in obj))
    return value


def optional_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    """The string member ``key``, or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnexpectedResponseError(_wrong(key, what, "a string or null", value, True))
    return value


def require_number(obj: Mapping[str, Any], key: str, what: str) -> int | float:
    """The numeric member ``key`` of ``obj`` (booleans are refused)."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnexpectedResponseError(_wrong(key, what, "a number", value, key in obj))
    return value


def require_int(obj: Mapping[str, Any], key: str, what: str, *, minimum: int = 0) -> int:
    """The integer member ``key`` of ``obj``, at least ``minimum`` (booleans, fractions, NaN and infinities
    are refused)."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnexpectedResponseError(_wrong(key, what, "an integer", value, key in obj))
    if value < minimum:
        raise UnexpectedResponseError(f"The {what} has {key}={value}, expected at least {minimum}.")
    return value


def optional_int(obj: Mapping[str, Any], key: str, what: str, *, minimum: int = 0) -> int | None:
    """The integer member ``key`` (see :func:`require_int`), or None when absent or null."""
    if obj.get(key) is None:
        return None
    return require_int(obj, key, what, minimum=minimum)


def require_id(obj: Mapping[str, Any], what: str) -> str:
    """The ``id`` member of an object as a string: strings as they are, integers in decimal."""
    value = obj.get("id")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnexpectedResponseError(f"The {what} has no usable 'id' (expected a string or an integer).")


def optional_bool(obj: Mapping[str, Any], key: str, what: str) -> bool | None:
    """The boolean member ``key``, or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise UnexpectedResponseError(_wrong(key, what, "a boolean or null", value, True))
    return value


def parse_datetime(value: str) -> datetime:
    """Parse an API timestamp (``2021-03-04T05:06:07.089Z``, fraction optional) as an aware UTC datetime."""
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable instant
        raise ValueError(f"{value!r} is out of the representable range") from None


def optional_datetime(obj: Mapping[str, Any], key: str, what: str) -> datetime | None:
    """The timestamp member ``key`` as an aware datetime, or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnexpectedResponseError(_wrong(key, what, "a timestamp string or null", value, True))
    try:
        return parse_datetime(value)
    except ValueError:
        raise UnexpectedResponseError(f"The {what} has {key}={value!r}, which is not a timestamp.") from None


def _wrong(key: str, what: str, expected: str, value: Any, present: bool) -> str:
    if not present:
        return f"The {what} has no {key!r} member (expected {expected})."
    return f"The {what} has {key}={type(value).__name__}, expected {expected}."
