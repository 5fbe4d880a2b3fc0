"""Enumerations of values the Eternaltwin API uses."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuthorizationType"]


class AuthorizationType(StrEnum):
    """The ``type`` of an authentication context, as answered by ``GET /api/v1/auth/self``."""

    GUEST = "Guest"
    ACCESSTOKEN = "AccessToken"
    USER = "User"
    OAUTHCLIENT = "OauthClient"
