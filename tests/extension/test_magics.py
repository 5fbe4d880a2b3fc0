"""``%eternaltwin`` / ``%et`` in a real in-process IPython shell, against the suite's sandbox."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from eternaltwin.connections import async_connections, connections
from eternaltwin.magics import SANDBOX_ALIAS, EternaltwinMagics
from eternaltwin.pandas import USER_COLUMNS
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import SearchPage, User

from .helpers import cell, failing, log_in, magic

SUBCOMMANDS = (
    "aliases",
    "use",
    "search",
    "user",
    "me",
    "forum",
    "dinoz",
    "login",
    "logout",
    "sandbox",
    "config",
)
ALICE_NAME = "Alice"


def _alice_id(sandbox: Sandbox) -> str:
    return next(user.id for user in sandbox.demo_users if user.username == "alice")


# -- help -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "--help", "-h", "help"])
def test_overview_lists_every_subcommand(nb_shell: InteractiveShell, line: str) -> None:
    shown = magic(nb_shell, line)
    assert shown.value is None
    for command in SUBCOMMANDS:
        assert f"%eternaltwin {command}" in shown.stdout or f"%%eternaltwin {command}" in shown.stdout
    assert "--help" in shown.stdout


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help(nb_shell: InteractiveShell, command: str) -> None:
    shown = magic(nb_shell, f"{command} --help")
    prefix = "%%" if command == "config" else "%"
    assert shown.stdout.startswith(f"usage: {prefix}eternaltwin {command}")
    assert "::" not in shown.stdout


def test_search_help_names_its_options(nb_shell: InteractiveShell) -> None:
    text = magic(nb_shell, "search --help").stdout
    for option in ("--limit N", "--offset N", "--all", "--alias A", "--full", "-o VAR", "QUERY"):
        assert option in text
    assert "compact table" in text and "full DataFrame" in text


def test_et_is_the_same_magic(nb_connected: InteractiveShell) -> None:
    shown = cell(nb_connected, "%et aliases")
    assert shown.value is connections


def test_magic_docstring_is_the_overview(nb_shell: InteractiveShell) -> None:
    assert "%eternaltwin search" in (EternaltwinMagics.eternaltwin.__doc__ or "")


# -- aliases / use --------------------------------------------------------------------------------------


def test_aliases_shows_the_registry(nb_connected: InteractiveShell, sandbox: Sandbox) -> None:
    shown = magic(nb_connected, "aliases")
    assert shown.value is connections
    plain, html = shown.result["text/plain"], shown.result["text/html"]
    assert "default" in plain and sandbox.url in plain and "demo_app@clients" in plain
    assert "active: default" in plain
    assert '<tr class="et-active">' in html and sandbox.url in html


def test_aliases_without_connections_says_how_to_add_one(nb_shell: InteractiveShell) -> None:
    plain = magic(nb_shell, "aliases").result["text/plain"]
    assert "%eternaltwin sandbox" in plain


def test_use_switches_both_registries(nb_connected: InteractiveShell, sandbox: Sandbox) -> None:
    for registry in (connections, async_connections):
        registry.create_connection("b", url=sandbox.url)
    shown = magic(nb_connected, "use b")
    assert shown.stdout.strip() == f"Active connection: b ({sandbox.url})."
    assert connections.active == "b" and async_connections.active == "b"
    shown = magic(nb_connected, "aliases")
    assert "active: b" in shown.result["text/plain"]


def test_use_unknown_alias(nb_connected: InteractiveShell) -> None:
    shown = failing(nb_connected, "%eternaltwin use nope")
    assert "'nope'" in shown and "default" in shown and "%eternaltwin aliases" in shown
    assert connections.active == "default"


def test_use_needs_an_alias(nb_connected: InteractiveShell) -> None:
    shown = failing(nb_connected, "%eternaltwin use")
    assert "use --help" in shown


# -- search ---------------------------------------------------------------------------------------------


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _visible(html: str) -> str:
    """The text a person sees (tags and their attributes, such as tooltips, dropped)."""
    return re.sub(r"<[^>]*>", " ", html)


def test_search_shows_a_compact_table(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "search ali")
    page = shown.value
    assert isinstance(page, SearchPage)  # what VAR = %eternaltwin search ali keeps
    assert ALICE_NAME in {user.display_name for user in page}
    plain, html = shown.result["text/plain"], shown.result["text/html"]
    # The readable table of the Python API, not the 19-column frame: six columns, one line per user, no
    # full UUID to wrap (the whole id is the tooltip of its first block).
    assert plain.splitlines()[1].split() == ["#", "display", "name", "id", "created", "flags", "games"]
    assert len(plain.splitlines()) == 2 + len(page)
    assert html.count("<th>") == 6
    assert 'class="et-table"' in html and "dataframe" not in html
    assert not UUID.search(_visible(html.split('<div class="et-html"')[1])) and not UUID.search(plain)
    for user in page:
        assert f'title="{user.identifier}"' in html


def test_search_full_shows_the_dataframe(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "search ali --full")
    frame = shown.value
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(USER_COLUMNS) and len(USER_COLUMNS) == 19
    assert ALICE_NAME in set(frame["display_name"])
    assert 'class="dataframe' in shown.result["text/html"]  # pandas' own table
    assert set(frame["id"]) == {user.identifier for user in magic(nb_connected, "search ali").value}


def test_search_page_says_where_it_is(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "search --limit 5 --offset 5")
    assert len(shown.value) == 5
    total = User.count()
    assert (
        shown.stdout == f"Users 6–10 of {total}; --offset 10 shows the next ones, --all fetches every page.\n"
    )
    assert f"Users 6–10 of {total}" in shown.result["text/plain"]
    assert magic(nb_connected, f"search --offset {total - 2}").stdout == ""  # the last page: nothing more


def test_search_limit_setting_is_a_traitlet(nb_connected: InteractiveShell) -> None:
    cell(nb_connected, "%config EternaltwinMagics.limit = 3")
    try:
        assert len(magic(nb_connected, "search").value) == 3
    finally:
        cell(nb_connected, "%config EternaltwinMagics.limit = 20")


def test_search_quoted_query(nb_connected: InteractiveShell) -> None:
    page = magic(nb_connected, 'search "ali"').value
    assert ALICE_NAME in {user.display_name for user in page}


def test_search_output_variable(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "search -o found")
    assert shown.value is None and shown.result == {} and shown.displays == []
    frame = nb_connected.user_ns["found"]
    assert isinstance(frame, pd.DataFrame) and len(frame) == 20
    assert list(frame.columns) == list(USER_COLUMNS)  # the full frame
    assert shown.stdout == "Stored 20 users in found.\n"


def test_search_all_walks_every_page(nb_connected: InteractiveShell) -> None:
    cell(nb_connected, "%config EternaltwinMagics.progress = False")
    try:
        shown = magic(nb_connected, "search --all")
        frame = magic(nb_connected, "search --all --full").value
        magic(nb_connected, "search --all -o everyone")
    finally:
        cell(nb_connected, "%config EternaltwinMagics.progress = True")
    total = User.count()
    page = shown.value
    assert isinstance(page, SearchPage) and len(page) == page.count == total
    assert shown.result["text/plain"].splitlines()[0] == f"Users 1–{total} of {total}"
    assert len(frame) == total and frame["id"].is_unique
    assert [user.identifier for user in page] == frame["id"].tolist()
    pd.testing.assert_frame_equal(nb_connected.user_ns["everyone"], frame)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("search --all --limit 3", "--all walks every page"),
        ("search -o 1x", "-o takes a variable name"),
        ("search --limit 0", "--limit must be at least 1"),
        ("search --limit many", "invalid int value"),
        ('search "unbalanced', "No closing quotation"),
        ("search --bogus", "unrecognized arguments"),
    ],
)
def test_search_argument_errors(nb_connected: InteractiveShell, line: str, expected: str) -> None:
    assert expected in failing(nb_connected, f"%eternaltwin {line}")


def test_search_unknown_alias(nb_connected: InteractiveShell) -> None:
    assert "no connection named 'elsewhere'" in failing(nb_connected, "%et search --alias elsewhere")


def test_search_unreachable_server(nb_connected: InteractiveShell) -> None:
    connections.create_connection("down", url="http://127.0.0.1:9", timeout=2, max_retries=0)
    shown = failing(nb_connected, "%et search --alias down")
    assert shown.startswith("eternaltwin: cannot reach connection 'down'")


# -- user / me ------------------------------------------------------------------------------------------


def test_user_card(nb_connected: InteractiveShell, sandbox: Sandbox) -> None:
    shown = magic(nb_connected, f"user {_alice_id(sandbox)}")
    assert isinstance(shown.value, User) and shown.value.display_name == ALICE_NAME
    assert "User: Alice" in shown.result["text/plain"]
    assert "hammerfest.fr" in shown.result["text/html"]


def test_user_not_found(nb_connected: InteractiveShell) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    shown = failing(nb_connected, f"%eternaltwin user {missing}")
    assert shown == (
        f"eternaltwin: no user with id {missing} on connection 'default'; %eternaltwin search finds ids."
    )


def test_user_bad_id(nb_connected: InteractiveShell) -> None:
    shown = failing(nb_connected, "%eternaltwin user bob")
    assert "'bob' is not a user id" in shown


def test_user_needs_an_id(nb_connected: InteractiveShell) -> None:
    assert "the following arguments are required: ID" in failing(nb_connected, "%eternaltwin user")


def test_me_needs_a_login(nb_connected: InteractiveShell) -> None:
    shown = failing(nb_connected, "%eternaltwin me")
    assert "nobody is logged in on connection 'default'" in shown and "%eternaltwin login" in shown


def test_me_and_logout(nb_connected: InteractiveShell, authorize: Callable[..., tuple[str, str]]) -> None:
    user = log_in("default", authorize, "bob")
    assert connections["default"].user is not None
    async_connections["default"].user = user
    shown = magic(nb_connected, "me")
    assert isinstance(shown.value, User) and shown.value.identifier == user.identifier
    assert "Bob" in shown.result["text/plain"]
    shown = magic(nb_connected, "logout")
    assert shown.stdout.strip().startswith("Logged out of 'default'")
    assert connections["default"].user is None and async_connections["default"].user is None
    assert user.token is None
    assert magic(nb_connected, "logout").stdout.strip() == "Nobody was logged in on 'default'."
    failing(nb_connected, "%eternaltwin me")


def test_logout_forgets_the_remembered_login(
    nb_connected: InteractiveShell,
    authorize: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from eternaltwin.widgets._token_cache import TokenCache

    monkeypatch.setenv("ETERNALTWIN_CONFIG_DIR", str(tmp_path / "config"))
    user = log_in("default", authorize, "bob")
    client = connections["default"]
    assert user.token is not None and client.client_id
    cache = TokenCache()
    cache.put(str(client.url), str(client.client_id), user.token)
    other = ("http://127.0.0.1:9/", str(client.client_id))  # another server's login stays
    cache.put(*other, user.token)
    shown = magic(nb_connected, "logout")
    assert shown.stdout.strip().endswith("The login remembered for this server is forgotten too.")
    assert cache.get(str(client.url), str(client.client_id)) is None
    assert cache.get(*other) is not None
    assert magic(nb_connected, "logout").stdout.strip() == "Nobody was logged in on 'default'."


def test_logout_unknown_alias(nb_connected: InteractiveShell) -> None:
    assert "no connection named 'x'" in failing(nb_connected, "%eternaltwin logout --alias x")


# -- login ----------------------------------------------------------------------------------------------


def test_login_displays_the_panel(nb_connected: InteractiveShell) -> None:
    pytest.importorskip("ipywidgets")
    shown = magic(nb_connected, "login")
    assert shown.value is None
    assert any("application/vnd.jupyter.widget-view+json" in bundle for bundle in shown.displays)


def test_login_without_widgets(nb_connected: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "eternaltwin.widgets", None)
    shown = failing(nb_connected, "%eternaltwin login")
    assert "the login widget is not available" in shown and "pip install" in shown


# -- sandbox --------------------------------------------------------------------------------------------


def test_sandbox_starts_registers_and_reuses(nb_shell: InteractiveShell) -> None:
    shown = magic(nb_shell, "sandbox --population 3")
    magics: EternaltwinMagics = nb_shell.magics_manager.registry["EternaltwinMagics"]
    first = magics.sandbox
    assert first is not None and first.running
    assert shown.stdout.strip() == (
        f"Sandbox running at {first.url} with 6 users; alias 'sandbox' is active. Demo logins: "
        "alice / alice_password, bob / bob_password, charlie / charlie_password."
    )
    for registry in (connections, async_connections):
        assert registry.active == SANDBOX_ALIAS
        client = registry[SANDBOX_ALIAS]
        assert client.url.rstrip("/") == first.url
        assert client.client_secret == first.connection_config()["client_secret"]
    assert len(User.search(using=SANDBOX_ALIAS)) == 6

    again = magic(nb_shell, "sandbox")  # same population: reused
    assert magics.sandbox is first and "already running" in again.stdout

    magic(nb_shell, "sandbox --population 1")  # another population: replaced
    second = magics.sandbox
    assert second is not None and second is not first and not first.running and second.running
    assert connections[SANDBOX_ALIAS].url.rstrip("/") == second.url
    assert User.count(using=SANDBOX_ALIAS) == 4

    cell(nb_shell, "%unload_ext eternaltwin")
    assert not second.running
    assert SANDBOX_ALIAS not in connections and SANDBOX_ALIAS not in async_connections


def test_sandbox_issues_refresh_tokens_only_when_asked(nb_shell: InteractiveShell) -> None:
    magics: EternaltwinMagics = nb_shell.magics_manager.registry["EternaltwinMagics"]
    magic(nb_shell, "sandbox")
    plain = magics.sandbox
    assert plain is not None and not plain.options.refresh_tokens  # as eternaltwin.org
    magic(nb_shell, "sandbox --refresh-tokens")  # another option: replaced
    refreshing = magics.sandbox
    assert refreshing is not None and refreshing is not plain and refreshing.options.refresh_tokens
    assert not plain.running
    cell(nb_shell, "%unload_ext eternaltwin")
    assert not refreshing.running


def test_sandbox_population_must_be_positive(nb_shell: InteractiveShell) -> None:
    assert "--population must be 0 or more" in failing(nb_shell, "%et sandbox --population -1")


# -- config ---------------------------------------------------------------------------------------------


def test_config_cell(nb_shell: InteractiveShell, sandbox: Sandbox) -> None:
    toml = f'[default]\nurl = "{sandbox.url}"\n\n[other]\nurl = "{sandbox.url}"\ntimeout = 7\n'
    shown = magic(nb_shell, "config", toml)
    assert shown.stdout.strip() == "Configured default, other; active: default."
    for registry in (connections, async_connections):
        assert sorted(registry) == ["default", "other"]
        assert registry["other"].timeout == 7
    assert len(User.search("ali")) >= 1


def test_config_cell_without_default(nb_shell: InteractiveShell, sandbox: Sandbox) -> None:
    shown = magic(nb_shell, "config", f'[lab]\nurl = "{sandbox.url}"\n')
    assert shown.stdout.strip() == "Configured lab; %eternaltwin use lab activates it."


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[default\nurl = 1", "the cell is not valid TOML"),
        ('url = "http://x"', "'url' is not a table"),
        ("# nothing here", "no connection table"),
        ('[default]\nurl = "http://x"\nclient_sekret = "s"', "client_sekret"),
        ("[default]\ntimeout = 3", "the cell [default]: missing url"),
        ('[connections.prod]\nurl = "http://x"', "the [connections.ALIAS] layout is not supported"),
    ],
)
def test_config_cell_errors(nb_shell: InteractiveShell, toml: str, expected: str) -> None:
    shown = failing(nb_shell, f"%%eternaltwin config\n{toml}")
    assert expected in shown
    assert len(connections) == 0


def test_config_is_a_cell_magic(nb_shell: InteractiveShell) -> None:
    assert "config is a cell magic" in failing(nb_shell, "%eternaltwin config")


def test_other_subcommands_are_not_cell_magics(nb_shell: InteractiveShell) -> None:
    assert "only %%eternaltwin config is" in failing(nb_shell, "%%eternaltwin aliases\nx")


def test_unknown_subcommand(nb_shell: InteractiveShell) -> None:
    assert failing(nb_shell, "%et frobnicate") == (
        "eternaltwin: unknown subcommand 'frobnicate'; %eternaltwin --help lists them."
    )


def test_html_setting_switches_display_to_text(nb_connected: InteractiveShell) -> None:
    cell(nb_connected, "%config EternaltwinMagics.html = False")
    try:
        assert "text/html" not in magic(nb_connected, "aliases").result
    finally:
        cell(nb_connected, "%config EternaltwinMagics.html = True")
    assert "text/html" in magic(nb_connected, "aliases").result
