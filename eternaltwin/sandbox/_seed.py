"""Fill a fresh :class:`Store` from a :class:`SandboxConfig` and a population size."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._config import SandboxConfig, ServerOptions
from eternaltwin.sandbox._forum import default_sections, seed_forum
from eternaltwin.sandbox._population import generate_population, random_uuid
from eternaltwin.sandbox._records import ArchivedAccount, GameKind, User
from eternaltwin.sandbox._store import Store

__all__ = ["DemoUser", "SeededApp", "seed_store"]


@dataclass(frozen=True, slots=True)
class SeededApp:
    """An OAuth app registered at start-up, with its plain-text secret (for demos and tests).

    Attributes
    ----------
    name : str
        Config table name.
    key : str
        Client key, ``name@clients``.
    id : str
        Client UUID.
    secret : str
        Plain-text client secret.
    display_name, uri, oauth_callback : str
        As registered.
    """

    name: str
    key: str
    id: str
    secret: str = field(repr=False)
    display_name: str
    uri: str
    oauth_callback: str


@dataclass(frozen=True, slots=True)
class DemoUser:
    """Credentials of a seeded user.

    Attributes
    ----------
    username, password : str
        Login and plain-text password (send it hex-encoded to ``PUT /api/v1/auth/self``).
    display_name : str
        Display name.
    is_administrator : bool
        Whether the user is an administrator.
    id : str
        User UUID.
    """

    username: str
    password: str = field(repr=False)
    display_name: str
    is_administrator: bool
    id: str


# Archived game accounts of the demo users: (username, kind, server, id, name); name None = not linked.
_DEMO_ARCHIVES: tuple[tuple[str | None, GameKind, str, str, str], ...] = (
    ("alice", "hammerfest", "hammerfest.fr", "127", "alice"),
    ("alice", "twinoid", "twinoid.com", "38", "Alice"),
    ("bob", "dinoparc", "en.dinoparc.com", "58", "bob"),
    ("bob", "hammerfest", "hfest.net", "201", "bobby"),
    (None, "hammerfest", "hammerfest.es", "42", "pablo"),
    (None, "dinoparc", "dinoparc.com", "7", "dino7"),
    (None, "twinoid", "twinoid.com", "1001", "Orphan"),
)


def _stable_uuid(label: str) -> str:
    return random_uuid(random.Random(f"eternaltwin-sandbox:{label}"))


def seed_store(
    config: SandboxConfig, population: int, now: datetime, options: ServerOptions | None = None
) -> tuple[Store, list[SeededApp], list[DemoUser]]:
    """Build the store.

    Seeded apps and users get ids that depend only on their names (stable across restarts, like
    fixtures); sessions, codes and tokens stay random.

    Parameters
    ----------
    config : SandboxConfig
        Apps and users to seed.
    population : int
        Number of generated users added after the seeded ones.
    now : datetime
        Creation time of the seeded users.
    options : ServerOptions, optional
        How tokens and codes behave (default: ``config.options``).
    """
    options = options or config.options
    store = Store(
        access_token_lifetime=options.access_token_lifetime,
        refresh_tokens=options.refresh_tokens,
        single_use_codes=options.refresh_tokens,  # RFC 6749's lifecycle comes whole with refresh tokens
    )
    apps: list[SeededApp] = []
    for app in config.apps:
        client = store.add_client(
            name=app.name,
            display_name=app.display_name,
            uri=app.uri,
            oauth_callback=app.oauth_callback,
            secret=app.secret,
            client_id=_stable_uuid(f"app:{app.name}"),
        )
        apps.append(
            SeededApp(
                app.name, client.key, client.id, app.secret, app.display_name, app.uri, app.oauth_callback
            )
        )
    users: list[DemoUser] = []
    by_username: dict[str, User] = {}
    for seed in config.users:
        user = store.add_user(
            username=seed.username,
            display_name=seed.display_name or seed.username,
            created_at=now,
            password=seed.password.encode("utf-8"),
            is_administrator=seed.is_administrator,
            user_id=_stable_uuid(f"user:{seed.username}"),
        )
        by_username[seed.username] = user
        users.append(
            DemoUser(seed.username, seed.password, user.display_name, user.is_administrator, user.id)
        )
    if config.demo:
        for owner, kind, server, account_id, name in _DEMO_ARCHIVES:
            account = store.add_archived(
                ArchivedAccount(
                    kind=kind,
                    server=server,
                    id=account_id,
                    name=name,
                    archived_at=datetime(2021, 3, 4, 5, 6, 7, 89000, tzinfo=now.tzinfo),
                    seed=int(account_id),
                )
            )
            if owner is not None and owner in by_username:
                store.link(by_username[owner], account, now + timedelta(milliseconds=1))
    generated = generate_population(population, store) if population else []
    demo = [by_username[name] for name, *_ in _choices.DEMO_USERS if name in by_username]
    seed_forum(
        store.forum,
        config.forum_sections or default_sections(),
        [*by_username.values(), *generated],
        demo=demo if config.demo else (),
        now=now,
        population=population,
    )
    return store, apps, users
