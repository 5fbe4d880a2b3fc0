"""No secret reaches the screen: every text and HTML form of every displayed object, and everything every
magic shows, is scanned for the client secret, the access and refresh tokens and the state key in use."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from eternaltwin.connections import async_connections, connections
from eternaltwin.exceptions import NotFoundError, UnauthorizedError
from eternaltwin.sandbox import Sandbox
from eternaltwin.tokens import Token
from eternaltwin.users import User

from .helpers import Shown, formatted, log_in, magic

WINDOW = 8  # no run of this many characters of a secret may show (catches prefixes and suffixes too)


def _windows(secret: str) -> set[str]:
    return {secret[i : i + WINDOW] for i in range(max(1, len(secret) - WINDOW + 1))}


def _assert_clean(texts: Iterable[str], secrets: dict[str, str], where: str) -> None:
    for text in texts:
        for name, secret in secrets.items():
            for window in _windows(secret):
                assert window not in text, f"{where}: a piece of the {name} ({window!r}) is shown in {text!r}"


def _widget_states() -> str:
    """The state of every live widget (what a front end receives), as JSON text."""
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - ipywidgets is a test dependency
        return ""
    return json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False), default=str)


@pytest.fixture
def secrets(
    nb_connected: InteractiveShell, sandbox: Sandbox, authorize: Callable[..., tuple[str, str]]
) -> dict[str, str]:
    """Log bob in on ``default`` (both registries) and collect the secrets now in play."""
    user = log_in("default", authorize, "bob")
    async_connections["default"].user = user
    assert user.token is not None
    found = {
        "client secret": sandbox.connection_config()["client_secret"],
        "state key": sandbox.connection_config()["state_key"],
        "HTTP Basic credentials": connections["default"]._basic_auth_token(),
        "access token": user.token.access_token,
    }
    if user.token.refresh_token:
        found["refresh token"] = user.token.refresh_token
    return found


def test_displays_show_no_secret(nb_connected: InteractiveShell, secrets: dict[str, str]) -> None:
    shell = nb_connected
    client = connections["default"]
    user = client.user
    assert user is not None and user.token is not None
    alice = User.search("alice")[0]
    state = client.validate_state(client.generate_state())
    with pytest.raises(NotFoundError) as not_found:
        User.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(UnauthorizedError) as unauthorized:
        User.from_token(secrets["access token"][::-1])
    refreshed = Token(
        access_token=secrets["access token"],
        expires_in=-1,
        token_type="Bearer",
        refresh_token=secrets.get("refresh token", "r-" + secrets["access token"]),
    )
    objects = {
        "user": user,
        "fetched user": User.get(alice.identifier),
        "token": user.token,
        "expired token": refreshed,
        "search page": User.search(limit=5),
        "linked account": next(iter(User.get(alice.identifier).links.values())),
        "state": state,
        "404 error": not_found.value,
        "401 error": unauthorized.value,
        "sync registry": connections,
        "async registry": async_connections,
        "sync client": client,
        "async client": async_connections["default"],
    }
    for name, obj in objects.items():
        bundle = formatted(shell, obj)
        assert {"text/plain", "text/html"} <= set(bundle), name
        _assert_clean(bundle.values(), secrets, name)


def test_magics_show_no_secret(
    nb_connected: InteractiveShell, sandbox: Sandbox, secrets: dict[str, str]
) -> None:
    shell = nb_connected
    alice_id = next(u.id for u in sandbox.demo_users if u.username == "alice")
    settings = sandbox.connection_config()
    toml = "\n".join(
        [
            "[default]",
            *(f"{key} = {json.dumps(value)}" for key, value in settings.items()),
            "[typo]",
            f'url = "{settings["url"]}"',
            f"client_sekret = {json.dumps(settings['client_secret'])}",
        ]
    )
    runs: dict[str, Callable[[], Shown]] = {
        "aliases": lambda: magic(shell, "aliases"),
        "use": lambda: magic(shell, "use default"),
        "search": lambda: magic(shell, "search --limit 5"),
        "search -o": lambda: magic(shell, "search -o found"),
        "user": lambda: magic(shell, f"user {alice_id}"),
        "me": lambda: magic(shell, "me"),
        "login": lambda: magic(shell, "login"),
        "help": lambda: magic(shell, "--help"),
    }
    for name, run in runs.items():
        if name == "login":
            pytest.importorskip("ipywidgets")
        shown = run()
        _assert_clean(shown.texts(), secrets, f"%eternaltwin {name}")
    _assert_clean([_widget_states()], secrets, "the login widget's state")

    failures = [
        "%eternaltwin use nowhere",
        "%eternaltwin user 00000000-0000-4000-8000-000000000000",
        "%eternaltwin user not-an-id",
        "%eternaltwin search --alias nowhere",
        f"%%eternaltwin config\n{toml}",  # the unknown key holds the secret: its value must not be echoed
    ]
    for code in failures:
        with capture_output() as captured:
            shell.run_cell(code, store_history=False)
        _assert_clean([captured.stdout, captured.stderr], secrets, code.splitlines()[0])

    shown = magic(shell, "config", "\n".join(toml.splitlines()[: len(settings) + 1]))
    assert shown.stdout.startswith("Configured default")
    _assert_clean(shown.texts(), secrets, "%%eternaltwin config")

    shown = magic(shell, "logout")
    _assert_clean(shown.texts(), secrets, "%eternaltwin logout")
    with capture_output() as captured:
        shell.run_cell("%eternaltwin me", store_history=False)
    _assert_clean([captured.stdout, captured.stderr], secrets, "%eternaltwin me (logged out)")


def test_sandbox_magic_shows_no_secret(nb_shell: InteractiveShell) -> None:
    shown = magic(nb_shell, "sandbox")
    magics = nb_shell.magics_manager.registry["EternaltwinMagics"]
    settings = magics.sandbox.connection_config()
    secrets = {"client secret": settings["client_secret"], "state key": settings["state_key"]}
    _assert_clean(shown.texts(), secrets, "%eternaltwin sandbox")
    _assert_clean(magic(nb_shell, "aliases").texts(), secrets, "%eternaltwin aliases (sandbox)")
