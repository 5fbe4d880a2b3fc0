"""The sync ``clock`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.clock import ClockClientABC
from eternaltwin.clients.sync._base import SyncSubClient

__all__ = ["ClockClient"]


class ClockClient(SyncSubClient, ClockClientABC):
    """``client.clock`` of the sync client; see :class:`~eternaltwin.clients.abc.clock.ClockClientABC`."""

    __slots__ = ()
