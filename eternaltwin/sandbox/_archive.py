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
from eternaltwin.sandbox._records import ArchivedAccount
from eternaltwin.sandbox._store import Store
from eternaltwin.sandbox._views import Json, etwin_link

__all__ = ["archive_view", "dinoz_view"]

_HAMMERFEST_QUEST_STATES = ("None", "Pending", "Complete")
_DINOZ_NAMES = (
    "Rex", "Pikachou", "Moumou", "Gigi", "Tornade", "Flamme", "Bubulle", "Caillou", "Zéphyr", "Brindille",
    "Patate", "Nougat", "Éclair", "Grignotte", "Kiwi", "Sushi", "Bouboule", "Praline", "Titan", "Mistral",
)  # fmt: skip
# The races and skills Dinoparc knows (the names in E:crates/core/src/dinoparc.rs). Races are drawn with
# these weights (no spec: a few races were rare in the game); a dinoz's skills and elements grow with its
# level.
_DINOZ_RACES: dict[str, int] = {
    "Cargou": 6, "Castivore": 10, "Gluon": 2, "Gorilloz": 8, "Hippoclamp": 5, "Kabuki": 3, "Korgon": 6,
    "Kump": 6, "Moueffe": 14, "Ouistiti": 7, "Picori": 12, "Pigmou": 12, "Pteroz": 8, "Rokky": 9,
    "Santaz": 2, "Serpantin": 4, "Sirain": 9, "Wanwan": 11, "Winks": 12,
}  # fmt: skip
_DINOZ_SKILLS = (
    "Bargain", "Camouflage", "Climb", "Cook", "Counterattack", "Dexterity", "Dig", "EarthApprentice",
    "FireApprentice", "FireProtection", "Intelligence", "Juggle", "Jump", "Luck", "MartialArts", "Medicine",
    "Mercenary", "Music", "Navigation", "Perception", "Provoke", "Run", "Saboteur", "ShadowPower", "Spy",
    "Stamina", "Steal", "Strategy", "Strength", "Survival", "Swim", "ThunderApprentice", "TotemThief",
    "WaterApprentice",
)  # fmt: skip
_DINOZ_ELEMENTS = ("fire", "earth", "water", "thunder", "air")
_DINOZ_MAX_LEVEL = 150
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


def _gaps(account: ArchivedAccount) -> random.Random | None:
    """What decides the gaps in a generated account's archive (None for a demo account: no gaps)."""
    return random.Random(f"gaps:{account.seed}") if account.generated else None


def _hammerfest(account: ArchivedAccount, store: Store) -> Json:
    rng = random.Random(account.seed)
    first = format_instant(account.archived_at)
    last = format_instant(account.archived_at + timedelta(days=rng.randrange(0, 400)))
    best_level = rng.randrange(0, 116)
    quests = {str(q): rng.choice(_HAMMERFEST_QUEST_STATES) for q in sorted(rng.sample(range(0, 80), 5))}
    profile: Json | None = {
        "first_archived_at": first,
        "last_archived_at": last,
        "best_score": rng.randrange(0, 2_000_000),
        "best_level": best_level,
        "game_completed": best_level >= _choices.HAMMERFEST_COMPLETED_FROM_LEVEL and rng.random() < 0.5,
        "items": {str(item): rng.random() < 0.5 for item in sorted(rng.sample(range(1000, 1200), 8))},
        "quests": quests,
    }
    items: Json | None = {
        "first_archived_at": first,
        "last_archived_at": last,
        "items": {str(item): rng.randrange(1, 50) for item in sorted(rng.sample(range(0, 1200), 6))},
    }
    gaps = _gaps(account)
    if gaps is not None:
        draw = gaps.random()
        if draw < _choices.ARCHIVE_NOTHING_RATE:  # known by name only
            profile = items = None
        elif draw < _choices.ARCHIVE_NOTHING_RATE + _choices.HAMMERFEST_NO_ITEMS_RATE:
            items = None
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


def _dinoparc_known_by_name_only(account: ArchivedAccount) -> bool:
    gaps = _gaps(account)
    return gaps is not None and gaps.random() < _choices.ARCHIVE_NOTHING_RATE


def _dinoz_count(account: ArchivedAccount) -> int:
    """How many dinoz the account's ``dinoz`` list references (none when only its name is known)."""
    if _dinoparc_known_by_name_only(account):
        return 0
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
    members: dict[str, object] = {
        "coins": rng.randrange(0, 500_000),
        "dinoz": [_dinoz_ref(account, rank) for rank in range(1, count + 1)],
        "inventory": inventory,
        "collection": collection,
    }
    known = not _dinoparc_known_by_name_only(account)
    return {
        "type": "DinoparcUser",
        "server": account.server,
        "id": account.id,
        "archived_at": format_instant(account.archived_at),
        "username": account.name,
        **{name: _snapshot(account, value) if known else None for name, value in members.items()},
        "etwin": etwin_link(account, store),
    }


def dinoz_view(store: Store, server: str, dinoz_id: str) -> Json | None:
    """The archived dinoz ``dinoz_id`` of ``server`` (spec §11.3), or None if no archived user owns it.

    Its level is drawn with many low and a few high ones; the more levels, the more skills (levels 1 to
    5) and element points. Some dinoz of generated accounts were archived from a glance (their name,
    owner, race, skin and level; the other members null), as real archives hold.
    """
    owner_id, rank = divmod(int(dinoz_id), _choices.DINOZ_IDS_PER_OWNER)
    owner = store.archived("dinoparc", server, str(owner_id))
    if owner is None or not 1 <= rank <= _dinoz_count(owner):
        return None
    rng = random.Random(owner.seed * _choices.DINOZ_IDS_PER_OWNER + rank)
    level = min(_DINOZ_MAX_LEVEL, 1 + int(rng.expovariate(1 / _choices.DINOZ_MEAN_LEVEL)))
    points = 3 + level // 2  # element points, spread over the five elements
    elements = dict.fromkeys(_DINOZ_ELEMENTS, 0)
    for _ in range(points):
        elements[rng.choice(_DINOZ_ELEMENTS)] += 1
    skill_count = min(len(_DINOZ_SKILLS), 1 + level // 8 + rng.randrange(0, 3))
    skills = {skill: rng.randrange(1, 6) for skill in sorted(rng.sample(_DINOZ_SKILLS, skill_count))}
    members: dict[str, object] = {
        "name": rng.choice(_DINOZ_NAMES),
        "owner": {"type": "DinoparcUser", "server": server, "id": owner.id, "username": owner.name},
        "location": str(rng.randrange(0, 23)),
        "race": rng.choices(list(_DINOZ_RACES), weights=list(_DINOZ_RACES.values()))[0],
        "skin": "".join(rng.choice(_SKIN_ALPHABET) for _ in range(16)),
        "life": rng.randrange(0, 101),
        "level": level,
        "experience": rng.randrange(0, 100),
        "danger": rng.randrange(-50, 300),
        "in_tournament": rng.random() < 0.1,
        "elements": elements,
        "skills": skills,
    }
    glance = owner.generated and rng.random() < _choices.DINOZ_GLANCE_RATE
    return {
        "type": "DinoparcDinoz",
        "server": server,
        "id": dinoz_id,
        "archived_at": format_instant(owner.archived_at),
        **{
            name: None if glance and name not in _GLANCE_MEMBERS else _snapshot(owner, value)
            for name, value in members.items()
        },
    }


# What a glance at a dinoz archives (the rest stays null).
_GLANCE_MEMBERS = frozenset({"name", "owner", "race", "skin", "level"})
