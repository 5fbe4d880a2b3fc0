"""The async ``announcements`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.announcements import AnnouncementClientABC
from eternaltwin.clients.asyncio._base import AsyncSubClient

__all__ = ["AnnouncementClient"]


class AnnouncementClient(AsyncSubClient, AnnouncementClientABC):
    """``client.announcements`` of the async client; see :class:`.AnnouncementClientABC`."""

    __slots__ = ()
