"""The two drivers: written once in spirit, twice in text (sync and async), and always closing their flow."""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from typing import Any

import httpx
import pytest

from eternaltwin.clients import endpoints
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
        assert client._refreshing == set()

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
