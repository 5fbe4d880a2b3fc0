"""The ``archive`` sub-client, defined once for the sync and async clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eternaltwin.clients import _calls
from eternaltwin.clients._operations import operation
from eternaltwin.clients.abc._base import SubClientABC

if TYPE_CHECKING:
    from eternaltwin.archive import DinoparcDinoz, DinoparcUser, HammerfestUser, TwinoidUser
    from eternaltwin.clients._flows import Flow

__all__ = ["ArchiveClientABC"]


class ArchiveClientABC(SubClientABC):
    """Archived game accounts and dinoz: ``client.archive.hammerfest_user(server, id)`` and friends.

    They answer the dataclasses of :mod:`eternaltwin.archive` (the whole reply is in their ``raw``).
    An unknown account raises :class:`~eternaltwin.exceptions.NotFoundError`; a reply that is another
    kind of object raises :class:`~eternaltwin.exceptions.UnexpectedResponseError`.
    """

    __slots__ = ()

    @operation
    def hammerfest_user(self, server: str, user_id: int | str) -> Flow[HammerfestUser]:
        """An archived Hammerfest account.

        Parameters
        ----------
        server : str
            ``"hammerfest.fr"``, ``"hfest.net"`` or ``"hammerfest.es"``.
        user_id : int or str
            The account id.

        Returns
        -------
        HammerfestUser
        """
        return self._flow(_calls.archive_hammerfest_user(server, user_id))

    @operation
    def dinoparc_user(self, server: str, user_id: int | str) -> Flow[DinoparcUser]:
        """An archived Dinoparc account.

        Parameters
        ----------
        server : str
            ``"dinoparc.com"``, ``"en.dinoparc.com"`` or ``"sp.dinoparc.com"``.
        user_id : int or str
            The account id.

        Returns
        -------
        DinoparcUser
        """
        return self._flow(_calls.archive_dinoparc_user(server, user_id))

    @operation
    def dinoparc_dinoz(self, server: str, dinoz_id: int | str) -> Flow[DinoparcDinoz]:
        """An archived Dinoparc dinoz (``GET /api/v1/archive/dinoparc/{server}/dinoz/{id}``).

        Parameters
        ----------
        server : str
            ``"dinoparc.com"``, ``"en.dinoparc.com"`` or ``"sp.dinoparc.com"``.
        dinoz_id : int or str
            The dinoz id; a :class:`~eternaltwin.archive.DinoparcUser`'s ``dinoz`` lists them
            (``client.archive.dinoparc_dinoz(ref.server, ref.id)``).

        Returns
        -------
        DinoparcDinoz
        """
        return self._flow(_calls.archive_dinoparc_dinoz(server, dinoz_id))

    @operation
    def twinoid_user(self, user_id: int | str) -> Flow[TwinoidUser]:
        """An archived Twinoid account.

        Parameters
        ----------
        user_id : int or str
            The account id.

        Returns
        -------
        TwinoidUser
        """
        return self._flow(_calls.archive_twinoid_user(user_id))
