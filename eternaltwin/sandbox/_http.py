"""HTTP plumbing shared by the handlers: JSON replies, body and query parsing, error wrapping."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from eternaltwin.sandbox import _choices
from eternaltwin.sandbox._errors import ApiError

__all__ = [
    "JsonResponse",
    "error_reply",
    "error_response",
    "handles_errors",
    "logger",
    "parse_hex_password",
    "plain_server_error",
    "query_int",
    "query_value",
    "read_body",
]

logger = logging.getLogger("eternaltwin.sandbox")

_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_MAX_PASSWORD_BYTES = 256

Handler = Callable[[Request], Awaitable[Response]]


class JsonResponse(Response):
    """A JSON reply, ``application/json; charset=utf-8``, UTF-8 without escapes, compact."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        """Serialise ``content``."""
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(
    status: int, code: str, headers: dict[str, str] | None = None, message: str | None = None
) -> JsonResponse:
    """``{"error": code}`` with ``status``, plus ``"message": message`` when a message is given."""
    body = {"error": code} if message is None else {"error": code, "message": message}
    return JsonResponse(body, status_code=status, headers=headers)


def plain_server_error(status: int = 500) -> PlainTextResponse:
    """Koa's default reply to an unhandled error (spec §1.2): ``text/plain`` ``Internal Server Error``."""
    return PlainTextResponse("Internal Server Error", status_code=status)


def error_reply(error: ApiError) -> Response:
    """The reply for ``error``: JSON, or Koa's plain text when ``error.plain``."""
    if error.plain:
        return plain_server_error(error.status)
    return error_response(error.status, error.code, error.headers, error.message)


def handles_errors(handler: Handler) -> Handler:
    """Turn :class:`ApiError` into its reply and any other exception into a logged 500."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_reply(error)
        except Exception:
            logger.exception("unhandled error on %s %s", request.method, request.url.path)
            return error_response(_choices.INTERNAL_ERROR_STATUS, _choices.INTERNAL_ERROR_ERROR)

    return wrapper


def _bad_body() -> ApiError:
    return ApiError(_choices.INVALID_REQUEST_BODY_STATUS, _choices.INVALID_REQUEST_BODY_ERROR)


async def read_body(request: Request) -> dict[str, Any]:
    """Parse a JSON object or a form-encoded body; an empty body is ``{}``.

    The body was read in full (and its size checked) by ``_limits.BodyLimitMiddleware`` before the
    handler ran.

    Raises
    ------
    ApiError
        422 InvalidRequestBody when the body is neither a JSON object nor a valid form (including JSON
        nested too deep to parse).
    """
    raw = await request.body()
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_body() from None
    if content_type == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        except ValueError:
            raise _bad_body() from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser follows
        raise _bad_body() from None
    if not isinstance(data, dict):
        raise _bad_body()
    return data


def parse_hex_password(value: object) -> bytes:
    """Decode a hex-encoded password (spec §2, §6: at most 256 bytes).

    Raises
    ------
    ApiError
        422 InvalidRequestBody if it is not a hex string of at most 256 bytes.
    """
    if not isinstance(value, str) or _HEX.fullmatch(value) is None or len(value) > 2 * _MAX_PASSWORD_BYTES:
        raise _bad_body()
    return bytes.fromhex(value)


def _bad_query(message: str) -> ApiError:
    return ApiError(_choices.INVALID_QUERY_STATUS, _choices.INVALID_QUERY_ERROR, message=message)


def query_value(request: Request, name: str) -> str | None:
    """A query parameter given at most once (422 InvalidQueryParameters if repeated)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise _bad_query(f"{name} may be given at most once")
    return values[0] if values else None


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    """A non-negative decimal query parameter in ``[0, maximum]``.

    Raises
    ------
    ApiError
        422 InvalidQueryParameters if repeated, empty, signed, not decimal, or above ``maximum``; its
        ``message`` says what is allowed.
    """
    value = query_value(request, name)
    if value is None:
        return default
    number = int(value) if _DIGITS.fullmatch(value) is not None else None
    if number is None or number > maximum:
        raise _bad_query(
            f"{name} must be a whole number from 0 to {maximum} (decimal digits only), not {value[:40]!r}"
        )
    return number
