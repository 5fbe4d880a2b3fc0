"""The two drivers: written once in spirit, twice in text (sync and async), and always closing their flow."""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
import time
from typing import Any

import httpx
import pytest

from eternaltwin.clients import _flows, endpoints
from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin
from eternaltwin.clients.sync.clients import Eternaltwin as SyncEternaltwin
from eternaltwin.tokens import Token

from .test_faults import CREDENTIALS


class _Unasync(ast.NodeTransformer):
    """``async def`` -> ``def``, ``await x`` -> ``x``, and docstrings dropped (they may differ)."""

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        return ast.FunctionDef(
            name=node.name,
            args=node.args,
            body=body,
            decorator_list=node.decorator_list,
            returns=node.returns,
            type_comment=node.type_comment,
            type_params=getattr(node, "type_params", []),
        )

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        if ast.get_docstring(node) is not None:
            node.body = node.body[1:]
        return node

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)


def _unasync(function: Any) -> str:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return ast.dump(_Unasync().visit(tree))


def test_the_async_driver_is_the_sync_driver_with_await() -> None:
    """The one function written twice: a change to one driver must be made to the other (httpcore's
    unasync check, in a few lines)."""
    assert _unasync(AsyncEternaltwin._run) == _unasync(SyncEternaltwin._run)


def test_the_check_sees_a_difference() -> None:
    def sync_version(flow: Any) -> Any:
        return flow.send(None)

    async def async_version(flow: Any) -> Any:
        return await flow.send(1)

    assert _unasync(sync_version).replace("sync_version", "") != _unasync(async_version).replace(
        "async_version", ""
    )


async def test_a_call_cancelled_during_a_refresh_does_not_hold_up_the_next() -> None:
    """Cancelling a call while its token's refresh is in flight closes its flow: the token is no longer
    marked as being refreshed, and the next call with it refreshes at once instead of waiting."""
    first_refresh_sent = asyncio.Event()
    never = asyncio.Event()
    token_requests = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_requests
        if request.url.path == endpoints.TOKEN:
            token_requests += 1
            if token_requests == 1:
                first_refresh_sent.set()
                await never.wait()  # the first refresh never answers: its call is cancelled meanwhile
            body = {
                "access_token": "fresh",
                "expires_in": 3600,
                "token_type": "Bearer",
                "refresh_token": "r2",
            }
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"type": "AccessToken"})

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    client = AsyncEternaltwin(
        url="http://etwin.test/", transport=httpx.MockTransport(handler), sleep=sleep, **CREDENTIALS
    )
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    try:
        stuck = asyncio.ensure_future(client.users.me(token=token))
        await first_refresh_sent.wait()
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)
        assert id(token) not in _flows._refreshing

        await client.users.me(token=token)
        assert waits == []  # no polling for a refresh that nobody is doing
        assert token.access_token == "fresh" and token_requests == 2
    finally:
        never.set()
        await client.aclose()


def test_the_sync_driver_closes_its_flow_when_interrupted() -> None:
    closed: list[bool] = []

    def flow() -> Any:
        try:
            yield httpx.Request("GET", "http://etwin.test/")
        finally:
            closed.append(True)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt  # as a Ctrl-C landing while the request is sent

    client = SyncEternaltwin(url="http://etwin.test/", transport=httpx.MockTransport(refuse))
    try:
        with pytest.raises(KeyboardInterrupt):
            client._run(flow())
        assert closed == [True]
    finally:
        client.close()


class _RotatingTokenServer:
    """A token endpoint whose refresh tokens can be used once (a second use answers 400
    ``RefreshTokenNotFound``), and whose first refresh is held until ``release`` is set."""

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()
        self.grants: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        if request.url.path != endpoints.TOKEN:
            return httpx.Response(200, json={"type": "AccessToken"})
        refresh = json.loads(request.content)["refresh_token"]
        with self.lock:
            self.grants.append(refresh)
            first = len(self.grants) == 1
            used = self.grants.count(refresh) > 1
        if first:
            assert self.release.wait(10), "the test never released the first refresh"
        if used:
            return httpx.Response(400, json={"error": "RefreshTokenNotFound"})
        body = {"access_token": "fresh", "expires_in": 3600, "token_type": "Bearer", "refresh_token": "r2"}
        return httpx.Response(200, json=body)


async def test_one_refresh_for_a_token_shared_by_the_sync_and_async_twins() -> None:
    import threading

    server = _RotatingTokenServer()
    transport = httpx.MockTransport(server)
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")

    async def waiting(seconds: float) -> None:
        server.release.set()  # the async call is waiting for the sync one's refresh: let it finish
        await asyncio.sleep(0.001)

    sync_client = SyncEternaltwin(url="http://etwin.test/", transport=transport, **CREDENTIALS)
    async_client = AsyncEternaltwin(
        url="http://etwin.test/", transport=transport, sleep=waiting, **CREDENTIALS
    )
    failures: list[BaseException] = []

    def sync_call() -> None:
        try:
            sync_client.users.me(token=token)
        except BaseException as error:  # re-raised below, in the test's thread
            failures.append(error)

    thread = threading.Thread(target=sync_call)
    try:
        thread.start()
        while not server.grants:  # the sync refresh is on the wire (held by the server)
            await asyncio.sleep(0.001)
        await async_client.users.me(token=token)
        await asyncio.to_thread(thread.join)
        assert failures == []
        assert server.grants == ["r1"] and token.access_token == "fresh"
    finally:
        server.release.set()
        sync_client.close()
        await async_client.aclose()


def test_one_refresh_for_many_threads_of_one_sync_client() -> None:
    import threading

    server = _RotatingTokenServer()
    waiters: set[int] = set()
    lock = threading.Lock()

    def waiting(seconds: float) -> None:
        with lock:
            waiters.add(threading.get_ident())
            if len(waiters) == 7:  # every other thread waits for the first one's refresh
                server.release.set()
        time.sleep(0.001)

    client = SyncEternaltwin(
        url="http://etwin.test/", transport=httpx.MockTransport(server), sleep=waiting, **CREDENTIALS
    )
    token = Token(access_token="old", expires_in=0, token_type="Bearer", refresh_token="r1")
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            client.users.me(token=token)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=call) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert server.grants == ["r1"]
    finally:
        server.release.set()
        client.close()
