"""The base of the sub-clients (``client.users``, ``client.archive``, ``client.clock``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from eternaltwin.clients._calls import Call
    from eternaltwin.clients._flows import Flow
    from eternaltwin.clients.abc.clients import ClientABC

__all__ = ["SubClientABC"]

T = TypeVar("T")


class SubClientABC:
    """A namespace of API methods bound to a client.

    Parameters
    ----------
    client : ClientABC
        The client whose connection, credentials and driver the methods use.
    """

    __slots__ = ("_client",)

    def __init__(self, client: ClientABC) -> None:
        self._client = client

    def _flow(self, call: Call[T]) -> Flow[T]:
        return self._client._flow(call)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
