"""Masking of secrets, so that no repr, message or HTML shows one."""

from __future__ import annotations

__all__ = ["mask"]


def mask(secret: str | bytes | None) -> str:
    """A stand-in that says whether a secret is set without revealing any of it.

    >>> mask("dev_secret")
    '••••••'
    >>> mask(None)
    'not set'
    """
    if secret is None or secret == "" or secret == b"":
        return "not set"
    return "••••••"
