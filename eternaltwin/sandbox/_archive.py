"""Archived game accounts (spec §3.9): details generated deterministically from each account's seed."""

from __future__ import annotations

import random
from datetime import timedelta

from eternaltwin.sandbox._clock import format_instant
from eternaltwin.sandbox._store import ArchivedAccount, Store
from eternaltwin.sandbox._views import Json, etwin_link

__all__ = ["archive_view"]

_HAMMERFEST_QUEST_STATES = ("None", "Pending", "Complete")
_DINOZ_NAMES = ("Rex", "Pikachou", "Moumou", "Gigi", "Tornade", "Flamme", "Bubulle", "Caillou", "Zéphyr")


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


def _dinoparc(account: ArchivedAccount, store: Store) -> Json:
    rng = random.Random(account.seed)
    dinoz = [
        {
            "type": "DinoparcDinoz",
            "server": account.server,
            "id": str(int(account.id) * 10 + n + 1),
            "name": rng.choice(_DINOZ_NAMES),
            "location": rng.randrange(0, 23),
        }
        for n in range(rng.randrange(1, 4))
    ]
    inventory = {str(item): rng.randrange(1, 30) for item in sorted(rng.sample(range(1, 60), 5))}
    collection = {
        "rewards": sorted(rng.sample(range(1, 50), 4)),
        "epic_rewards": sorted(rng.sample(range(1, 20), 2)),
    }
    return {
        "type": "DinoparcUser",
        "server": account.server,
        "id": account.id,
        "archived_at": format_instant(account.archived_at),
        "username": account.name,
        "coins": _snapshot(account, rng.randrange(0, 500_000)),
        "dinoz": _snapshot(account, dinoz),
        "inventory": _snapshot(account, inventory),
        "collection": _snapshot(account, collection),
        "etwin": etwin_link(account, store),
    }
