"""The ``clock`` sub-client, defined once for the sync and async clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eternaltwin.clients import _calls
from eternaltwin.clients._operations import operation
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from datetime import datetime

    from eternaltwin.clients._flows import Flow

__all__ = ["ClockClientABC"]


class ClockClientABC(SubClientABC):
    """The server's clock: ``client.clock.now()``."""

    __slots__ = ()

    @operation
    def now(self) -> Flow[datetime]:
        """The server's current time (``GET /api/v1/clock``), as an aware UTC datetime.

        Returns
        -------
        datetime
        """
        return self._flow(_calls.clock())
