"""Browser-facing URLs of local ports on JupyterHub and Binder.

On a hub the kernel runs on a remote machine: the person's browser cannot reach ``http://127.0.0.1:PORT``
of the kernel, but jupyter-server-proxy (installed by ``binder/requirements.txt``) forwards
``{JUPYTERHUB_SERVICE_PREFIX}proxy/{PORT}/rest`` of the notebook server to ``http://localhost:PORT/rest``,
behind the hub's own login. This module turns local ports and loopback URLs into those proxied URLs, and
back, so that:

- the embedded sandbox can be told its browser-facing address (``Sandbox(external_url=...)``) and that of
  the login widget's callback (``redirect_uri``),
- the login widget can show a link the browser can open, and run its callback server on the port that a
  proxied ``redirect_uri`` leads to.

Nothing here does I/O; every function reads the environment (or the ``environ`` mapping it is given).

Environment
-----------
``JUPYTERHUB_SERVICE_PREFIX``
    Set by JupyterHub (and so Binder) for a single-user server, e.g. ``/user/alice/``. Its presence is
    what "on a hub" means here.
``ETERNALTWIN_HUB_ORIGIN``
    Overrides the hub's public origin (``https://hub.example.org``).
``JUPYTERHUB_HOST``, ``JUPYTERHUB_PUBLIC_URL``
    Set by JupyterHub when it knows its public address (subdomains, or ``c.JupyterHub.public_url``); the
    origin is taken from them. When none of these is set (Binder), URLs are origin-relative paths
    (``/user/alice/proxy/8000/``), which a browser resolves against the notebook page.
"""

from __future__ import annotations

import os
import random
import re
import socket
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "LOOPBACK_HOSTS",
    "browser_url",
    "free_port",
    "is_remote_kernel",
    "loopback_port",
    "proxied_port",
    "proxy_url",
    "public_origin",
    "sandbox_options",
    "service_prefix",
]

#: Host names that always mean "this machine" in a URL.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_PROXY_SEGMENT = re.compile(r"proxy/(\d{1,5})(/.*)?$")


def service_prefix(environ: Mapping[str, str] | None = None) -> str | None:
    """The single-user server's URL prefix on a hub (``/user/alice/``), or None when not on a hub.

    Parameters
    ----------
    environ : Mapping, optional
        The environment to read; ``os.environ`` by default.
    """
    env = os.environ if environ is None else environ
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "").strip()
    if not prefix:
        return None
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix


def public_origin(environ: Mapping[str, str] | None = None) -> str:
    """The hub's public ``scheme://host[:port]``, or ``""`` when the environment does not say.

    Parameters
    ----------
    environ : Mapping, optional
        The environment to read; ``os.environ`` by default.
    """
    env = os.environ if environ is None else environ
    for name in ("ETERNALTWIN_HUB_ORIGIN", "JUPYTERHUB_HOST", "JUPYTERHUB_PUBLIC_URL"):
        value = env.get(name, "").strip()
        if not value:
            continue
        parts = urlsplit(value if "//" in value else "https://" + value)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return ""


def proxy_url(port: int, path: str = "", *, environ: Mapping[str, str] | None = None) -> str | None:
    """The browser-facing URL of ``http://localhost:{port}/{path}`` through jupyter-server-proxy.

    Parameters
    ----------
    port : int
        The local port.
    path : str, optional
        A path (with an optional query) below the port's root; a leading slash is ignored.
    environ : Mapping, optional
        The environment to read; ``os.environ`` by default.

    Returns
    -------
    str or None
        ``{origin}{prefix}proxy/{port}/{path}`` (the origin may be empty: see the module's notes), or None
        when not on a hub.

    Examples
    --------
    >>> proxy_url(8000, environ={"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"})
    '/user/alice/proxy/8000/'
    >>> proxy_url(8000, "callback", environ={"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
    ...                                      "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/"})
    'https://hub.example.org/user/alice/proxy/8000/callback'
    """
    prefix = service_prefix(environ)
    if prefix is None:
        return None
    if not 0 < port < 65536:
        raise ValueError(f"Not a TCP port: {port!r}")
    return f"{public_origin(environ)}{prefix}proxy/{port}/{path.lstrip('/')}"


def loopback_port(url: str) -> int | None:
    """The port of an ``http://localhost:PORT/...`` or ``http://127.0.0.1:PORT/...`` URL, else None.

    Only plain ``http`` with an explicit port counts: that is what a small local server can answer.

    Examples
    --------
    >>> loopback_port("http://127.0.0.1:8765/callback")
    8765
    >>> loopback_port("https://localhost:8765/callback") is None
    True
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or (parts.hostname or "") not in LOOPBACK_HOSTS:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port else None


def proxied_port(url: str, *, environ: Mapping[str, str] | None = None) -> tuple[int, str] | None:
    """Whether ``url`` reaches a local port through this hub's jupyter-server-proxy.

    Parameters
    ----------
    url : str
        An absolute URL or an origin-relative path.
    environ : Mapping, optional
        The environment to read; ``os.environ`` by default.

    Returns
    -------
    (int, str) or None
        The local port and the path the local server sees (``/callback``), or None when ``url`` is not a
        proxied URL of this hub (or when not on a hub).
    """
    prefix = service_prefix(environ)
    if prefix is None:
        return None
    parts = urlsplit(url)
    if parts.netloc:
        origin = public_origin(environ)
        if origin and f"{parts.scheme}://{parts.netloc}" != origin:
            return None
    if not parts.path.startswith(prefix):
        return None
    match = _PROXY_SEGMENT.match(parts.path[len(prefix) :])
    if match is None:
        return None
    port = int(match.group(1))
    if not 0 < port < 65536:
        return None
    return port, match.group(2) or "/"


def browser_url(url: str, *, environ: Mapping[str, str] | None = None) -> str:
    """``url`` as the person's browser can open it.

    On a hub, a loopback ``http`` URL of the kernel's machine is rewritten to go through
    jupyter-server-proxy (path and query kept); anything else, or anything off a hub, is returned as is.

    Examples
    --------
    >>> browser_url("http://127.0.0.1:50320/oauth/authorize?a=1",
    ...             environ={"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"})
    '/user/alice/proxy/50320/oauth/authorize?a=1'
    >>> browser_url("http://127.0.0.1:50320/oauth/authorize", environ={})
    'http://127.0.0.1:50320/oauth/authorize'
    """
    port = loopback_port(url)
    if port is None:
        return url
    parts = urlsplit(url)
    proxied = proxy_url(port, parts.path, environ=environ)
    if proxied is None:
        return url
    target = urlsplit(proxied)
    return urlunsplit((target.scheme, target.netloc, target.path, parts.query, parts.fragment))


def is_remote_kernel(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the person's browser is, as far as we can tell, on another machine than this kernel.

    True on JupyterHub/Binder (``JUPYTERHUB_SERVICE_PREFIX``) and on Google Colab. There, a loopback URL
    of the kernel's machine is out of the browser's reach (unless proxied, see :func:`browser_url`).
    """
    env = os.environ if environ is None else environ
    if service_prefix(env) is not None:
        return True
    return "google.colab" in sys.modules or bool(env.get("COLAB_RELEASE_TAG"))


#: Where :func:`free_port` looks first: below the usual ephemeral range (Linux: 32768-60999), so that a
#: port reserved now for a later login is not meanwhile handed out to some outgoing connection.
RESERVABLE_PORTS = range(20000, 32000)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now and likely still free later.

    A random port of :data:`RESERVABLE_PORTS` that can be bound; the OS's choice if none of a few tries can.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in random.sample(RESERVABLE_PORTS, 20):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def sandbox_options(
    *, callback_path: str = "/oauth/callback", environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Sandbox(...)`` that make its login page work from the person's browser.

    Off a hub: a ``redirect_uri`` on a free loopback port, so that the login widget catches the
    redirect by itself. On a hub (Binder, JupyterHub): a fixed ``port``, its proxied ``external_url``
    (the login page and its redirects go through jupyter-server-proxy) and a ``redirect_uri`` through
    the proxy to a free port, where the widget's callback server listens. Both are absolute when the
    hub's public origin is known, else origin-relative paths (``/user/alice/proxy/PORT/...``), which
    the sandbox sends the browser to in a way no release of the proxy rewrites (see its ``_navigate``).

    Parameters
    ----------
    callback_path : str
        The path of the redirect URI.
    environ : Mapping, optional
        The environment to read; ``os.environ`` by default.

    Returns
    -------
    dict
        ``redirect_uri``, plus ``port`` and ``external_url`` on a hub.

    Examples
    --------
    >>> options = sandbox_options(environ={})
    >>> sorted(options), options["redirect_uri"].startswith("http://127.0.0.1:")
    (['redirect_uri'], True)
    >>> options = sandbox_options(environ={"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"})
    >>> sorted(options), options["redirect_uri"].startswith("/user/alice/proxy/")
    (['external_url', 'port', 'redirect_uri'], True)
    """
    path = "/" + callback_path.lstrip("/")
    callback_port = free_port()
    redirect_uri = proxy_url(callback_port, path, environ=environ)
    if redirect_uri is None:
        return {"redirect_uri": f"http://127.0.0.1:{callback_port}{path}"}
    port = free_port()
    return {"port": port, "external_url": proxy_url(port, environ=environ), "redirect_uri": redirect_uri}
