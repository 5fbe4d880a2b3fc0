"""The corpus of real shapes (tests/fixtures/, written from the spec's shapes): each file parsed by the
parser the client uses for it, and what it must give checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eternaltwin.archive import (
    DinoparcCollection,
    DinoparcDinoz,
    DinoparcDinozRef,
    DinoparcElements,
    DinoparcUser,
    DinoparcUserRef,
    HammerfestUser,
    TwinoidUser,
)
from eternaltwin.clients import _calls
from eternaltwin.exceptions import (
    NotFoundError,
    RequestError,
    ServerError,
    UnauthorizedError,
    ValidationError,
    request_error_for,
)
from eternaltwin.responses import Response
from eternaltwin.tokens import Token
from eternaltwin.users import SearchPage, SearchRecords, User

CORPUS = Path(__file__).resolve().parents[1] / "fixtures"
MIRA = "5e0c7a14-93b2-4d6f-8a1e-2c4b6d8f0a13"
OTTO = "a7d2e9c1-4b3f-4e8a-9c5d-1f2e3a4b5c6d"


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def reply(name: str, url: str = "http://etwin.test/api/v1/auth/self") -> Response:
    """A fixture as a 200 JSON response."""
    return Response(url, 200, (CORPUS / name).read_bytes(), {"content-type": "application/json"})


def answer(name: str) -> Response:
    """An errors/ fixture as the response it describes."""
    spec = load(name)
    content = json.dumps(spec["body"]).encode() if "body" in spec else spec["text"].encode()
    headers = {} if spec["content_type"] is None else {"content-type": spec["content_type"]}
    return Response("http://etwin.test/api/v1/users/x", spec["status"], content, headers)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- users ----------------------------------------------------------------------------------------------


def check_short_user(data: Any) -> None:
    user = User.from_json(data)
    assert (user.identifier, user.display_name) == (MIRA, "Mira")
    assert user.created_at is None and user.is_administrator is None and not user.has_links


def check_default_user(data: Any) -> None:
    user = User.from_json(data)
    assert user.created_at == at("2021-01-15T09:20:31.407Z") and user.is_administrator is False
    assert user.login_name is None and user.has_password is None  # not in the default view
    assert list(user.links) == ["en_dinoparc_com", "hammerfest_fr", "twinoid"]
    hammerfest = user.links["hammerfest_fr"]
    assert (hammerfest.type, hammerfest.server, hammerfest.id, hammerfest.name) == (
        "HammerfestUser",
        "hammerfest.fr",
        "4321",
        "mira",
    )
    assert user.links["twinoid"].name == "Mira" and user.links["twinoid"].server == "twinoid.com"
    assert user.links["twinoid"].linked_at == at("2021-02-04T11:30:00Z")  # no fraction: accepted too


def check_complete_user(data: Any) -> None:
    user = User.from_json(data)
    assert (user.login_name, user.email_address, user.has_password) == ("mira", None, True)
    assert len(user.links) == 3


def check_newer_user(data: Any) -> None:
    user = User.from_json(data)
    assert user.identifier == OTTO and user.display_name is None  # {"current": {}}
    # null entry (hammerfest_es) and link without type (hfest_net): not linked; discord kept.
    assert list(user.links) == ["discord"] and user.has_links
    discord = user.links["discord"]
    assert (discord.type, discord.server, discord.id, discord.name) == (
        "DiscordUser",
        "discord",
        "301234567890123456",
        "otto.the.great",
    )


# -- search pages ---------------------------------------------------------------------------------------


def check_newer_page(data: Any) -> None:
    page = SearchPage.from_json(data, offset=0, limit=20)
    assert (page.offset, page.limit, page.count) == (20, 2, 23)  # the server's echo wins
    assert [user.display_name for user in page] == ["Mira", "Otto"] and page.next_offset == 22
    assert page[1].is_administrator is True and "hammerfest_fr" in page[0].links


def check_2021_page(data: Any) -> None:
    records = SearchRecords.from_json(data)
    assert (records.offset, records.limit, records.count) == (None, None, 2)
    page = SearchPage.from_json(data, offset=0, limit=20)
    assert (page.offset, page.limit, page.next_offset) == (0, 20, None)
    assert [user.identifier for user in page] == [MIRA, OTTO] and not page[0].has_links


# -- auth contexts --------------------------------------------------------------------------------------


def check_guest(data: Any) -> None:
    with pytest.raises(UnauthorizedError, match="Guest context") as caught:
        _calls.parse_self_user()(reply("auth/guest.json"))
    assert "Log in again" in str(caught.value)


def check_user_context(data: Any) -> None:
    user = _calls.parse_self_user(using="x")(reply("auth/user.json"))
    assert (user.identifier, user.display_name, user.using) == (OTTO, "Otto", "x")
    assert user.is_administrator is True  # beside the user, in a session context
    assert _calls.parse_self_user_id(reply("auth/user.json")) == OTTO


def check_access_token_context(data: Any) -> None:
    token = Token(access_token="a", token_type="Bearer")
    user = _calls.parse_self_user(token=token)(reply("auth/access-token.json"))
    assert (user.identifier, user.display_name, user.token) == (MIRA, "Mira", token)
    assert user.is_administrator is None and user.created_at is None and not user.has_links


def check_client_context(data: Any) -> None:
    for parse in (_calls.parse_self_user(), _calls.parse_self_user_id):
        with pytest.raises(UnauthorizedError) as caught:
            parse(reply("auth/oauth-client.json"))
        message = str(caught.value)
        assert "OAuth client context" in message and "mygame@clients" in message
        assert "does not recognise" not in message


# -- tokens ---------------------------------------------------------------------------------------------


def check_2021_token(data: Any) -> None:
    token = Token.from_json(data)
    assert token.expires_in == 1_000_000_000 and token.refresh_token is None
    assert not token.can_refresh and not token.has_expired() and token.kind == "long-lived"


def check_refresh_token(data: Any) -> None:
    token = Token.from_json(data)
    assert token.can_refresh and token.kind == "refreshable" and token.expires
    assert token.seconds_left is not None and 7000 < token.seconds_left <= 7200 - 60


def check_token_without_expiry(data: Any) -> None:
    token = Token.from_json(data)
    assert token.expires_in is None and token.expiration is None and not token.expires
    assert not token.has_expired() and token.seconds_left is None and token.expires_at is None
    assert token.kind == "long-lived" and "no expiry" in repr(token)


# -- archive --------------------------------------------------------------------------------------------


def check_hammerfest(data: Any) -> None:
    user = HammerfestUser.from_json(data)
    assert (user.server, user.id, user.username, user.best_score, user.best_level) == (
        "hammerfest.fr",
        "4321",
        "mira",
        1250340,
        47,
    )
    assert user.profile is not None and user.game_completed is False
    assert user.profile.quests == {"0": "Complete", "5": "Pending", "12": "None", "31": "Complete"}
    assert user.profile.completed_quests == ("0", "31")
    assert user.profile.items == {"1000": True, "1003": False, "1024": True}
    assert user.profile.last_archived_at == at("2021-08-02T16:30:00.500Z")
    assert user.items == {"1000": 3, "1024": 1, "1180": 12}
    assert user.etwin_user is not None and user.etwin_user.identifier == MIRA


def check_hammerfest_versioned(data: Any) -> None:
    user = HammerfestUser.from_json(data)
    assert user.profile is not None and user.game_completed is True and user.best_level == 12
    assert user.items == {"1000": 1, "1001": 2} and user.etwin_user is None


def check_hammerfest_bare(data: Any) -> None:
    user = HammerfestUser.from_json(data)
    assert user.profile is None and user.items is None and user.game_completed is None
    assert user.best_score is None


def check_dinoparc_user(data: Any) -> None:
    user = DinoparcUser.from_json(data)
    assert (user.server, user.id, user.username, user.coins) == ("en.dinoparc.com", "58", "mirasaur", 15230)
    assert user.dinoz == (
        DinoparcDinozRef("en.dinoparc.com", "765432"),
        DinoparcDinozRef("en.dinoparc.com", "765433"),
    )
    assert user.inventory == {"1": 4, "7": 1, "25": 30}
    assert user.collection == DinoparcCollection(("3", "6", "11", "17"), ("globe_charbon", "kabuki"))
    assert user.etwin_user is not None and user.etwin_user.display_name == "Mira"


def check_dinoparc_user_sandbox_habit(data: Any) -> None:
    user = DinoparcUser.from_json(data)
    assert user.dinoz == (DinoparcDinozRef("dinoparc.com", "5001", "Zébulon"),)
    assert user.collection is not None and user.collection.rewards == (
        "2",
        "9",
    )  # strings, as the real server
    assert user.inventory == {} and user.coins == 0


def check_dinoz(data: Any) -> None:
    dinoz = DinoparcDinoz.from_json(data)
    assert (dinoz.server, dinoz.id, dinoz.name, dinoz.race, dinoz.location) == (
        "en.dinoparc.com",
        "765432",
        "Brindille",
        "Moueffe",
        "14",
    )
    assert dinoz.owner == DinoparcUserRef("en.dinoparc.com", "58", "mirasaur")
    assert (dinoz.life, dinoz.level, dinoz.experience, dinoz.danger) == (87, 23, 41, -35)
    assert dinoz.in_tournament is False and dinoz.skin == "4mAQ1Cjq0dBM0kXh"
    assert dinoz.elements == DinoparcElements(fire=9, earth=3, water=0, thunder=5, air=7)
    assert dinoz.skills == {"Bargain": 2, "Climb": 1, "Dig": 0, "Strength": 5, "Swim": 3}
    assert dinoz.archived_at == at("2021-03-01T08:00:00.000Z")
    assert dinoz.ref == DinoparcDinozRef("en.dinoparc.com", "765432", "Brindille")


def check_sparse_dinoz(data: Any) -> None:
    dinoz = DinoparcDinoz.from_json(data)
    assert (dinoz.name, dinoz.race, dinoz.level) == ("Pouet", "Gorilloz", 1)
    missing = ("owner", "location", "skin", "life", "experience", "danger", "in_tournament", "elements")
    assert all(getattr(dinoz, name) is None for name in (*missing, "skills"))


def check_twinoid(data: Any) -> None:
    user = TwinoidUser.from_json(data)
    assert (user.id, user.display_name) == ("88", "Mira") and user.etwin_user is not None


def check_clock(data: Any) -> None:
    response = reply("clock.json", "http://etwin.test/api/v1/clock")
    assert _calls.clock().parse(response) == at("2021-11-15T00:00:00.000Z")


# -- errors ---------------------------------------------------------------------------------------------


def error_check(cls: type[RequestError], code: str | None) -> Callable[[str], Callable[[Any], None]]:
    def for_file(name: str) -> Callable[[Any], None]:
        def check(data: Any) -> None:
            error = request_error_for(answer(name))
            assert type(error) is cls and error.code == code
            assert str(error.status_code) in str(error)

        return check

    return for_file


CHECKS: dict[str, Callable[[Any], None]] = {
    "users/short.json": check_short_user,
    "users/default.json": check_default_user,
    "users/complete.json": check_complete_user,
    "users/newer-links.json": check_newer_user,
    "search/newer.json": check_newer_page,
    "search/2021-habit.json": check_2021_page,
    "auth/guest.json": check_guest,
    "auth/user.json": check_user_context,
    "auth/access-token.json": check_access_token_context,
    "auth/oauth-client.json": check_client_context,
    "tokens/2021.json": check_2021_token,
    "tokens/with-refresh.json": check_refresh_token,
    "tokens/no-expiry.json": check_token_without_expiry,
    "archive/hammerfest-user.json": check_hammerfest,
    "archive/hammerfest-user-versioned.json": check_hammerfest_versioned,
    "archive/hammerfest-user-bare.json": check_hammerfest_bare,
    "archive/dinoparc-user.json": check_dinoparc_user,
    "archive/dinoparc-user-sandbox-habit.json": check_dinoparc_user_sandbox_habit,
    "archive/dinoparc-dinoz.json": check_dinoz,
    "archive/dinoparc-dinoz-sparse.json": check_sparse_dinoz,
    "archive/twinoid-user.json": check_twinoid,
    "clock.json": check_clock,
}
ERRORS: dict[str, tuple[type[RequestError], str | None]] = {
    "errors/user-not-found.json": (NotFoundError, "UserNotFound"),
    "errors/invalid-id.json": (ValidationError, "InvalidId"),
    "errors/unauthorized-with-cause.json": (UnauthorizedError, "Unauthorized"),
    "errors/code-in-error-object.json": (ValidationError, "OauthCodeTimeError"),
    "errors/top-level-code.json": (ValidationError, "OauthCodeFormatError"),
    "errors/oauth-rfc.json": (ValidationError, "invalid_grant"),
    "errors/errors-list.json": (ValidationError, "InvalidQueryParameters"),
    "errors/archive-store-failure.json": (ServerError, "InternalServerError"),
    "errors/plain-text-500.json": (ServerError, None),
    "errors/archive-bad-path.json": (NotFoundError, None),
}
for _name, (_cls, _code) in ERRORS.items():
    CHECKS[_name] = error_check(_cls, _code)(_name)


def test_every_fixture_has_a_check_and_every_check_a_fixture() -> None:
    files = {path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*.json")}
    assert files == set(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_fixture_parses(name: str) -> None:
    CHECKS[name](load(name))


ARCHIVE_PARSERS: dict[str, Callable[[Any], object]] = {
    "HammerfestUser": HammerfestUser.from_json,
    "DinoparcUser": DinoparcUser.from_json,
    "DinoparcDinoz": DinoparcDinoz.from_json,
    "TwinoidUser": TwinoidUser.from_json,
}
ARCHIVE_FILES = {
    "HammerfestUser": "archive/hammerfest-user.json",
    "DinoparcUser": "archive/dinoparc-user.json",
    "DinoparcDinoz": "archive/dinoparc-dinoz.json",
    "TwinoidUser": "archive/twinoid-user.json",
}


@pytest.mark.parametrize("parser", sorted(ARCHIVE_PARSERS))
@pytest.mark.parametrize("given", sorted(ARCHIVE_FILES))
def test_archive_parsers_check_the_type(parser: str, given: str) -> None:
    data = load(ARCHIVE_FILES[given])
    if parser == given:
        ARCHIVE_PARSERS[parser](data)
        return
    from eternaltwin.exceptions import UnexpectedResponseError

    with pytest.raises(UnexpectedResponseError) as caught:
        ARCHIVE_PARSERS[parser](data)
    assert parser in str(caught.value) and given in str(caught.value)
