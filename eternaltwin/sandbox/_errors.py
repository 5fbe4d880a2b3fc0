"""The one exception the handlers raise to answer with an error."""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """An error reply: HTTP ``status`` and the body ``{"error": code}`` (plus ``"message"`` when given).

    Parameters
    ----------
    status : int
        HTTP status code.
    code : str
        PascalCase error code, sent as the ``error`` member of the JSON body.
    headers : dict of str to str, optional
        Extra response headers (e.g. ``WWW-Authenticate``).
    message : str, optional
        What went wrong and what is allowed, for a person reading the reply (the ``message`` member).
    plain : bool
        Answer Koa's default instead: ``text/plain`` ``Internal Server Error`` with ``status`` (what the
        2021 server sends for what it does not handle, spec §1.2), no JSON.
    """

    def __init__(
        self,
        status: int,
        code: str,
        headers: dict[str, str] | None = None,
        *,
        message: str | None = None,
        plain: bool = False,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.headers = headers or {}
        self.message = message
        self.plain = plain

    @classmethod
    def of(cls, pair: tuple[int, str], message: str | None = None) -> ApiError:
        """Build from a ``(status, code)`` pair as stored in ``_choices``."""
        return cls(pair[0], pair[1], message=message)
