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
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._forum import Forum
from eternaltwin.sandbox._records import (
    UNSET,
    AccessToken,
    ArchivedAccount,
    AuthorizationCode,
    EtwinLink,
    GameKind,
    Grant,
    OauthClient,
    RefreshToken,
    Session,
    Unset,
    User,
    link_key,
)
from eternaltwin.sandbox._secrets import HashedSecret
from eternaltwin.sandbox._views import render_search_item, render_short_user

__all__ = ["Store"]


def _check_lock(since: datetime, seconds: int, now: datetime, what: str) -> None:
    """409 FailedUserUpdate if ``what`` last changed (at ``since``) less than ``seconds`` ago."""
    allowed_from = since + timedelta(seconds=seconds)
    if now < allowed_from:
        when = format_instant(allowed_from)
        raise ApiError(
            _choices.USER_UPDATE_LOCKED_STATUS,
            _choices.USER_UPDATE_ERROR,
            message=f"the {what} changed too recently: it may change again from {when}",
        )


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
        # Who made links for whom, where they differ (author id -> user ids): a rename of the author
        # renders those users again, since their links name the author.
        self._linked_by: dict[str, set[str]] = {}
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
            self._index(user)
            self._place(user)
            return user

    def add_users_bulk(self, users: Iterable[User]) -> None:
        """Insert many ready-made users (the generated population) and re-sort once.

        Their links must be made already, by the users themselves.
        """
        with self._lock:
            for user in users:
                if user.username is not None and user.username in self.users_by_username:
                    raise ValueError(f"duplicate username {user.username!r}")
                user.refresh_keys()
                self._index(user)
                self._forget_json(user)
                self._ordered.append(user)
            self._ordered.sort(key=lambda u: u.sort_key)
            self._sort_keys = [u.sort_key for u in self._ordered]
            self._search_texts = [u.search_text for u in self._ordered]

    def update_user(
        self,
        user: User,
        now: datetime,
        *,
        display_name: str | None = None,
        username: str | Unset | None = UNSET,
        password: bytes | Unset | None = UNSET,
    ) -> None:
        """Change a user's display name, username or password, all or none (spec §4.5).

        A value equal to the current one changes nothing. Values are not validated here (the handler
        does); the lock periods of ``_choices`` are.

        Raises
        ------
        ApiError
            409 UsernameAlreadyInUse, or 409 FailedUserUpdate (with the date the change is allowed from)
            while a lock period lasts; nothing is changed then.
        """
        with self._lock:
            new_name = display_name is not None and display_name != user.display_name
            new_username = not isinstance(username, Unset) and username != user.username
            new_password = not isinstance(password, Unset)
            if new_name and user.display_name_changed_at is not None:
                _check_lock(
                    user.display_name_changed_at, _choices.DISPLAY_NAME_LOCK_SECONDS, now, "display name"
                )
            if new_username:
                since = user.username_changed_at or user.created_at
                _check_lock(since, _choices.USERNAME_LOCK_SECONDS, now, "username")
                if username is not None and username in self.users_by_username:
                    raise ApiError(_choices.USERNAME_CONFLICT_STATUS, _choices.USERNAME_CONFLICT_ERROR)
            if new_password:
                since = user.password_changed_at or user.created_at
                _check_lock(since, _choices.PASSWORD_LOCK_SECONDS, now, "password")
            if not (new_name or new_username or new_password):
                return
            self._unplace(user)
            if new_name and display_name is not None:
                user.display_name = display_name
                user.display_name_changed_at = now
            if new_username and not isinstance(username, Unset):
                if user.password_is_username and user.username is not None and not new_password:
                    # The old username was the password: it stays the password.
                    user.password = HashedSecret.of(user.username.encode("ascii"))
                user.password_is_username = False
                if user.username is not None:
                    del self.users_by_username[user.username]
                user.username = username
                if username is not None:
                    self.users_by_username[username] = user
                user.username_changed_at = now
            if new_password and not isinstance(password, Unset):
                user.password = HashedSecret.of(password) if password is not None else None
                user.password_is_username = False
                user.password_changed_at = now
            self._place(user)
            self._forget_json(user)
            for other_id in self._linked_by.get(user.id, ()):  # links this user made for others
                self._forget_json(self.users[other_id])

    def delete_user(self, user: User, at: datetime) -> None:
        """Mark a user deleted at ``at`` (sandbox only: no route deletes users). It can no longer log in;
        its sessions and tokens stop working; searches still list it, with ``deleted_at``."""
        with self._lock:
            user.deleted_at = at
            self._forget_json(user)

    def _index(self, user: User) -> None:
        self.users[user.id] = user
        if user.username is not None:
            self.users_by_username[user.username] = user

    def _place(self, user: User) -> None:
        """Compute the user's search keys and insert it in the search order."""
        user.refresh_keys()
        position = bisect.bisect(self._sort_keys, user.sort_key)
        self._ordered.insert(position, user)
        self._sort_keys.insert(position, user.sort_key)
        self._search_texts.insert(position, user.search_text)

    def _unplace(self, user: User) -> None:
        """Take the user out of the search order (its keys are unique: they end with its id)."""
        position = bisect.bisect_left(self._sort_keys, user.sort_key)
        if position == len(self._ordered) or self._ordered[position] is not user:
            raise RuntimeError(f"user {user.id} is out of place in the search order")
        del self._ordered[position], self._sort_keys[position], self._search_texts[position]

    @staticmethod
    def _forget_json(user: User) -> None:
        """Forget the user's rendered JSON (after any change to what its views show); rendered again
        when next served. Called under the lock, like the rendering: a reply cannot keep stale JSON."""
        user.json_item = user.json_short = None

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

    def search_page_json(
        self, query: str, offset: int, limit: int, *, short: bool = False
    ) -> tuple[int, bytes]:
        """A search page's items as pre-rendered JSON (see :meth:`search_users`).

        Each user's JSON is rendered when first served and kept until the user changes (the store's
        change methods forget it), so a page costs a join rather than an encoding.

        Parameters
        ----------
        query, offset, limit
            As for :meth:`search_users`.
        short : bool
            ShortUser items (the 2021 habit) rather than the default view.

        Returns
        -------
        tuple of (int, bytes)
            The number of all matches, and the page's items as a JSON array's members (no brackets).
        """
        with self._lock:
            count, users = self.search_users(query, offset, limit)
            items: list[bytes] = []
            for user in users:
                if short:
                    rendered = user.json_short
                    if rendered is None:
                        rendered = user.json_short = render_short_user(user)
                else:
                    rendered = user.json_item
                    if rendered is None:
                        rendered = user.json_item = render_search_item(user, self)
                items.append(rendered)
            return count, b",".join(items)

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

    def link(self, user: User, account: ArchivedAccount, time: datetime, by: User | None = None) -> None:
        """Link ``user`` to ``account`` (both directions), made by ``by`` (default: the user itself).

        A link the account had to another user, or the user had on that game server, is replaced.
        """
        with self._lock:
            key = link_key(account.kind, account.server)
            previous_owner = self.users.get(account.etwin.user_id) if account.etwin is not None else None
            if previous_owner is not None and previous_owner is not user:
                self.unlink(previous_owner, key)
            if key in user.links:
                self.unlink(user, key)
            author = by or user
            user.links[key] = account
            account.etwin = EtwinLink(user_id=user.id, time=time, by_user_id=author.id)
            if author is not user:
                self._linked_by.setdefault(author.id, set()).add(user.id)
            self._forget_json(user)

    def unlink(self, user: User, key: str) -> ArchivedAccount | None:
        """Remove the user's link for ``key`` (``hammerfest_fr``, ``twinoid``...); the account unlinked,
        or None if there was none."""
        with self._lock:
            account = user.links.pop(key, None)
            if account is None:
                return None
            if account.etwin is not None:
                authored = self._linked_by.get(account.etwin.by_user_id)
                if authored is not None and not any(
                    a.etwin is not None and a.etwin.by_user_id == account.etwin.by_user_id
                    for a in user.links.values()
                ):
                    authored.discard(user.id)
                account.etwin = None
            self._forget_json(user)
            return account
