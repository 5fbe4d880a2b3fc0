"""Request bodies: read before any handler runs, never more than ``_choices.MAX_BODY_BYTES``.

A body over the limit is refused with 413 as soon as the limit is passed (or at once, when its
``Content-Length`` says so), whatever the framing: the count is of the bytes that arrive, so a chunked
body or a ``Content-Length`` that lies changes nothing. What the client still sends is not kept: uvicorn
discards the rest of a request once its reply is complete. A client that goes away before its body is
complete gets no reply and is not logged as an error: there is nobody to answer.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._http import error_response

__all__ = ["BodyLimitMiddleware"]


def _declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` as a number; None when absent (or not a plain number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Pure ASGI middleware: read the whole body up to ``limit`` bytes, then hand it on in one message.

    Parameters
    ----------
    app : ASGI app
        The application.
    limit : int
        The largest body accepted, in bytes.
    on_abandoned : callable, optional
        Called (with no argument) when a client disconnects before its body is complete.
    """

    def __init__(self, app: ASGIApp, limit: int, on_abandoned: Callable[[], None] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.on_abandoned = on_abandoned

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            _choices.PAYLOAD_TOO_LARGE_STATUS,
            _choices.PAYLOAD_TOO_LARGE_ERROR,
            message=f"request bodies are limited to {self.limit} bytes",
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body (or refuse it), then call the app with a ``receive`` that replays it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                if self.on_abandoned is not None:
                    self.on_abandoned()
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(scope, receive, send)
                return
            if chunk:
                chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: what comes next (a disconnect)
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
