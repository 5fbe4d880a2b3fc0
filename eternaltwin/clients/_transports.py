"""What the clients send through: TLS contexts, and the async client's HTTP engine.

The async client can send through httpx's own pool (httpcore) or through aiohttp. Both sit behind the
same :class:`httpx.AsyncClient`, so every other part of the kit sees httpx requests and responses. aiohttp
is several times faster under concurrency (its connection pool does far less work per request), so it is
used when it is installed (the ``fast`` extra) and the connection's ``async_backend`` is ``"auto"``
(:func:`eternaltwin.config.resolve_backend` decides).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from typing import TYPE_CHECKING, Any, Literal

import httpx

if TYPE_CHECKING:
    import aiohttp

__all__ = ["REPLY_RECEIVED", "AiohttpTransport", "async_transport", "pool_limits", "tls_context"]

#: The request extension that may hold a callable with no arguments: the aiohttp engine calls it once a
#: successful (2xx) reply's bytes are all in and its connection is back in the pool, before any work on
#: the reply, and lets other tasks run once before going on. (Nothing more is sent for a request once
#: its 2xx reply is in: no retry, no redirect.) The bulk fetches free their place among the requests in
#: flight with it, so that the next page's request goes out while this reply is read. Other engines
#: ignore it.
REPLY_RECEIVED = "eternaltwin.reply_received"

Backend = Literal["aiohttp", "httpx"]


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """The TLS context for ``verify_ssl`` (made once per process: loading CA certificates is slow)."""
    return httpx.create_ssl_context(verify=verify)


def pool_limits(max_connections: int) -> httpx.Limits:
    """httpx's pool limits for a connection: ``max_connections`` open, all of them kept alive."""
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def async_transport(
    backend: Backend, *, verify_ssl: bool, max_connections: int
) -> httpx.AsyncBaseTransport | None:
    """A new transport for an async client's pool (create it inside the event loop that will use it), or
    None for httpx's own: the ``httpx.AsyncClient`` then builds it (from the client's ``verify`` and
    ``limits``) with the proxies the environment names, which it ignores beside a given transport."""
    if backend == "aiohttp":
        return AiohttpTransport(verify_ssl=verify_ssl, max_connections=max_connections)
    return None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one pooled :class:`aiohttp.ClientSession`.

    httpx keeps doing everything above the wire (headers, cookies, redirects, content decoding, the
    kit's error translation); aiohttp only sends the bytes and reads the reply. Its errors become the
    httpx exceptions they correspond to, so that callers cannot tell the two engines apart.

    Parameters
    ----------
    verify_ssl : bool
        Check TLS certificates.
    max_connections : int
        Most connections open at once; further requests wait for a free one.
    """

    def __init__(self, *, verify_ssl: bool = True, max_connections: int = 10) -> None:
        self._ssl: ssl.SSLContext = tls_context(verify_ssl)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # (scheme, host, port) -> (proxy, proxy auth) from the environment, looked up once per origin
        self._proxies: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl)
            # httpx handles cookies and content decoding itself: aiohttp must leave both alone. Proxies
            # come from the environment (HTTP(S)_PROXY, NO_PROXY), as httpx takes them, but looked up
            # here once per origin (:meth:`_proxy`): aiohttp's trust_env would look them up, and read
            # ~/.netrc, in a worker thread for every request, which doubled its cost per response.
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
            )
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp

        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeouts.get("connect"), sock_read=timeouts.get("read")
        )
        body = await request.aread()
        try:
            proxy, proxy_auth = await self._proxy(request.url)
            async with self._get_session().request(
                request.method,
                str(request.url),
                # the raw pairs keep the names' case as httpx would send them
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as reply:
                content = await reply.read()
                status, headers = reply.status, reply.raw_headers
        except Exception as exc:
            error = _translate(exc, request)
            if error is None:
                raise
            raise error from exc
        received = request.extensions.get(REPLY_RECEIVED)
        if received is not None and 200 <= status < 300:
            received()
            await asyncio.sleep(0)  # (what waited for the place goes first)
        version = {"http_version": b"HTTP/1.1"}
        return httpx.Response(status, headers=headers, content=content, request=request, extensions=version)

    async def _proxy(self, url: httpx.URL) -> tuple[Any, Any]:
        """The proxy (and its credentials) that the environment names for ``url``'s origin, or
        ``(None, None)``: what aiohttp's ``trust_env`` would find, looked up once per origin."""
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        found = self._proxies.get(origin)
        if found is not None:
            return found
        from aiohttp.helpers import get_env_proxy_for_url
        from yarl import URL

        target = URL.build(scheme=origin[0], host=origin[1], port=origin[2])
        proxy: Any = None
        auth: Any = None
        # (in a thread, as aiohttp does: it may read ~/.netrc for the proxy's credentials)
        with contextlib.suppress(LookupError):  # no proxy for this origin
            proxy, auth = await asyncio.to_thread(get_env_proxy_for_url, target)
        self._proxies[origin] = proxy, auth
        return proxy, auth

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _translate(exc: Exception, request: httpx.Request) -> httpx.TransportError | None:
    """The httpx exception that stands for an aiohttp (or asyncio) one; None for any other error."""
    import aiohttp

    message = str(exc) or type(exc).__name__
    error: type[httpx.TransportError]
    # Most specific first: aiohttp's timeout classes also derive from its connection errors.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        error = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = httpx.ConnectError
    elif isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        error = httpx.RemoteProtocolError
    elif isinstance(exc, aiohttp.ClientError):
        error = httpx.NetworkError
    else:
        return None
    return error(message, request=request)
