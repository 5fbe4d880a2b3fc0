"""Who is calling: the four AuthContext variants of spec §1.1 and §3.5."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._errors import ApiError
from eternaltwin.sandbox._records import OauthClient, User
from eternaltwin.sandbox._secrets import spend_one_hash
from eternaltwin.sandbox._store import Store
from eternaltwin.sandbox._validation import is_client_key, is_lower_uuid, is_username
from eternaltwin.sandbox._views import Json, short_client, short_user

__all__ = ["GUEST", "AuthContext", "authenticate", "check_login", "find_login", "parse_basic", "unauthorized"]

ContextKind = Literal["Guest", "User", "AccessToken", "OauthClient"]


@dataclass(frozen=True, slots=True)
class AuthContext:
    """The caller of a request."""

    kind: ContextKind
    user: User | None = None
    client: OauthClient | None = None
    session_id: str | None = None

    def to_json(self) -> Json:
        """The AuthContext object of spec §3.5."""
        if self.kind == "User" and self.user is not None:
            return {
                "type": "User",
                "scope": "Default",
                "user": short_user(self.user),
                "is_administrator": self.user.is_administrator,
            }
        if self.kind == "AccessToken" and self.user is not None and self.client is not None:
            return {
                "type": "AccessToken",
                "scope": "Default",
                "client": short_client(self.client),
                "user": short_user(self.user),
            }
        if self.kind == "OauthClient" and self.client is not None:
            return {"type": "OauthClient", "scope": "Default", "client": short_client(self.client)}
        return {"type": "Guest", "scope": "Default"}


GUEST = AuthContext("Guest")


def unauthorized(scheme: str = "Bearer", message: str | None = None) -> ApiError:
    """401 Unauthorized (``_choices.UNAUTHORIZED_*``) with a ``WWW-Authenticate`` challenge."""
    return ApiError(
        _choices.UNAUTHORIZED_STATUS,
        _choices.UNAUTHORIZED_ERROR,
        {"WWW-Authenticate": f'{scheme} realm="eternaltwin"'},
        message=message,
    )


def parse_basic(value: str) -> tuple[str, bytes] | None:
    """Decode ``base64(login:password)``; None if it is not valid base64 with a colon."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    login, colon, password = decoded.partition(b":")
    if not colon:
        return None
    try:
        return login.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def find_login(store: Store, login: str) -> User | None:
    """The user a login form or ``PUT /api/v1/auth/self`` names (spec §4.2): a login with ``@`` is an
    email (no sandbox user has one), else a username."""
    if "@" in login or not is_username(login):
        return None
    return store.user_by_username(login)


def check_login(store: Store, login: str, password: bytes) -> User | None:
    """The user that ``login`` names if ``password`` is theirs, else None.

    It costs one password hash whatever the answer (unknown login, deleted user, wrong or right
    password), so that the time of a reply does not tell whether a login exists.
    """
    user = find_login(store, login)
    if user is None or user.deleted_at is not None:
        spend_one_hash(password)
        return None
    return user if user.check_password(password) else None


def _user_by_login(store: Store, login: str) -> User | None:
    if login.endswith("@users"):
        rest = login[: -len("@users")]
        return store.user(rest) if is_lower_uuid(rest) else store.user_by_username(rest)
    if is_username(login):
        return store.user_by_username(login)
    if is_lower_uuid(login):
        return store.user(login)
    return None  # emails: no sandbox user has one


def _basic_context(store: Store, login: str, password: bytes) -> AuthContext:
    """Spec §5.5: ``@clients`` logins are clients, a bare UUID is a user first, then a client."""
    if login.endswith("@clients"):
        client = store.client_by_ref(login) if (is_client_key(login) or is_lower_uuid(login[:-8])) else None
        if client is not None and client.secret.matches(password):
            return AuthContext("OauthClient", client=client)
        if client is None:
            spend_one_hash(password)
        raise unauthorized("Basic")
    user = _user_by_login(store, login)
    if user is not None:
        if user.check_password(password) and user.deleted_at is None:
            return AuthContext("User", user=user)
        raise unauthorized("Basic")
    if is_lower_uuid(login):
        client = store.clients.get(login)
        if client is not None:
            if client.secret.matches(password):
                return AuthContext("OauthClient", client=client)
            raise unauthorized("Basic")
    spend_one_hash(password)
    raise unauthorized("Basic")


def authenticate(
    store: Store, authorization: str | None, session_id: str | None, now: datetime
) -> AuthContext:
    """Resolve the caller (spec §1.1).

    The ``Authorization`` header comes first: ``Bearer`` must name a live access token, ``Basic`` must
    hold valid user or client credentials (401 otherwise; never a fallback to the cookie). Other schemes
    are ignored. Then the ``sid`` cookie; then Guest.

    Raises
    ------
    ApiError
        401 Unauthorized for a bad token or bad Basic credentials.
    """
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            token = store.access_token(value.strip(), now)
            if token is None:
                raise unauthorized("Bearer")
            return AuthContext(
                "AccessToken", user=store.users[token.user_id], client=store.clients[token.client_id]
            )
        if scheme == "basic":
            credentials = parse_basic(value)
            if credentials is None:
                raise unauthorized("Basic")
            return _basic_context(store, *credentials)
    if session_id and is_lower_uuid(session_id):
        user = store.session_user(session_id, now)
        if user is not None:
            return AuthContext("User", user=user, session_id=session_id)
    return GUEST
