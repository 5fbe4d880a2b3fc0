"""Signing keys for the OAuth ``state`` JWTs.

A connection's ``state_key`` signs the ``state`` sent to the authorization server, so that the callback
can be checked (:mod:`eternaltwin.states`). Configuration accepts a plain string, used as an
:class:`HS256Key` secret, or one of the key objects below.

The secret part of a key never appears in its ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import jwt
from jwt.algorithms import HMACAlgorithm

from eternaltwin._secrets import mask

__all__ = ["ES256Key", "EdDSAKey", "HS256Key", "Key", "PS256Key", "RS256Key", "as_key"]


def _to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class Key(ABC):
    """A JWT signing key (base class).

    Attributes
    ----------
    algorithm : str
        The JWT ``alg`` this key signs and verifies with.
    """

    __slots__ = ()
    algorithm: ClassVar[str]

    @abstractmethod
    def _signing_key(self) -> bytes: ...

    @abstractmethod
    def _verifying_key(self) -> bytes: ...

    def encode(self, payload: dict[str, Any]) -> str:
        """Sign ``payload`` as a JWT.

        Parameters
        ----------
        payload : dict
            The claims.

        Returns
        -------
        str
            The compact JWT.
        """
        return jwt.encode(payload, self._signing_key(), algorithm=self.algorithm)

    def decode(self, token: str) -> dict[str, Any]:
        """Check the signature of ``token`` (with this key's algorithm only) and return its claims.

        Expiry is not checked here (:class:`~eternaltwin.states.State` does it, with its own message).

        Raises
        ------
        jwt.InvalidTokenError
            When the token is malformed or its signature does not match.
        """
        claims: dict[str, Any] = jwt.decode(
            token,
            self._verifying_key(),
            algorithms=[self.algorithm],
            options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
        )
        return claims

    def _fingerprint(self) -> bytes:
        return hashlib.sha256(self._verifying_key()).digest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return (
            type(self) is type(other)
            and hmac.compare_digest(self._signing_key(), other._signing_key())
            and hmac.compare_digest(self._verifying_key(), other._verifying_key())
        )

    def __hash__(self) -> int:
        return hash((self.algorithm, self._fingerprint()))


#: The shortest HS256 secret that is not warned about (RFC 7518 §3.2: as long as the hash).
MIN_SECRET_BYTES = 32


class _QuietHMAC(HMACAlgorithm):
    """HS256 as PyJWT does it, without its warning about short keys at every signature (from inside PyJWT,
    naming nothing the caller knows): the kit warns once, when a ``state_key`` is configured."""

    def check_key_length(self, key: Any) -> str | None:
        return None


_HS256_JWS = jwt.PyJWS(algorithms=[])
_HS256_JWS.register_algorithm("HS256", _QuietHMAC(HMACAlgorithm.SHA256))


class HS256Key(Key):
    """A shared-secret key (HMAC with SHA-256).

    Parameters
    ----------
    key : str or bytes
        The secret. Use at least 32 random bytes (``secrets.token_urlsafe(32)``): the state travels
        through the browser, so a short secret could be guessed offline. Configuring a connection with a
        shorter one warns (:func:`eternaltwin.config.validate_options`).
    """

    __slots__ = ("_secret",)
    algorithm: ClassVar[str] = "HS256"

    def __init__(self, key: str | bytes) -> None:
        if not isinstance(key, str | bytes) or not key:
            raise TypeError("HS256Key needs a non-empty str or bytes secret.")
        self._secret = _to_bytes(key)

    @property
    def is_short(self) -> bool:
        """Whether the secret is shorter than :data:`MIN_SECRET_BYTES`."""
        return len(self._secret) < MIN_SECRET_BYTES

    def encode(self, payload: dict[str, Any]) -> str:
        """Sign ``payload`` as a JWT (see :meth:`Key.encode`)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return _HS256_JWS.encode(body, self._secret, algorithm="HS256", headers={"typ": "JWT"})

    def decode(self, token: str) -> dict[str, Any]:
        """Check the signature of ``token`` and return its claims (see :meth:`Key.decode`)."""
        body = _HS256_JWS.decode(token, self._secret, algorithms=["HS256"])
        try:
            claims = json.loads(body)
        except ValueError:
            raise jwt.DecodeError("The token's payload is not JSON.") from None
        if not isinstance(claims, dict):
            raise jwt.DecodeError("The token's payload is not a JSON object.")
        return claims

    def _signing_key(self) -> bytes:
        return self._secret

    def _verifying_key(self) -> bytes:
        return self._secret

    def __repr__(self) -> str:
        return f"HS256Key({mask(self._secret)})"


class _AsymmetricKey(Key):
    """A key pair in PEM: the private key signs, the public key verifies."""

    __slots__ = ("_private_key", "public_key")

    def __init__(self, public_key: str | bytes, private_key: str | bytes) -> None:
        for name, value in (("public_key", public_key), ("private_key", private_key)):
            if not isinstance(value, str | bytes) or not value:
                raise TypeError(f"{type(self).__name__} needs {name} as a non-empty PEM str or bytes.")
        self.public_key = _to_bytes(public_key)
        self._private_key = _to_bytes(private_key)

    def _signing_key(self) -> bytes:
        return self._private_key

    def _verifying_key(self) -> bytes:
        return self.public_key

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(public_key=<PEM sha256:{self._fingerprint().hex()[:12]}>, "
            f"private_key={mask(self._private_key)})"
        )


class RS256Key(_AsymmetricKey):
    """An RSA key pair (RSASSA-PKCS1-v1_5 with SHA-256).

    Parameters
    ----------
    public_key, private_key : str or bytes
        The keys in PEM.
    """

    __slots__ = ()
    algorithm: ClassVar[str] = "RS256"


class ES256Key(_AsymmetricKey):
    """An elliptic-curve key pair (ECDSA P-256 with SHA-256).

    Parameters
    ----------
    public_key, private_key : str or bytes
        The keys in PEM.
    """

    __slots__ = ()
    algorithm: ClassVar[str] = "ES256"


class PS256Key(_AsymmetricKey):
    """An RSA key pair (RSASSA-PSS with SHA-256).

    Parameters
    ----------
    public_key, private_key : str or bytes
        The keys in PEM.
    """

    __slots__ = ()
    algorithm: ClassVar[str] = "PS256"


class EdDSAKey(_AsymmetricKey):
    """An Edwards-curve key pair (Ed25519 or Ed448).

    Parameters
    ----------
    public_key, private_key : str or bytes
        The keys in PEM.
    """

    __slots__ = ()
    algorithm: ClassVar[str] = "EdDSA"


def as_key(value: Key | str | bytes) -> Key:
    """A :class:`Key` from a configuration value: a key object as is, a string as an :class:`HS256Key`."""
    if isinstance(value, Key):
        return value
    return HS256Key(value)
