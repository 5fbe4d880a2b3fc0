"""JSON shapes of spec §3: users, links, auth contexts, OAuth clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._store import LINK_KEYS, ArchivedAccount, OauthClient, Store, User

__all__ = [
    "Json",
    "complete_user",
    "default_user",
    "etwin_link",
    "links",
    "remote_short",
    "search_item",
    "short_client",
    "short_user",
]

Json = dict[str, Any]


def short_user(user: User) -> Json:
    """ShortUser (§3.1)."""
    return {"type": "User", "id": user.id, "display_name": {"current": {"value": user.display_name}}}


def remote_short(account: ArchivedAccount) -> Json:
    """The short form of an archived game account, as found in a link (§3.4)."""
    if account.kind == "twinoid":
        return {"type": "TwinoidUser", "id": account.id, "display_name": account.name}
    kind = "HammerfestUser" if account.kind == "hammerfest" else "DinoparcUser"
    return {"type": kind, "server": account.server, "id": account.id, "username": account.name}


def links(user: User, store: Store) -> Json:
    """VersionedLinks (§3.4): always the seven keys; ``old`` is always empty."""
    result: Json = {}
    for key in LINK_KEYS:
        account = user.links.get(key)
        current: Json | None = None
        if account is not None and account.etwin is not None:
            author = store.user(account.etwin.by_user_id) or user
            current = {
                "link": {"time": format_instant(account.etwin.time), "user": short_user(author)},
                "unlink": None,
                "user": remote_short(account),
            }
        result[key] = {"current": current, "old": []}
    return result


def etwin_link(account: ArchivedAccount, store: Store) -> Json:
    """The reverse link on an archived account (§3.10)."""
    link = account.etwin
    user = store.user(link.user_id) if link is not None else None
    if link is None or user is None:
        return {"current": None, "old": []}
    author = store.user(link.by_user_id) or user
    return {
        "current": {
            "link": {"time": format_instant(link.time), "user": short_user(author)},
            "unlink": None,
            "user": short_user(user),
        },
        "old": [],
    }


def _deleted_at(user: User) -> str | None:
    return format_instant(user.deleted_at) if user.deleted_at is not None else None


_FIELDS: dict[str, Callable[[User, Store], Any]] = {
    "type": lambda user, store: "User",
    "id": lambda user, store: user.id,
    "created_at": lambda user, store: format_instant(user.created_at),
    "deleted_at": lambda user, store: _deleted_at(user),
    "display_name": lambda user, store: {"current": {"value": user.display_name}},
    "is_administrator": lambda user, store: user.is_administrator,
    "links": links,
    "username": lambda user, store: user.username,
    "email_address": lambda user, store: user.email_address,
    "has_password": lambda user, store: user.has_password,
}


def _project(user: User, store: Store, fields: tuple[str, ...]) -> Json:
    return {name: _FIELDS[name](user, store) for name in fields}


def default_user(user: User, store: Store) -> Json:
    """User, default view (§3.2), with ``deleted_at`` (``_choices.USER_VIEW_FIELDS``)."""
    return _project(user, store, _choices.USER_VIEW_FIELDS)


def complete_user(user: User, store: Store) -> Json:
    """CompleteUser (§3.3): the default view plus username, email address and has_password."""
    return _project(user, store, _choices.USER_VIEW_FIELDS + _choices.COMPLETE_USER_EXTRA_FIELDS)


def search_item(user: User, store: Store) -> Json:
    """One item of a search page (``_choices.SEARCH_ITEM_FIELDS``)."""
    return _project(user, store, _choices.SEARCH_ITEM_FIELDS)


def short_client(client: OauthClient) -> Json:
    """ShortOauthClient (§3.6)."""
    return {"type": "OauthClient", "id": client.id, "key": client.key, "display_name": client.display_name}
