"""The async ``forum`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.forum import ForumClientABC
from eternaltwin.clients.asyncio._base import AsyncSubClient

__all__ = ["ForumClient"]


class ForumClient(AsyncSubClient, ForumClientABC):
    """``client.forum`` of the async client (see :class:`~.abc.forum.ForumClientABC`)."""

    __slots__ = ()
