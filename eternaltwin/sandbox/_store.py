"""The in-memory store: users, OAuth clients, sessions, codes, tokens and game archives.

Nothing here touches the disk or the network. Handlers run on one event loop and never await in the
middle of a mutation; a lock still guards mutations so tests may read from another thread.
"""

from __future__ import annotations

import bisect
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._forum import Forum
from eternaltwin.sandbox._secrets import HashedSecret, check_plain, spend_one_hash

__all__ = [
    "AccessToken",
    "ArchivedAccount",
    "AuthorizationCode",
    "EtwinLink",
    "GameKind",
    "Grant",
    "OauthClient",
    "RefreshToken",
    "Session",
    "Store",
    "User",
    "link_key",
]

GameKind = Literal["hammerfest", "dinoparc", "twinoid"]

#: The seven keys of VersionedLinks (spec §3.4), in the order they are served.
LINK_KEYS = (
    "dinoparc_com",
    "en_dinoparc_com",
    "hammerfest_es",
    "hammerfest_fr",
    "hfest_net",
    "sp_dinoparc_com",
    "twinoid",
)
TWINOID_SERVER = "twinoid.com"


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


@dataclass(slots=True)
class User:
    """An Eternaltwin user as stored."""

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


class _Expiring(Protocol):
    @property
    def expires_at(self) -> datetime: ...


_E = TypeVar("_E", bound=_Expiring)


def _purge(table: OrderedDict[str, _E], now: datetime) -> None:
    """Drop the expired entries at the front of ``table`` (kept in expiry order).

    Each entry is dropped once, so the work is amortised over the writes that added them. If the clock
    was set back, an entry behind one that has not expired waits its turn; lookups check expiry anyway.
    """
    while table:
        key, entry = next(iter(table.items()))
        if now < entry.expires_at:
            return
        del table[key]


class Store:
    """Everything the sandbox knows, in memory.

    Not a stable API: tests may read it, the HTTP handlers are its only writers.

    Sessions, codes and tokens live in tables kept in expiry order; every write first drops what has
    expired at their front (amortised: each entry is dropped once), so nothing outlives its expiry by
    more than the time until the next write.

    Parameters
    ----------
    access_token_lifetime : int
        Seconds an access token lives.
    refresh_tokens : bool
        Issue a rotating refresh token with every access token (and accept the refresh grant).
    single_use_codes : bool
        Refuse a second redemption of a code, and revoke what the first one granted. Without it a code
        can be redeemed again while it lasts, each time for a new access token (spec §5.3, §11.1).
    """

    def __init__(
        self,
        *,
        access_token_lifetime: int = _choices.ACCESS_TOKEN_LIFETIME_SECONDS,
        refresh_tokens: bool = False,
        single_use_codes: bool = False,
    ) -> None:
        self.access_token_lifetime = access_token_lifetime
        self.issues_refresh_tokens = refresh_tokens
        self.single_use_codes = single_use_codes
        self._lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.users_by_username: dict[str, User] = {}
        # Users pre-sorted by sort_key, with their search texts in a parallel list.
        self._ordered: list[User] = []
        self._sort_keys: list[tuple[str, str, str]] = []
        self._search_texts: list[str] = []
        self.clients: dict[str, OauthClient] = {}
        self.clients_by_key: dict[str, OauthClient] = {}
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.codes: OrderedDict[str, AuthorizationCode] = OrderedDict()
        self.access_tokens: OrderedDict[str, AccessToken] = OrderedDict()
        self.refresh_tokens: OrderedDict[str, RefreshToken] = OrderedDict()
        self.archives: dict[tuple[GameKind, str, str], ArchivedAccount] = {}
        self.forum = Forum()  # sections, threads, posts, announcements (see _forum)

    # ---------------------------------------------------------------------------------------- users

    def add_user(
        self,
        *,
        username: str | None,
        display_name: str,
        created_at: datetime,
        password: bytes | None = None,
        is_administrator: bool | None = None,
        user_id: str | None = None,
    ) -> User:
        """Create a user; ``is_administrator=None`` applies the "first user is administrator" rule.

        Raises
        ------
        ApiError
            409 UsernameAlreadyInUse if the username is taken.
        """
        with self._lock:
            if username is not None and username in self.users_by_username:
                raise ApiError(_choices.USERNAME_CONFLICT_STATUS, _choices.USERNAME_CONFLICT_ERROR)
            if is_administrator is None:
                is_administrator = _choices.FIRST_USER_IS_ADMINISTRATOR and not self.users
            user = User(
                id=user_id or str(uuid.uuid4()),
                username=username,
                display_name=display_name,
                created_at=created_at,
                is_administrator=is_administrator,
                password=HashedSecret.of(password) if password is not None else None,
            )
            user.refresh_keys()
            self._index(user)
            position = bisect.bisect(self._sort_keys, user.sort_key)
            self._ordered.insert(position, user)
            self._sort_keys.insert(position, user.sort_key)
            self._search_texts.insert(position, user.search_text)
            return user

    def add_users_bulk(self, users: Iterable[User]) -> None:
        """Insert many ready-made users (the generated population) and re-sort once."""
        with self._lock:
            for user in users:
                if user.username is not None and user.username in self.users_by_username:
                    raise ValueError(f"duplicate username {user.username!r}")
                user.refresh_keys()
                self._index(user)
                self._ordered.append(user)
            self._ordered.sort(key=lambda u: u.sort_key)
            self._sort_keys = [u.sort_key for u in self._ordered]
            self._search_texts = [u.search_text for u in self._ordered]

    def _index(self, user: User) -> None:
        self.users[user.id] = user
        if user.username is not None:
            self.users_by_username[user.username] = user

    def user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return self.users.get(user_id)

    def user_by_username(self, username: str) -> User | None:
        """The user with this username, or None."""
        return self.users_by_username.get(username)

    def search_users(self, query: str, offset: int, limit: int) -> tuple[int, list[User]]:
        """Search users (see ``_choices``: casefolded substring of username or display name).

        Returns
        -------
        tuple of (int, list of User)
            The number of all matches and the page ``[offset:offset+limit]`` in display-name order.
        """
        needle = query.strip().casefold()
        if "\n" in needle:  # the separator of the two names in search_text
            return 0, []
        include_deleted = _choices.SEARCH_INCLUDES_DELETED
        with self._lock:
            ordered = self._ordered
            if not needle and include_deleted:
                return len(ordered), ordered[offset : offset + limit]
            texts = self._search_texts
            hits = [i for i, text in enumerate(texts) if needle in text]
            if not include_deleted:
                hits = [i for i in hits if ordered[i].deleted_at is None]
            return len(hits), [ordered[i] for i in hits[offset : offset + limit]]

    def ordered_users(self) -> list[User]:
        """All users in search order (a copy)."""
        with self._lock:
            return list(self._ordered)

    # -------------------------------------------------------------------------------------- clients

    def add_client(
        self,
        *,
        name: str,
        display_name: str,
        uri: str,
        oauth_callback: str,
        secret: str,
        client_id: str | None = None,
    ) -> OauthClient:
        """Register an OAuth app (key ``name@clients``)."""
        with self._lock:
            client = OauthClient(
                id=client_id or str(uuid.uuid4()),
                name=name,
                display_name=display_name,
                uri=uri,
                oauth_callback=oauth_callback,
                secret=HashedSecret.of(secret.encode("utf-8")),
            )
            self.clients[client.id] = client
            self.clients_by_key[client.key] = client
            return client

    def client_by_ref(self, ref: str) -> OauthClient | None:
        """A client by key (``name@clients``), by UUID, or by ``UUID@clients``."""
        client = self.clients_by_key.get(ref)
        if client is not None:
            return client
        if ref.endswith("@clients"):
            ref = ref[: -len("@clients")]
        return self.clients.get(ref)

    # ------------------------------------------------------------------------------------- sessions

    def purge_expired(self, now: datetime) -> None:
        """Drop the sessions, codes and tokens that expired (see the class docstring)."""
        with self._lock:
            _purge(self.sessions, now)
            _purge(self.codes, now)
            _purge(self.access_tokens, now)
            _purge(self.refresh_tokens, now)

    def create_session(self, user: User, now: datetime) -> Session:
        """Open a session for ``user``; its id is a random v4 UUID."""
        with self._lock:
            self.purge_expired(now)
            session = Session(
                id=str(uuid.uuid4()),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(seconds=_choices.SESSION_IDLE_SECONDS),
            )
            self.sessions[session.id] = session
            return session

    def session_user(self, session_id: str, now: datetime) -> User | None:
        """The (not deleted) user of a live session, or None; using a session keeps it alive."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None or now >= session.expires_at:
                return None
            session.expires_at = now + timedelta(seconds=_choices.SESSION_IDLE_SECONDS)
            self.sessions.move_to_end(session_id)  # expiry order
            user = self.users.get(session.user_id)
            return user if user is not None and user.deleted_at is None else None

    def revoke_session(self, session_id: str) -> None:
        """Forget a session (no error if unknown)."""
        with self._lock:
            self.sessions.pop(session_id, None)

    # --------------------------------------------------------------------------------------- oauth

    def create_code(self, client: OauthClient, user: User, now: datetime) -> AuthorizationCode:
        """Issue an authorization code valid for ``CODE_LIFETIME_SECONDS``."""
        with self._lock:
            self.purge_expired(now)
            code = AuthorizationCode(
                value=secrets.token_urlsafe(_choices.CODE_BYTES),
                client_id=client.id,
                user_id=user.id,
                expires_at=now + timedelta(seconds=_choices.CODE_LIFETIME_SECONDS),
            )
            self.codes[code.value] = code
            return code

    def redeem_code(self, value: str, client: OauthClient, now: datetime) -> Grant:
        """Redeem a code presented by ``client``: what it grants (tokens are issued against it).

        Where codes are single use, a second redemption is refused and revokes every token the first
        one granted (RFC 6749 §4.1.2).

        Raises
        ------
        ApiError
            Unknown, expired, already used (single use), or bound to another client (see ``_choices``).
        """
        with self._lock:
            code = self.codes.get(value)
            if code is None:
                raise ApiError.of(_choices.TOKEN_CODE_NOT_FOUND)
            if code.client_id != client.id:
                raise ApiError.of(_choices.TOKEN_CODE_CLIENT_MISMATCH)
            if now >= code.expires_at:
                raise ApiError.of(_choices.TOKEN_CODE_EXPIRED)
            if code.used and self.single_use_codes:
                for grant in code.grants:
                    grant.revoked = True
                raise ApiError.of(_choices.TOKEN_CODE_ALREADY_USED)
            user = self.users.get(code.user_id)
            if user is None or user.deleted_at is not None:
                raise ApiError.of(_choices.TOKEN_CODE_NOT_FOUND)
            grant = Grant(client_id=client.id, user_id=user.id)
            if self.single_use_codes:  # kept to revoke on a replay; a reusable code keeps nothing
                code.grants.append(grant)
            return grant

    def issue_tokens(self, grant: Grant, now: datetime) -> tuple[AccessToken, RefreshToken | None]:
        """Mint an access token (a v4 UUID), and a refresh token where they are issued, under ``grant``."""
        with self._lock:
            self.purge_expired(now)
            access = AccessToken(
                value=str(uuid.uuid4()),
                client_id=grant.client_id,
                user_id=grant.user_id,
                created_at=now,
                expires_at=now + timedelta(seconds=self.access_token_lifetime),
                grant=grant,
            )
            self.access_tokens[access.value] = access
            if not self.issues_refresh_tokens:
                return access, None
            refresh = RefreshToken(
                value=secrets.token_urlsafe(_choices.REFRESH_TOKEN_BYTES),
                client_id=grant.client_id,
                user_id=grant.user_id,
                expires_at=now + timedelta(seconds=_choices.REFRESH_TOKEN_LIFETIME_SECONDS),
                grant=grant,
            )
            self.refresh_tokens[refresh.value] = refresh
            return access, refresh

    def use_refresh_token(self, value: str, client: OauthClient, now: datetime) -> Grant:
        """Use a refresh token (rotation: it stops working) and return its grant, to issue the next pair.

        A refresh token used a second time was stolen or leaked (RFC 6749 §10.4, RFC 9700 §4.14.2): the
        whole chain it belongs to is revoked, new tokens included.

        Raises
        ------
        ApiError
            Unknown, already used (the chain is then revoked), of another client, revoked or expired.
        """
        with self._lock:
            token = self.refresh_tokens.get(value)
            if token is None or token.client_id != client.id:
                raise ApiError.of(_choices.TOKEN_REFRESH_NOT_FOUND)
            if token.used or token.grant.revoked:
                token.grant.revoked = True
                raise ApiError.of(_choices.TOKEN_REFRESH_NOT_FOUND)
            token.used = True
            if now >= token.expires_at:
                raise ApiError.of(_choices.TOKEN_REFRESH_EXPIRED)
            user = self.users.get(token.user_id)
            if user is None or user.deleted_at is not None:
                raise ApiError.of(_choices.TOKEN_REFRESH_NOT_FOUND)
            return token.grant

    def access_token(self, value: str, now: datetime) -> AccessToken | None:
        """A live access token (known, not expired nor revoked, user not deleted), or None."""
        token = self.access_tokens.get(value)
        if token is None or now >= token.expires_at or token.grant.revoked:
            return None
        user = self.users.get(token.user_id)
        if user is None or user.deleted_at is not None or token.client_id not in self.clients:
            return None
        return token

    # ------------------------------------------------------------------------------------- archives

    def add_archived(self, account: ArchivedAccount) -> ArchivedAccount:
        """Store an archived game account."""
        with self._lock:
            self.archives[(account.kind, account.server, account.id)] = account
            return account

    def archived(self, kind: GameKind, server: str, account_id: str) -> ArchivedAccount | None:
        """An archived game account, or None."""
        return self.archives.get((kind, server, account_id))

    def link(self, user: User, account: ArchivedAccount, time: datetime) -> None:
        """Link ``user`` to ``account`` (both directions), made by the user itself."""
        with self._lock:
            user.links[link_key(account.kind, account.server)] = account
            account.etwin = EtwinLink(user_id=user.id, time=time, by_user_id=user.id)
