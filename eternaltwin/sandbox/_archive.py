"""Archived game accounts (spec §3.9, §11.3): details generated deterministically from each account's seed.

Shapes and types are the real server's: Dinoparc reward ids are decimal strings and epic rewards string
keys, a user's dinoz are ``{type, server, id}`` references, and each reference leads to a dinoz served by
``GET /api/v1/archive/dinoparc/{server}/dinoz/{id}``. Hammerfest's ``profile`` and ``items`` are the plain
objects of spec §3.9, as the server's source writes them (``StoredHammerfestProfile``/``Items`` in
``E:crates/core/src/hammerfest.rs``, which §11.3's "versioned the same way" does not match).
"""

from __future__ import annotations

import random
from datetime import timedelta

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._store import ArchivedAccount, Store
from eternaltwin.sandbox._views import Json, etwin_link

__all__ = ["archive_view", "dinoz_view"]

_HAMMERFEST_QUEST_STATES = ("None", "Pending", "Complete")
_DINOZ_NAMES = ("Rex", "Pikachou", "Moumou", "Gigi", "Tornade", "Flamme", "Bubulle", "Caillou", "Zéphyr")
_DINOZ_RACES = ("Moueffe", "Pigmou", "Winks", "Planaille", "Castivore", "Rokky", "Pteroz", "Wanwan", "Sirain")
_DINOZ_SKILLS = (
    "Bargain",
    "Climb",
    "Cook",
    "Dig",
    "FireApprentice",
    "Jump",
    "Luck",
    "Run",
    "Strength",
    "Swim",
)
_EPIC_REWARDS = (
    "globe_charbon",
    "kabuki",
    "oeuf_dore",
    "cape_mystere",
    "couronne_2008",
    "trefle_4",
    "marmite",
)
_SKIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def archive_view(account: ArchivedAccount, store: Store) -> Json:
    """The archive object of ``account``: HammerfestUser, DinoparcUser or TwinoidUser."""
    if account.kind == "hammerfest":
        return _hammerfest(account, store)
    if account.kind == "dinoparc":
        return _dinoparc(account, store)
    return {
        "type": "TwinoidUser",
        "id": account.id,
        "archived_at": format_instant(account.archived_at),
        "display_name": account.name,
        "etwin": etwin_link(account, store),
    }


def _hammerfest(account: ArchivedAccount, store: Store) -> Json:
    rng = random.Random(account.seed)
    first = format_instant(account.archived_at)
    last = format_instant(account.archived_at + timedelta(days=rng.randrange(0, 400)))
    profile = {
        "first_archived_at": first,
        "last_archived_at": last,
        "best_score": rng.randrange(0, 2_000_000),
        "best_level": rng.randrange(0, 116),
        "game_completed": rng.random() < 0.1,
        "items": {str(item): rng.random() < 0.5 for item in sorted(rng.sample(range(1000, 1200), 8))},
        "quests": {str(q): rng.choice(_HAMMERFEST_QUEST_STATES) for q in sorted(rng.sample(range(0, 80), 5))},
    }
    items = {
        "first_archived_at": first,
        "last_archived_at": last,
        "items": {str(item): rng.randrange(1, 50) for item in sorted(rng.sample(range(0, 1200), 6))},
    }
    return {
        "type": "HammerfestUser",
        "server": account.server,
        "id": account.id,
        "username": account.name,
        "archived_at": first,
        "profile": profile,
        "items": items,
        "etwin": etwin_link(account, store),
    }


def _snapshot(account: ArchivedAccount, value: object) -> Json:
    start = format_instant(account.archived_at)
    return {
        "latest": {"period": {"start": start, "end": None}, "retrieved": {"latest": start}, "value": value}
    }


def _dinoz_count(account: ArchivedAccount) -> int:
    return random.Random(account.seed).randrange(1, 4)


def _dinoz_ref(account: ArchivedAccount, rank: int) -> Json:
    """The reference a Dinoparc user's ``dinoz`` list holds (spec §11.3): type, server and id only."""
    return {
        "type": "DinoparcDinoz",
        "server": account.server,
        "id": str(int(account.id) * _choices.DINOZ_IDS_PER_OWNER + rank),
    }


def _dinoparc(account: ArchivedAccount, store: Store) -> Json:
    rng = random.Random(account.seed)
    count = rng.randrange(1, 4)  # first draw: _dinoz_count
    inventory = {str(item): rng.randrange(1, 30) for item in sorted(rng.sample(range(1, 60), 5))}
    collection = {
        "rewards": [str(reward) for reward in sorted(rng.sample(range(1, 50), 4))],
        "epic_rewards": sorted(rng.sample(_EPIC_REWARDS, 2)),
    }
    return {
        "type": "DinoparcUser",
        "server": account.server,
        "id": account.id,
        "archived_at": format_instant(account.archived_at),
        "username": account.name,
        "coins": _snapshot(account, rng.randrange(0, 500_000)),
        "dinoz": _snapshot(account, [_dinoz_ref(account, rank) for rank in range(1, count + 1)]),
        "inventory": _snapshot(account, inventory),
        "collection": _snapshot(account, collection),
        "etwin": etwin_link(account, store),
    }


def dinoz_view(store: Store, server: str, dinoz_id: str) -> Json | None:
    """The archived dinoz ``dinoz_id`` of ``server`` (spec §11.3), or None if no archived user owns it."""
    owner_id, rank = divmod(int(dinoz_id), _choices.DINOZ_IDS_PER_OWNER)
    owner = store.archived("dinoparc", server, str(owner_id))
    if owner is None or not 1 <= rank <= _dinoz_count(owner):
        return None
    rng = random.Random(owner.seed * _choices.DINOZ_IDS_PER_OWNER + rank)
    level = rng.randrange(1, 60)
    elements = {name: rng.randrange(0, 12) for name in ("fire", "earth", "water", "thunder", "air")}
    skills = {skill: rng.randrange(1, 6) for skill in sorted(rng.sample(_DINOZ_SKILLS, 3))}
    members: dict[str, object] = {
        "name": rng.choice(_DINOZ_NAMES),
        "owner": {"type": "DinoparcUser", "server": server, "id": owner.id, "username": owner.name},
        "location": str(rng.randrange(0, 23)),
        "race": rng.choice(_DINOZ_RACES),
        "skin": "".join(rng.choice(_SKIN_ALPHABET) for _ in range(16)),
        "life": rng.randrange(0, 101),
        "level": level,
        "experience": rng.randrange(0, 100),
        "danger": rng.randrange(-50, 300),
        "in_tournament": rng.random() < 0.1,
        "elements": elements,
        "skills": skills,
    }
    return {
        "type": "DinoparcDinoz",
        "server": server,
        "id": dinoz_id,
        "archived_at": format_instant(owner.archived_at),
        **{name: _snapshot(owner, value) for name, value in members.items()},
    }
