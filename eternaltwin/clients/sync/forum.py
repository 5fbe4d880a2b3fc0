"""The sync ``forum`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.forum import ForumClientABC
from eternaltwin.clients.sync._base import SyncSubClient

__all__ = ["ForumClient"]


class ForumClient(SyncSubClient, ForumClientABC):
    """``client.forum`` of the sync client (see :class:`~.abc.forum.ForumClientABC`)."""

    __slots__ = ()
