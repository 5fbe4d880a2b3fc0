"""The ``announcements`` sub-client, defined once for the sync and async clients."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from eternaltwin.clients import _calls
from eternaltwin.clients._operations import operation
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow
    from eternaltwin.forum import Announcement, Page

__all__ = ["AnnouncementClientABC"]


class AnnouncementClientABC(SubClientABC):
    """Announcements: ``client.announcements.list(offset, limit)`` and ``.get(id)``.

    They answer :class:`~eternaltwin.forum.Announcement` objects, each with its forum thread.
    """

    __slots__ = ()

    @operation
    def list(self, offset: int = 0, limit: int = 20) -> Flow[Page[Announcement]]:
        """A page of announcements, most recent first (``GET /api/v1/announcements``).

        Parameters
        ----------
        offset : int
            Index of the first announcement (0).
        limit : int
            Announcements per page (20; at most 100 are listed).

        Returns
        -------
        Page of Announcement

        Raises
        ------
        InvalidArgumentError
            For an ``offset`` or ``limit`` outside 0..65535 (before any request).
        """
        return self._flow(_calls.announcements(offset, limit))

    @operation
    def get(self, announcement_id: str | uuid.UUID) -> Flow[Announcement]:
        """One announcement (``GET /api/v1/announcements/{id}``).

        Parameters
        ----------
        announcement_id : str or uuid.UUID

        Returns
        -------
        Announcement

        Raises
        ------
        InvalidForumIdError
            When the id is not a UUID (before any request).
        NotFoundError
            When there is no such announcement.
        """
        return self._flow(_calls.announcement(announcement_id))
