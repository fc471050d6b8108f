"""The error codes of the Open Platform beyond ``CoreErrorCode``."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class AppsErrorCode(ErrorCode):
    # A name of ``scopes`` that is not a scope (resolvers.core.scopes.SCOPES).
    INVALID_SCOPE = auto()
    # A redirect URI that is not an absolute https URL (http only for loopback) or has a fragment.
    INVALID_REDIRECT_URI = auto()
    INVALID_DESCRIPTION = auto()
    # The app was disabled (deleted): nothing is issued to it any more.
    APP_DISABLED = auto()
    # Webhooks: a URL that is not an absolute http(s) URL without credentials or fragment.
    INVALID_URL = auto()
    # The URL's host is or resolves to a loopback, private, link-local or otherwise non-public
    # address that HELLO_WEBHOOK_ALLOWED_HOSTS does not allow (SSRF guard).
    URL_NOT_ALLOWED = auto()
    # The URL did not answer the verification challenge with 2xx and {"challenge": ...}.
    URL_VERIFICATION_FAILED = auto()
    # A name of ``eventTypes`` that is not in webhookEventTypes.
    INVALID_EVENT_TYPE = auto()
