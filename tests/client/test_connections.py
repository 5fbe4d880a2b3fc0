"""Connection registries, the active alias, and configuration from dicts, TOML files and the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eternaltwin
from eternaltwin import connections as module
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.connections import Connections, async_connections, connections
from eternaltwin.exceptions import ConfigurationError, UnknownAliasError
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User

SECRET = "never-shown-client-secret"


@pytest.fixture(autouse=True)
def clean_registries() -> Iterator[None]:
    connections.clear()
    async_connections.clear()
    yield
    connections.clear()
    async_connections.clear()


def test_mapping_protocol_and_aliases() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    one, two = SyncEternaltwin(url="http://one.test/"), SyncEternaltwin(url="http://two.test/")
    registry["one"] = one
    registry.add_connection("two", two)
    assert registry["one"] is one and registry.get_connection("two") is two
    assert list(registry) == ["one", "two"] == registry.aliases()
    assert len(registry) == 2 and "one" in registry and "three" not in registry
    del registry["one"]
    registry.remove_connection("two")
    assert len(registry) == 0
    with pytest.raises(TypeError):
        registry["x"] = "not a client"  # type: ignore[assignment]


def test_unknown_alias_is_a_key_error_listing_the_configured_ones() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.create_connection("prod", url="http://prod.test/")
    registry.create_connection("dev", url="http://dev.test/")
    with pytest.raises(KeyError) as caught:
        registry.get_connection()
    error = caught.value
    assert isinstance(error, UnknownAliasError)
    assert "'default'" in str(error) and "'dev', 'prod'" in str(error) and "configure" in str(error)
    with pytest.raises(UnknownAliasError, match="'nope'"):
        del registry["nope"]
    with pytest.raises(UnknownAliasError, match="no alias is configured"):
        Connections(SyncEternaltwin)["default"]


def test_configure_replaces_everything_and_create_connection_keeps_others() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.configure(a={"url": "http://a.test/"}, b={"url": "http://b.test/"})
    assert registry.aliases() == ["a", "b"]
    registry.configure(c={"url": "http://c.test/"})
    assert registry.aliases() == ["c"]
    made = registry.create_connection("d", url="http://d.test/", client_id="app@clients")
    assert isinstance(made, SyncEternaltwin) and made.client_id == "app@clients"
    replaced = registry.create_connection("c", url="http://c2.test/")
    assert (
        registry.aliases() == ["c", "d"] and registry["c"] is replaced and replaced.url == "http://c2.test/"
    )


def test_failed_configure_changes_nothing() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.configure(a={"url": "http://a.test/"})
    with pytest.raises(ConfigurationError):
        registry.configure(b={"url": "http://b.test/"}, c={"timeout": 3})
    assert registry.aliases() == ["a"]


def test_dropped_sync_clients_are_closed(sandbox: Sandbox) -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    client = registry.create_connection("default", url=sandbox.url)
    client.clock.now()
    pool = client.http
    registry.configure(other={"url": sandbox.url})
    assert pool.is_closed


def test_module_configure_sets_both_registries_with_their_own_copies() -> None:
    options = {"url": "http://example.test/", "client_id": "app@clients", "timeout": 3}
    module.configure(default=options)
    options["client_id"] = "changed@clients"
    sync_client, async_client = connections.get_connection(), async_connections.get_connection()
    assert isinstance(sync_client, SyncEternaltwin) and isinstance(async_client, AsyncEternaltwin)
    assert sync_client.client_id == async_client.client_id == "app@clients"
    assert eternaltwin.configure is module.configure


def test_active_alias_use_and_context_manager(connected: Sandbox) -> None:
    assert connections.active == "default" and async_connections.active == "default"
    connections.create_connection("dead", url="http://127.0.0.1:9/")
    with connections.use("dead") as client:
        assert connections.active == "dead" and client is connections["dead"]
        assert connections.get_connection() is connections["dead"]
    assert connections.active == "default"
    connections.use("dead")
    assert connections.get_connection().url == "http://127.0.0.1:9/"
    assert User.count(using="default") >= 53
    connections.use("default")
    assert User.count() >= 53
    with pytest.raises(UnknownAliasError, match=r"'dead', 'default'"):
        connections.use("missing")
    assert connections.active == "default"


def test_active_alias_falls_back_to_default_when_its_connection_goes() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.configure(default={"url": "http://127.0.0.1:9/"}, lab={"url": "http://127.0.0.1:10/"})
    registry.use("lab")
    registry.configure(default={"url": "http://127.0.0.1:11/"})
    assert registry.active == "default"
    assert registry.get_connection().url == "http://127.0.0.1:11/"
    registry.create_connection("lab", url="http://127.0.0.1:10/")
    registry.use("lab")
    del registry["lab"]
    assert registry.active == "default"
    registry.use("default")
    registry.configure(other={"url": "http://127.0.0.1:12/"})
    assert registry.active == "default"  # kept as the fallback name even though nothing is there yet


async def test_active_alias_drives_using_none(connected: Sandbox) -> None:
    async_connections.create_connection("second", url=connected.url)
    async_connections.use("second")
    page = await User.asearch("alice")
    assert page.items[0].using == "second"
    async_connections.use("default")
    assert (await User.asearch("alice")).items[0].using == "default"


def test_registry_context_manager_closes_sync_pools(sandbox: Sandbox) -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    client = registry.create_connection("default", url=sandbox.url)
    with registry:
        client.clock.now()
        pool = client.http
    assert pool.is_closed
    with pytest.raises(TypeError, match="aclose"):
        async_registry: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
        async_registry.create_connection("default", url="http://example.test/")
        async_registry.close()


async def test_async_registry_context_manager_closes_pools(sandbox: Sandbox) -> None:
    registry: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
    client = registry.create_connection("default", url=sandbox.url)
    async with registry:
        await client.clock.now()
        pool = client.http
    assert pool.is_closed


def test_registry_repr_lists_aliases_without_secrets() -> None:
    connections.configure(
        default={"url": "http://a.test/", "client_secret": SECRET}, b={"url": "http://b.test/"}
    )
    text = repr(connections)
    assert "default (active) -> http://a.test/" in text and "b -> http://b.test/" in text
    assert SECRET not in text


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "http://a.test/", "timout": 3}, "unknown option 'timout'. Did you mean 'timeout'?"),
        ({"url": "http://a.test/", "clientsecret": SECRET}, "Did you mean 'client_secret'?"),
        ({"client_id": "x@clients"}, "no server given: pass url="),
        ({"url": 3}, "url must be a string, got int"),
        ({"url": "eternaltwin.org"}, "url must start with http:// or https://"),
        ({"url": "http://a.test/", "timeout": "5"}, "timeout must be a number, got str"),
        ({"url": "http://a.test/", "timeout": 0}, "timeout must be > 0"),
        ({"url": "http://a.test/", "verify_ssl": "yes"}, "verify_ssl must be True or False, got str"),
        ({"url": "http://a.test/", "max_retries": -1}, "max_retries must be >= 0"),
        ({"url": "http://a.test/", "max_connections": 0}, "max_connections must be >= 1"),
        ({"url": "http://a.test/", "max_retries": 1.5}, "max_retries must be an int >= 0, got float"),
        ({"url": "http://a.test/", "client_secret": 12345}, "client_secret must be a string, got int"),
        (
            {"url": "http://a.test/", "state_key": 12345},
            "state_key must be a string or an eternaltwin.keys.Key",
        ),
        ({"host": "a.test", "port": 70000}, "port must be an int between 1 and 65535"),
        ({"host": "a.test", "scheme": "ftp"}, "scheme must be 'http' or 'https'"),
    ],
)
def test_configuration_errors_are_specific(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        module.configure(default=options)
    assert message in str(caught.value)
    assert "connection 'default'" in str(caught.value)
    assert "12345" not in str(caught.value) or "port" in message
    assert isinstance(caught.value, ValueError)


def test_configuration_rejects_non_dict_aliases() -> None:
    with pytest.raises(ConfigurationError, match="expected a dict of options"):
        connections.configure(default="http://a.test/")  # type: ignore[arg-type]


# -- TOML files -----------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eternaltwin.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_configure_from_file(tmp_path: Path, sandbox: Sandbox) -> None:
    config = sandbox.connection_config()
    path = write(
        tmp_path,
        f"""
[default]
url = "{config["url"]}"
client_id = "{config["client_id"]}"
client_secret = "{config["client_secret"]}"
redirect_uri = "{config["redirect_uri"]}"
state_key = "{config["state_key"]}"
timeout = 7

[public]
url = "https://eternaltwin.org/"
max_retries = 0
""",
    )
    assert eternaltwin.configure_from_file(path) == ["default", "public"]
    for registry in (connections, async_connections):
        assert registry.aliases() == ["default", "public"]
        assert registry["default"].timeout == 7 and not registry["default"].is_read_only
        assert registry["public"].is_read_only and registry["public"].retry_policy.max_retries == 0
    assert User.count() >= 53


def test_configure_from_file_into_one_registry(tmp_path: Path) -> None:
    path = write(tmp_path, '[only]\nurl = "http://a.test/"\n')
    assert module.configure_from_file(path, registry=async_connections) == ["only"]
    assert async_connections.aliases() == ["only"] and connections.aliases() == []
    assert connections.configure_from_file(path) == ["only"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[connections.default]\nurl = "http://a.test/"\n', "[connections.ALIAS] layout is not supported"),
        ('url = "http://a.test/"\n', "top-level key 'url' is not a table"),
        ('[default]\nurl = "http://a.test/"\nclient_secrett = "x"\n', "Did you mean 'client_secret'?"),
        ('[default]\nclient_id = "x@clients"\n', "missing url"),
        ('[default]\nurl = "http://a.test/"\ntimeout = "5"\n', "timeout must be a number, got str"),
        ('[default]\nurl = "http://a.test/"\ntransport = "x"\n', "'transport' can only be given from Python"),
        ("[default\n", "is not valid TOML"),
        ("", "no connection table found"),
    ],
)
def test_configure_from_file_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        module.configure_from_file(write(tmp_path, text))
    assert message in str(caught.value)


def test_configure_from_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="No configuration file"):
        module.configure_from_file(tmp_path / "absent.toml")


# -- environment ----------------------------------------------------------------------------------


def test_configure_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    connections.create_connection("other", url="http://other.test/")
    for name, value in {
        "ETERNALTWIN_URL": "http://env.test/",
        "ETERNALTWIN_CLIENT_ID": "env@clients",
        "ETERNALTWIN_CLIENT_SECRET": SECRET,
        "ETERNALTWIN_REDIRECT_URI": "http://localhost/cb",
        "ETERNALTWIN_STATE_KEY": "s" * 32,
    }.items():
        monkeypatch.setenv(name, value)
    eternaltwin.configure_from_env()
    for registry in (connections, async_connections):
        client = registry.get_connection()
        assert (client.url, client.client_id, client.client_secret) == (
            "http://env.test/",
            "env@clients",
            SECRET,
        )
        assert not client.is_read_only
    assert connections.aliases() == ["other", "default"]


def test_configure_from_env_mapping_and_errors() -> None:
    client = connections.configure_from_env({"ETERNALTWIN_URL": "http://env.test/"})
    assert client.is_read_only and connections.get_connection() is client
    with pytest.raises(ConfigurationError, match="ETERNALTWIN_URL is not set"):
        module.configure_from_env(environ={"ETERNALTWIN_CLIENT_ID": "x@clients"})
    with pytest.raises(ConfigurationError, match="url must start with http"):
        module.configure_from_env(environ={"ETERNALTWIN_URL": "eternaltwin.org"})


def test_async_backend_option_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from eternaltwin import config

    with pytest.raises(ConfigurationError, match=r"async_backend must be one of auto, aiohttp, httpx"):
        AsyncEternaltwin(url="http://127.0.0.1:9/", async_backend="curl")
    with pytest.raises(ConfigurationError, match=r"async_backend.*'auto', 'aiohttp' or 'httpx'"):
        AsyncEternaltwin(url="http://127.0.0.1:9/", async_backend=3)  # type: ignore[arg-type]
    monkeypatch.setattr(config, "_has_aiohttp", lambda: False)
    with pytest.raises(ConfigurationError, match=r"pip install 'eternaltwin-kit\[fast\]'"):
        AsyncEternaltwin(url="http://127.0.0.1:9/", async_backend="aiohttp")
    # "auto" falls back to httpx's own pool when aiohttp is missing.
    assert config.resolve_backend("auto") == "httpx"
    registry: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
    registry.configure(default={"url": "http://127.0.0.1:9/", "async_backend": "httpx"})
    assert registry.get_connection().async_backend == "httpx"


async def test_a_with_block_is_per_task(connected: Sandbox) -> None:
    """Two tasks, each in its own ``with use()`` block, interleaved: each is answered through its own
    alias, and the active alias is the default again afterwards."""
    import asyncio

    for alias in ("one", "two"):
        async_connections.create_connection(alias, url=connected.url)
    both_inside = asyncio.Barrier(2)

    async def search_as(alias: str) -> list[str | None]:
        seen = []
        with async_connections.use(alias):
            await both_inside.wait()  # the other task has entered its block too
            for _ in range(3):
                seen.append((await User.asearch("alice")).items[0].using)
                await asyncio.sleep(0)
            assert async_connections.active == alias
        seen.append(async_connections.active)
        return seen

    one, two = await asyncio.gather(search_as("one"), search_as("two"))
    assert one == ["one", "one", "one", "default"] and two == ["two", "two", "two", "default"]
    assert async_connections.active == "default"


def test_a_with_block_is_per_thread(connected: Sandbox) -> None:
    import threading

    for alias in ("one", "two"):
        connections.create_connection(alias, url=connected.url)
    both_inside = threading.Barrier(2)
    seen: dict[str, list[str | None]] = {}

    def search_as(alias: str) -> None:
        with connections.use(alias):
            both_inside.wait()
            seen[alias] = [User.search("alice").items[0].using for _ in range(3)]
            both_inside.wait()  # neither leaves before the other has searched

    threads = [threading.Thread(target=search_as, args=(alias,)) for alias in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"one": ["one"] * 3, "two": ["two"] * 3}
    assert connections.active == "default"


def test_a_plain_use_is_the_default_for_every_thread_and_nested_blocks_restore(connected: Sandbox) -> None:
    import threading

    from eternaltwin import connections as module

    module.configure(default={"url": connected.url}, one={"url": connected.url}, two={"url": connected.url})
    module.use("one")  # both registries
    assert (connections.active, async_connections.active) == ("one", "one")
    found: list[str] = []
    thread = threading.Thread(target=lambda: found.append(connections.active))
    thread.start()
    thread.join()
    assert found == ["one"]
    with module.use("two") as client:
        assert client is connections["two"]
        assert (connections.active, async_connections.active) == ("two", "two")
        with connections.use("default"):
            assert connections.active == "default"
        assert connections.active == "two"
    assert (connections.active, async_connections.active) == ("one", "one")
    module.use("default")


def test_an_unknown_alias_suggests_what_keeps_the_others() -> None:
    registry: Connections[SyncEternaltwin] = Connections(SyncEternaltwin)
    registry.configure(default={"url": "http://127.0.0.1:9/"}, sandbox={"url": "http://127.0.0.1:10/"})
    with pytest.raises(UnknownAliasError) as caught:
        registry.get_connection("sandbx")
    message = str(caught.value)
    assert "Did you mean 'sandbox'?" in message
    assert "create_connection('sandbx', url=...)" in message
    assert "configure(" not in message  # configure() would drop the other connections


def test_auto_picks_aiohttp_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp (when installed) for lookups and for paging alike (measured: benchmarks/); a named engine
    is used as named, by a connection and by the async twin of a sync one."""
    from eternaltwin import config

    engine = "aiohttp" if config._has_aiohttp() else "httpx"
    assert config.resolve_backend("auto") == engine
    assert config.resolve_backend("httpx") == "httpx"
    monkeypatch.setattr(config, "_has_aiohttp", lambda: True)
    assert config.resolve_backend("auto") == "aiohttp"
    assert config.resolve_backend("aiohttp") == "aiohttp"

    sync_client = SyncEternaltwin(url="http://127.0.0.1:9/")
    assert sync_client.async_twin().async_backend == "auto"  # the same settings
    assert sync_client.async_twin() is sync_client.async_twin()  # kept
    named = SyncEternaltwin(url="http://127.0.0.1:9/", async_backend="httpx")
    assert named.async_twin().async_backend == "httpx"
    for client in (sync_client, named):
        client.close()
