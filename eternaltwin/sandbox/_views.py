"""JSON shapes of spec §3: users, links, auth contexts, OAuth clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Protocol

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._records import ArchivedAccount, OauthClient, User

__all__ = [
    "LINK_KEYS",
    "Json",
    "UserLookup",
    "complete_user",
    "default_user",
    "etwin_link",
    "links",
    "remote_short",
    "render_search_item",
    "render_short_user",
    "search_item",
    "short_client",
    "short_user",
]


class UserLookup(Protocol):
    """What the views ask of the store (which renders users with them, so they do not import it)."""

    def user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        ...


Json = dict[str, Any]

#: The seven keys of VersionedLinks (spec §3.4), in the order they are served.
LINK_KEYS: Final = (
    "dinoparc_com",
    "en_dinoparc_com",
    "hammerfest_es",
    "hammerfest_fr",
    "hfest_net",
    "sp_dinoparc_com",
    "twinoid",
)

# What ``_http.JsonResponse`` writes: UTF-8 text without escapes, compact (one encoder, built once).
_encode: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def short_user(user: User) -> Json:
    """ShortUser (§3.1)."""
    return {"type": "User", "id": user.id, "display_name": {"current": {"value": user.display_name}}}


def remote_short(account: ArchivedAccount) -> Json:
    """The short form of an archived game account, as found in a link (§3.4)."""
    if account.kind == "twinoid":
        return {"type": "TwinoidUser", "id": account.id, "display_name": account.name}
    kind = "HammerfestUser" if account.kind == "hammerfest" else "DinoparcUser"
    return {"type": kind, "server": account.server, "id": account.id, "username": account.name}


def _link_entry(user: User, account: ArchivedAccount | None, store: UserLookup) -> Json:
    """One entry of VersionedLinks (§3.4): ``{"current": ..., "old": []}``."""
    current: Json | None = None
    if account is not None and account.etwin is not None:
        author = store.user(account.etwin.by_user_id) or user
        current = {
            "link": {"time": format_instant(account.etwin.time), "user": short_user(author)},
            "unlink": None,
            "user": remote_short(account),
        }
    return {"current": current, "old": []}


def links(user: User, store: UserLookup) -> Json:
    """VersionedLinks (§3.4): always the seven keys; ``old`` is always empty."""
    return {key: _link_entry(user, user.links.get(key), store) for key in LINK_KEYS}


def etwin_link(account: ArchivedAccount, store: UserLookup) -> Json:
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


_FIELDS: dict[str, Callable[[User, UserLookup], Any]] = {
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


def _project(user: User, store: UserLookup, fields: tuple[str, ...]) -> Json:
    return {name: _FIELDS[name](user, store) for name in fields}


def default_user(user: User, store: UserLookup) -> Json:
    """User, default view (§3.2), with ``deleted_at`` (``_choices.USER_VIEW_FIELDS``)."""
    return _project(user, store, _choices.USER_VIEW_FIELDS)


def complete_user(user: User, store: UserLookup) -> Json:
    """CompleteUser (§3.3): the default view plus username, email address and has_password."""
    return _project(user, store, _choices.USER_VIEW_FIELDS + _choices.COMPLETE_USER_EXTRA_FIELDS)


def search_item(user: User, store: UserLookup) -> Json:
    """One item of a search page (``_choices.SEARCH_ITEM_FIELDS``)."""
    return _project(user, store, _choices.SEARCH_ITEM_FIELDS)


def short_client(client: OauthClient) -> Json:
    """ShortOauthClient (§3.6)."""
    return {"type": "OauthClient", "id": client.id, "key": client.key, "display_name": client.display_name}


# An entry without a link, and the links of a user without any: the same for everyone, rendered once.
_NO_LINK_JSON: Final = _encode({"current": None, "old": []})
_NO_LINKS_JSON: Final = "{" + ",".join(f'"{key}":{_NO_LINK_JSON}' for key in LINK_KEYS) + "}"


def _links_json(user: User, store: UserLookup) -> str:
    if not user.links:
        return _NO_LINKS_JSON
    entries = []
    for key in LINK_KEYS:
        account = user.links.get(key)
        entry = _NO_LINK_JSON if account is None else _encode(_link_entry(user, account, store))
        entries.append(f'"{key}":{entry}')
    return "{" + ",".join(entries) + "}"


def _quoted_instant(instant: datetime | None) -> str:
    return "null" if instant is None else f'"{format_instant(instant)}"'


# Each member of a user view as JSON text, written directly where its shape is fixed (a test checks that
# every user renders to the bytes JsonResponse writes for the view); any other member goes through _FIELDS.
_FIELD_JSON: Final[dict[str, Callable[[User, UserLookup], str]]] = {
    "type": lambda user, store: '"User"',
    "id": lambda user, store: _encode(user.id),
    "created_at": lambda user, store: _quoted_instant(user.created_at),
    "deleted_at": lambda user, store: _quoted_instant(user.deleted_at),
    "display_name": lambda user, store: '{"current":{"value":' + _encode(user.display_name) + "}}",
    "is_administrator": lambda user, store: "true" if user.is_administrator else "false",
    "links": _links_json,
}


def _field_json(name: str, user: User, store: UserLookup) -> str:
    fast = _FIELD_JSON.get(name)
    return fast(user, store) if fast is not None else _encode(_FIELDS[name](user, store))


def render_search_item(user: User, store: UserLookup) -> bytes:
    """:func:`search_item` as the bytes a reply carries, member by member (the store keeps them).

    The same bytes as ``JsonResponse`` writes for ``search_item(user, store)``, faster: each member is
    encoded on its own, and the links of a user without any are a constant.
    """
    members = ",".join(f'"{name}":{_field_json(name, user, store)}' for name in _choices.SEARCH_ITEM_FIELDS)
    return ("{" + members + "}").encode("utf-8")


def render_short_user(user: User) -> bytes:
    """:func:`short_user` as the bytes a reply carries (the items of a 2021-habit search page)."""
    return _encode(short_user(user)).encode("utf-8")
