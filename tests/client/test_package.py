"""The package surface: a light import, a sorted and complete ``__all__``, and no secret in any repr."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

import eternaltwin
from eternaltwin import exceptions, keys
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.config import validate_options
from eternaltwin.connections import Connections
from eternaltwin.exceptions import (
    ConfigurationError,
    MissingCredentialsError,
    RequestError,
    UnauthorizedError,
    request_error_for,
)
from eternaltwin.responses import Response
from eternaltwin.states import State
from eternaltwin.tokens import Token
from eternaltwin.users import User

HEAVY = [
    "IPython",
    "ipywidgets",
    "pandas",
    "starlette",
    "uvicorn",
    "eternaltwin.sandbox",
    "matplotlib",
    "tqdm",
    "aiohttp",  # the async client's engine loads when a request is first sent
]


def test_import_is_light() -> None:
    code = (
        "import sys, json, eternaltwin, eternaltwin.connections, eternaltwin.users\n"
        "eternaltwin.configure(default={'url': 'http://example.test/'})\n"
        "eternaltwin.User, eternaltwin.Eternaltwin, eternaltwin.AsyncEternaltwin, eternaltwin.HS256Key\n"
        "eternaltwin.AsyncEternaltwin(url='http://example.test/')\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_all_is_sorted_complete_and_resolvable() -> None:
    names = eternaltwin.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(eternaltwin, name) is not None, name
    # Complete: every public exception class and every key class is exported at the top level.
    expected = {n for n in exceptions.__all__ if inspect.isclass(getattr(exceptions, n))}
    expected |= {n for n in keys.__all__ if n not in ("Key", "as_key")}
    expected |= {
        "Eternaltwin",
        "AsyncEternaltwin",
        "User",
        "SearchPage",
        "LinkedAccount",
        "Token",
        "Response",
    }
    expected |= {"State", "AuthorizationType", "Connections", "configure", "configure_from_file"}
    expected |= {"configure_from_env", "HammerfestUser", "DinoparcUser", "TwinoidUser", "__version__"}
    assert expected <= set(names), expected - set(names)
    lazy = set(eternaltwin._LAZY)
    assert set(names) - lazy == {"__version__", "load_ipython_extension", "unload_ipython_extension"}
    assert set(dir(eternaltwin)) >= set(names)
    assert eternaltwin.Eternaltwin is Eternaltwin and eternaltwin.AsyncEternaltwin is AsyncEternaltwin
    with pytest.raises(AttributeError):
        eternaltwin.not_a_name  # noqa: B018


def test_public_submodules_are_attributes_of_the_package() -> None:
    import pkgutil

    public = {m.name for m in pkgutil.iter_modules(eternaltwin.__path__) if not m.name.startswith("_")}
    assert public == set(eternaltwin._SUBMODULES)
    # In a fresh interpreter, without importing the submodule first (and still light).
    code = (
        "import sys, eternaltwin\n"
        "assert eternaltwin.connections.connections.active == 'default'\n"
        "assert eternaltwin.users.User is eternaltwin.User\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_submodule_all_lists_resolve() -> None:
    import eternaltwin.clients.endpoints as endpoints
    import eternaltwin.config as config
    import eternaltwin.connections as connections

    for module in (endpoints, config, connections, keys, exceptions):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)


# -- secrets --------------------------------------------------------------------------------------

CLIENT_SECRET = "CLIENT-SECRET-0123456789"
STATE_KEY = "STATE-KEY-0123456789-0123456789-0123456789"
ACCESS = "ACCESS-TOKEN-0123456789"
REFRESH = "REFRESH-TOKEN-0123456789"
SECRETS = [CLIENT_SECRET, STATE_KEY, ACCESS, REFRESH]


def assert_clean(*objects: Any) -> None:
    for obj in objects:
        for text in (repr(obj), str(obj)):
            for secret in SECRETS:
                assert secret not in text, (type(obj).__name__, text)


def _refusing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"error": "Unauthorized"})


async def test_no_secret_in_any_repr_or_message() -> None:
    options = {
        "url": "http://example.test/",
        "client_id": "app@clients",
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "http://localhost/cb",
        "state_key": STATE_KEY,
    }
    sync_client = Eternaltwin(**options, transport=httpx.MockTransport(_refusing))
    async_client = AsyncEternaltwin(**options, transport=httpx.MockTransport(_refusing))
    registry: Connections[Eternaltwin] = Connections(Eternaltwin)
    registry["default"] = sync_client
    token = Token(access_token=ACCESS, expires_in=3600, token_type="Bearer", refresh_token=REFRESH)
    user = User(identifier="3f1c2a58-7d0b-4e8e-9a51-0b6f4f2d9c11", display_name="Mira", token=token)
    sync_client.user = user
    state = State.new(sync_client.url, keys.HS256Key(STATE_KEY))
    assert_clean(
        sync_client,
        async_client,
        sync_client.users,
        async_client.archive,
        registry,
        keys.HS256Key(STATE_KEY),
        sync_client.state_key,
        token,
        user,
        state,
        validate_options(**options),
    )
    # Errors: a refused token exchange, a refused bearer call, configuration and credential errors.
    errors: list[Exception] = []
    for call in (lambda: sync_client.token("code"), lambda: sync_client.users.me(token=token)):
        with pytest.raises(RequestError) as caught:
            call()
        errors.append(caught.value)
    with pytest.raises(UnauthorizedError) as async_caught:
        await async_client.refresh(token)
    errors.append(async_caught.value)
    with pytest.raises(ConfigurationError) as config_caught:
        registry.configure(default={**options, "timeout": "soon"})
    errors.append(config_caught.value)
    with pytest.raises(ConfigurationError) as typo_caught:
        registry.configure(default={**options, "client_secrett": CLIENT_SECRET})
    errors.append(typo_caught.value)
    errors.append(MissingCredentialsError(["client_secret"], "Exchanging a code"))
    errors.append(request_error_for(Response("http://example.test/", 500, b"{}", {})))
    assert_clean(*errors)
    sync_client.close()
    await async_client.aclose()


def _locals_of(error: BaseException) -> list[tuple[str, str, str]]:
    """``(function, name, repr)`` of every local of every kit frame the error went through."""
    found = []
    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        if "eternaltwin" in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                found.append((frame.f_code.co_name, name, repr(value)))
        traceback = traceback.tb_next
    return found


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_no_secret_in_the_locals_of_a_verbose_traceback(flavour: str) -> None:
    """What ``%xmode Verbose``, ``pytest --showlocals``, Sentry or rich show of a failed call."""
    cls = Eternaltwin if flavour == "sync" else AsyncEternaltwin
    client = cls(
        url="http://example.test/",
        client_id="app@clients",
        client_secret=CLIENT_SECRET,
        redirect_uri="http://localhost/cb",
        state_key=STATE_KEY,
        transport=httpx.MockTransport(lambda request: httpx.Response(500, json={"error": "Boom"})),
        max_retries=0,
    )
    expired = Token(access_token=ACCESS, expires_in=0, token_type="Bearer", refresh_token=REFRESH)
    calls = [
        lambda: client.token("the-authorization-code-123"),
        lambda: client.refresh(expired),
        lambda: client.users.me(token=ACCESS),
        lambda: client.users.me(token=expired),
    ]
    try:
        for call in calls:
            with pytest.raises(RequestError) as caught:
                result = call()
                if flavour == "async":
                    await result
            for function, name, text in _locals_of(caught.value):
                for secret in (*SECRETS, "the-authorization-code-123"):
                    assert secret not in text, (function, name, text)
    finally:
        if flavour == "sync":
            client.close()
        else:
            await client.aclose()


def test_a_call_says_what_it_holds_without_its_values() -> None:
    from eternaltwin.clients import _calls

    token = Token(access_token=ACCESS, expires_in=60, token_type="Bearer", refresh_token=REFRESH)
    for call in (_calls.token_refresh(token), _calls.token_from_code("the-code"), _calls.auth_self(ACCESS)):
        text = repr(call)
        assert ACCESS not in text and REFRESH not in text and "the-code" not in text
    assert repr(_calls.token_refresh(token)).startswith("<Call POST /oauth/token")
    assert "json=['grant_type', 'refresh_token']" in repr(_calls.token_refresh(token))
