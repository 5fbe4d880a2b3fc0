"""A generated, deterministic population of users (``--population N``).

One :class:`random.Random` seeded with ``_choices.POPULATION_SEED`` draws every user in turn, so the
first k users are the same for every N >= k, and the same N always gives the same users. Names come
from several scripts and all satisfy the display-name rule of spec §6.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._records import ArchivedAccount, EtwinLink, GameKind, User, link_key
from eternaltwin.sandbox._store import Store

__all__ = ["NAMES", "generate_population", "random_uuid"]

# (display name, ASCII romanisation used for the username), grouped by script; all NFC, no combining marks.
NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "latin": (
        ("Amélie", "amelie"),
        ("Zoë", "zoe"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Anaïs", "anais"),
        ("Bérénice", "berenice"),
        ("Çağla", "cagla"),
        ("Émile", "emile"),
        ("François", "francois"),
        ("Gaëlle", "gaelle"),
        ("Hélène", "helene"),
        ("Iñigo", "inigo"),
        ("Jürgen", "jurgen"),
        ("Maëlys", "maelys"),
        ("Noémie", "noemie"),
        ("Oğuz", "oguz"),
        ("Pål", "pal"),
        ("Renée", "renee"),
        ("Sébastien", "sebastien"),
        ("Tomáš", "tomas"),
        ("Václav", "vaclav"),
        ("Wojciech", "wojciech"),
        ("Zoltán", "zoltan"),
        ("Björn", "bjorn"),
        ("Žofia", "zofia"),
        ("Mira", "mira"),
        ("Nico", "nico"),
        ("Léa", "lea"),
        ("Chloé", "chloe"),
        ("Ingrid", "ingrid"),
        ("Dāvis", "davis"),
        ("Ægir", "aegir"),
    ),
    "cyrillic": (
        ("Ольга", "olga"),
        ("Дмитрий", "dmitri"),
        ("Наталья", "natalia"),
        ("Иван", "ivan"),
        ("Юлия", "yulia"),
        ("Сергей", "sergei"),
        ("Алёна", "alyona"),
        ("Пётр", "pyotr"),
        ("Ксения", "ksenia"),
        ("Богдан", "bogdan"),
        ("Олександр", "oleksandr"),
        ("Їжачок", "yizhachok"),
    ),
    "greek": (
        ("Νίκος", "nikos"),
        ("Ελένη", "eleni"),
        ("Γιώργος", "giorgos"),
        ("Σοφία", "sofia"),
        ("Δημήτρης", "dimitris"),
        ("Αθηνά", "athina"),
        ("Κώστας", "kostas"),
        ("Μαρία", "maria"),
    ),
    "kana": (
        ("さくら", "sakura"),
        ("はると", "haruto"),
        ("ゆい", "yui"),
        ("ひなた", "hinata"),
        ("カズキ", "kazuki"),
        ("ミサキ", "misaki"),
        ("レン", "ren"),
        ("アオイ", "aoi"),
        ("ユウト", "yuto"),
        ("ルーシー", "lucy"),
    ),
    "arabic": (
        ("ليلى", "layla"),
        ("يوسف", "yusuf"),
        ("فاطمة", "fatima"),
        ("عمر", "omar"),
        ("مريم", "maryam"),
        ("خالد", "khalid"),
        ("نور", "nour"),
    ),
    "hangul": (("민준", "minjun"), ("서연", "seoyeon"), ("지호", "jiho"), ("하은", "haeun")),
    "han": (("小明", "xiaoming"), ("王芳", "wangfang"), ("李雷", "lilei"), ("美玲", "meiling")),
    "hebrew": (("נועה", "noa"), ("דוד", "david"), ("תמר", "tamar")),
}
# How often each script is drawn (Latin most often, like the real user base).
_SCRIPT_WEIGHTS = {
    "latin": 40,
    "cyrillic": 12,
    "greek": 8,
    "kana": 12,
    "arabic": 8,
    "hangul": 7,
    "han": 7,
    "hebrew": 6,
}
_FAMILY_NAMES = (
    "Durand",
    "Müller",
    "García",
    "Nowak",
    "Øvergaard",
    "Dupont",
    "Şahin",
    "Novák",
    "Rossi",
    "Lefèvre",
    "Kowalski",
    "Silva",
    "Ibáñez",
    "Åberg",
)
_LATIN_DECORATIONS = ("", "", "", "", " (FR)", " (ES)", "_", " le Grand", "2", " 42")
_OTHER_DECORATIONS = ("", "", "", "", "_", "2", " 42")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HAMMERFEST_SERVERS = ("hammerfest.fr", "hfest.net", "hammerfest.es")
_DINOPARC_SERVERS = ("dinoparc.com", "en.dinoparc.com", "sp.dinoparc.com")
_REMOTES: tuple[tuple[GameKind, str], ...] = (
    *(("hammerfest", s) for s in _HAMMERFEST_SERVERS),
    *(("dinoparc", s) for s in _DINOPARC_SERVERS),
    ("twinoid", "twinoid.com"),
)
# Archived ids of generated accounts start here, clear of the demo accounts' small ids.
_FIRST_GENERATED_ARCHIVE_ID = 100_000


def random_uuid(rng: random.Random) -> str:
    """A lowercase v4 UUID drawn from ``rng`` (deterministic for a seeded generator)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ms(year: int) -> int:
    return int((datetime(year, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds() * 1000)


def generate_population(n: int, store: Store, *, first_index: int = 0) -> list[User]:
    """Generate ``n`` users (with their archived game accounts) into ``store``.

    Parameters
    ----------
    n : int
        How many users.
    store : Store
        Receives the users (pre-sorted, in one bulk insert) and the archived accounts.
    first_index : int
        Added to the index used in generated usernames (to stay clear of existing ones).

    Returns
    -------
    list of User
        The generated users, in generation order.
    """
    if n < 0:
        raise ValueError("population must be >= 0")
    rng = random.Random(_choices.POPULATION_SEED)
    scripts = list(_SCRIPT_WEIGHTS)
    weights = list(_SCRIPT_WEIGHTS.values())
    start_ms, end_ms = _ms(_choices.POPULATION_FIRST_YEAR), _ms(_choices.POPULATION_LAST_YEAR)
    period_end = _EPOCH + timedelta(milliseconds=end_ms)
    users: list[User] = []
    archive_id = _FIRST_GENERATED_ARCHIVE_ID
    for index in range(first_index, first_index + n):
        script = rng.choices(scripts, weights)[0]
        display, roman = rng.choice(NAMES[script])
        if script == "latin" and rng.random() < 0.4:
            family = rng.choice(_FAMILY_NAMES)
            display = f"{display} {family}"
        decorations = _LATIN_DECORATIONS if script == "latin" else _OTHER_DECORATIONS
        display = (display + rng.choice(decorations)).strip()
        username: str | None = None
        if rng.random() >= _choices.POPULATION_NO_USERNAME_RATE:
            username = f"{roman}{index}" if rng.random() < 0.6 else f"{roman}_{index}"
            while store.user_by_username(username) is not None:  # a seeded user took it
                username += "_"
        created_at = _EPOCH + timedelta(milliseconds=rng.randrange(start_ms, end_ms))
        user = User(
            id=random_uuid(rng),
            username=username,
            display_name=display,
            created_at=created_at,
            is_administrator=rng.random() < _choices.POPULATION_ADMIN_RATE,
            password_is_username=_choices.POPULATION_PASSWORD_IS_USERNAME,
        )
        if rng.random() < _choices.POPULATION_DELETED_RATE:
            # Never after the end of the generated period: no account is deleted in the future.
            user.deleted_at = min(
                created_at + timedelta(milliseconds=rng.randrange(86_400_000, 3 * 365 * 86_400_000)),
                period_end,
            )
        if rng.random() < _choices.POPULATION_LINKED_RATE:
            for kind, server in rng.sample(_REMOTES, rng.randrange(1, 4)):
                archive_id += 1
                name = display if kind == "twinoid" else f"{roman[:7]}{archive_id % 100_000}"
                account = ArchivedAccount(
                    kind=kind,
                    server=server,
                    id=str(archive_id),
                    name=name,
                    archived_at=min(created_at + timedelta(days=rng.randrange(1, 900)), period_end),
                    seed=rng.getrandbits(32),
                    generated=True,
                )
                store.add_archived(account)
                user.links[link_key(kind, server)] = account
                link_time = created_at + timedelta(seconds=rng.randrange(60, 86_400 * 365))
                account.etwin = EtwinLink(user_id=user.id, time=link_time, by_user_id=user.id)
        users.append(user)
    store.add_users_bulk(users)
    return users
