"""The async sub-clients' base: their operations return awaitables from the owning client's driver."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar, cast

from eternaltwin.clients._operations import AsyncSender
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow

__all__ = ["AsyncSubClient"]

T = TypeVar("T")


class AsyncSubClient(AsyncSender, SubClientABC):
    """A sub-client of an async :class:`~eternaltwin.clients.asyncio.clients.Eternaltwin`."""

    __slots__ = ()

    def _run(self, flow: Flow[T]) -> Awaitable[T]:
        return cast(Awaitable[T], self._client._run(flow))
