"""The kit's own, transport-independent :class:`Response`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Response"]


@functools.cache
def _fast_loads() -> Callable[[bytes], Any] | None:
    """orjson's decoder when it is installed (about four times the standard library's speed on the API's
    pages), imported on first use."""
    try:
        import orjson
    except ImportError:
        return None
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


class Response:
    """An HTTP response, detached from the transport that fetched it.

    Parameters
    ----------
    url : str
        The url that was requested.
    status_code : int
        The HTTP status.
    content : bytes
        The raw body.
    headers : Mapping[str, str]
        The response headers (looked up case-insensitively when an ``httpx.Headers`` is passed).
    """

    __slots__ = ("content", "headers", "status_code", "url")

    def __init__(self, url: str, status_code: int, content: bytes, headers: Mapping[str, str]) -> None:
        self.url = url
        self.status_code = status_code
        self.content = content
        self.headers = headers

    def json(self) -> Any:
        """The body decoded as JSON (raises :class:`ValueError` when it is not JSON).

        With orjson installed (the ``fast`` extra), it decodes, and anything it refuses (NaN, Infinity...)
        goes to the standard library's decoder. One difference remains: an integer beyond 64 bits comes
        back as a float from orjson (as from JavaScript), as an int from the standard library; nothing the
        Eternaltwin API sends is that large.
        """
        loads = _fast_loads()
        if loads is not None:
            try:
                return loads(self.content)
            except ValueError:
                pass
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"
