"""End to end against the 2021 server's habits (issue 13, "Done when"), on the ``sandbox_2021`` fixture: a
plain-text 500 for a bad token, no refresh token, search pages of ShortUser items without ``offset`` and
``limit``. A person logs in through the sandbox's HTML form; the client, the magics in a real in-process
IPython shell and the frames then work with what that server sends."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import eternaltwin
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import ServerError
from eternaltwin.pandas import USER_COLUMNS, asearch_frame, search_frame
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import SearchPage, User

from .helpers import failing, magic

ALIAS = "old"


def login_through_the_form(
    server: Sandbox, authorization_url: str, username: str, password: str
) -> tuple[str, str]:
    """What a person's browser does: the authorization URL sends it to the login page, the person fills
    in the form, the browser goes on to the authorization URL and is sent to the callback.

    Returns
    -------
    (code, state)
        The query of the callback URL (not followed).
    """
    with httpx.Client(follow_redirects=False) as browser:
        to_login = browser.get(authorization_url)
        assert to_login.status_code == 302, to_login.text
        login_url = urljoin(authorization_url, to_login.headers["location"])
        assert urlsplit(login_url).path == "/login"
        page = browser.get(login_url)
        assert page.status_code == 200 and 'name="password"' in page.text
        action = unescape(re.search(r'<form method="post" action="([^"]*)"', page.text)[1])  # type: ignore[index]
        next_path = unescape(re.search(r'name="next" value="([^"]*)"', page.text)[1])  # type: ignore[index]
        posted = browser.post(
            action,
            data={"next": next_path, "username": username, "password": password},
            headers={"Sec-Fetch-Site": "same-origin", "Origin": server.url},
        )
        assert posted.status_code == 303, posted.text
        to_callback = browser.get(urljoin(action, posted.headers["location"]))
        assert to_callback.status_code == 302, to_callback.text
    callback = urlsplit(to_callback.headers["location"])
    assert callback.geturl().startswith(server.apps[0].oauth_callback)
    query = parse_qs(callback.query)
    return query["code"][0], query["state"][0]


@pytest.fixture
def old_alias(sandbox_2021: Sandbox) -> Iterator[Sandbox]:
    """Alias ``old`` -> the 2021-habit sandbox on both registries (cleared afterwards)."""
    connections.clear()
    async_connections.clear()
    eternaltwin.configure(**{ALIAS: sandbox_2021.connection_config()})
    try:
        yield sandbox_2021
    finally:
        connections.close()
        connections.clear()
        async_connections.clear()


def log_in_bob(server: Sandbox) -> User:
    state, url = User.start_authorization(using=ALIAS)
    code, callback_state = login_through_the_form(server, url, "bob", "bob_password")
    return User.from_authorization_code(code, callback_state, expected_state=state, using=ALIAS)


def test_a_login_through_the_html_form(old_alias: Sandbox) -> None:
    bob = log_in_bob(old_alias)
    assert bob.display_name == "Bob" and bob.is_authenticated
    assert bob.identifier == next(u.id for u in old_alias.demo_users if u.username == "bob")
    assert bob.token is not None and bob.token.refresh_token is None  # the 2021 server issues none
    assert bob.created_at is not None and "en_dinoparc_com" in bob.links  # the full record came too
    assert connections[ALIAS].user is bob
    again = User.me(using=ALIAS)
    assert again == bob and again.display_name == "Bob" and again is not bob
    assert User.me(bob.token, using=ALIAS, full=False).display_name == "Bob"


def test_a_bad_token_is_a_plain_text_500_the_client_explains(old_alias: Sandbox) -> None:
    with pytest.raises(ServerError) as caught:
        User.me("00000000-0000-4000-8000-000000000000", using=ALIAS)
    assert caught.value.status_code == 500
    assert "a plain-text 500 is how the 2021 Eternaltwin server answers an access token" in str(caught.value)


def test_me_magic(nb_shell: InteractiveShell, old_alias: Sandbox) -> None:
    failing(nb_shell, f"%eternaltwin me --alias {ALIAS}")
    bob = log_in_bob(old_alias)
    async_connections[ALIAS].user = bob
    shown = magic(nb_shell, f"me --alias {ALIAS}")
    assert isinstance(shown.value, User) and shown.value.identifier == bob.identifier
    assert "Bob" in shown.result["text/plain"] and "Bob" in shown.result["text/html"]
    assert bob.token is not None and bob.token.access_token not in "".join(shown.texts())


def test_search_magic(nb_shell: InteractiveShell, old_alias: Sandbox) -> None:
    shown = magic(nb_shell, f"search ali --alias {ALIAS}")
    page = shown.value
    assert isinstance(page, SearchPage)
    alice = next(u for u in page if u.display_name == "Alice")
    assert alice.identifier == next(u.id for u in old_alias.demo_users if u.username == "alice")
    assert alice.created_at is None  # a ShortUser: only id and display name
    assert "Alice" in shown.result["text/plain"] and "Alice" in shown.result["text/html"]
    full = magic(nb_shell, f"search --all --full --alias {ALIAS}").value
    assert isinstance(full, pd.DataFrame) and list(full.columns) == list(USER_COLUMNS)
    assert len(full) == len(old_alias.store.users) == full["id"].nunique()


def test_search_frame_and_its_async_twin(old_alias: Sandbox) -> None:
    store = old_alias.store
    frame = search_frame(using=ALIAS, progress=False)
    assert list(frame.columns) == list(USER_COLUMNS)
    assert list(frame["id"]) == [u.id for u in store.ordered_users()]
    assert list(frame["display_name"]) == [u.display_name for u in store.ordered_users()]
    assert frame["created_at"].isna().all()  # not in a ShortUser: unknown, never invented
    detailed = search_frame("ali", details=True, using=ALIAS, progress=False)
    assert not detailed["created_at"].isna().any()  # each full record fetched
    assert set(detailed["display_name"]) >= {"Alice"}

    async def both() -> tuple[pd.DataFrame, pd.DataFrame]:
        try:
            return (
                await asearch_frame(using=ALIAS, progress=False),
                await asearch_frame("ali", details=True, using=ALIAS, progress=False),
            )
        finally:
            await async_connections.aclose()

    everyone, alis = asyncio.run(both())
    pd.testing.assert_frame_equal(everyone, frame)
    pd.testing.assert_frame_equal(alis, detailed)
