"""Salted password/secret hashes (PBKDF2, see ``_choices``) checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from eternaltwin.sandbox import _choices

__all__ = ["HashedSecret"]


@dataclass(frozen=True, slots=True)
class HashedSecret:
    """A salted hash of a byte string; ``repr`` never shows the secret."""

    salt: bytes
    digest: bytes

    @classmethod
    def of(cls, secret: bytes) -> HashedSecret:
        """Hash ``secret`` with a fresh random salt."""
        salt = secrets.token_bytes(_choices.PASSWORD_SALT_BYTES)
        return cls(salt, _derive(secret, salt))

    def matches(self, candidate: bytes) -> bool:
        """Whether ``candidate`` is the hashed secret (constant-time comparison)."""
        return hmac.compare_digest(self.digest, _derive(candidate, self.salt))

    def __repr__(self) -> str:
        return "HashedSecret(<hidden>)"


def _derive(secret: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac(
        _choices.PASSWORD_HASH_ALGORITHM, secret, salt, _choices.PASSWORD_HASH_ITERATIONS
    )
