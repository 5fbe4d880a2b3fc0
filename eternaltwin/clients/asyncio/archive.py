"""The async ``archive`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.archive import ArchiveClientABC
from eternaltwin.clients.asyncio._base import AsyncSubClient

__all__ = ["ArchiveClient"]


class ArchiveClient(AsyncSubClient, ArchiveClientABC):
    """``client.archive`` of the async client (see :class:`~.abc.archive.ArchiveClientABC`)."""

    __slots__ = ()
