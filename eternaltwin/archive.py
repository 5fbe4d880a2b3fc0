"""Archived game accounts (Hammerfest, Dinoparc, Twinoid), as answered by the archive endpoints.

These are plain frozen dataclasses with the members most people want; everything the server sent is kept
in ``raw`` (profiles, inventories, dinoz...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eternaltwin._parsing import expect_mapping, optional_datetime, optional_str
from eternaltwin._repr import RichRepr
from eternaltwin.exceptions import UnexpectedResponseError
from eternaltwin.users import User

__all__ = ["DinoparcUser", "HammerfestUser", "TwinoidUser"]


def _id(obj: Mapping[str, Any], what: str) -> str:
    value = obj.get("id")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnexpectedResponseError(f"The {what} has no usable 'id'.")


def _etwin_user(obj: Mapping[str, Any], what: str) -> User | None:
    link = obj.get("etwin")
    if not isinstance(link, Mapping):
        return None
    current = link.get("current")
    if current is None:
        return None
    user = expect_mapping(current, f"{what} etwin.current").get("user")
    return None if user is None else User.from_json(user)


def _latest(obj: Mapping[str, Any], key: str) -> Any:
    """The value of a latest-snapshot wrapper ``{"latest": {..., "value": v}}``, or None."""
    wrapper = obj.get(key)
    if isinstance(wrapper, Mapping) and isinstance(wrapper.get("latest"), Mapping):
        return wrapper["latest"].get("value")
    return None


@dataclass(frozen=True, slots=True)
class HammerfestUser(RichRepr):
    """An archived Hammerfest account.

    Attributes
    ----------
    server : str
        ``"hammerfest.fr"``, ``"hfest.net"`` or ``"hammerfest.es"``.
    id : str
        The account id (decimal string).
    username : str or None
    archived_at : datetime or None
    etwin_user : User or None
        The Eternaltwin user the account is linked to, if any.
    best_score, best_level : int or None
        From the archived profile, when there is one.
    raw : Mapping
        The whole reply.
    """

    server: str
    id: str
    username: str | None
    archived_at: datetime | None
    etwin_user: User | None
    best_score: int | None = None
    best_level: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> HammerfestUser:
        """Parse a ``HammerfestUser`` object."""
        what = "Hammerfest user"
        obj = expect_mapping(data, what)
        profile = obj.get("profile")
        profile = profile if isinstance(profile, Mapping) else {}
        return cls(
            server=optional_str(obj, "server", what) or "",
            id=_id(obj, what),
            username=optional_str(obj, "username", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            best_score=profile.get("best_score") if isinstance(profile.get("best_score"), int) else None,
            best_level=profile.get("best_level") if isinstance(profile.get("best_level"), int) else None,
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class DinoparcUser(RichRepr):
    """An archived Dinoparc account.

    Attributes
    ----------
    server : str
        ``"dinoparc.com"``, ``"en.dinoparc.com"`` or ``"sp.dinoparc.com"``.
    id : str
    username : str or None
    archived_at : datetime or None
    etwin_user : User or None
    coins : int or None
        The latest archived coin count.
    dinoz : tuple of Mapping
        The latest archived dinoz list (raw objects).
    raw : Mapping
    """

    server: str
    id: str
    username: str | None
    archived_at: datetime | None
    etwin_user: User | None
    coins: int | None = None
    dinoz: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> DinoparcUser:
        """Parse a ``DinoparcUser`` object."""
        what = "Dinoparc user"
        obj = expect_mapping(data, what)
        coins = _latest(obj, "coins")
        dinoz = _latest(obj, "dinoz")
        return cls(
            server=optional_str(obj, "server", what) or "",
            id=_id(obj, what),
            username=optional_str(obj, "username", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            coins=coins if isinstance(coins, int) and not isinstance(coins, bool) else None,
            dinoz=tuple(d for d in dinoz if isinstance(d, Mapping)) if isinstance(dinoz, list) else (),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class TwinoidUser(RichRepr):
    """An archived Twinoid account.

    Attributes
    ----------
    id : str
    display_name : str or None
    archived_at : datetime or None
    etwin_user : User or None
    raw : Mapping
    """

    id: str
    display_name: str | None
    archived_at: datetime | None
    etwin_user: User | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> TwinoidUser:
        """Parse a ``TwinoidUser`` object."""
        what = "Twinoid user"
        obj = expect_mapping(data, what)
        return cls(
            id=_id(obj, what),
            display_name=optional_str(obj, "display_name", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            raw=obj,
        )
