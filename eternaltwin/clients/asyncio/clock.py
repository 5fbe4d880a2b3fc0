"""The async ``clock`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.clock import ClockClientABC
from eternaltwin.clients.asyncio._base import AsyncSubClient

__all__ = ["ClockClient"]


class ClockClient(AsyncSubClient, ClockClientABC):
    """``client.clock`` of the async client; see :class:`~eternaltwin.clients.abc.clock.ClockClientABC`."""

    __slots__ = ()
