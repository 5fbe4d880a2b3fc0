"""OAuth: /oauth/authorize, /oauth/token, refresh, and the HTML login page (spec §5, §10).

What eternaltwin.org does (a code for a long-lived token, nothing else) runs on ``sandbox_server``;
RFC 6749's refresh lifecycle on the sandboxes with the ``refresh_tokens`` option (``sandbox_refresh``,
``sandbox_fresh_refresh``).
"""

from __future__ import annotations

import urllib.parse

import httpx
import pytest

from eternaltwin.sandbox import Sandbox

from .helpers import TWO_APPS_TOML, authorize_params, get_code, get_tokens, location_query, login


def token_request(
    sandbox: Sandbox, body: dict[str, str], app_index: int = 0, **kwargs: object
) -> httpx.Response:
    app = sandbox.apps[app_index]
    return httpx.post(f"{sandbox.url}/oauth/token", auth=(app.key, app.secret), json=body, **kwargs)  # type: ignore[arg-type]


def me(sandbox: Sandbox, access_token: str) -> httpx.Response:
    return httpx.get(f"{sandbox.url}/api/v1/auth/self", headers={"Authorization": f"Bearer {access_token}"})


# ------------------------------------------------------------------------------------- full flow


def test_full_flow_login_authorize_token_self_refresh(sandbox_refresh: Sandbox) -> None:
    app = sandbox_refresh.apps[0]
    with httpx.Client(base_url=sandbox_refresh.url) as browser:
        assert login(browser, "bob", "bob_password").status_code == 200
        redirect = browser.get("/oauth/authorize", params=authorize_params(sandbox_refresh, state="xyz 1/2"))
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert location.startswith(f"{app.oauth_callback}?code=")
    query = urllib.parse.urlsplit(location).query
    assert [k for k, _ in urllib.parse.parse_qsl(query)] == ["code", "state"]  # code then state
    params = dict(urllib.parse.parse_qsl(query))
    assert params["state"] == "xyz 1/2"

    token = token_request(sandbox_refresh, {"grant_type": "authorization_code", "code": params["code"]})
    assert token.status_code == 200
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) == 36 and body["access_token"] == body["access_token"].lower()

    context = me(sandbox_refresh, body["access_token"]).json()
    assert context["type"] == "AccessToken"
    assert context["user"]["display_name"]["current"]["value"] == "Bob"
    assert context["client"]["key"] == app.key

    refreshed = token_request(
        sandbox_refresh, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["access_token"] != body["access_token"] and new["refresh_token"] != body["refresh_token"]
    assert me(sandbox_refresh, new["access_token"]).json()["user"]["id"] == context["user"]["id"]

    new_refresh = token_request(
        sandbox_refresh, {"grant_type": "refresh_token", "refresh_token": new["refresh_token"]}
    )
    assert new_refresh.status_code == 200  # the rotated token works once
    assert me(sandbox_refresh, new_refresh.json()["access_token"]).status_code == 200


def test_state_is_optional(sandbox_server: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, state=None))
    assert response.status_code == 302
    assert list(location_query(response)) == ["code"]


def test_redirect_uri_and_scope_may_be_omitted_or_empty(sandbox_server: Sandbox) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        for overrides in ({"redirect_uri": None}, {"scope": None}, {"scope": ""}, {"scope": " base  base "}):
            response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, **overrides))
            assert response.status_code == 302, overrides


def test_client_uuid_as_client_id(sandbox_server: Sandbox) -> None:
    app = sandbox_server.apps[0]
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, client_id=app.id))
    assert response.status_code == 302
    code = location_query(response)["code"]
    token = httpx.post(f"{sandbox_server.url}/oauth/token", auth=(app.id, app.secret), json={"code": code})
    assert token.status_code == 200  # grant_type omitted -> authorization_code (2021 compatibility)


def test_callback_with_query_keeps_it(sandbox_two_apps: Sandbox) -> None:
    code_location = None
    with httpx.Client(base_url=sandbox_two_apps.url) as browser:
        login(browser, "user1", "1234567891")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_two_apps, 1))
        code_location = response.headers["location"]
    assert code_location.startswith("http://localhost:9002/cb?x=1&code=")


# ------------------------------------------------------------------------------- authorize errors


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_id": None}, 422, "InvalidClientId"),
        ({"client_id": "Not A Key"}, 422, "InvalidClientId"),
        ({"client_id": "ghost@clients"}, 404, "OauthClientNotFound"),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, 404, "OauthClientNotFound"),
        ({"redirect_uri": "http://localhost:8000/oauth/callback/"}, 400, "RedirectUriMismatch"),
        ({"redirect_uri": "http://evil.example/oauth/callback"}, 400, "RedirectUriMismatch"),
        ({"response_type": None}, 422, "InvalidResponseType"),
        ({"response_type": "banana"}, 422, "InvalidResponseType"),
        ({"response_type": "token"}, 400, "UnsupportedResponseType"),
        ({"scope": "base admin"}, 400, "InvalidScope"),
        ({"scope": "openid"}, 400, "InvalidScope"),
    ],
)
def test_authorize_errors(
    sandbox_server: Sandbox, overrides: dict[str, str | None], status: int, error: str
) -> None:
    with httpx.Client(base_url=sandbox_server.url) as browser:
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, **overrides))
    assert response.status_code == status
    assert response.json() == {"error": error}
    assert "location" not in response.headers


def test_guest_with_bad_scope_gets_error_not_login(
    sandbox_http: httpx.Client, sandbox_server: Sandbox
) -> None:
    response = sandbox_http.get("/oauth/authorize", params=authorize_params(sandbox_server, scope="admin"))
    assert response.status_code == 400


def test_access_token_cannot_authorize(sandbox_server: Sandbox) -> None:
    tokens = get_tokens(sandbox_server)
    response = httpx.get(
        f"{sandbox_server.url}/oauth/authorize",
        params=authorize_params(sandbox_server),
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 403 and response.json() == {"error": "Forbidden"}


def test_basic_user_credentials_can_authorize(sandbox_server: Sandbox) -> None:
    response = httpx.get(
        f"{sandbox_server.url}/oauth/authorize",
        params=authorize_params(sandbox_server),
        auth=("bob", "bob_password"),
    )
    assert response.status_code == 302 and "code" in location_query(response)


# ----------------------------------------------------------------------------------- token errors


def test_reused_code_is_refused(sandbox_refresh: Sandbox) -> None:
    code = get_code(sandbox_refresh)
    assert (
        token_request(sandbox_refresh, {"grant_type": "authorization_code", "code": code}).status_code == 200
    )
    again = token_request(sandbox_refresh, {"grant_type": "authorization_code", "code": code})
    assert again.status_code == 400
    assert again.json() == {"error": "AuthorizationCodeAlreadyUsed"}


def test_unknown_code(sandbox_server: Sandbox) -> None:
    response = token_request(sandbox_server, {"grant_type": "authorization_code", "code": "made-up"})
    assert response.status_code == 400
    assert response.json() == {"error": "AuthorizationCodeNotFound"}


def test_expired_code(sandbox_fresh: Sandbox) -> None:
    code = get_code(sandbox_fresh)
    sandbox_fresh.clock.advance(600)
    response = token_request(sandbox_fresh, {"grant_type": "authorization_code", "code": code})
    assert response.status_code == 400
    assert response.json() == {"error": "AuthorizationCodeExpired"}


def test_code_just_before_expiry_works(sandbox_fresh: Sandbox) -> None:
    code = get_code(sandbox_fresh)
    sandbox_fresh.clock.advance(590)
    assert token_request(sandbox_fresh, {"grant_type": "authorization_code", "code": code}).status_code == 200


def test_code_redeemed_by_another_client(sandbox_two_apps: Sandbox) -> None:
    code = get_code(sandbox_two_apps, "user1", "1234567891", app_index=0)
    stolen = token_request(sandbox_two_apps, {"grant_type": "authorization_code", "code": code}, app_index=1)
    assert stolen.status_code == 400
    assert stolen.json() == {"error": "AuthorizationCodeClientMismatch"}
    # The rightful client can still redeem it.
    rightful = token_request(
        sandbox_two_apps, {"grant_type": "authorization_code", "code": code}, app_index=0
    )
    assert rightful.status_code == 200
    context = me(sandbox_two_apps, rightful.json()["access_token"]).json()
    assert context["client"]["key"] == "first_app@clients"
    assert context["user"]["display_name"]["current"]["value"] == "user1"  # defaults to the username


def test_refresh_token_of_another_client() -> None:
    with Sandbox(config=TWO_APPS_TOML, refresh_tokens=True) as sandbox:
        code = get_code(sandbox, "user2", "1234567892", app_index=0)
        tokens = token_request(sandbox, {"grant_type": "authorization_code", "code": code}).json()
        response = token_request(
            sandbox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, app_index=1
        )
    assert response.status_code == 400 and response.json() == {"error": "RefreshTokenNotFound"}


@pytest.mark.parametrize(
    "auth", [("ghost@clients", "dev_secret"), ("demo_app@clients", "wrong"), ("bob", "bob_password")]
)
def test_bad_client_credentials_are_401(sandbox_server: Sandbox, auth: tuple[str, str]) -> None:
    code = get_code(sandbox_server)
    response = httpx.post(f"{sandbox_server.url}/oauth/token", auth=auth, json={"code": code})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}


def test_missing_client_credentials_are_401(sandbox_server: Sandbox) -> None:
    response = httpx.post(f"{sandbox_server.url}/oauth/token", json={"code": get_code(sandbox_server)})
    assert response.status_code == 401


def test_form_encoded_token_request(sandbox_server: Sandbox) -> None:
    app = sandbox_server.apps[0]
    response = httpx.post(
        f"{sandbox_server.url}/oauth/token",
        auth=(app.key, app.secret),
        data={"grant_type": "authorization_code", "code": get_code(sandbox_server)},
    )
    assert response.status_code == 200
    assert me(sandbox_server, response.json()["access_token"]).json()["type"] == "AccessToken"


def test_body_client_credentials(sandbox_refresh: Sandbox) -> None:
    app = sandbox_refresh.apps[0]
    response = httpx.post(
        f"{sandbox_refresh.url}/oauth/token",
        data={"grant_type": "authorization_code", "code": get_code(sandbox_refresh), "client_id": app.key,
              "client_secret": app.secret},
    )  # fmt: skip
    assert response.status_code == 200
    wrong = httpx.post(
        f"{sandbox_refresh.url}/oauth/token",
        data={"code": get_code(sandbox_refresh), "client_id": app.key, "client_secret": "nope"},
    )
    assert wrong.status_code == 401


def test_unsupported_grant_type(sandbox_refresh: Sandbox) -> None:
    response = token_request(sandbox_refresh, {"grant_type": "password", "code": "x"})
    assert response.status_code == 400
    assert response.json() == {"error": "UnsupportedGrantType"}


@pytest.mark.parametrize("body", [{"grant_type": "authorization_code"}, {"grant_type": "refresh_token"}, {}])
def test_missing_code_or_refresh_token_is_422(sandbox_refresh: Sandbox, body: dict[str, str]) -> None:
    response = token_request(sandbox_refresh, body)
    assert response.status_code == 422
    assert response.json() == {"error": "InvalidRequestBody"}


@pytest.mark.parametrize("content", [b"{oops", b"[]", b"null", b"\xff"])
def test_malformed_token_body_is_422(sandbox_server: Sandbox, content: bytes) -> None:
    app = sandbox_server.apps[0]
    response = httpx.post(
        f"{sandbox_server.url}/oauth/token",
        auth=(app.key, app.secret),
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422 and response.json() == {"error": "InvalidRequestBody"}


def test_token_redirect_uri_mismatch(sandbox_refresh: Sandbox) -> None:
    response = token_request(
        sandbox_refresh, {"code": get_code(sandbox_refresh), "redirect_uri": "http://elsewhere.example/cb"}
    )
    assert response.status_code == 400 and response.json() == {"error": "RedirectUriMismatch"}


def test_expired_access_token_is_401(sandbox_fresh_refresh: Sandbox) -> None:
    tokens = get_tokens(sandbox_fresh_refresh)
    assert me(sandbox_fresh_refresh, tokens["access_token"]).status_code == 200
    sandbox_fresh_refresh.clock.advance(3600)
    response = me(sandbox_fresh_refresh, tokens["access_token"])
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}
    # the refresh token outlives it
    refreshed = token_request(
        sandbox_fresh_refresh, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert me(sandbox_fresh_refresh, refreshed.json()["access_token"]).status_code == 200


def test_expired_refresh_token(sandbox_fresh_refresh: Sandbox) -> None:
    tokens = get_tokens(sandbox_fresh_refresh)
    sandbox_fresh_refresh.clock.advance(31 * 24 * 3600)
    response = token_request(
        sandbox_fresh_refresh, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 400 and response.json() == {"error": "RefreshTokenExpired"}


def test_token_route_is_post_only(sandbox_server: Sandbox) -> None:
    response = httpx.get(f"{sandbox_server.url}/oauth/token")
    assert response.status_code == 405 and response.json() == {"error": "MethodNotAllowed"}


# ------------------------------------------------------------------------------- HTML login page


def test_guest_is_redirected_to_login_page(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    params = authorize_params(sandbox_server)
    response = sandbox_http.get("/oauth/authorize", params=params)
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == sandbox_server.url
    assert location.path == "/login"
    next_path = dict(urllib.parse.parse_qsl(location.query))["next"]
    assert next_path.startswith("/oauth/authorize?")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(next_path).query)) == params


def test_html_login_flow(sandbox_server: Sandbox) -> None:
    app = sandbox_server.apps[0]
    with httpx.Client(base_url=sandbox_server.url) as browser:
        to_login = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, state="st"))
        page = browser.get(to_login.headers["location"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert (
            '<form method="post"' in page.text
            and 'name="username"' in page.text
            and 'type="password"' in page.text
        )
        next_path = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(to_login.headers["location"]).query))[
            "next"
        ]
        posted = browser.post(
            "/login", data={"username": "charlie", "password": "charlie_password", "next": next_path}
        )
        assert posted.status_code == 303
        assert "sid" in posted.cookies
        assert posted.headers["location"] == f"{sandbox_server.url}{next_path}"
        final = browser.get(posted.headers["location"])
        assert final.status_code == 302
        assert final.headers["location"].startswith(f"{app.oauth_callback}?code=")
        assert location_query(final)["state"] == "st"
        code = location_query(final)["code"]
    token = token_request(sandbox_server, {"grant_type": "authorization_code", "code": code})
    assert (
        me(sandbox_server, token.json()["access_token"]).json()["user"]["display_name"]["current"]["value"]
        == "Charlie"
    )


def test_html_login_follow_redirects(sandbox_server: Sandbox) -> None:
    """The whole chain, followed like a browser does, ends at the app's callback with a code."""
    callback_hits: list[httpx.URL] = []

    def callback(request: httpx.Request) -> httpx.Response:
        callback_hits.append(request.url)
        return httpx.Response(200, text="callback reached")

    mounts = {"http://localhost:8000": httpx.MockTransport(callback)}  # the demo app's callback origin
    with httpx.Client(base_url=sandbox_server.url, follow_redirects=True, mounts=mounts) as browser:
        page = browser.get("/oauth/authorize", params=authorize_params(sandbox_server, state="s1"))
        assert page.status_code == 200 and page.url.path == "/login"
        action = page.text.split('action="', 1)[1].split('"', 1)[0]
        next_path = page.text.split('name="next" value="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        final = browser.post(action, data={"username": "bob", "password": "bob_password", "next": next_path})
    assert final.text == "callback reached"
    assert [r.status_code for r in final.history] == [303, 302]
    assert len(callback_hits) == 1
    assert callback_hits[0].path == "/oauth/callback"
    assert callback_hits[0].params["state"] == "s1" and callback_hits[0].params["code"]


def test_wrong_password_rerenders_form_with_401(sandbox_server: Sandbox, sandbox_http: httpx.Client) -> None:
    response = sandbox_http.post(
        "/login", data={"username": "bob<script>", "password": "nope", "next": '/oauth/authorize?a=1&b="2"'}
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "<script>" not in response.text and "bob&lt;script&gt;" in response.text
    assert 'value="/oauth/authorize?a=1&amp;b=&quot;2&quot;"' in response.text
    assert "sid" not in response.cookies


@pytest.mark.parametrize(
    "next_value",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil", ""],
)
def test_login_next_must_be_local(
    sandbox_server: Sandbox, sandbox_http: httpx.Client, next_value: str
) -> None:
    response = sandbox_http.post(
        "/login", data={"username": "bob", "password": "bob_password", "next": next_value}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{sandbox_server.url}/"


def test_login_page_escapes_next(sandbox_http: httpx.Client) -> None:
    page = sandbox_http.get("/login", params={"next": '/x"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


def test_login_page_supports_dark_mode(sandbox_http: httpx.Client) -> None:
    page = sandbox_http.get("/login").text
    assert "prefers-color-scheme: dark" in page and "color-scheme: light dark" in page


def test_external_url_behind_a_path_prefix() -> None:
    external = "http://hub.example/user/x/proxy/50320"
    with Sandbox(external_url=external + "/") as sandbox, httpx.Client(base_url=sandbox.url) as browser:
        assert sandbox.external_url == external
        to_login = browser.get("/oauth/authorize", params=authorize_params(sandbox))
        assert to_login.headers["location"].startswith(f"{external}/login?next=%2Foauth%2Fauthorize%3F")
        page = browser.get("/login", params={"next": "/oauth/authorize?x=1"})
        assert f'action="{external}/login"' in page.text
        posted = browser.post(
            "/login", data={"username": "bob", "password": "bob_password", "next": "/oauth/authorize?x=1"}
        )
        assert posted.headers["location"] == f"{external}/oauth/authorize?x=1"


def test_redirect_uri_override() -> None:
    callback = "http://127.0.0.1:45678/callback"
    with Sandbox(redirect_uri=callback) as sandbox, httpx.Client(base_url=sandbox.url) as browser:
        assert sandbox.connection_config()["redirect_uri"] == callback
        assert sandbox.apps[0].oauth_callback == callback
        login(browser, "bob", "bob_password")
        response = browser.get("/oauth/authorize", params=authorize_params(sandbox))
        assert response.headers["location"].startswith(f"{callback}?code=")
