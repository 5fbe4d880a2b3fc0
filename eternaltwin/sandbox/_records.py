"""The sandbox's records: users, archived game accounts, OAuth clients, sessions, codes and tokens.

Plain data, below the store that keeps them and the views that render them (so neither imports the
other to name them).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from eternaltwin.sandbox._secrets import HashedSecret, check_plain, spend_one_hash

__all__ = [
    "UNSET",
    "AccessToken",
    "ArchivedAccount",
    "AuthorizationCode",
    "EtwinLink",
    "GameKind",
    "Grant",
    "OauthClient",
    "RefreshToken",
    "Session",
    "Unset",
    "User",
    "link_key",
]

GameKind = Literal["hammerfest", "dinoparc", "twinoid"]


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"


#: "Leave it as it is", for arguments where None is a value (a username or password set to null).
UNSET: Final = Unset.UNSET


def link_key(kind: GameKind, server: str) -> str:
    """The VersionedLinks key for a game server: ``hammerfest.fr`` -> ``hammerfest_fr``."""
    return "twinoid" if kind == "twinoid" else server.replace(".", "_")


@dataclass(slots=True)
class EtwinLink:
    """A current link between an Eternaltwin user and an archived game account."""

    user_id: str
    time: datetime
    by_user_id: str


@dataclass(slots=True)
class ArchivedAccount:
    """An archived game account (Hammerfest, Dinoparc or Twinoid user).

    ``name`` is the username (Hammerfest, Dinoparc) or the display name (Twinoid). The detailed
    profile is generated on request from ``seed`` (see ``_archive``).
    """

    kind: GameKind
    server: str
    id: str
    name: str
    archived_at: datetime
    seed: int
    etwin: EtwinLink | None = None
    generated: bool = False  # by --population: its archive may have gaps (null members), as real ones do


@dataclass(slots=True)
class User:
    """An Eternaltwin user as stored.

    Change a stored user through the :class:`Store` (``update_user``, ``delete_user``, ``link``,
    ``unlink``), never by setting its attributes: the store keeps its search keys and its pre-rendered
    JSON (``json_item``, ``json_short``) in step with it.
    """

    id: str
    username: str | None
    display_name: str
    created_at: datetime
    is_administrator: bool
    password: HashedSecret | None = field(default=None, repr=False)
    password_is_username: bool = False
    email_address: str | None = None
    deleted_at: datetime | None = None
    links: dict[str, ArchivedAccount] = field(default_factory=dict)
    sort_key: tuple[str, str, str] = ("", "", "")
    search_text: str = ""
    # When the display name last changed (creation does not count), and the username and the password
    # (creation counts: None means at creation). See the lock periods in _choices.
    display_name_changed_at: datetime | None = None
    username_changed_at: datetime | None = None
    password_changed_at: datetime | None = None
    # The user as a search page's item and as a ShortUser, rendered when first served and forgotten by
    # the store whenever the user changes (None: to render).
    json_item: bytes | None = field(default=None, repr=False)
    json_short: bytes | None = field(default=None, repr=False)

    @property
    def has_password(self) -> bool:
        """Whether the user can log in with a password."""
        return self.password is not None or (self.password_is_username and self.username is not None)

    def check_password(self, candidate: bytes) -> bool:
        """Whether ``candidate`` is this user's password (at the cost of one hash, whatever the user)."""
        if self.password is not None:
            return self.password.matches(candidate)
        if self.password_is_username and self.username is not None:
            return check_plain(candidate, self.username.encode("ascii"))
        return spend_one_hash(candidate)

    def refresh_keys(self) -> None:
        """Recompute the search text and the sort key after a name change."""
        folded = self.display_name.casefold()
        self.sort_key = (folded, self.display_name, self.id)
        self.search_text = f"{(self.username or '').casefold()}\n{folded}"


@dataclass(slots=True)
class OauthClient:
    """A registered OAuth app."""

    id: str
    name: str
    display_name: str
    uri: str
    oauth_callback: str
    secret: HashedSecret = field(repr=False)

    @property
    def key(self) -> str:
        """``NAME@clients``."""
        return f"{self.name}@clients"


@dataclass(slots=True)
class Session:
    """A login session, named by the ``sid`` cookie; it ends after ``SESSION_IDLE_SECONDS`` unused."""

    id: str = field(repr=False)
    user_id: str
    created_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class Grant:
    """What one redemption of an authorization code granted: every token that descends from it (the
    first access and refresh tokens, and each refresh after) shares this object, so revoking the grant
    revokes the whole chain at once."""

    client_id: str
    user_id: str
    revoked: bool = False


@dataclass(slots=True)
class AuthorizationCode:
    """An authorization code bound to a client and a user.

    ``grants`` holds what its redemption granted, where codes are single use: a replay revokes it
    (RFC 6749 §4.1.2). A reusable code keeps nothing of its redemptions.
    """

    value: str = field(repr=False)
    client_id: str
    user_id: str
    expires_at: datetime
    grants: list[Grant] = field(default_factory=list)

    @property
    def used(self) -> bool:
        """Whether the code was redeemed (known for single-use codes only)."""
        return bool(self.grants)


@dataclass(slots=True)
class AccessToken:
    """A Bearer access token."""

    value: str = field(repr=False)
    client_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    grant: Grant = field(repr=False)


@dataclass(slots=True)
class RefreshToken:
    """A refresh token; used once (rotation), then kept until it expires so that a replay is noticed."""

    value: str = field(repr=False)
    client_id: str
    user_id: str
    expires_at: datetime
    grant: Grant = field(repr=False)
    used: bool = False
