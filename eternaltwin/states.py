"""The OAuth ``state``: a signed JWT that ties an authorization callback to the request that started it.

The authorization server treats the state as an opaque string and echoes it to the redirect URI; the kit
signs it with the connection's ``state_key`` and checks it on the way back (action, authorization server,
expiry, signature).
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

import jwt as pyjwt

from eternaltwin.exceptions import InvalidStateError
from eternaltwin.keys import Key

__all__ = ["AUTHORIZE", "State"]

#: The action (``a`` claim) of a state that starts an authorization.
AUTHORIZE = "authorize"


def _generate_nonce(size: int = 128) -> str:
    """``size`` random hexadecimal characters."""
    return secrets.token_hex((size + 1) // 2)[:size]


class State:
    """A signed authorization state.

    Parameters
    ----------
    a : str
        The action, ``"authorize"``.
    as_ : str
        The authorization server's url (claim ``as``).
    iat : int
        Issued-at, POSIX seconds.
    rfp : int
        Request forgery protection timestamp, POSIX seconds (equal to ``iat``).
    exp : int
        Expiry, POSIX seconds.
    nonce : str
        Random hex.
    key : Key
        The key that signs (and checks) the JWT.

    Notes
    -----
    Two states are equal when their JWTs are. The key never appears in the repr.
    """

    __slots__ = ("_jwt", "a", "as_", "exp", "iat", "key", "nonce", "rfp")

    def __init__(self, a: str, as_: str, iat: int, rfp: int, exp: int, nonce: str, key: Key) -> None:
        self.a = a
        self.as_ = as_
        self.iat = iat
        self.rfp = rfp
        self.exp = exp
        self.nonce = nonce
        self.key = key
        self._jwt: str | None = None

    @classmethod
    def new(cls, url: str, key: Key, expiration: int = 600, nonce: str | None = None) -> State:
        """A fresh ``authorize`` state for the authorization server at ``url``.

        Parameters
        ----------
        url : str
            The authorization server (the connection's url).
        key : Key
            The signing key.
        expiration : int
            Seconds of validity, 600 by default.
        nonce : str, optional
            Defaults to 128 random hex characters.
        """
        now = int(time.time())
        return cls(
            a=AUTHORIZE,
            as_=url,
            iat=now,
            rfp=now,
            exp=now + int(expiration),
            nonce=_generate_nonce() if nonce is None else nonce,
            key=key,
        )

    @classmethod
    def from_jwt(cls, jwt: str, url: str, key: Key) -> State:
        """Check and decode a state received by the redirect URI.

        Parameters
        ----------
        jwt : str
            The ``state`` query parameter.
        url : str
            The authorization server the state must name.
        key : Key
            The key that signed it.

        Raises
        ------
        InvalidStateError
            Bad signature or format; or a message starting "Expected action", "Expected authorization
            server" or "Authorization expired" for those failures.
        """
        try:
            claims = key.decode(jwt)
        except pyjwt.InvalidTokenError as exc:
            raise InvalidStateError(f"Invalid state: {exc}", jwt) from None
        for claim, kind in (
            ("a", str),
            ("as", str),
            ("iat", int),
            ("rfp", int),
            ("exp", int),
            ("nonce", str),
        ):
            if not isinstance(claims.get(claim), kind) or isinstance(claims.get(claim), bool):
                raise InvalidStateError(
                    f"Invalid state: claim {claim!r} missing or not a {kind.__name__}", jwt
                )
        state = cls(
            a=claims["a"],
            as_=claims["as"],
            iat=claims["iat"],
            rfp=claims["rfp"],
            exp=claims["exp"],
            nonce=claims["nonce"],
            key=key,
        )
        state._jwt = jwt
        if state.a != AUTHORIZE:
            raise InvalidStateError(f"Expected action {AUTHORIZE!r}, got {state.a!r}", jwt)
        if state.as_ != url:
            raise InvalidStateError(f"Expected authorization server {url!r}, got {state.as_!r}", jwt)
        if state.has_expired():
            when = datetime.fromtimestamp(state.exp, tz=UTC).isoformat()
            raise InvalidStateError(f"Authorization expired at {when}; start a new one", jwt)
        return state

    @property
    def jwt(self) -> str:
        """The state as a signed JWT (claims ``a``, ``as``, ``iat``, ``rfp``, ``exp``, ``nonce``)."""
        if self._jwt is None:
            self._jwt = self.key.encode(self.claims())
        return self._jwt

    def claims(self) -> dict[str, Any]:
        """The JWT claims."""
        return {
            "a": self.a,
            "as": self.as_,
            "iat": self.iat,
            "rfp": self.rfp,
            "exp": self.exp,
            "nonce": self.nonce,
        }

    def has_expired(self) -> bool:
        """Whether ``exp`` is in the past."""
        return time.time() >= self.exp

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return self.jwt == other.jwt

    def __hash__(self) -> int:
        return hash(self.jwt)

    def __repr__(self) -> str:
        exp = datetime.fromtimestamp(self.exp, tz=UTC).isoformat()
        return f"<State a={self.a!r} as={self.as_!r} exp={exp} nonce={self.nonce[:8]}…>"
