"""Salted password/secret hashes (PBKDF2, see ``_choices``) checked in constant time.

Every check costs exactly one hash, whether or not there is a secret to check against
(:func:`check_plain`, :func:`spend_one_hash`): a login answers in the same time for a known and an
unknown name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from eternaltwin.sandbox import _choices

__all__ = ["HashedSecret", "check_plain", "spend_one_hash"]


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
        """Whether ``candidate`` is the hashed secret (one hash, constant-time comparison)."""
        return hmac.compare_digest(self.digest, _derive(candidate, self.salt))

    def __repr__(self) -> str:
        return "HashedSecret(<hidden>)"


#: Hashed against when there is nothing to check (unknown login), so that it costs one hash as well.
_NOBODY = HashedSecret(b"\0" * _choices.PASSWORD_SALT_BYTES, b"")


def spend_one_hash(candidate: bytes) -> bool:
    """Hash ``candidate`` as a real check would, for a login that names nobody; always False."""
    _NOBODY.matches(candidate)
    return False


def check_plain(candidate: bytes, expected: bytes) -> bool:
    """Compare with a secret kept in plain text (generated users), at the cost of one hash like the rest."""
    spend_one_hash(candidate)
    return hmac.compare_digest(candidate, expected)


def _derive(secret: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac(
        _choices.PASSWORD_HASH_ALGORITHM, secret, salt, _choices.PASSWORD_HASH_ITERATIONS
    )
