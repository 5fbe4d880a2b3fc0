"""How the widgets read and follow the connection registries.

Everything the widgets need from :mod:`eternaltwin.connections` goes through here, so that the widgets do
not depend on the registry's internals:

- :func:`registries` pairs a sync registry with its async twin (the module globals, by default);
- :func:`activate` and :func:`set_user` apply a choice or a login to both twins;
- :class:`RegistryWatch` tells subscribers when aliases, their configuration, the active alias or a
  connection's logged-in user change.

Following changes
-----------------
The registry has no change notification, so a single daemon thread per process compares a cheap
fingerprint of every watched registry (aliases, client identities, urls, users, the active alias) a few
times a second and calls the subscribers of those that changed. Subscribers are held weakly: a widget
that is closed or garbage-collected stops being called, and the thread ends when nobody listens. Widgets
also refresh at once after anything they do themselves (selecting, logging in or out), and
``refresh()`` is public for callers who want to force it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Registries", "RegistryWatch", "activate", "fingerprint", "registries", "set_user"]

#: Seconds between two fingerprint checks of the watch thread.
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class Registries:
    """A sync registry and its async twin (None when it has none).

    Attributes
    ----------
    sync : Connections
        The registry the widgets read.
    async_ : Connections or None
        The twin that follows every choice and login made on ``sync``.
    """

    sync: Any
    async_: Any = None

    def aliases(self) -> list[str]:
        """The configured aliases, in the registry's order."""
        for _ in range(5):
            with contextlib.suppress(RuntimeError):  # changed size during iteration: read again
                return [str(alias) for alias in self.sync]
        return []

    def active(self) -> str | None:
        """The alias that ``using=None`` means."""
        active = getattr(self.sync, "active", None)
        return active if isinstance(active, str) else None

    def get(self, alias: str) -> Any:
        """The sync client of ``alias``, or None when it is not configured."""
        try:
            return self.sync[alias]
        except KeyError:
            return None

    def twins(self, alias: str) -> Iterator[Any]:
        """The sync and async clients of ``alias`` that exist."""
        for registry in (self.sync, self.async_):
            if registry is None:
                continue
            try:
                yield registry[alias]
            except KeyError:
                continue


def registries(connections: Any = None, async_connections: Any = None) -> Registries:
    """The registries a widget works on.

    Parameters
    ----------
    connections : Connections, optional
        A sync registry; the module global ``eternaltwin.connections.connections`` by default.
    async_connections : Connections, optional
        Its async twin; the module global when ``connections`` is the global one (or not given), else none.
    """
    from eternaltwin import connections as module

    if connections is None or connections is module.connections:
        return Registries(module.connections, async_connections or module.async_connections)
    return Registries(connections, async_connections)


def activate(regs: Registries, alias: str) -> None:
    """Make ``alias`` the active alias of both twins (the async twin only if it has that alias)."""
    regs.sync.use(alias)
    if regs.async_ is not None and alias in list(regs.async_):
        regs.async_.use(alias)


def set_user(regs: Registries, alias: str, user: Any) -> None:
    """Store the logged-in ``user`` (or None) on the connections of ``alias``, sync and async."""
    for client in regs.twins(alias):
        client.user = user


def fingerprint(regs: Registries) -> Hashable:
    """A cheap value that changes when what the widgets show changes."""
    items = []
    for alias in regs.aliases():
        client = regs.get(alias)
        user = getattr(client, "user", None)
        token = getattr(user, "token", None)
        items.append(
            (
                alias,
                id(client),
                str(getattr(client, "url", "")),
                id(user),
                getattr(user, "display_name", None),
                id(token),
                # a client renews an expired token in place (rotating its refresh token)
                hash(getattr(token, "refresh_token", None)),
            )
        )
    return (regs.active(), tuple(items))


Subscriber = Callable[[], None]


class _Subscription:
    __slots__ = ("last", "method", "regs")

    def __init__(self, regs: Registries, method: weakref.WeakMethod[Subscriber], last: Hashable) -> None:
        self.regs = regs
        self.method = method
        self.last = last


class RegistryWatch:
    """Calls subscribers when a registry's fingerprint changes (see the module's notes).

    Use the process-wide instance :data:`WATCH`.

    Parameters
    ----------
    interval : float
        Seconds between two checks.
    """

    def __init__(self, interval: float = POLL_INTERVAL) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._checking = threading.Lock()  # one check at a time: the thread's, or a caller's
        self._subscriptions: dict[int, _Subscription] = {}
        self._thread: threading.Thread | None = None

    def subscribe(self, regs: Registries, method: Subscriber) -> Callable[[], None]:
        """Call the bound ``method`` whenever ``regs`` changes; returns the function that unsubscribes."""
        subscription = _Subscription(regs, weakref.WeakMethod(method), _safe_fingerprint(regs))
        key = id(subscription)
        with self._lock:
            self._subscriptions[key] = subscription
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="eternaltwin-widgets-watch", daemon=True
                )
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                self._subscriptions.pop(key, None)

        return unsubscribe

    @property
    def watching(self) -> int:
        """How many live subscribers there are."""
        with self._lock:
            return sum(1 for sub in self._subscriptions.values() if sub.method() is not None)

    def check(self) -> None:
        """Compare fingerprints now and call the subscribers of what changed (the thread does this).

        Checks run one at a time: when this returns, every change made before the call has reached the
        subscribers, whether this check or one the thread was making saw it first.
        """
        with self._checking:
            self._check()

    def _check(self) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions.items())
        fingerprints: dict[int, Hashable] = {}
        due: list[Subscriber] = []
        dead: list[int] = []
        for key, sub in subscriptions:
            method = sub.method()
            if method is None:
                dead.append(key)
                continue
            registry = id(sub.regs.sync)
            if registry not in fingerprints:
                fingerprints[registry] = _safe_fingerprint(sub.regs)
            now = fingerprints[registry]
            if now is not None and now != sub.last:
                sub.last = now
                due.append(method)
        with self._lock:
            for key in dead:
                self._subscriptions.pop(key, None)
        for method in due:
            with contextlib.suppress(Exception):  # a broken widget must not stop the others
                method()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.check()
            with self._lock:
                if not self._subscriptions:
                    self._thread = None
                    return


def _safe_fingerprint(regs: Registries) -> Hashable:
    try:
        return fingerprint(regs)
    except Exception:  # a registry being rebuilt right now: look again next time
        return None


#: The process-wide watch.
WATCH = RegistryWatch()
