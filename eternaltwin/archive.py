"""Archived game accounts (Hammerfest, Dinoparc, Twinoid) and Dinoparc dinoz, as the archive endpoints
answer them.

Plain frozen dataclasses, parsed from the shapes of spec §3.9 and §11.3: each checks the reply's ``type``
(a ``DinoparcDinoz`` given to the ``DinoparcUser`` parser raises
:class:`~eternaltwin.exceptions.UnexpectedResponseError` naming both), unwraps the archive's latest
snapshots (``{"latest": {"period": ..., "retrieved": ..., "value": V}}`` -> ``V``; a ``null`` member is
None) and types what it holds. Everything the server sent stays in ``raw``.

The account classes have rich displays in notebooks; the parts (profiles, references, dinoz) have plain
dataclass reprs for now.

Values are typed as the real server sends them: Dinoparc reward ids are decimal *strings* and epic rewards
string keys (``sum(user.collection.rewards)`` is a mistake: convert with ``int`` first); item ids are
strings too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eternaltwin._parsing import expect_mapping, optional_datetime, optional_str, parse_datetime, require_id
from eternaltwin._repr import RichRepr
from eternaltwin.exceptions import UnexpectedResponseError
from eternaltwin.users import User, _client

__all__ = [
    "DinoparcCollection",
    "DinoparcDinoz",
    "DinoparcDinozRef",
    "DinoparcElements",
    "DinoparcUser",
    "DinoparcUserRef",
    "HammerfestProfile",
    "HammerfestUser",
    "TwinoidUser",
]


# -- checked reading of archive members ---------------------------------------------------------------


def _check_type(obj: Mapping[str, Any], expected: str, what: str) -> None:
    """Refuse an object whose ``type`` tag is another entity's (a missing tag is accepted)."""
    kind = obj.get("type")
    if kind is None or kind == expected:
        return
    shown = f"{kind:.40}" if isinstance(kind, str) else type(kind).__name__
    raise UnexpectedResponseError(
        f"Expected a {expected} for the {what}, got a {shown}: the reply is another kind of object "
        "(was the right route or parser used?)."
    )


def _etwin_user(obj: Mapping[str, Any], what: str) -> User | None:
    link = obj.get("etwin")
    if not isinstance(link, Mapping):
        return None
    current = link.get("current")
    if current is None:
        return None
    user = expect_mapping(current, f"{what} etwin.current").get("user")
    return None if user is None else User.from_json(user)


def _latest(obj: Mapping[str, Any], key: str, what: str) -> Any:
    """The value of the latest-snapshot member ``key`` (``{"latest": {..., "value": v}}``), or None when
    the member is absent or null."""
    wrapper = obj.get(key)
    if wrapper is None:
        return None
    if isinstance(wrapper, Mapping):
        latest = wrapper.get("latest")
        if latest is None:
            return None
        if isinstance(latest, Mapping):
            return latest.get("value")
    raise UnexpectedResponseError(
        f"The {what} has {key}={type(wrapper).__name__}, "
        'expected null or {"latest": {..., "value": ...}}.'
    )


def _snapshot(obj: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    """An object member that may come bare or in a latest-snapshot wrapper (the Hammerfest profile and
    items), or None."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, Mapping) and "latest" in value:
        value = _latest(obj, key, what)
        if value is None:
            return None
    return expect_mapping(value, f"{what}'s {key}")


def _wrong(what: str, expected: str, value: Any) -> UnexpectedResponseError:
    return UnexpectedResponseError(f"The {what} is {type(value).__name__}, expected {expected}.")


def _int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(what, "an integer", value)
    return value


def _bool(value: Any, what: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _wrong(what, "true or false", value)
    return value


def _text(value: Any, what: str, *, numbers: bool = False) -> str | None:
    """A string; with ``numbers``, an integer is taken as its decimal string (ids the sandbox sends as
    numbers where the real server sends strings)."""
    if value is None or isinstance(value, str):
        return value
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _wrong(what, "a string", value)


def _counts(value: Any, what: str) -> Mapping[str, int] | None:
    """A ``{id: count}`` object."""
    if value is None:
        return None
    obj = expect_mapping(value, what)
    for key, count in obj.items():
        if isinstance(count, bool) or not isinstance(count, int):
            raise _wrong(f"{what}[{key!r}]", "an integer", count)
    return dict(obj)


def _flags(value: Any, what: str) -> Mapping[str, bool]:
    obj = expect_mapping(value, what)
    for key, flag in obj.items():
        if not isinstance(flag, bool):
            raise _wrong(f"{what}[{key!r}]", "true or false", flag)
    return dict(obj)


def _labels(value: Any, what: str) -> Mapping[str, str]:
    obj = expect_mapping(value, what)
    for key, label in obj.items():
        if not isinstance(label, str):
            raise _wrong(f"{what}[{key!r}]", "a string", label)
    return dict(obj)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _wrong(what, "a list", value)
    return tuple(str(_text(item, f"{what}[{index}]", numbers=True)) for index, item in enumerate(value))


def _stamp(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(what, "a timestamp string", value)
    try:
        return parse_datetime(value)
    except ValueError:
        raise UnexpectedResponseError(f"The {what} is {value!r}, which is not a timestamp.") from None


# -- Hammerfest ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HammerfestProfile:
    """The archived public profile of a Hammerfest account.

    Attributes
    ----------
    first_archived_at, last_archived_at : datetime or None
        When the profile was first and last seen by the archive.
    best_score, best_level : int or None
    game_completed : bool or None
        Whether the player finished the game.
    items : Mapping[str, bool]
        Item id -> whether the player has unlocked it.
    quests : Mapping[str, str]
        Quest id -> ``"None"``, ``"Pending"`` or ``"Complete"`` (kept as sent).
    """

    first_archived_at: datetime | None
    last_archived_at: datetime | None
    best_score: int | None
    best_level: int | None
    game_completed: bool | None
    items: Mapping[str, bool] = field(default_factory=dict)
    quests: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> HammerfestProfile:
        """Parse a profile object (members that are missing or null are None or empty).

        Raises
        ------
        UnexpectedResponseError
            Naming a member of the wrong type.
        """
        what = "Hammerfest profile"
        obj = expect_mapping(data, what)
        items, quests = obj.get("items"), obj.get("quests")
        return cls(
            first_archived_at=_stamp(obj.get("first_archived_at"), f"{what}'s first_archived_at"),
            last_archived_at=_stamp(obj.get("last_archived_at"), f"{what}'s last_archived_at"),
            best_score=_int(obj.get("best_score"), f"{what}'s best_score"),
            best_level=_int(obj.get("best_level"), f"{what}'s best_level"),
            game_completed=_bool(obj.get("game_completed"), f"{what}'s game_completed"),
            items={} if items is None else _flags(items, f"{what}'s items"),
            quests={} if quests is None else _labels(quests, f"{what}'s quests"),
        )

    @property
    def completed_quests(self) -> tuple[str, ...]:
        """The ids of the quests marked ``"Complete"``."""
        return tuple(quest for quest, status in self.quests.items() if status == "Complete")


@dataclass(frozen=True, slots=True)
class HammerfestUser(RichRepr):
    """An archived Hammerfest account.

    Attributes
    ----------
    server : str
        ``"hammerfest.fr"``, ``"hfest.net"`` or ``"hammerfest.es"``.
    id : str
        The account id (decimal string).
    username : str or None
    archived_at : datetime or None
    etwin_user : User or None
        The Eternaltwin user the account is linked to, if any.
    best_score, best_level : int or None
        From the archived profile, when there is one.
    profile : HammerfestProfile or None
        The archived profile (quests, unlocked items, game completed).
    items : Mapping[str, int] or None
        The archived inventory: item id -> count; None when not archived.
    raw : Mapping
        The whole reply.
    """

    server: str
    id: str
    username: str | None
    archived_at: datetime | None
    etwin_user: User | None
    best_score: int | None = None
    best_level: int | None = None
    profile: HammerfestProfile | None = None
    items: Mapping[str, int] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> HammerfestUser:
        """Parse a ``HammerfestUser`` object (its profile and items bare or as latest snapshots).

        Raises
        ------
        UnexpectedResponseError
            For another kind of object, or a member of the wrong type (named).
        """
        what = "Hammerfest user"
        obj = expect_mapping(data, what)
        _check_type(obj, "HammerfestUser", what)
        profile_obj = _snapshot(obj, "profile", what)
        profile = None if profile_obj is None else HammerfestProfile.from_json(profile_obj)
        inventory = _snapshot(obj, "items", what)
        if inventory is not None and isinstance(inventory.get("items"), Mapping):
            inventory = inventory["items"]  # {first_archived_at, last_archived_at, items: {id: count}}
        return cls(
            server=optional_str(obj, "server", what) or "",
            id=require_id(obj, what),
            username=optional_str(obj, "username", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            best_score=None if profile is None else profile.best_score,
            best_level=None if profile is None else profile.best_level,
            profile=profile,
            items=_counts(inventory, f"{what}'s items"),
            raw=obj,
        )

    @property
    def game_completed(self) -> bool | None:
        """Whether the player finished the game (from the profile; None without one)."""
        return None if self.profile is None else self.profile.game_completed


# -- Dinoparc -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DinoparcUserRef:
    """A short reference to a Dinoparc account (a dinoz's owner).

    Attributes
    ----------
    server : str
    id : str
    username : str or None
    """

    server: str
    id: str
    username: str | None = None

    @classmethod
    def from_json(cls, data: Any, what: str = "Dinoparc user reference") -> DinoparcUserRef:
        """Parse ``{"type": "DinoparcUser", "server", "id", "username"}``."""
        obj = expect_mapping(data, what)
        _check_type(obj, "DinoparcUser", what)
        return cls(
            server=optional_str(obj, "server", what) or "",
            id=require_id(obj, what),
            username=optional_str(obj, "username", what),
        )


@dataclass(frozen=True, slots=True)
class DinoparcDinozRef:
    """A dinoz as a Dinoparc account lists it: enough to fetch it.

    ``client.archive.dinoparc_dinoz(ref.server, ref.id)``, or ``ref.get(using=...)``.

    Attributes
    ----------
    server : str
    id : str
    name : str or None
        Only when the server sends it (the real server's references carry no name).
    """

    server: str
    id: str
    name: str | None = None

    @classmethod
    def from_json(cls, data: Any, server: str = "", what: str = "dinoz reference") -> DinoparcDinozRef:
        """Parse ``{"type": "DinoparcDinoz", "server", "id"}`` (``server`` fills a missing one)."""
        obj = expect_mapping(data, what)
        _check_type(obj, "DinoparcDinoz", what)
        return cls(
            server=optional_str(obj, "server", what) or server,
            id=require_id(obj, what),
            name=_text(obj.get("name"), f"{what}'s name"),
        )

    def get(self, using: str | None = None) -> DinoparcDinoz:
        """The archived dinoz (``client.archive.dinoparc_dinoz`` on the connection ``using``).

        Raises
        ------
        NotFoundError
            When the archive does not hold it.
        """
        archive: _ArchiveOperations = _client(using).archive
        return archive.dinoparc_dinoz(self.server, self.id)

    async def aget(self, using: str | None = None) -> DinoparcDinoz:
        """Async :meth:`get` (on ``async_connections``)."""
        archive: _AsyncArchiveOperations = _client(using, asynchronous=True).archive
        return await archive.dinoparc_dinoz(self.server, self.id)


@dataclass(frozen=True, slots=True)
class DinoparcElements:
    """A dinoz's elements (levels)."""

    fire: int
    earth: int
    water: int
    thunder: int
    air: int

    @classmethod
    def from_json(cls, data: Any, what: str = "dinoz elements") -> DinoparcElements:
        """Parse ``{"fire", "earth", "water", "thunder", "air"}`` (integers)."""
        obj = expect_mapping(data, what)
        values: dict[str, int] = {}
        for name in ("fire", "earth", "water", "thunder", "air"):
            value = _int(obj.get(name), f"{what}' {name}")
            if value is None:
                raise UnexpectedResponseError(f"The {what} have no {name!r} (expected an integer).")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class DinoparcDinoz:
    """An archived Dinoparc dinoz (``client.archive.dinoparc_dinoz(server, id)``).

    Every member but ``server``, ``id`` and ``archived_at`` comes from the archive's latest snapshot and is
    None when the archive has none.

    Attributes
    ----------
    server, id : str
    archived_at : datetime or None
        When the archive first saw it.
    name : str or None
    owner : DinoparcUserRef or None
    location : str or None
        A location id (a decimal string).
    race, skin : str or None
    life, level, experience, danger : int or None
    in_tournament : bool or None
    elements : DinoparcElements or None
    skills : Mapping[str, int] or None
        Skill name -> level (0 to 5).
    raw : Mapping
        The whole reply.
    """

    server: str
    id: str
    archived_at: datetime | None
    name: str | None = None
    owner: DinoparcUserRef | None = None
    location: str | None = None
    race: str | None = None
    skin: str | None = None
    life: int | None = None
    level: int | None = None
    experience: int | None = None
    danger: int | None = None
    in_tournament: bool | None = None
    elements: DinoparcElements | None = None
    skills: Mapping[str, int] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> DinoparcDinoz:
        """Parse a ``DinoparcDinoz`` object.

        Raises
        ------
        UnexpectedResponseError
            For another kind of object, or a member of the wrong type (named).
        """
        what = "Dinoparc dinoz"
        obj = expect_mapping(data, what)
        _check_type(obj, "DinoparcDinoz", what)

        def latest(key: str) -> Any:
            return _latest(obj, key, what)

        def member(key: str) -> str:
            return f"{what}'s {key}"

        owner, elements = latest("owner"), latest("elements")
        return cls(
            server=optional_str(obj, "server", what) or "",
            id=require_id(obj, what),
            archived_at=optional_datetime(obj, "archived_at", what),
            name=_text(latest("name"), member("name")),
            owner=None if owner is None else DinoparcUserRef.from_json(owner, member("owner")),
            location=_text(latest("location"), member("location"), numbers=True),
            race=_text(latest("race"), member("race")),
            skin=_text(latest("skin"), member("skin")),
            life=_int(latest("life"), member("life")),
            level=_int(latest("level"), member("level")),
            experience=_int(latest("experience"), member("experience")),
            danger=_int(latest("danger"), member("danger")),
            in_tournament=_bool(latest("in_tournament"), member("in_tournament")),
            elements=None if elements is None else DinoparcElements.from_json(elements, member("elements")),
            skills=_counts(latest("skills"), member("skills")),
            raw=obj,
        )

    @property
    def ref(self) -> DinoparcDinozRef:
        """This dinoz as a reference."""
        return DinoparcDinozRef(self.server, self.id, self.name)


@dataclass(frozen=True, slots=True)
class DinoparcCollection:
    """A Dinoparc account's collection.

    Attributes
    ----------
    rewards : tuple of str
        Reward ids, as decimal strings (the real server's type; integers are turned into strings).
    epic_rewards : tuple of str
        Epic reward keys (``"kabuki"``...).
    """

    rewards: tuple[str, ...] = ()
    epic_rewards: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any, what: str = "Dinoparc collection") -> DinoparcCollection:
        """Parse ``{"rewards": [...], "epic_rewards": [...]}`` (a missing list is empty)."""
        obj = expect_mapping(data, what)
        rewards, epic = obj.get("rewards"), obj.get("epic_rewards")
        return cls(
            rewards=() if rewards is None else _strings(rewards, f"{what}'s rewards"),
            epic_rewards=() if epic is None else _strings(epic, f"{what}'s epic_rewards"),
        )


@dataclass(frozen=True, slots=True)
class DinoparcUser(RichRepr):
    """An archived Dinoparc account.

    Attributes
    ----------
    server : str
        ``"dinoparc.com"``, ``"en.dinoparc.com"`` or ``"sp.dinoparc.com"``.
    id : str
    username : str or None
    archived_at : datetime or None
    etwin_user : User or None
    coins : int or None
        The latest archived coin count.
    dinoz : tuple of DinoparcDinozRef
        The latest archived dinoz list (empty when none is archived); fetch one with
        ``client.archive.dinoparc_dinoz(ref.server, ref.id)`` or ``ref.get()``.
    inventory : Mapping[str, int] or None
        Item id -> count.
    collection : DinoparcCollection or None
    raw : Mapping
    """

    server: str
    id: str
    username: str | None
    archived_at: datetime | None
    etwin_user: User | None
    coins: int | None = None
    dinoz: tuple[DinoparcDinozRef, ...] = ()
    inventory: Mapping[str, int] | None = None
    collection: DinoparcCollection | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> DinoparcUser:
        """Parse a ``DinoparcUser`` object.

        Raises
        ------
        UnexpectedResponseError
            For another kind of object (a ``DinoparcDinoz``...), or a member of the wrong type (named).
        """
        what = "Dinoparc user"
        obj = expect_mapping(data, what)
        _check_type(obj, "DinoparcUser", what)
        server = optional_str(obj, "server", what) or ""
        dinoz = _latest(obj, "dinoz", what)
        if dinoz is not None and not isinstance(dinoz, list):
            raise _wrong(f"{what}'s dinoz", "a list", dinoz)
        collection = _latest(obj, "collection", what)
        return cls(
            server=server,
            id=require_id(obj, what),
            username=optional_str(obj, "username", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            coins=_int(_latest(obj, "coins", what), f"{what}'s coins"),
            dinoz=tuple(
                DinoparcDinozRef.from_json(item, server, f"{what}'s dinoz[{index}]")
                for index, item in enumerate(dinoz or ())
            ),
            inventory=_counts(_latest(obj, "inventory", what), f"{what}'s inventory"),
            collection=None if collection is None else DinoparcCollection.from_json(collection),
            raw=obj,
        )


# -- Twinoid ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TwinoidUser(RichRepr):
    """An archived Twinoid account.

    Attributes
    ----------
    id : str
    display_name : str or None
    archived_at : datetime or None
    etwin_user : User or None
    raw : Mapping
    """

    id: str
    display_name: str | None
    archived_at: datetime | None
    etwin_user: User | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> TwinoidUser:
        """Parse a ``TwinoidUser`` object.

        Raises
        ------
        UnexpectedResponseError
            For another kind of object, or a member of the wrong type.
        """
        what = "Twinoid user"
        obj = expect_mapping(data, what)
        _check_type(obj, "TwinoidUser", what)
        return cls(
            id=require_id(obj, what),
            display_name=optional_str(obj, "display_name", what),
            archived_at=optional_datetime(obj, "archived_at", what),
            etwin_user=_etwin_user(obj, what),
            raw=obj,
        )


class _ArchiveOperations(Protocol):
    """What :meth:`DinoparcDinozRef.get` asks of ``client.archive`` (a sync client's)."""

    def dinoparc_dinoz(self, server: str, dinoz_id: str) -> DinoparcDinoz: ...


class _AsyncArchiveOperations(Protocol):
    """What :meth:`DinoparcDinozRef.aget` asks of ``client.archive`` (an async client's)."""

    def dinoparc_dinoz(self, server: str, dinoz_id: str) -> Awaitable[DinoparcDinoz]: ...
