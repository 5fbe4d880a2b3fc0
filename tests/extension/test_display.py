"""What IPython's display formatter produces for every displayed object of the kit (text/plain and HTML)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from eternaltwin import display
from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import (
    NotFoundError,
    RateLimitedError,
    RequestError,
    ServerError,
    ValidationError,
    request_error_for,
)
from eternaltwin.keys import HS256Key
from eternaltwin.responses import Response
from eternaltwin.sandbox import Sandbox
from eternaltwin.states import State
from eternaltwin.tokens import Token
from eternaltwin.users import LinkedAccount, SearchPage, User

from .helpers import formatted, log_in

#: The standard reason phrase of 422, as Python's http.HTTPStatus spells it (RFC 9110 renamed it in 3.13).
UNPROCESSABLE = "Unprocessable Content" if sys.version_info >= (3, 13) else "Unprocessable Entity"

MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _html_body(bundle: dict[str, Any]) -> str:
    """The visible HTML part (after the <style> and the <pre> fallback)."""
    html = bundle["text/html"]
    return html[html.index('<div class="et-html"') :]


def _check_bundle(bundle: dict[str, Any]) -> tuple[str, str]:
    """Both forms are there, the HTML embeds the stylesheet and the escaped text fallback."""
    plain, html = bundle["text/plain"], bundle["text/html"]
    assert html.startswith('<div class="et-repr"><style>')
    assert "var(--jp-" in html  # themed through JupyterLab's variables
    fallback = re.search(r'<pre class="et-text">(.*?)</pre>', html, re.S)
    assert fallback is not None
    from html import escape

    assert fallback.group(1) == escape(plain)
    return plain, _html_body(bundle)


@pytest.fixture
def alice(nb_connected: InteractiveShell, sandbox: Sandbox) -> User:
    alice_id = next(user.id for user in sandbox.demo_users if user.username == "alice")
    return User.get(alice_id)


def test_user_card(nb_connected: InteractiveShell, alice: User) -> None:
    plain, html = _check_bundle(formatted(nb_connected, alice))
    assert plain.splitlines()[0] == "User: Alice  [administrator]"
    assert f"id             {alice.identifier}" in plain
    assert "administrator  yes" in plain and "deleted        no" in plain
    assert re.search(r"created        \d{4}-\d\d-\d\d \d\d:\d\d UTC", plain)
    assert "hammerfest.fr  alice" in plain and "twinoid.com" in plain
    assert '<span class="et-name">Alice</span>' in html
    assert '<span class="et-badge">administrator</span>' in html
    assert f'<span class="et-mono">{alice.identifier}</span>' in html
    assert "<th>server</th>" in html and "<td>hammerfest.fr</td>" in html


def test_user_without_links_says_so(nb_shell: InteractiveShell) -> None:
    user = User.from_json({"id": MISSING_ID, "display_name": "Nobody"})
    plain, html = _check_bundle(formatted(nb_shell, user))
    assert "not in this view" in plain and "not in this view" in html
    assert re.search(r"\n  created +—\n", plain)


def test_deleted_user_card(nb_shell: InteractiveShell) -> None:
    user = User.from_json(
        {"id": MISSING_ID, "display_name": "Gone", "deleted_at": "2024-02-03T04:05:06.000Z", "links": {}}
    )
    plain, html = _check_bundle(formatted(nb_shell, user))
    assert "[deleted]" in plain and "deleted        2024-02-03 04:05 UTC" in plain
    assert '<span class="et-badge et-bad">deleted</span>' in html
    assert "linked game accounts:" in plain and "(none)" in plain


@pytest.mark.sandbox_options(token_lifetime=3600)  # shows a token that expires within the hour
def test_logged_in_user_card(
    nb_connected: InteractiveShell, authorize: Callable[..., tuple[str, str]]
) -> None:
    user = log_in("default", authorize, "bob")
    plain, html = _check_bundle(formatted(nb_connected, user))
    assert "[signed in]" in plain
    assert re.search(r"token +Bearer, expires in \d+ min", plain)
    assert "et-ok" in html


def test_hostile_display_name_is_escaped(nb_shell: InteractiveShell) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    user = User.from_json(
        {
            "id": MISSING_ID,
            "display_name": hostile,
            "links": {
                "twinoid": {"current": {"user": {"type": "TwinoidUser", "id": "1", "display_name": hostile}}}
            },
        }
    )
    page = SearchPage(offset=0, limit=20, count=1, items=(user,))
    for obj in (user, page, user.links["twinoid"]):
        bundle = formatted(nb_shell, obj)
        assert hostile in bundle["text/plain"]
        html = bundle["text/html"]
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _visible(html: str) -> str:
    """The text a person sees in an HTML table (tags and their attributes, such as tooltips, dropped)."""
    return re.sub(r"<[^>]*>", " ", html)


def test_search_page_table(nb_connected: InteractiveShell) -> None:
    page = User.search(limit=5, offset=5)
    plain, html = _check_bundle(formatted(nb_connected, page))
    assert plain.splitlines()[0] == f"Users 6–10 of {page.count}"
    assert plain.splitlines()[1].split() == ["#", "display", "name", "id", "created", "flags", "games"]
    assert len(plain.splitlines()) == 2 + 5
    assert f'<span class="et-range">6–10 of {page.count}</span>' in html
    assert html.count("<tr>") == 1 + 5  # header + rows
    assert html.count("<th>") == 6
    assert all(row.count("<td") == 6 for row in html.split("<tr>")[2:])
    assert '<td class="et-num">6</td>' in html
    for user in page:
        # One line per user: the id's first block is shown, the whole id only as the tooltip.
        assert user.identifier not in plain and user.identifier[:8] + "…" in plain
        assert f'<span class="et-mono" title="{user.identifier}">{user.identifier[:8]}…</span>' in html
    assert not UUID.search(_visible(html)) and not UUID.search(plain)


def test_search_page_columns(nb_connected: InteractiveShell, alice: User) -> None:
    page = User.search("Alice")
    (line,) = [line for line in text_lines(nb_connected, page) if " Alice " in line]
    number, name, short_id, created, *rest = line.split()
    assert (number, name, short_id) == ("1", "Alice", alice.identifier[:8] + "…")
    assert alice.created_at is not None and created == f"{alice.created_at:%Y-%m-%d}"
    assert rest == ["admin", str(len(alice.links))]
    # A deleted account says so, and a user without linked accounts leaves the games cell blank.
    deleted = User.from_json(
        {
            "id": MISSING_ID,
            "display_name": "Gone",
            "is_administrator": False,
            "deleted_at": "2024-01-01T00:00:00Z",
        }
    )
    gone = text_lines(nb_connected, SearchPage(offset=0, limit=1, count=1, items=(deleted,)))
    assert gone[-1].split() == ["1", "Gone", "00000000…", "—", "deleted"]


def test_a_long_search_page_shows_its_start_and_end(nb_connected: InteractiveShell) -> None:
    page = User.search(limit=100)
    assert len(page) == 53  # the suite's sandbox: 50 generated users and the 3 demo ones
    users = tuple(page) * 2  # 106 rows
    long = SearchPage(offset=0, limit=106, count=106, items=users)
    plain, html = _check_bundle(formatted(nb_connected, long))
    lines = plain.splitlines()
    assert len(lines) == 2 + 20 + 1 + 5
    assert lines[22].strip() == "… 81 more users …"
    assert lines[21].split()[0] == "20" and lines[23].split()[0] == "102" and lines[-1].split()[0] == "106"
    assert html.count("<tr>") == 1 + 25
    assert '<tr class="et-gap"><td colspan="6">… 81 more users …</td></tr>' in html


def text_lines(shell: InteractiveShell, obj: Any) -> list[str]:
    return str(formatted(shell, obj)["text/plain"]).splitlines()


def test_empty_search_pages(nb_connected: InteractiveShell) -> None:
    nothing = User.search("no such user, surely")
    plain, html = _check_bundle(formatted(nb_connected, nothing))
    assert plain.splitlines() == ["Users 0 of 0", "  (no user matches)"]
    assert "no user matches" in html
    past = User.search(offset=10_000)
    plain, _ = _check_bundle(formatted(nb_connected, past))
    assert plain.startswith(f"Users none of {past.count} past offset 10,000")


def test_linked_account(nb_connected: InteractiveShell, alice: User) -> None:
    account = alice.links["hammerfest_fr"]
    assert isinstance(account, LinkedAccount)
    plain, html = _check_bundle(formatted(nb_connected, account))
    assert plain.splitlines()[0] == "Linked account: alice @ hammerfest.fr"
    assert "type    HammerfestUser" in plain and "id      127" in plain
    assert '<span class="et-kind">linked account</span>' in html


def test_archived_accounts(nb_connected: InteractiveShell, alice: User) -> None:
    client = connections.get_connection()
    hammerfest = client.archive.hammerfest_user("hammerfest.fr", "127")
    plain, html = _check_bundle(formatted(nb_connected, hammerfest))
    assert plain.splitlines()[0] == "Hammerfest account: alice"
    assert "server            hammerfest.fr" in plain
    assert f"Eternaltwin user  Alice ({alice.identifier})" in plain
    assert '<span class="et-kind">Hammerfest account</span>' in html
    twinoid = client.archive.twinoid_user("38")
    plain, _ = _check_bundle(formatted(nb_connected, twinoid))
    assert plain.splitlines()[0] == "Twinoid account: Alice" and "twinoid.com" in plain
    bob_dinoparc = client.archive.dinoparc_user("en.dinoparc.com", "58")
    plain, _ = _check_bundle(formatted(nb_connected, bob_dinoparc))
    assert plain.splitlines()[0].startswith("Dinoparc account: ")
    assert "coins" in plain and "dinoz" in plain and "Bob (" in plain


def test_token_countdown(nb_shell: InteractiveShell) -> None:
    token = Token(
        access_token="a" * 36, expires_in=3600 + 60 + 30, token_type="Bearer", refresh_token="r" * 36
    )
    plain, html = _check_bundle(formatted(nb_shell, token))
    assert plain.splitlines()[0] == "Token: Bearer  [expires in 1 h]"
    assert "expires        expires in 1 h" in plain
    assert "access token   ••••••" in plain and "refresh token  set" in plain
    assert '<span class="et-badge et-ok">expires in 1 h</span>' in html
    token.expiration = time.time() + 59 * 60 + 30
    assert "[expires in 59 min]" in formatted(nb_shell, token)["text/plain"]
    token.expiration = time.time() + 120
    assert "et-warn" in formatted(nb_shell, token)["text/html"]
    token.expiration = time.time() - 600
    plain, html = _check_bundle(formatted(nb_shell, token))
    assert "[expired 10 min ago]" in plain
    assert '<span class="et-badge et-bad">expired 10 min ago</span>' in html


def test_token_without_refresh(nb_shell: InteractiveShell) -> None:
    token = Token(access_token="x", expires_in=30, token_type="Bearer")
    plain, _ = _check_bundle(formatted(nb_shell, token))
    assert "[expired]" in plain and "refresh token  not set" in plain


def test_state(nb_connected: InteractiveShell) -> None:
    client = connections["default"]
    state = client.validate_state(client.generate_state(expiration=600))
    assert isinstance(state, State)
    plain, html = _check_bundle(formatted(nb_connected, state))
    assert plain.splitlines()[0] == "OAuth state: authorize  [expires in 9 min]"
    assert f"authorization server  {client.url}" in plain
    assert "signing key           HS256, set" in plain
    assert f"nonce                 {state.nonce[:16]}…" in plain
    assert '<span class="et-kind">OAuth state</span>' in html


def test_expired_state(nb_shell: InteractiveShell) -> None:
    now = int(time.time())
    state = State("authorize", "http://x/", now - 700, now - 700, now - 100, "ab" * 64, HS256Key("k"))
    plain, _ = _check_bundle(formatted(nb_shell, state))
    assert "[expired 1 min ago]" in plain


def test_not_found_error_from_the_server(nb_connected: InteractiveShell) -> None:
    with pytest.raises(NotFoundError) as caught:
        User.get(MISSING_ID)
    plain, html = _check_bundle(formatted(nb_connected, caught.value))
    assert plain.splitlines()[0] == "NotFoundError: 404 UserNotFound"
    assert "status        404 Not Found" in plain
    assert f"/api/v1/users/{MISSING_ID}" in plain
    assert "server error  UserNotFound" in plain
    assert "et-error-card" in html


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "lines"),
    [
        (422, b'{"error":"InvalidId"}', {}, ValidationError, [f"status        422 {UNPROCESSABLE}"]),
        (
            429,
            b"slow down",
            {"retry-after": "7"},
            RateLimitedError,
            ["body          slow down", "retry after   7 s"],
        ),
        (
            500,
            b"Internal Server Error",
            {},
            ServerError,
            ["server error  —", "body          Internal Server Error"],
        ),
        (599, b"", {}, ServerError, ["status        599"]),
    ],
)
def test_request_errors(
    nb_shell: InteractiveShell,
    status: int,
    body: bytes,
    headers: dict[str, str],
    cls: type[RequestError],
    lines: list[str],
) -> None:
    error = request_error_for(Response("http://h/api/v1/users?q=a", status, body, headers))
    assert type(error) is cls
    plain, _ = _check_bundle(formatted(nb_shell, error))
    assert plain.startswith(f"{cls.__name__}: {status}")
    for line in lines:
        assert f"\n  {line}" in plain


def test_request_error_url_secrets_are_masked(nb_shell: InteractiveShell) -> None:
    error = request_error_for(Response("http://h/cb?code=c0de&access_token=t0k&q=ok", 400, b"", {}))
    bundle = formatted(nb_shell, error)
    for text in bundle.values():
        assert "c0de" not in text and "t0k" not in text and "q=ok" in text


def test_registries(nb_connected: InteractiveShell, sandbox: Sandbox) -> None:
    for registry, kind in ((connections, "Connections"), (async_connections, "Async connections")):
        registry.create_connection("readonly", url="http://127.0.0.1:9/")
        plain, html = _check_bundle(formatted(nb_connected, registry))
        lines = plain.splitlines()
        assert lines[0] == f"{kind} 2 configured, active: default"
        assert lines[1].split() == ["active", "alias", "url", "client", "id", "secret", "logged", "in", "as"]
        assert lines[2].split()[:5] == ["●", "default", sandbox.url, "demo_app@clients", "set"]
        assert lines[3].split() == ["readonly", "http://127.0.0.1:9/", "—", "not", "set", "—"]
        assert html.count('<tr class="et-active">') == 1


def test_registry_shows_the_logged_in_user(
    nb_connected: InteractiveShell, authorize: Callable[..., tuple[str, str]]
) -> None:
    log_in("default", authorize, "bob")
    plain, _ = _check_bundle(formatted(nb_connected, connections))
    assert plain.splitlines()[2].split()[-1] == "Bob"


def test_clients(nb_connected: InteractiveShell, sandbox: Sandbox) -> None:
    for registry, kind in ((connections, "Connection"), (async_connections, "Async connection")):
        plain, html = _check_bundle(formatted(nb_connected, registry["default"]))
        assert plain.splitlines()[0] == f"{kind}: {registry['default'].url}"
        assert '<span class="et-kind">' + kind.lower() in html
        assert "client id      demo_app@clients" in plain
        assert "client secret  set" in plain and "state key      set" in plain
        assert "logged in as   nobody" in plain and "timeout        5 s" in plain


def test_include_and_exclude(nb_shell: InteractiveShell) -> None:
    token = Token(access_token="x", expires_in=3600, token_type="Bearer")
    assert set(token._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(token._repr_mimebundle_(exclude=["text/html"])) == {"text/plain"}
    assert set(display.mimebundle(connections, include=["text/html"])) == {"text/html"}


def test_text_style(nb_shell: InteractiveShell) -> None:
    token = Token(access_token="x", expires_in=3600, token_type="Bearer")
    display.set_style("text")
    try:
        assert set(formatted(nb_shell, token)) == {"text/plain"}
    finally:
        display.set_style("html")
    with pytest.raises(ValueError, match="'html' or 'text'"):
        display.set_style("svg")  # type: ignore[arg-type]


def test_unknown_objects_are_refused() -> None:
    with pytest.raises(TypeError, match="no display for int"):
        display.mimebundle(3)


def test_stylesheet_is_read_once() -> None:
    display.html(Token(access_token="x", expires_in=3600, token_type="Bearer"))
    before = display._css.cache_info()
    display.html(Token(access_token="y", expires_in=3600, token_type="Bearer"))
    after = display._css.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1


@pytest.fixture
def no_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a display made an HTTP request")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    yield


def test_displays_make_no_http_call(
    nb_connected: InteractiveShell, alice: User, authorize: Callable[..., tuple[str, str]], request: Any
) -> None:
    bob = log_in("default", authorize, "bob")
    page = User.search(limit=3)
    client = connections["default"]
    state = client.validate_state(client.generate_state())
    with pytest.raises(NotFoundError) as caught:
        User.get(MISSING_ID)
    request.getfixturevalue("no_http")
    objects = [alice, bob, bob.token, page, alice.links["twinoid"], state, caught.value]
    objects += [connections, async_connections, client, async_connections["default"]]
    for obj in objects:
        assert "text/html" in formatted(nb_connected, obj)
