"""The one exception the handlers raise to answer with a JSON error."""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """An error reply: HTTP ``status`` and the body ``{"error": code}``.

    Parameters
    ----------
    status : int
        HTTP status code.
    code : str
        PascalCase error code, sent as the ``error`` member of the JSON body.
    headers : dict of str to str, optional
        Extra response headers (e.g. ``WWW-Authenticate``).
    """

    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.headers = headers or {}

    @classmethod
    def of(cls, pair: tuple[int, str]) -> ApiError:
        """Build from a ``(status, code)`` pair as stored in ``_choices``."""
        return cls(pair[0], pair[1])
