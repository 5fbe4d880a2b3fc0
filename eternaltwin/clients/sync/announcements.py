"""The sync ``announcements`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.announcements import AnnouncementClientABC
from eternaltwin.clients.sync._base import SyncSubClient

__all__ = ["AnnouncementClient"]


class AnnouncementClient(SyncSubClient, AnnouncementClientABC):
    """``client.announcements`` of the sync client; see :class:`.AnnouncementClientABC`."""

    __slots__ = ()
