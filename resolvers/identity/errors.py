"""The error codes Identity raises beyond ``CoreErrorCode``: sign-up, sign-in, tokens and
self-service."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class IdentityErrorCode(ErrorCode):
    ACCOUNT_DISABLED = auto()
    # The session to revoke has ended already.
    ALREADY_REVOKED = auto()
    EMAIL_TAKEN = auto()
    INVALID_CREDENTIALS = auto()
    INVALID_EMAIL = auto()
    INVALID_LOCALE = auto()
    INVALID_REFRESH_TOKEN = auto()
    INVALID_TIME_ZONE = auto()
    # signOut without an access token.
    NOT_SIGNED_IN = auto()
    REFRESH_TOKEN_REUSED = auto()
    # The new password equals the current one.
    SAME_PASSWORD = auto()
    WEAK_PASSWORD = auto()
    # The current password given to passwordChange is wrong.
    WRONG_PASSWORD = auto()
