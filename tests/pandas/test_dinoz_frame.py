"""``dinoz_frame`` (and ``adinoz_frame``, ``dinoz_skills_frame``): the users of ``pd_sandbox`` (their real
Dinoparc links) against :class:`FakeArchive`, a Dinoparc archive served through ``httpx.MockTransport`` to
inject faults and count requests.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest

from eternaltwin import pandas as frames
from eternaltwin.exceptions import (
    ArchiveFetchError,
    EternaltwinWarning,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
)
from eternaltwin.users import GAME_SITES, User

FAKE_URL = "http://archive.test"
_PATH = re.compile(r"^/api/v1/archive/dinoparc/([^/]+)/(users|dinoz)/([^/]+)$")
DINOPARC = ("dinoparc_com", "en_dinoparc_com", "sp_dinoparc_com")
RACES = ("Moueffe", "Picori", "Castivore", "Sirain", "Winks", "Gorriloz", "Planaille")
SKILLS = ("Force", "Endurance", "Escalade", "Nage", "Perception", "Intelligence", "Combat", "Camouflage")
START = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _snapshot(value: Any) -> Any:
    if value is None:
        return None
    start = _stamp(START)
    return {
        "latest": {"period": {"start": start, "end": None}, "retrieved": {"latest": start}, "value": value}
    }


class FakeArchive:
    """Dinoparc accounts (each listing 0 to 3 dinoz, decided by its id) and their dinoz, generated
    deterministically; the dinoz of account N are ``N*10+1...``, and every account whose id ends in 7
    also lists the first dinoz of account 1 (so some dinoz are listed twice).

    Attributes
    ----------
    faults : dict
        ``(kind, server, id) -> list`` of what to answer before the real reply, one per request: a status
        (JSON error body) or an exception instance. ``kind`` is ``"users"`` or ``"dinoz"``.
    always : dict
        ``(kind, server, id) -> status`` answered forever.
    requests : list of (kind, server, id)
    in_flight, max_in_flight, hold_until : int
        As in ``FakeServer`` (conftest.py): with ``hold_until``, requests wait until that many are in
        flight together (no timing involved).
    rewrite : callable or None
        ``rewrite(kind, server, id, reply) -> reply``.
    """

    def __init__(self) -> None:
        self.faults: dict[tuple[str, str, str], list[Any]] = {}
        self.always: dict[tuple[str, str, str], int] = {}
        self.requests: list[tuple[str, str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_until = 0
        self.rewrite: Callable[[str, str, str, dict[str, Any]], dict[str, Any]] | None = None

    @staticmethod
    def dinoz_ids(account_id: str) -> list[str]:
        count = random.Random(f"account {account_id}").randrange(0, 4)
        ids = [str(int(account_id) * 10 + n + 1) for n in range(count)]
        return [*ids, "11"] if account_id.endswith("7") and account_id != "1" else ids

    @staticmethod
    def user(server: str, account_id: str) -> dict[str, Any]:
        refs = [
            {"type": "DinoparcDinoz", "server": server, "id": i} for i in FakeArchive.dinoz_ids(account_id)
        ]
        return {
            "type": "DinoparcUser",
            "server": server,
            "id": account_id,
            "username": f"player{account_id}",
            "archived_at": _stamp(START),
            "coins": _snapshot(100),
            "dinoz": _snapshot(refs),
        }

    @staticmethod
    def dinoz(server: str, dinoz_id: str) -> dict[str, Any]:
        rng = random.Random(f"dinoz {dinoz_id}")
        owner = str(int(dinoz_id) // 10) if not dinoz_id.endswith("0") else "0"
        skills = {skill: rng.randrange(0, 6) for skill in rng.sample(SKILLS, rng.randrange(0, 5))}
        values = {
            "name": f"Dino{dinoz_id}",
            "owner": {"type": "DinoparcUser", "server": server, "id": owner, "username": f"player{owner}"},
            "location": str(rng.randrange(0, 23)),
            "race": rng.choice(RACES),
            "skin": f"{rng.randrange(16**6):06x}",
            "life": rng.randrange(0, 101),
            "level": rng.randrange(1, 60),
            "experience": rng.randrange(0, 100),
            "danger": rng.randrange(-100, 200),
            "in_tournament": rng.random() < 0.2,
            "elements": {e: rng.randrange(0, 12) for e in ("fire", "earth", "water", "thunder", "air")},
            "skills": skills,
        }
        archived = START + timedelta(days=int(dinoz_id) % 300)
        return {
            "type": "DinoparcDinoz",
            "server": server,
            "id": dinoz_id,
            "archived_at": _stamp(archived),
            **{key: _snapshot(value) for key, value in values.items()},
        }

    def count(self, kind: str, server: str, item: str) -> int:
        return self.requests.count((kind, server, item))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold_until:
                await self._hold()
            return self._answer(request)
        finally:
            self.in_flight -= 1

    async def _hold(self) -> None:
        for _ in range(10_000):  # each turn lets every other ready task run: plenty to get there
            if self.in_flight >= self.hold_until:
                self.hold_until = 0
            if not self.hold_until:
                return
            await asyncio.sleep(0)
        self.hold_until = 0

    def _answer(self, request: httpx.Request) -> httpx.Response:
        match = _PATH.match(request.url.path)
        if match is None:
            return httpx.Response(404, content=b"")
        server, kind, item = match.groups()
        key = (kind, server, item)
        self.requests.append(key)
        fault = self.always.get(key)
        if fault is None and self.faults.get(key):
            fault = self.faults[key].pop(0)
        if isinstance(fault, BaseException):
            raise fault
        if fault is not None:
            return httpx.Response(fault, json={"error": "Injected"})
        reply = self.user(server, item) if kind == "users" else self.dinoz(server, item)
        if self.rewrite is not None:
            reply = self.rewrite(kind, server, item, reply)
        return httpx.Response(200, json=reply)


# -- the expected frame, built independently --------------------------------------------------------


def expected(
    users: pd.DataFrame,
    account_json: Callable[[str, str], dict[str, Any]] = FakeArchive.user,
    dinoz_json: Callable[[str, str], dict[str, Any]] = FakeArchive.dinoz,
) -> pd.DataFrame:
    """The dinoz frame of ``users``, built row by row from the archive's JSON (FakeArchive's by default)."""
    rows = []
    seen = set()

    def latest(data: dict[str, Any], key: str) -> Any:
        return None if data.get(key) is None else data[key]["latest"]["value"]

    for _, user in users.iterrows():
        for site in DINOPARC:
            account = user[f"{site}_id"]
            server = GAME_SITES[site]
            if pd.isna(account) or (server, account) in seen:
                continue
            seen.add((server, account))
            for ref in latest(account_json(server, account), "dinoz") or []:
                data = dinoz_json(ref.get("server") or server, ref["id"])
                elements = latest(data, "elements") or dict.fromkeys(
                    ("fire", "earth", "water", "thunder", "air")
                )
                skills = latest(data, "skills")
                rows.append(
                    {
                        "user_id": user["id"],
                        "server": server,
                        "dinoparc_user_id": account,
                        "dinoz_id": str(ref["id"]),
                        **{
                            key: latest(data, key)
                            for key in ("name", "race", "skin", "level", "life", "experience", "danger")
                        },
                        "location": latest(data, "location"),
                        "in_tournament": latest(data, "in_tournament"),
                        **elements,
                        "skill_count": None if skills is None else len(skills),
                        "skills": skills,
                        "archived_at": pd.Timestamp(data["archived_at"]),
                    }
                )
    frame = pd.DataFrame(rows, columns=list(frames.DINOZ_COLUMNS))
    for name, dtype in frames.DINOZ_COLUMNS.items():
        if name != "skills":
            frame[name] = frame[name].astype(dtype)
    frame["skills"] = frame["skills"].astype(object)
    return frame


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


FIXED = {name: str(dtype) for name, dtype in frames.DINOZ_COLUMNS.items()}


@pytest.fixture(scope="session")
def users(all_records: list[dict[str, Any]]) -> pd.DataFrame:
    """The users of ``pd_sandbox``, with their Dinoparc links."""
    return frames.users_frame(all_records)


@pytest.fixture(scope="session")
def dinoparc_users(users: pd.DataFrame) -> pd.DataFrame:
    """The users with at least one Dinoparc account."""
    linked = users[[f"{site}_id" for site in DINOPARC]].notna().any(axis=1)
    return users[linked]


@pytest.fixture
def archive(
    point_at: Callable[[str, Any], Callable[..., Any]],
) -> tuple[FakeArchive, Callable[..., FakeArchive]]:
    """``(server, configure)``: a FakeArchive; ``configure(**options)`` points both registries at it
    (see ``point_at``)."""
    server = FakeArchive()
    return server, point_at(FAKE_URL, server)


ArchiveFixture = tuple[FakeArchive, Callable[..., FakeArchive]]


# -- tests ----------------------------------------------------------------------------------------------


def test_every_dinoz_of_every_linked_account(archive: ArchiveFixture, users: pd.DataFrame) -> None:
    server, configure = archive
    configure()
    frame = frames.dinoz_frame(users, progress=False)
    assert dtypes(frame) == FIXED
    pd.testing.assert_frame_equal(frame, expected(users))
    accounts = sum(users[f"{site}_id"].notna().sum() for site in DINOPARC)
    assert accounts > 100 and len(frame) > accounts  # the sandbox's users link many accounts
    # Each account read once, each dinoz once, though dinoz 11 is listed by several accounts.
    assert len(server.requests) == len(set(server.requests))
    assert sum(1 for kind, _, _ in server.requests if kind == "users") == accounts
    assert (frame["dinoz_id"] == "11").sum() > 1 and server.count("dinoz", "dinoparc.com", "11") <= 1


async def test_async_twin_is_the_same(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    _, configure = archive
    configure()
    frame = await frames.adinoz_frame(dinoparc_users.head(40), concurrency=3, progress=False)
    pd.testing.assert_frame_equal(frame, expected(dinoparc_users.head(40)))


def test_users_as_objects_and_repeated(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    _, configure = archive
    configure()
    some = dinoparc_users.head(10)
    objects = some.eternaltwin.users()
    assert all(isinstance(user, User) for user in objects)
    pd.testing.assert_frame_equal(frames.dinoz_frame(objects, progress=False), expected(some))
    # A user given twice: the accounts come once, where they first came.
    twice = pd.concat([some, some.head(3)], ignore_index=True)
    pd.testing.assert_frame_equal(frames.dinoz_frame(twice, progress=False), expected(some))


def test_fetched_concurrently_and_bounded(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    server, configure = archive
    server.hold_until = 3  # the first requests wait until 3 are in flight together
    configure()
    frame = frames.dinoz_frame(dinoparc_users.head(30), concurrency=3, progress=False)
    pd.testing.assert_frame_equal(frame, expected(dinoparc_users.head(30)))
    assert server.max_in_flight == 3


def test_the_clients_retries_recover(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    server, configure = archive
    configure(max_retries=2, retry_backoff=0.001)
    some = dinoparc_users.head(20)
    frame = expected(some)
    account = ("users", frame["server"][0], frame["dinoparc_user_id"][0])
    dinoz = ("dinoz", frame["server"][1], frame["dinoz_id"][1])
    server.faults[account] = [503, httpx.ConnectError("refused")]
    server.faults[dinoz] = [502]
    pd.testing.assert_frame_equal(frames.dinoz_frame(some, progress=False), frame)
    assert server.count(*account) == 3 and server.count(*dinoz) == 2


def test_a_failing_account_ends_the_fetch(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    server, configure = archive
    configure(max_retries=1, retry_backoff=0.001)
    frame = expected(dinoparc_users.head(20))
    where, account = frame["server"][5], frame["dinoparc_user_id"][5]
    server.always[("users", where, account)] = 503
    with pytest.raises(ArchiveFetchError) as caught:
        frames.dinoz_frame(dinoparc_users.head(20), progress=False)
    error = caught.value
    assert str(error).startswith(f"Could not fetch the Dinoparc user {where}/{account}, asked 2 times: ")
    assert (error.kind, error.server, error.id, error.owner, error.attempts) == (
        "Dinoparc user",
        where,
        account,
        None,
        2,
    )
    assert isinstance(error.__cause__, ServerError)


async def test_a_missing_dinoz_names_its_account(
    archive: ArchiveFixture, dinoparc_users: pd.DataFrame
) -> None:
    server, configure = archive
    configure()
    frame = expected(dinoparc_users.head(20))
    row = frame.iloc[-1]
    server.always[("dinoz", row["server"], row["dinoz_id"])] = 404
    with pytest.raises(ArchiveFetchError) as caught:
        await frames.adinoz_frame(dinoparc_users.head(20), progress=False)
    error = caught.value
    owner = f"{row['server']}/{row['dinoparc_user_id']}"
    assert error.owner == owner and error.kind == "Dinoparc dinoz" and error.id == row["dinoz_id"]
    assert (
        f"the Dinoparc dinoz {row['server']}/{row['dinoz_id']} (listed by the Dinoparc user {owner})"
        in str(error)
    )
    assert isinstance(error.__cause__, NotFoundError)
    current = asyncio.current_task()
    assert all(task is current or task.done() for task in asyncio.all_tasks())  # none left running


def test_a_reply_of_another_kind(
    archive: ArchiveFixture, dinoparc_users: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    server, configure = archive
    configure()

    def rewrite(kind: str, where: str, item: str, reply: dict[str, Any]) -> dict[str, Any]:
        return {**reply, "type": "DinoparcUser"} if kind == "dinoz" else reply

    server.rewrite = rewrite
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(ArchiveFetchError, match="Expected a DinoparcDinoz for the Dinoparc dinoz, got a"):
            frames.dinoz_frame(dinoparc_users.head(5), progress=False)
        gc.collect()
    # Several workers failed at once: one failure is raised, and every other one was retrieved (no
    # "Task exception was never retrieved" logged when their tasks are collected).
    assert not [record for record in caplog.records if "never retrieved" in record.getMessage()]


def test_what_the_archive_lacks_is_missing(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    server, configure = archive
    configure()
    blank = ("name", "race", "skin", "life", "level", "experience", "danger", "location", "in_tournament")

    def rewrite(kind: str, where: str, item: str, reply: dict[str, Any]) -> dict[str, Any]:
        if kind == "dinoz":
            reply.update(dict.fromkeys((*blank, "elements", "skills", "archived_at")))
        return reply

    server.rewrite = rewrite
    frame = frames.dinoz_frame(dinoparc_users.head(10), progress=False)
    assert dtypes(frame) == FIXED and len(frame) == len(expected(dinoparc_users.head(10)))
    for column in (*blank, "fire", "air", "skill_count", "archived_at"):
        assert frame[column].isna().all(), column
    assert frame["skills"].map(lambda skills: skills is None).all()
    assert frame["dinoz_id"].notna().all() and frame["user_id"].notna().all()


async def test_no_account_gives_an_empty_typed_frame(archive: ArchiveFixture, users: pd.DataFrame) -> None:
    server, configure = archive
    configure()
    unlinked = users[users[[f"{site}_id" for site in DINOPARC]].isna().all(axis=1)].head(5)
    for given in (users.head(0), [], unlinked):
        frame = frames.dinoz_frame(given, progress=False)
        assert frame.empty and dtypes(frame) == FIXED
        frame = await frames.adinoz_frame(given, progress=False)
        assert frame.empty and list(frame.columns) == list(frames.DINOZ_COLUMNS)
    assert server.requests == []
    assert frames.dinoz_skills_frame(frame).empty


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        (42, "not int"),
        ("alice", "not str"),
        ({"id": "x"}, "not dict"),
        ([3], "users_frame() takes Users, SearchPages or user JSON objects, not int."),
        (pd.DataFrame({"id": ["x"]}), "without the column(s) dinoparc_com_id, en_dinoparc_com_id"),
    ],
)
async def test_bad_users_are_refused_before_any_request(
    archive: ArchiveFixture, given: Any, fragment: str
) -> None:
    server, configure = archive
    configure()
    with pytest.raises(InvalidArgumentError, match=re.escape(fragment)):
        frames.dinoz_frame(given)
    with pytest.raises(InvalidArgumentError, match=re.escape(fragment)):
        await frames.adinoz_frame(given)
    with pytest.raises(ValueError, match="concurrency"):
        frames.dinoz_frame([], concurrency=0)
    assert server.requests == []


def test_progress_bar_counts_dinoz(
    archive: ArchiveFixture, dinoparc_users: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    _, configure = archive
    configure()
    frame = frames.dinoz_frame(dinoparc_users.head(10), progress=True)
    distinct = len(frame.drop_duplicates(["server", "dinoz_id"]))
    err = capsys.readouterr().err
    assert "Dinoz" in err and f"{distinct}/{distinct}" in err
    frames.dinoz_frame(dinoparc_users.head(10))  # few accounts: no bar by default
    assert "Dinoz" not in capsys.readouterr().err


def test_skills_frame(archive: ArchiveFixture, dinoparc_users: pd.DataFrame) -> None:
    _, configure = archive
    configure()
    dinoz = frames.dinoz_frame(dinoparc_users.head(30), progress=False)
    skills = frames.dinoz_skills_frame(dinoz)
    assert dtypes(skills) == {name: str(dtype) for name, dtype in frames.DINOZ_SKILL_COLUMNS.items()}
    assert len(skills) == dinoz["skill_count"].sum() > 0
    for (server, dinoz_id, held), (_, row) in zip(
        [
            (s, d, k)
            for s, d, k in zip(dinoz["server"], dinoz["dinoz_id"], dinoz["skills"], strict=True)
            for _ in k
        ],
        skills.iterrows(),
        strict=True,
    ):
        assert (row["server"], row["dinoz_id"]) == (server, dinoz_id) and held[row["skill"]] == row["level"]
    wide = skills.pivot_table(index="dinoz_id", columns="skill", values="level")
    assert set(wide.columns) <= set(SKILLS)
    with pytest.raises(InvalidArgumentError, match="takes a dinoz frame"):
        frames.dinoz_skills_frame(dinoparc_users)


# -- against the sandbox ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_expected(pd_sandbox: Any, users: pd.DataFrame) -> pd.DataFrame:
    """The dinoz frame of every user of ``pd_sandbox``, read sequentially with plain httpx (the reference)."""
    with httpx.Client(base_url=pd_sandbox.url) as http:

        def get(path: str) -> dict[str, Any]:
            reply = http.get(path)
            reply.raise_for_status()
            data: dict[str, Any] = reply.json()
            return data

        return expected(
            users,
            lambda server, account: get(f"/api/v1/archive/dinoparc/{server}/users/{account}"),
            lambda server, dinoz_id: get(f"/api/v1/archive/dinoparc/{server}/dinoz/{dinoz_id}"),
        )


def test_against_the_sandbox(pd_connected: Any, users: pd.DataFrame, sandbox_expected: pd.DataFrame) -> None:
    frame = frames.dinoz_frame(users, progress=False)
    assert dtypes(frame) == FIXED and len(frame) > 400  # 489 dinoz for the 1,000 generated users
    pd.testing.assert_frame_equal(frame, sandbox_expected)
    assert frame["race"].nunique() > 3 and frame["skill_count"].min() >= 1 and frame["level"].notna().all()


async def test_async_against_the_sandbox(
    pd_connected: Any, dinoparc_users: pd.DataFrame, sandbox_expected: pd.DataFrame
) -> None:
    some = dinoparc_users.head(25)
    frame = await frames.adinoz_frame(some, concurrency=4, progress=False)
    wanted = sandbox_expected[sandbox_expected["user_id"].isin(some["id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, wanted)


def test_a_time_beyond_pandas_range_is_missing_with_a_warning(
    archive: ArchiveFixture, dinoparc_users: pd.DataFrame
) -> None:
    server, configure = archive
    configure()

    def rewrite(kind: str, where: str, item: str, reply: dict[str, Any]) -> dict[str, Any]:
        return {**reply, "archived_at": "3021-03-04T05:06:07.000Z"} if kind == "dinoz" else reply

    server.rewrite = rewrite
    with pytest.warns(EternaltwinWarning, match="outside what a datetime64"):
        frame = frames.dinoz_frame(dinoparc_users.head(5), progress=False)
    assert dtypes(frame) == FIXED and len(frame) > 0 and frame["archived_at"].isna().all()
