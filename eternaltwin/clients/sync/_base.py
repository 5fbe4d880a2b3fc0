"""The sync sub-clients' base: their operations run on the owning client's driver."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from eternaltwin.clients._operations import SyncSender
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow

__all__ = ["SyncSubClient"]

T = TypeVar("T")


class SyncSubClient(SyncSender, SubClientABC):
    """A sub-client of a sync :class:`~eternaltwin.clients.sync.clients.Eternaltwin`."""

    __slots__ = ()

    def _run(self, flow: Flow[T]) -> T:
        return cast(T, self._client._run(flow))
