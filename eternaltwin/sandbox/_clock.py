"""A virtual clock: system time plus an offset that tests can move forward."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["VirtualClock", "format_instant"]


class VirtualClock:
    """Server time for the sandbox.

    By default it follows the system clock. :meth:`advance` moves it forward (to test expiry of
    authorization codes and tokens) and :meth:`set` pins it to a given instant, after which it keeps
    ticking at the system rate. Thread-safe: tests move it while the server thread reads it.
    """

    __slots__ = ("_lock", "_offset")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the current server time.

        Returns
        -------
        datetime
            An aware UTC datetime.
        """
        with self._lock:
            offset = self._offset
        return datetime.now(UTC) + offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward.

        Parameters
        ----------
        seconds : float
            How far to move, in seconds; must not be negative.

        Returns
        -------
        datetime
            The new current time.
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, instant: datetime) -> None:
        """Make ``now()`` equal ``instant`` (an aware datetime) from this moment on."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        with self._lock:
            self._offset = instant - datetime.now(UTC)

    def reset(self) -> None:
        """Follow the system clock again."""
        with self._lock:
            self._offset = timedelta(0)

    def __repr__(self) -> str:
        return f"<VirtualClock now={format_instant(self.now())}>"


def format_instant(instant: datetime) -> str:
    """Format a datetime the way Eternaltwin does: ``2021-03-04T05:06:07.089Z``.

    UTC, exactly three fractional digits (rounded down) and a ``Z`` (spec §2).
    """
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    # isoformat truncates to milliseconds and writes "+00:00" for UTC, which becomes "Z".
    return instant.isoformat(timespec="milliseconds")[:-6] + "Z"
