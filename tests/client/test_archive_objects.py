"""Archive objects, both clients: typed Hammerfest and Dinoparc accounts from the sandbox over HTTP, and
dinoz (a route the sandbox does not serve yet) from the corpus of real shapes through a MockTransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from eternaltwin.archive import DinoparcDinoz, DinoparcDinozRef, DinoparcUser, HammerfestUser
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import NotFoundError, UnexpectedResponseError

from .conftest import CLASSES, close, resolve

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "archive"
ROUTES = {
    "/api/v1/archive/dinoparc/en.dinoparc.com/users/58": "dinoparc-user.json",
    "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/765432": "dinoparc-dinoz.json",
    "/api/v1/archive/dinoparc/dinoparc.com/dinoz/12": "dinoparc-dinoz-sparse.json",
    # A server (or a proxy) that answers the wrong object on a route:
    "/api/v1/archive/dinoparc/en.dinoparc.com/users/765432": "dinoparc-dinoz.json",
}


class Corpus:
    """A MockTransport handler serving the corpus' archive files by path; 404 DinoparcDinozNotFound else."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path.decode("ascii"))  # as sent: still percent-encoded
        name = ROUTES.get(request.url.path)
        if name is None:
            return httpx.Response(404, json={"error": "DinoparcDinozNotFound"})
        return httpx.Response(200, content=(CORPUS / name).read_bytes())


@pytest.fixture
def corpus_client(flavour: str) -> Iterator[tuple[ClientABC, Corpus]]:
    corpus = Corpus()
    client = CLASSES[flavour](url="http://archive.test/", transport=httpx.MockTransport(corpus))
    yield client, corpus
    if hasattr(client, "close"):
        client.close()


async def test_dinoz_of_a_dinoparc_user_are_fetched(corpus_client: tuple[ClientABC, Corpus]) -> None:
    client, corpus = corpus_client
    user = await resolve(client.archive.dinoparc_user("en.dinoparc.com", 58))
    assert isinstance(user, DinoparcUser) and all(isinstance(ref, DinoparcDinozRef) for ref in user.dinoz)
    first = await resolve(client.archive.dinoparc_dinoz(user.dinoz[0].server, user.dinoz[0].id))
    assert isinstance(first, DinoparcDinoz) and first.ref == DinoparcDinozRef(
        "en.dinoparc.com", "765432", "Brindille"
    )
    assert first.owner is not None and first.owner.id == user.id and first.level == 23
    assert corpus.paths[-1] == "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/765432"
    with pytest.raises(NotFoundError) as caught:
        await resolve(client.archive.dinoparc_dinoz(user.dinoz[1].server, user.dinoz[1].id))
    assert caught.value.code == "DinoparcDinozNotFound"
    sparse = await resolve(client.archive.dinoparc_dinoz("dinoparc.com", "12"))
    assert sparse.name == "Pouet" and sparse.owner is None and sparse.skills is None
    await close(client)


async def test_the_wrong_object_on_a_route_is_refused(corpus_client: tuple[ClientABC, Corpus]) -> None:
    client, _ = corpus_client
    with pytest.raises(UnexpectedResponseError) as caught:
        await resolve(client.archive.dinoparc_user("en.dinoparc.com", 765432))
    message = str(caught.value)
    assert "DinoparcUser" in message and "DinoparcDinoz" in message
    assert caught.value.response is not None and caught.value.response.status_code == 200
    await close(client)


async def test_dinoz_ids_are_sent_as_path_segments(corpus_client: tuple[ClientABC, Corpus]) -> None:
    client, corpus = corpus_client
    with pytest.raises(NotFoundError):
        await resolve(client.archive.dinoparc_dinoz("en.dinoparc.com", "1/../2"))
    assert corpus.paths[-1] == "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/1%2F..%2F2"
    await close(client)


@pytest.fixture
async def corpus_registries() -> AsyncIterator[Corpus]:
    corpus = Corpus()
    options = {"url": "http://archive.test/", "transport": httpx.MockTransport(corpus)}
    connections.configure(default=options)
    async_connections.configure(default=options)
    try:
        yield corpus
    finally:
        await async_connections.aclose()
        connections.close()
        async_connections.clear()
        connections.clear()


async def test_a_reference_fetches_its_dinoz_through_an_alias(corpus_registries: Corpus) -> None:
    ref = DinoparcDinozRef("en.dinoparc.com", "765432")
    assert ref.get().name == "Brindille"
    assert (await ref.aget(using="default")).race == "Moueffe"
    assert corpus_registries.paths.count("/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/765432") == 2


# -- the sandbox's archive, typed -----------------------------------------------------------------------


async def test_hammerfest_profile_and_items_are_typed(client: ClientABC) -> None:
    user = await resolve(client.archive.hammerfest_user("hammerfest.fr", 127))
    assert isinstance(user, HammerfestUser) and user.profile is not None
    profile = user.profile
    assert isinstance(profile.game_completed, bool) and user.game_completed is profile.game_completed
    assert profile.quests and set(profile.quests.values()) <= {"None", "Pending", "Complete"}
    assert all(isinstance(k, str) and isinstance(v, bool) for k, v in profile.items.items())
    assert user.items and all(isinstance(count, int) for count in user.items.values())
    assert user.best_score == profile.best_score == user.raw["profile"]["best_score"]
    assert set(profile.completed_quests) == {
        q for q, s in user.raw["profile"]["quests"].items() if s == "Complete"
    }


async def test_dinoparc_account_is_typed(client: ClientABC) -> None:
    user = await resolve(client.archive.dinoparc_user("en.dinoparc.com", 58))
    listed = user.raw["dinoz"]["latest"]["value"]
    assert [ref.id for ref in user.dinoz] == [str(item["id"]) for item in listed]
    assert all(ref.server == "en.dinoparc.com" for ref in user.dinoz)
    assert user.collection is not None and all(isinstance(reward, str) for reward in user.collection.rewards)
    assert [int(r) for r in user.collection.rewards] == [
        int(r) for r in user.raw["collection"]["latest"]["value"]["rewards"]
    ]
    assert user.inventory is not None and all(isinstance(n, int) for n in user.inventory.values())
