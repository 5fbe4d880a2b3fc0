"""The ``users`` sub-client, defined once for the sync and async clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eternaltwin.clients import _calls
from eternaltwin.clients._operations import operation
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow
    from eternaltwin.responses import Response
    from eternaltwin.tokens import Token

__all__ = ["UserClientABC"]


class UserClientABC(SubClientABC):
    """User endpoints: ``client.users.me()``, ``.get(user_id)``, ``.search(query)``.

    They answer the server's :class:`~eternaltwin.responses.Response` (call ``.json()``), as the older
    client did; :class:`eternaltwin.users.User` offers the same lookups as typed objects.
    """

    __slots__ = ()

    @operation
    def me(self, token: Token | str | None = None) -> Flow[Response]:
        """The authentication context of ``token`` (``GET /api/v1/auth/self``).

        Parameters
        ----------
        token : Token or str, optional
            Without one, the server answers a ``Guest`` context.

        Returns
        -------
        Response
            JSON ``{"type": "AccessToken", "user": {...}, ...}`` or ``{"type": "Guest", ...}``.

        Raises
        ------
        UnauthorizedError
            A 401 for a token the server refuses (the sandbox, newer servers).
        ServerError
            The 2021 server answers an unknown or malformed token with a plain-text 500, not a 401; the
            message says so.
        """
        return self._flow(_calls.auth_self(token))

    @operation
    def get(self, user_id: str, token: Token | str | None = None) -> Flow[Response]:
        """One user (``GET /api/v1/users/{user_id}``).

        Parameters
        ----------
        user_id : str
            The user's UUID.
        token : Token or str, optional

        Returns
        -------
        Response
            JSON user object; a 404 raises :class:`~eternaltwin.exceptions.NotFoundError`.
        """
        return self._flow(_calls.get_user(user_id, token))

    @operation
    def search(
        self, query: str | None = None, limit: int = 20, offset: int = 0, token: Token | str | None = None
    ) -> Flow[Response]:
        """Search users (``GET /api/v1/users?q=&limit=&offset=``).

        Parameters
        ----------
        query : str, optional
            Sent as ``q`` (None is sent as an empty string, which matches everyone).
        limit : int
            Page size (20).
        offset : int
            Index of the first result (0).
        token : Token or str, optional

        Returns
        -------
        Response
            JSON ``{"offset", "limit", "count", "items": [...]}``.
        """
        return self._flow(_calls.search_users(query, limit, offset, token))
