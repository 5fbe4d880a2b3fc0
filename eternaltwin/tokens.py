"""OAuth access tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from eternaltwin._repr import RichRepr
from eternaltwin._secrets import mask

__all__ = ["EXPIRATION_LEEWAY", "Token"]

#: Seconds taken off ``expires_in`` so that a token is renewed before the server would refuse it.
EXPIRATION_LEEWAY = 60


class Token(RichRepr):
    """An OAuth token, as answered by the token endpoint.

    Parameters
    ----------
    access_token : str
        The bearer token.
    expires_in : int or float
        Its lifetime in seconds, counted from now.
    token_type : str
        ``"Bearer"``.
    refresh_token : str, optional
        A token for the ``refresh_token`` grant, when the server issued one.

    Attributes
    ----------
    expiration : float
        The POSIX time after which the token is treated as expired: now + ``expires_in`` - 60 s of leeway.
        Writable.

    Notes
    -----
    The access and refresh tokens are secrets: they never appear in ``repr`` or in displays.

    A token is renewed in place (a refresh updates its access token, expiry and refresh token), so it
    compares and hashes by identity: a token in a set or a dict key stays findable after a refresh.
    """

    __slots__ = ("access_token", "expiration", "expires_in", "refresh_token", "token_type")

    def __init__(
        self,
        *,
        access_token: str,
        expires_in: float,
        token_type: str,
        refresh_token: str | None = None,
    ) -> None:
        self.access_token = access_token
        self.expires_in = expires_in
        self.token_type = token_type
        self.refresh_token = refresh_token
        self.expiration: float = time.time() + expires_in - EXPIRATION_LEEWAY

    @classmethod
    def from_json(cls, data: Any) -> Token:
        """Build a token from the token endpoint's JSON reply.

        Raises
        ------
        UnexpectedResponseError
            When a required member is missing or has the wrong type.
        """
        from eternaltwin._parsing import expect_mapping, optional_str, require_number, require_str

        obj = expect_mapping(data, "token reply")
        return cls(
            access_token=require_str(obj, "access_token", "token reply"),
            expires_in=require_number(obj, "expires_in", "token reply"),
            token_type=require_str(obj, "token_type", "token reply"),
            refresh_token=optional_str(obj, "refresh_token", "token reply"),
        )

    def has_expired(self) -> bool:
        """Whether the token is past its expiration (leeway included)."""
        return time.time() >= self.expiration

    @property
    def expires_at(self) -> datetime:
        """The expiration as an aware UTC datetime."""
        return datetime.fromtimestamp(self.expiration, tz=UTC)

    @property
    def seconds_left(self) -> float:
        """Seconds until expiration (negative once expired)."""
        return self.expiration - time.time()

    @property
    def can_refresh(self) -> bool:
        """Whether a refresh token is available."""
        return bool(self.refresh_token)

    def __repr__(self) -> str:
        state = "expired" if self.has_expired() else f"expires in {int(self.seconds_left)}s"
        refresh = f", refresh_token={mask(self.refresh_token)}" if self.refresh_token else ""
        return f"<Token {self.token_type} access_token={mask(self.access_token)}{refresh} ({state})>"
