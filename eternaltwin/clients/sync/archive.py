"""The sync ``archive`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.archive import ArchiveClientABC
from eternaltwin.clients.sync._base import SyncSubClient

__all__ = ["ArchiveClient"]


class ArchiveClient(SyncSubClient, ArchiveClientABC):
    """``client.archive`` of the sync client (see :class:`~.abc.archive.ArchiveClientABC`)."""

    __slots__ = ()
