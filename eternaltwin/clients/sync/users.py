"""The sync ``users`` sub-client."""

from __future__ import annotations

from eternaltwin.clients.abc.users import UserClientABC
from eternaltwin.clients.sync._base import SyncSubClient

__all__ = ["UserClient"]


class UserClient(SyncSubClient, UserClientABC):
    """``client.users`` of the sync client; see :class:`~eternaltwin.clients.abc.users.UserClientABC`."""

    __slots__ = ()
