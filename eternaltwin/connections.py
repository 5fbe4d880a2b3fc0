"""Connection registries: clients by alias.

Two module-level registries hold the configured connections: :data:`connections` (sync clients) and
:data:`async_connections` (async clients). ``using=None`` in the high-level API resolves to the registry's
*active* alias, ``"default"`` until :meth:`Connections.use` changes it.

Examples
--------
>>> import eternaltwin
>>> eternaltwin.configure(default={"url": "https://eternaltwin.org/"})   # both registries
>>> eternaltwin.connections.get_connection()                               # doctest: +ELLIPSIS
<Eternaltwin (sync) url='https://eternaltwin.org/' read-only>

Configuration can also come from a TOML file (:func:`configure_from_file`, one table per alias) or from
``ETERNALTWIN_*`` environment variables (:func:`configure_from_env`); see :mod:`eternaltwin.config`.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

from eternaltwin import config
from eternaltwin import users as _users
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.exceptions import ConfigurationError, UnknownAliasError

__all__ = [
    "Connections",
    "async_connections",
    "configure",
    "configure_from_env",
    "configure_from_file",
    "connections",
    "use",
]

C = TypeVar("C", bound=ClientABC)


class ActiveAlias(Generic[C]):
    """What :meth:`Connections.use` returns.

    As a plain call, ``use(alias)`` has already made ``alias`` the registry's default, everywhere. As a
    context manager (``with connections.use("prod") as client: ...``), the default is put back at once and
    ``alias`` is active only inside the block, for the task or thread that runs it (a
    :class:`contextvars.ContextVar`); leaving the block restores what that task had. Two tasks each in its
    own block never see each other's alias.
    """

    __slots__ = ("_alias", "_previous", "_registry", "_token")

    def __init__(self, registry: Connections[C], alias: str, previous: str) -> None:
        self._registry = registry
        self._alias = alias
        self._previous = previous
        self._token: contextvars.Token[str | None] | None = None

    def __enter__(self) -> C:
        registry = self._registry
        # use() made the alias the default for everyone; a block wants it for itself only. (In a thread,
        # another thread may see the default of the few instructions between use() and here.)
        if registry._default == self._alias:
            registry._default = self._previous
        self._token = registry._local.set(self._alias)
        return registry[self._alias]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            self._registry._local.reset(self._token)
            self._token = None

    def __repr__(self) -> str:
        return f"<active connection {self._alias!r} (was {self._previous!r})>"


class Connections(Generic[C]):
    """A registry of clients by alias.

    Parameters
    ----------
    client_class : type
        The client class that :meth:`configure` and :meth:`create_connection` build
        (the sync or the async ``Eternaltwin``).

    Notes
    -----
    ``conns[alias]``, ``conns[alias] = client``, ``del conns[alias]``, ``alias in conns``, ``len(conns)``
    and iteration over the aliases work as on a dict. A missing alias raises
    :class:`~eternaltwin.exceptions.UnknownAliasError` (a ``KeyError``) listing the configured ones.
    ``with conns:`` (sync clients) and ``async with conns:`` close every pooled connection on exit.
    """

    #: How messages name this registry (the module's two are ``connections`` and ``async_connections``).
    _name = "connections"

    def __init__(self, client_class: type[C]) -> None:
        self.client_class = client_class
        self._connections: dict[str, C] = {}
        self._default = config.DEFAULT_ALIAS  # the notebook-wide active alias (use() as a plain call)
        # The active alias of the ``with use(...)`` block that the running task or thread is in, if any.
        self._local: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f"eternaltwin-active-alias-{id(self)}", default=None
        )

    # -- mapping ------------------------------------------------------------------------------------

    def __getitem__(self, alias: str) -> C:
        try:
            return self._connections[alias]
        except KeyError:
            raise UnknownAliasError(alias, list(self._connections), self._name) from None

    def __setitem__(self, alias: str, client: C) -> None:
        if not isinstance(alias, str) or not alias:
            raise TypeError(f"aliases are non-empty strings, got {alias!r}")
        if not isinstance(client, ClientABC):
            raise TypeError(f"a connection is an Eternaltwin client, got {type(client).__name__}")
        previous = self._connections.get(alias)
        self._connections[alias] = client
        client.alias = alias
        if previous is not None and previous is not client:
            self._discard(previous)

    def __delitem__(self, alias: str) -> None:
        client = self[alias]
        del self._connections[alias]
        if self._default == alias:
            self._default = config.DEFAULT_ALIAS
        self._discard(client)

    def __contains__(self, alias: object) -> bool:
        return alias in self._connections

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._connections))

    def __len__(self) -> int:
        return len(self._connections)

    def aliases(self) -> list[str]:
        """The configured aliases, in the order they were added."""
        return list(self._connections)

    def add_connection(self, alias: str, client: C) -> None:
        """Register ``client`` under ``alias`` (same as ``conns[alias] = client``)."""
        self[alias] = client

    def remove_connection(self, alias: str) -> None:
        """Forget the client under ``alias`` (same as ``del conns[alias]``)."""
        del self[alias]

    def _discard(self, client: C) -> None:
        """Close a client that no alias holds any more (calls in flight on it finish first)."""
        if any(held is client for held in self._connections.values()):  # identity: clients compare by config
            return
        if isinstance(client, AsyncEternaltwin):
            client.close_soon()  # on its event loop, as soon as that loop can: nothing here can await
        elif isinstance(client, Eternaltwin):
            client.close()

    # -- building -----------------------------------------------------------------------------------

    def _build(self, alias: str, options: Any, origin: str) -> C:
        if not isinstance(alias, str) or not alias:
            raise ConfigurationError(f"Aliases are non-empty strings, got {alias!r}.")
        source = f"{origin} {alias!r}" if origin == "connection" else f"{origin} [{alias}]"
        if not isinstance(options, Mapping):
            raise ConfigurationError(
                f"{source}: expected a dict of options such as {{'url': ...}}, got {type(options).__name__}."
            )
        settings = config.validate_options(**options, source=source)
        return self.client_class.from_settings(
            settings, transport=options.get("transport"), sleep=options.get("sleep")
        )

    def create_connection(self, alias: str, **kwargs: Any) -> C:
        """Build a client from ``kwargs`` and register it under ``alias`` (replacing one of that name).

        Other aliases are kept.

        Parameters
        ----------
        alias : str
        **kwargs
            Connection options (see :mod:`eternaltwin.config`): ``url``, ``client_id``...

        Returns
        -------
        client

        Raises
        ------
        ConfigurationError
            For unknown keys, a missing url or values of the wrong type.
        """
        client = self._build(alias, kwargs, "connection")
        self[alias] = client
        return client

    def configure(self, **aliases: Mapping[str, Any]) -> None:
        """Replace every connection: one client per alias from its dict of options.

        When the active alias is not among the new ones, ``"default"`` becomes active again.

        Parameters
        ----------
        **aliases
            ``alias={"url": ..., "client_id": ..., ...}``.

        Raises
        ------
        ConfigurationError
            If any alias is misconfigured (then nothing is changed).
        """
        self._replace(
            {alias: self._build(alias, options, "connection") for alias, options in aliases.items()}
        )

    def clear(self) -> None:
        """Forget every connection (closing the sync ones) and make ``"default"`` the active alias again."""
        self._replace({})

    def _replace(self, clients: dict[str, C]) -> None:
        old = list(self._connections.values())
        self._connections = clients
        for alias, client in clients.items():
            client.alias = alias
        if self._default not in clients:
            # The active alias is gone with the old connections: fall back rather than point at nothing.
            self._default = config.DEFAULT_ALIAS
        for client in old:
            self._discard(client)

    def configure_from_file(self, path: str | os.PathLike[str]) -> list[str]:
        """Replace every connection with those of a TOML file (one table per alias).

        Parameters
        ----------
        path : str or PathLike

        Returns
        -------
        list of str
            The aliases configured.

        Raises
        ------
        ConfigurationError
        """
        aliases = config.load_file(path)
        name = os.fspath(path)
        self._replace({alias: self._build(alias, options, name) for alias, options in aliases.items()})
        return list(aliases)

    def configure_from_env(self, environ: Mapping[str, str] | None = None) -> C:
        """(Re)create the ``"default"`` connection from ``ETERNALTWIN_*`` environment variables.

        ``ETERNALTWIN_URL`` is required; ``ETERNALTWIN_CLIENT_ID``, ``ETERNALTWIN_CLIENT_SECRET``,
        ``ETERNALTWIN_REDIRECT_URI`` and ``ETERNALTWIN_STATE_KEY`` are optional. Other aliases are kept.

        Parameters
        ----------
        environ : Mapping, optional
            Defaults to :data:`os.environ`.

        Returns
        -------
        client
            The new default connection.
        """
        options = config.load_env(environ)
        client = self._build(config.DEFAULT_ALIAS, options, "environment (ETERNALTWIN_*)")
        self[config.DEFAULT_ALIAS] = client
        return client

    # -- the active alias ---------------------------------------------------------------------------

    @property
    def active(self) -> str:
        """The alias ``using=None`` and :meth:`get_connection` resolve to: the alias of the ``with use()``
        block this task or thread is in, else the registry's default (``"default"`` until changed)."""
        local = self._local.get()
        return self._default if local is None else local

    def use(self, alias: str) -> ActiveAlias[C]:
        """Make ``alias`` the active connection.

        As a plain call, it is the registry's default from now on, for every task and thread. Used as a
        context manager, it is active inside the block only, for the task or thread running it, and what
        that task had is restored on exit.

        Raises
        ------
        UnknownAliasError
            When no connection has that alias.
        """
        self[alias]
        previous, self._default = self._default, alias
        return ActiveAlias(self, alias, previous)

    def get_connection(self, alias: str | None = None) -> C:
        """The client for ``alias`` (the active alias, ``"default"`` unless changed, when None).

        Raises
        ------
        UnknownAliasError
            A ``KeyError`` whose message names the alias and lists the configured ones.
        """
        return self[self.active if alias is None else alias]

    # -- lifetime -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections of every (sync) client; they reopen on next use.

        Raises
        ------
        TypeError
            For a registry of async clients (use ``await conns.aclose()``).
        """
        for client in self._connections.values():
            close = getattr(client, "close", None)
            if not callable(close):
                raise TypeError("async clients are closed with 'await async_connections.aclose()'")
            close()

    async def aclose(self) -> None:
        """Close the pooled connections of every client (sync or async); they reopen on next use."""
        for client in self._connections.values():
            aclose = getattr(client, "aclose", None)
            if callable(aclose):
                await aclose()
            else:
                client_close = getattr(client, "close", None)
                if callable(client_close):
                    client_close()

    def __enter__(self) -> Connections[C]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Connections[C]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        flavour = getattr(self.client_class, "_flavour", "")
        active = self.active
        entries = ", ".join(
            f"{alias}{' (active)' if alias == active else ''} -> {client.url}"
            for alias, client in self._connections.items()
        )
        return f"<Connections of {self.client_class.__name__} ({flavour}): {entries or 'none configured'}>"


#: The sync clients, by alias.
connections: Connections[Eternaltwin] = Connections(Eternaltwin)
#: The async clients, by alias.
async_connections: Connections[AsyncEternaltwin] = Connections(AsyncEternaltwin)
async_connections._name = "async_connections"

# User's high-level API (User.get(using=...)...) finds its connections here: the model module never
# imports the registries, they hand themselves down to it.
_users._registries = (connections, async_connections)


def _registries(registry: Connections[Any] | None) -> list[Connections[Any]]:
    return [connections, async_connections] if registry is None else [registry]


def configure(**aliases: Mapping[str, Any]) -> None:
    """Configure both :data:`connections` and :data:`async_connections` from the same dicts.

    Each registry gets its own copy of each dict.

    Parameters
    ----------
    **aliases
        ``alias={"url": ..., "client_id": ..., ...}``.
    """
    for registry in _registries(None):
        registry.configure(
            **{alias: dict(opts) if isinstance(opts, Mapping) else opts for alias, opts in aliases.items()}
        )


def use(alias: str) -> ActiveAlias[Any]:
    """Make ``alias`` the active connection of both :data:`connections` and :data:`async_connections`.

    As a plain call, for everyone from now on; as a context manager (``with use("prod"):``), inside the
    block only, for the task or thread running it. See :meth:`Connections.use`.

    Raises
    ------
    UnknownAliasError
        When either registry has no connection of that alias (then neither is changed).
    """
    connections[alias], async_connections[alias]
    return _BothActive(connections.use(alias), async_connections.use(alias))


class _BothActive(ActiveAlias[Any]):
    """:func:`use` on both registries at once (the sync one's client is what ``with`` gives)."""

    __slots__ = ("_other",)

    def __init__(self, sync: ActiveAlias[Any], other: ActiveAlias[Any]) -> None:
        super().__init__(sync._registry, sync._alias, sync._previous)
        self._other = other

    def __enter__(self) -> Any:
        self._other.__enter__()
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self._other.__exit__(exc_type, exc, tb)


def configure_from_file(
    path: str | os.PathLike[str], *, registry: Connections[Any] | None = None
) -> list[str]:
    """Configure connections from a TOML file, one table per alias (see :mod:`eternaltwin.config`).

    Parameters
    ----------
    path : str or PathLike
    registry : Connections, optional
        Only this registry; both :data:`connections` and :data:`async_connections` by default.

    Returns
    -------
    list of str
        The aliases configured.
    """
    aliases: list[str] = []
    for target in _registries(registry):
        aliases = target.configure_from_file(path)
    return aliases


def configure_from_env(
    *, registry: Connections[Any] | None = None, environ: Mapping[str, str] | None = None
) -> None:
    """Create the ``"default"`` connection from ``ETERNALTWIN_*`` environment variables.

    Parameters
    ----------
    registry : Connections, optional
        Only this registry; both :data:`connections` and :data:`async_connections` by default.
    environ : Mapping, optional
        Defaults to :data:`os.environ`.
    """
    for target in _registries(registry):
        target.configure_from_env(environ)
