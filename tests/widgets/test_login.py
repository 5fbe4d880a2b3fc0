"""The login widget, driven through its traits and callbacks (no browser) against sandboxes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import ipywidgets
import pytest

from eternaltwin import connections as connections_module
from eternaltwin.exceptions import (
    ConfigurationError,
    InvalidStateError,
    MissingCredentialsError,
    ServerError,
    UnauthorizedError,
    UnknownAliasError,
    ValidationError,
)
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User
from eternaltwin.widgets import LoginWidget, _session
from eternaltwin.widgets._registry import WATCH

from .conftest import PASTE_REDIRECT, Browser, ManualClock

# No real timer in these tests: the callback servers' lifetimes run on a ManualClock (w_clock).
pytestmark = pytest.mark.usefixtures("w_configured", "w_clock")


@pytest.fixture(autouse=True)
def w_close_widgets() -> Iterator[None]:
    """Close every widget a test made (stops callback servers and registry watches)."""
    yield
    ipywidgets.Widget.close_all()


def _replace_query(url: str, **values: str) -> str:
    parts = urlsplit(url)
    query = {key: value[0] for key, value in parse_qs(parts.query).items()}
    query.update(values)
    return parts._replace(query=urlencode(query)).geturl()


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


# -- loopback mode ------------------------------------------------------------------------------------


def test_loopback_login_end_to_end(w_browser: Browser, w_callback_port: int) -> None:
    widget = LoginWidget()
    seen: list[User] = []
    widget.on_login.append(seen.append)
    assert widget.alias == "loop"
    assert widget.status == "Not logged in."
    assert widget.user is None

    url = widget.start()

    assert url == widget.authorization_url
    assert url.startswith(f"{w_browser.sandbox.url}/oauth/authorize?")
    assert widget.mode == "loopback"
    assert "Waiting" in widget.status
    assert 'target="_blank"' in widget.link_html.value
    assert widget.link_html.layout.display is None  # the link is shown

    page = w_browser.follow(url)

    assert page.status_code == 200
    assert "Logged in as Alice" in page.text
    assert "You may close this tab" in page.text
    assert widget.status == "Logged in as Alice"
    assert widget.status_kind == "ok"
    assert widget.user is not None and widget.user.display_name == "Alice"
    assert widget.user.is_authenticated
    assert seen == [widget.user]
    # The user is on the connection, sync and async, where User.me and the magics find it.
    assert connections_module.connections["loop"].user is widget.user
    assert connections_module.async_connections["loop"].user is widget.user
    assert User.me(using="loop").identifier == widget.user.identifier
    # The login is over: no URL, no server, and the widget offers to log out.
    assert widget.authorization_url == ""
    assert widget.mode == ""
    assert widget.link_html.value == ""
    assert widget.logout_button.layout.display is None
    assert _refused(f"http://127.0.0.1:{w_callback_port}/callback")


async def test_loopback_login_async_side(w_browser: Browser) -> None:
    widget = LoginWidget()
    w_browser.follow(widget.start())
    try:
        me = await User.ame(using="loop")
        assert me.display_name == "Alice"
    finally:
        await connections_module.async_connections.aclose()


def test_button_click_starts_and_opens_a_tab(w_browser: Browser) -> None:
    widget = LoginWidget()
    widget.login_button.click()
    assert widget.mode == "loopback"
    (output,) = widget._opener.outputs
    script = output["data"]["application/javascript"]
    assert "window.open(" in script and "Date.now() <" in script
    assert widget.authorization_url.split("?")[0] in script
    assert widget.cancel_button.layout.display is None
    assert widget.login_button.description == "Start again"
    w_browser.follow(widget.authorization_url)
    assert widget.user is not None
    assert widget._opener.outputs == ()


def test_requests_of_other_pages_leave_the_login_pending(w_browser: Browser, w_callback_port: int) -> None:
    # Any page the person has open can make their browser request the callback (an <img> will do): only
    # the pending login's redirect reaches the login; the rest gets an error page and changes nothing.
    widget = LoginWidget()
    other = LoginWidget(watch=False)
    url = widget.start()
    stranger_state = parse_qs(urlsplit(other.start()).query)["state"][0]
    other.cancel()
    location = w_browser.authorize(url)
    callback = f"http://127.0.0.1:{w_callback_port}/callback"

    strays = [
        _replace_query(location, state=stranger_state),  # a valid state, of another login
        f"{callback}?code=whatever",
        callback,
        f"{callback}?error=access_denied&state=nope",
    ]
    for stray in strays:
        page = httpx.get(stray, timeout=10)
        assert page.status_code == 400, stray
        assert "Not this login" in page.text and "still waiting" in page.text
    page = httpx.get(location, headers={"Host": "evil.example"}, timeout=10)  # DNS rebinding
    assert page.status_code == 400 and "Wrong address" in page.text
    assert httpx.get(f"http://127.0.0.1:{w_callback_port}/favicon.ico", timeout=10).status_code == 404

    assert widget.mode == "loopback"
    assert widget.status.startswith("Waiting for you to log in")
    assert widget.user is None and connections_module.connections["loop"].user is None
    page = httpx.get(location, timeout=10)  # the genuine redirect, after all that
    assert page.status_code == 200 and "Logged in as Alice" in page.text
    assert widget.status == "Logged in as Alice"


def test_wrong_state_pasted_is_refused(w_browser: Browser) -> None:
    widget = LoginWidget()
    other = LoginWidget(watch=False)
    url = widget.start()
    stranger_state = parse_qs(urlsplit(other.start()).query)["state"][0]
    other.cancel()
    location = w_browser.authorize(url)

    with pytest.raises(InvalidStateError, match="does not match"):
        widget.complete(_replace_query(location, state=stranger_state))

    assert widget.status_kind == "error"
    assert widget.status.startswith("Login failed: ")
    assert widget.user is None
    assert connections_module.connections["loop"].user is None
    # The login is over; the genuine redirect arriving later is refused too.
    with pytest.raises(InvalidStateError, match="No login is under way"):
        widget.complete(location)
    assert widget.user is None


def test_forged_state_is_refused() -> None:
    widget = LoginWidget()
    widget.start()
    with pytest.raises(InvalidStateError, match="Invalid state"):
        widget.complete("http://127.0.0.1:1/callback?code=whatever&state=not-a-jwt")
    assert widget.user is None
    assert "Invalid state" in widget.status


def test_expired_state_is_refused(w_browser: Browser, w_clock: ManualClock) -> None:
    widget = LoginWidget(state_expiration=0)
    widget.start()
    w_clock.advance(1)  # time goes by for the callback server (the state, of 0 s, has expired already)
    location = w_browser.authorize(widget.authorization_url)
    with pytest.raises(InvalidStateError, match="Authorization expired"):
        widget.complete(location)
    assert widget.user is None
    assert widget.status_kind == "error"
    assert "expired" in widget.status
    assert connections_module.connections["loop"].user is None


def test_a_redirect_after_the_state_expired_gets_the_state_checks_answer(
    w_browser: Browser, w_clock: ManualClock, w_callback_port: int
) -> None:
    # The regression of issue 10: the callback server used to live exactly as long as the state, so that
    # with a short state the login was over (connection refused, "No login is under way") before the
    # redirect came, instead of being refused by the state check.
    widget = LoginWidget(state_expiration=0)
    widget.start()
    (timer,) = w_clock.timers
    assert timer.seconds == 0 + _session.CALLBACK_GRACE  # its own, generous bound
    w_clock.advance(60)  # a minute on the server's clock: its lifetime is far from over (the state's is)

    page = w_browser.follow(widget.authorization_url)  # the browser lands on the callback server

    assert page.status_code == 400
    assert "Login failed" in page.text and "Authorization expired" in page.text
    assert widget.status.startswith("Login failed: Authorization expired")
    assert widget.user is None and widget.mode == ""
    assert timer.cancelled  # the login is over: its server stopped, its timer with it
    assert _refused(f"http://127.0.0.1:{w_callback_port}/callback")


def test_replayed_redirect_and_replayed_code(w_browser: Browser) -> None:
    widget = LoginWidget()
    widget.start()
    location = w_browser.authorize(widget.authorization_url)
    user = widget.complete(location)
    token = user.token

    # The same redirect again: the state was used up.
    with pytest.raises(InvalidStateError, match="No login is under way"):
        widget.complete(location)
    assert widget.user is user and user.token is token

    # The old code with a fresh, valid state: the server refuses the code, no new token.
    widget.logout()
    widget.start()
    fresh_state = parse_qs(urlsplit(widget.authorization_url).query)["state"][0]
    with pytest.raises(ValidationError) as caught:
        widget.complete(_replace_query(location, state=fresh_state))
    assert caught.value.code == "AuthorizationCodeAlreadyUsed"
    assert "AuthorizationCodeAlreadyUsed" in widget.status
    assert widget.user is None
    assert connections_module.connections["loop"].user is None


def test_callback_port_busy_falls_back_to_paste(w_browser: Browser, w_callback_port: int) -> None:
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # earlier tests leave TIME_WAITs
        blocker.bind(("127.0.0.1", w_callback_port))
        blocker.listen()
        widget = LoginWidget()
        widget.start()
        assert widget.mode == "paste"
        assert f"Port {w_callback_port} is busy" in widget.status
    widget.complete(w_browser.authorize(widget.authorization_url))
    assert widget.status == "Logged in as Alice"


def test_loopback_login_times_out(w_callback_port: int, w_clock: ManualClock) -> None:
    widget = LoginWidget(state_expiration=5, callback_lifetime=30)
    widget.start()
    w_clock.advance(29.5)
    assert widget.mode == "loopback"  # the state expired long ago; the server still listens
    assert not _refused(f"http://127.0.0.1:{w_callback_port}/favicon.ico")
    w_clock.advance(0.5)
    assert widget.mode == ""
    assert widget.status == "The login timed out: click 'Log in with Eternaltwin' to try again."
    assert widget.status_kind == "error"
    assert _refused(f"http://127.0.0.1:{w_callback_port}/callback")
    with pytest.raises(InvalidStateError, match="timed out"):
        widget.complete("http://127.0.0.1/callback?code=late&state=x")


def test_the_timeout_of_a_replaced_login_leaves_the_new_one_alone(
    w_browser: Browser, w_clock: ManualClock
) -> None:
    widget = LoginWidget()
    widget.start()
    first_timer, first_timeout = w_clock.timers[0], w_clock.on_timeouts[0]
    widget.start()  # "Start again": a new state, a new server
    assert first_timer.cancelled
    # A lifetime that ran out just as the new login started: the first server, once stopped, tells the
    # widget. That must not end the login that replaced its own.
    first_timeout()
    assert widget.mode == "loopback"
    assert "Waiting" in widget.status
    w_browser.follow(widget.authorization_url)
    assert widget.status == "Logged in as Alice"


@pytest.mark.parametrize("lifetime", [0, -1, float("nan")])
def test_callback_lifetime_must_be_positive(lifetime: float) -> None:
    with pytest.raises(ConfigurationError, match="callback_lifetime"):
        LoginWidget(callback_lifetime=lifetime)


def test_cancel_stops_the_server(w_callback_port: int) -> None:
    widget = LoginWidget()
    url = widget.start()
    widget.paste_box.value = "https://example.invalid/cb?code=pasted-but-never-finished&state=x"
    widget.cancel_button.click()
    assert widget.mode == "" and widget.authorization_url == ""
    assert widget.paste_box.value == ""
    assert widget.status == "Not logged in."
    assert _refused(f"http://127.0.0.1:{w_callback_port}/callback")
    with pytest.raises(InvalidStateError):
        widget.complete(url)
    widget.cancel()  # twice is fine


# -- paste mode ---------------------------------------------------------------------------------------


def test_paste_login(w_paste_browser: Browser) -> None:
    widget = LoginWidget("paste")
    url = widget.start()
    assert widget.mode == "paste"
    assert widget.paste_row.layout.display is None
    assert "paste" in widget.status

    location = w_paste_browser.authorize(url)
    assert location.startswith(PASTE_REDIRECT + "?code=")

    widget.paste_box.value = location
    widget.finish_button.click()

    assert widget.status == "Logged in as Bob"
    assert widget.user is not None and widget.user.display_name == "Bob"
    assert widget.paste_box.value == ""  # the code does not stay in the widget state
    assert connections_module.connections["paste"].user is widget.user
    assert connections_module.async_connections["paste"].user is widget.user
    # Logging in on "paste" leaves "loop" alone.
    assert connections_module.connections["loop"].user is None


def test_paste_accepts_just_the_query(w_paste_browser: Browser) -> None:
    widget = LoginWidget("paste")
    location = w_paste_browser.authorize(widget.start())
    user = widget.complete("?" + urlsplit(location).query)
    assert user.display_name == "Bob"


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        (
            "https://example.invalid/cb?error=access_denied&state=x",
            "did not authorize the app: access_denied",
        ),
        ("https://example.invalid/cb?state=x", "no authorization code"),
        ("https://example.invalid/cb?code=abc", "no state"),
    ],
)
def test_paste_of_a_wrong_address(pasted: str, message: str) -> None:
    widget = LoginWidget("paste")
    widget.start()
    widget.paste_box.value = pasted
    widget.finish_button.click()  # the button shows the error instead of raising
    assert message in widget.status
    assert widget.status_kind == "error"
    assert widget.user is None
    assert widget.paste_box.value == ""


def test_finish_with_an_empty_box() -> None:
    widget = LoginWidget("paste")
    widget.start()
    widget.finish_button.click()
    assert widget.status == "Paste the address your browser was sent to first."
    assert widget.mode == "paste"  # still waiting


# -- server errors and configuration problems -----------------------------------------------------


def _faulty_token_endpoint(sandbox: Sandbox) -> httpx.MockTransport:
    """Forward to the sandbox, except the token endpoint, which fails with a 500."""
    upstream = httpx.HTTPTransport()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(500, json={"error": "InternalServerError"})
        return upstream.handle_request(request)

    return httpx.MockTransport(handle)


def test_token_endpoint_failure(w_browser: Browser, w_sandbox: Sandbox) -> None:
    connections_module.connections.create_connection(
        "faulty", **w_sandbox.connection_config(), transport=_faulty_token_endpoint(w_sandbox)
    )
    widget = LoginWidget("faulty")
    widget.start()
    with pytest.raises(ServerError):
        widget.complete(w_browser.authorize(widget.authorization_url))
    assert widget.status == "Login failed: Eternaltwin failed: InternalServerError (HTTP 500)"
    assert widget.user is None
    assert connections_module.connections["faulty"].user is None


def test_wrong_client_secret(w_browser: Browser, w_sandbox: Sandbox) -> None:
    connections_module.configure(
        loop={**w_sandbox.connection_config(), "client_secret": "not the secret"},
    )
    widget = LoginWidget()
    widget.start()
    with pytest.raises(UnauthorizedError):
        widget.complete(w_browser.authorize(widget.authorization_url))
    assert "(HTTP 401)" in widget.status
    assert "not the secret" not in widget.status
    assert widget.user is None


def test_connection_without_credentials(w_sandbox: Sandbox) -> None:
    connections_module.configure(readonly={"url": w_sandbox.url})
    widget = LoginWidget("readonly")
    assert widget.status == (
        "Connection 'readonly' cannot log in: it was configured without "
        "client_id, client_secret, redirect_uri, state_key."
    )
    assert widget.login_button.disabled
    with pytest.raises(MissingCredentialsError):
        widget.start()
    assert widget.status_kind == "error"
    assert "client_id" in widget.status
    assert widget.mode == ""


def test_unknown_alias() -> None:
    widget = LoginWidget("nope")
    assert widget.status == "No connection named 'nope' (configured: loop, paste)."
    assert widget.login_button.disabled
    with pytest.raises(UnknownAliasError):
        widget.start()


# -- logout, following the active alias ---------------------------------------------------------------


def test_logout(w_browser: Browser) -> None:
    widget = LoginWidget()
    logged_out: list[User] = []
    widget.on_logout.append(logged_out.append)
    w_browser.follow(widget.start())
    user = widget.user
    assert user is not None

    widget.logout_button.click()

    assert widget.user is None
    assert widget.status == "Logged out."
    assert not user.is_authenticated
    assert logged_out == [user]
    assert connections_module.connections["loop"].user is None
    assert connections_module.async_connections["loop"].user is None
    assert widget.logout_button.layout.display == "none"
    widget.logout()  # twice is fine


def test_follows_the_active_alias(w_browser: Browser) -> None:
    widget = LoginWidget(watch=False)
    w_browser.follow(widget.start())
    assert widget.status == "Logged in as Alice"
    connections_module.connections.use("paste")
    widget.refresh()
    assert widget.alias == "paste"
    assert widget.user is None
    assert widget.status == "Not logged in."
    connections_module.connections.use("loop")
    widget.refresh()
    assert widget.status == "Logged in as Alice"


def test_shows_a_login_made_elsewhere(w_browser: Browser) -> None:
    widget = LoginWidget()
    state, url = User.start_authorization(using="loop")
    query = parse_qs(urlsplit(w_browser.authorize(url)).query)
    User.from_authorization_code(query["code"][0], query["state"][0], expected_state=state, using="loop")
    WATCH.check()  # what the watch's thread does a few times a second
    assert widget.status == "Logged in as Alice"


# -- JupyterHub / Binder ------------------------------------------------------------------------------


def test_hub_with_a_loopback_redirect_uri_asks_for_a_paste(
    monkeypatch: pytest.MonkeyPatch, w_browser: Browser
) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/alice/")
    widget = LoginWidget()
    url = widget.start()
    assert widget.mode == "paste"  # the browser cannot reach this kernel's 127.0.0.1
    assert "127.0.0.1 or localhost" in widget.status
    assert f'href="/user/alice/proxy/{w_browser.sandbox.port}/oauth/authorize?' in widget.link_html.value
    widget.complete(w_browser.authorize(url))
    assert widget.status == "Logged in as Alice"


# -- what the notebook file keeps ---------------------------------------------------------------------


def _tree(widget: Any) -> Iterator[Any]:
    """The widget and every widget its synced traits refer to (children, layout, style...)."""
    seen: set[str] = set()
    todo = [widget]
    while todo:
        current = todo.pop()
        if current.model_id in seen:
            continue
        seen.add(current.model_id)
        yield current
        for key in current.keys:
            value = getattr(current, key)
            values = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(item for item in values if isinstance(item, ipywidgets.Widget))


def _saved_state(widget: Any) -> str:
    return repr([(type(w).__name__, w.get_state()) for w in _tree(widget)])


def test_widget_state_holds_no_secret(w_paste_browser: Browser, w_paste_sandbox: Sandbox) -> None:
    from eternaltwin.widgets import panel

    connections_module.connections.use("paste")
    connections_module.async_connections.use("paste")
    board = panel(remember=True)
    widget = board.login
    assert {"status", "user", "authorization_url", "mode", "remember"}.isdisjoint(widget.keys)

    widget.start()
    during = _saved_state(board)
    location = w_paste_browser.authorize(widget.authorization_url)
    code = parse_qs(urlsplit(location).query)["code"][0]
    widget.paste_box.value = location  # as typed in the front end
    widget.finish_button.click()
    user = widget.user
    assert user is not None and user.token is not None and user.token.refresh_token
    after = _saved_state(board)

    secrets = {
        "access token": user.token.access_token,
        "refresh token": user.token.refresh_token,
        "client secret": w_paste_sandbox.connection_config()["client_secret"],
        "state key": w_paste_sandbox.connection_config()["state_key"],
        "code": code,
    }
    for name, secret in secrets.items():
        assert secret not in during, name
        assert secret not in after, name
    assert "Logged in as Bob" in after
    assert "oauth/authorize" not in after  # the link (and its state) is gone once the login ends
