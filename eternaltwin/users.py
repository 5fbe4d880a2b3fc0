"""Eternaltwin users: the :class:`User` model, its linked game accounts and search pages.

This module holds the data (parsed from any of the API's user shapes) and the high-level API of the older
client (``User.get``, ``User.search``, ``User.count``... each taking ``using=``, the connection alias).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

from eternaltwin._parsing import (
    expect_mapping,
    optional_bool,
    optional_datetime,
    optional_str,
    require_number,
    require_str,
)
from eternaltwin._repr import RichRepr
from eternaltwin.exceptions import UnexpectedResponseError

if TYPE_CHECKING:
    from eternaltwin.tokens import Token

__all__ = ["GAME_SITES", "LinkedAccount", "SearchPage", "User"]

#: The keys of a user's ``links`` object, in the API's order, with the game server each stands for.
GAME_SITES: Mapping[str, str] = {
    "dinoparc_com": "dinoparc.com",
    "en_dinoparc_com": "en.dinoparc.com",
    "hammerfest_es": "hammerfest.es",
    "hammerfest_fr": "hammerfest.fr",
    "hfest_net": "hfest.net",
    "sp_dinoparc_com": "sp.dinoparc.com",
    "twinoid": "twinoid.com",
}


@dataclass(frozen=True, slots=True)
class LinkedAccount(RichRepr):
    """A game account linked to an Eternaltwin user.

    Attributes
    ----------
    site : str
        The key in the user's ``links`` (``"hammerfest_fr"``, ``"twinoid"``...).
    server : str
        The game server (``"hammerfest.fr"``, ``"twinoid.com"``...).
    type : str
        The remote user's type tag (``"HammerfestUser"``, ``"DinoparcUser"``, ``"TwinoidUser"``).
    id : str
        The remote account's id (a decimal string).
    name : str or None
        The remote account's username (Twinoid: its display name).
    linked_at : datetime or None
        When the link was made.
    """

    site: str
    server: str
    type: str
    id: str
    name: str | None
    linked_at: datetime | None = None

    @classmethod
    def from_json(cls, site: str, entry: Any) -> LinkedAccount | None:
        """Parse one ``links`` entry (``{"current": ..., "old": [...]}``); None when nothing is linked now."""
        what = f"links.{site}"
        obj = expect_mapping(entry, what)
        current = obj.get("current")
        if current is None:
            return None
        current = expect_mapping(current, f"{what}.current")
        remote = expect_mapping(current.get("user"), f"{what}.current.user")
        link = current.get("link")
        linked_at = optional_datetime(link, "time", f"{what}.current.link") if isinstance(link, Mapping) else None
        name = optional_str(remote, "username", f"{what}.current.user")
        if name is None:
            name = optional_str(remote, "display_name", f"{what}.current.user")
        return cls(
            site=site,
            server=optional_str(remote, "server", f"{what}.current.user") or GAME_SITES.get(site, site),
            type=require_str(remote, "type", f"{what}.current.user"),
            id=_id_string(remote.get("id"), f"{what}.current.user"),
            name=name,
            linked_at=linked_at,
        )


@dataclass(eq=False, slots=True)
class User(RichRepr):
    """An Eternaltwin user.

    Built from any of the API's user shapes (short, default, complete, search item, auth context): members
    that a shape does not carry are None, never an error.

    Attributes
    ----------
    identifier : str
        The user's UUID.
    display_name : str or None
        The current display name.
    login_name : str or None
        The account's login username; only complete views (yourself, or as an administrator) carry it.
    is_administrator : bool or None
    created_at, deleted_at : datetime or None
        Aware UTC datetimes.
    email_address : str or None
    has_password : bool or None
    links : Mapping[str, LinkedAccount]
        The game accounts linked now, by ``links`` key (``"hammerfest_fr"``...). Empty when none are or when
        the shape carries no links (see ``has_links``).
    has_links : bool
        Whether the shape this user was built from carried ``links`` at all.
    token : Token or None
        The OAuth token of an authenticated user.
    raw : dict
        The JSON this user was built from.

    Two users are equal when their identifiers are.
    """

    identifier: str
    display_name: str | None = None
    is_administrator: bool | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    login_name: str | None = None
    email_address: str | None = None
    has_password: bool | None = None
    links: Mapping[str, LinkedAccount] = field(default_factory=dict)
    has_links: bool = False
    token: Token | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    using: str | None = field(default=None, repr=False)

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Any, *, token: Token | None = None, using: str | None = None) -> User:
        """Build a user from a user object of the API (any shape).

        Raises
        ------
        UnexpectedResponseError
            When ``data`` is not a user object (no ``id``, wrong member types...).
        """
        obj = expect_mapping(data, "user")
        what = "user"
        links_obj = obj.get("links")
        links: dict[str, LinkedAccount] = {}
        if links_obj is not None:
            for site, entry in expect_mapping(links_obj, "user links").items():
                account = LinkedAccount.from_json(site, entry)
                if account is not None:
                    links[site] = account
        return cls(
            identifier=require_str(obj, "id", what),
            display_name=_display_name(obj.get("display_name")),
            is_administrator=optional_bool(obj, "is_administrator", what),
            created_at=optional_datetime(obj, "created_at", what),
            deleted_at=optional_datetime(obj, "deleted_at", what),
            login_name=optional_str(obj, "username", what),
            email_address=optional_str(obj, "email_address", what),
            has_password=optional_bool(obj, "has_password", what),
            links=links,
            has_links=links_obj is not None,
            token=token,
            raw=obj,
            using=using,
        )

    # -- compatibility with the older client ----------------------------------------------------------

    @property
    def username(self) -> str | None:
        """The current display name (the older client's name for it; see also ``login_name``)."""
        return self.display_name

    @property
    def is_authenticated(self) -> bool:
        """Whether this user holds a token."""
        return self.token is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the account is deleted (``deleted_at`` is set)."""
        return self.deleted_at is not None

    def logout(self) -> None:
        """Forget the token (calling it twice is fine)."""
        self.token = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self.identifier == other.identifier

    def __hash__(self) -> int:
        return hash(self.identifier)


@dataclass(frozen=True, slots=True)
class SearchPage(RichRepr):
    """One page of a user search.

    Attributes
    ----------
    offset, limit : int
        The window that was asked for.
    count : int
        How many users match in all (independent of the window).
    items : tuple of User
        The users of this page, in the server's order.

    A page is a sequence of its users: ``len(page)``, ``page[0]``, ``for user in page``.
    """

    offset: int
    limit: int
    count: int
    items: tuple[User, ...]

    @classmethod
    def from_json(cls, data: Any, *, offset: int = 0, limit: int = 0, using: str | None = None) -> SearchPage:
        """Parse a search reply; ``offset``/``limit`` fill in members the server did not echo."""
        obj = expect_mapping(data, "search page")
        raw_items = obj.get("items")
        if not isinstance(raw_items, list):
            raise UnexpectedResponseError("The search page has no 'items' list.")
        return cls(
            offset=int(require_number(obj, "offset", "search page")) if "offset" in obj else offset,
            limit=int(require_number(obj, "limit", "search page")) if "limit" in obj else limit,
            count=int(require_number(obj, "count", "search page")),
            items=tuple(User.from_json(item, using=using) for item in raw_items),
        )

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or None when this page is the last."""
        end = self.offset + len(self.items)
        return end if self.items and end < self.count else None

    def __iter__(self) -> Iterator[User]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> User: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[User, ...]: ...
    def __getitem__(self, index: int | slice) -> User | tuple[User, ...]:
        return self.items[index]


def _display_name(value: Any) -> str | None:
    """``display_name.current.value`` (the API's versioned form), or a plain string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        current = value.get("current")
        if isinstance(current, Mapping) and isinstance(current.get("value"), str):
            return str(current["value"])
    raise UnexpectedResponseError("The user's display_name is neither a string nor {current: {value}}.")


def _id_string(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnexpectedResponseError(f"The {what} has no usable 'id'.")


