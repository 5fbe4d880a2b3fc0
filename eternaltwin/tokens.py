"""OAuth access tokens."""

from __future__ import annotations

import contextlib
import inspect
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eternaltwin._repr import RichRepr
from eternaltwin._secrets import mask

__all__ = ["EXPIRATION_LEEWAY", "LONG_LIVED_SECONDS", "Token"]

_HOOKS_LOCK = threading.Lock()

#: Seconds taken off ``expires_in`` so that a token is renewed before the server would refuse it.
EXPIRATION_LEEWAY = 60


#: A token without a refresh token that lasts longer than this (seconds) is "long-lived": the real server's
#: tokens last 1,000,000,000 s (about 31 years) and are never refreshed.
LONG_LIVED_SECONDS = 365 * 24 * 3600


class Token(RichRepr):
    """An OAuth token, as answered by the token endpoint.

    Parameters
    ----------
    access_token : str
        The bearer token.
    expires_in : int or float or None
        Its lifetime in seconds, counted from now; None when the server gave none (the token does not
        expire as far as the kit knows).
    token_type : str
        ``"Bearer"``.
    refresh_token : str, optional
        A token for the ``refresh_token`` grant, when the server issued one. eternaltwin.org issues none
        (its access tokens last 1,000,000,000 s); the sandbox issues one only when asked to.

    Attributes
    ----------
    expiration : float or None
        The POSIX time after which the token is treated as expired: now + ``expires_in`` - 60 s of leeway;
        None when it has no expiry. Writable (set it in the past to make the kit treat it as expired).

    Notes
    -----
    The access and refresh tokens are secrets: they never appear in ``repr`` or in displays.

    A token is renewed in place (a refresh updates its access token, expiry and refresh token), so it
    compares and hashes by identity: a token in a set or a dict key stays findable after a refresh, and
    :meth:`on_renewal` tells whoever keeps it (the login widget's "remember me" saves the new refresh token).
    """

    __slots__ = ("_renewal_hooks", "access_token", "expiration", "expires_in", "refresh_token", "token_type")

    def __init__(
        self,
        *,
        access_token: str,
        expires_in: float | None = None,
        token_type: str,
        refresh_token: str | None = None,
    ) -> None:
        self.access_token = access_token
        self.expires_in = expires_in
        self.token_type = token_type
        self.refresh_token = refresh_token
        self.expiration: float | None = (
            None if expires_in is None else time.time() + expires_in - EXPIRATION_LEEWAY
        )
        self._renewal_hooks: list[weakref.WeakMethod[Callable[[Token], Any]] | Callable[[Token], Any]] = []

    @classmethod
    def from_json(cls, data: Any) -> Token:
        """Build a token from the token endpoint's JSON reply.

        ``expires_in`` and ``refresh_token`` may be missing (or null): the token then has no expiry, or
        cannot be refreshed. Unknown members are ignored.

        Raises
        ------
        UnexpectedResponseError
            When ``access_token`` or ``token_type`` is missing, or a member has the wrong type.
        """
        from eternaltwin._parsing import expect_mapping, optional_str, require_number, require_str

        what = "token reply"
        obj = expect_mapping(data, what)
        return cls(
            access_token=require_str(obj, "access_token", what),
            expires_in=None if obj.get("expires_in") is None else require_number(obj, "expires_in", what),
            token_type=require_str(obj, "token_type", what),
            refresh_token=optional_str(obj, "refresh_token", what) or None,
        )

    def on_renewal(self, callback: Callable[[Token], Any]) -> Callable[[], None]:
        """Call ``callback(token)`` after each renewal of this token in place (a refresh, automatic or
        not), in the thread that renewed it.

        Parameters
        ----------
        callback : callable
            A bound method is held weakly (it does not keep its object alive); any other callable strongly.
            It must not raise: an error of its own is swallowed, so that it never breaks the refresh.

        Returns
        -------
        callable
            Stops the calls.
        """
        hook: weakref.WeakMethod[Callable[[Token], Any]] | Callable[[Token], Any] = (
            weakref.WeakMethod(callback) if inspect.ismethod(callback) else callback
        )
        with _HOOKS_LOCK:
            self._renewal_hooks.append(hook)

        def stop() -> None:
            with _HOOKS_LOCK, contextlib.suppress(ValueError):
                self._renewal_hooks.remove(hook)

        return stop

    def _renewed(self) -> None:
        """Tell the :meth:`on_renewal` callbacks that this token was just renewed in place."""
        with _HOOKS_LOCK:
            hooks = list(self._renewal_hooks)
        for hook in hooks:
            callback = hook() if isinstance(hook, weakref.WeakMethod) else hook
            if callback is not None:
                with contextlib.suppress(Exception):
                    callback(self)

    def has_expired(self) -> bool:
        """Whether the token is past its expiration (leeway included); never, for a token without one."""
        return self.expiration is not None and time.time() >= self.expiration

    @property
    def expires(self) -> bool:
        """Whether the token has an expiry at all (False when the server gave no ``expires_in``)."""
        return self.expiration is not None

    @property
    def expires_at(self) -> datetime | None:
        """The expiration as an aware UTC datetime; None for a token without one."""
        if self.expiration is None:
            return None
        return datetime.fromtimestamp(self.expiration, tz=UTC)

    @property
    def seconds_left(self) -> float | None:
        """Seconds until expiration (negative once expired); None for a token without one."""
        if self.expiration is None:
            return None
        return self.expiration - time.time()

    @property
    def can_refresh(self) -> bool:
        """Whether a refresh token is available."""
        return bool(self.refresh_token)

    @property
    def kind(self) -> str:
        """What happens when the token runs out, for displays.

        ``"refreshable"``
            It has a refresh token: the kit renews it by itself.
        ``"long-lived"``
            No refresh token, and no expiry or one more than a year away (eternaltwin.org's tokens).
        ``"short-lived"``
            No refresh token and an expiry within a year: log in again once it has expired.
        """
        if self.refresh_token:
            return "refreshable"
        left = self.seconds_left
        if left is None or left > LONG_LIVED_SECONDS:
            return "long-lived"
        return "short-lived"

    def __repr__(self) -> str:
        left = self.seconds_left
        if left is None:
            state = "no expiry"
        else:
            state = "expired" if self.has_expired() else f"expires in {int(left)}s"
        refresh = f", refresh_token={mask(self.refresh_token)}" if self.refresh_token else ""
        return f"<Token {self.token_type} access_token={mask(self.access_token)}{refresh} ({state})>"
