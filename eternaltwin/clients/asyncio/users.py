"""The async ``users`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.users import UserClientABC
from eternaltwin.clients.asyncio._base import AsyncSubClient

__all__ = ["UserClient"]


class UserClient(AsyncSubClient, UserClientABC):
    """``client.users`` of the async client; see :class:`~eternaltwin.clients.abc.users.UserClientABC`."""

    __slots__ = ()
