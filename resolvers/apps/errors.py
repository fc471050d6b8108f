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
    # Trusted documents (resolvers/apps/trusted_documents.py): a manifest that is not a JSON
    # object of id -> document text, or an entry whose id is malformed.
    MANIFEST_INVALID = auto()
    # An entry whose document does not parse, validate against the schema, or hold an operation.
    DOCUMENT_INVALID = auto()
    # An entry keyed by a 64-hex sha256 that is not the SHA-256 of its document.
    DOCUMENT_HASH_MISMATCH = auto()
    # An entry longer than persisted_query_max_bytes.
    DOCUMENT_TOO_LARGE = auto()
    # More entries than one upload, or one app, may hold.
    TOO_MANY_DOCUMENTS = auto()
    # A personal access token asking for a scope its owner's role does not allow.
    SCOPE_NOT_ALLOWED = auto()
    # A personal access token's lifetime outside 1..365 days.
    INVALID_EXPIRY = auto()
    # Too many live personal access tokens (resolvers.apps.personal_tokens.MAX_LIVE_TOKENS).
    TOO_MANY_TOKENS = auto()
    # Webhooks: a URL that is not an absolute http(s) URL without credentials or fragment.
    INVALID_URL = auto()
    # The URL's host is or resolves to a loopback, private, link-local or otherwise non-public
    # address that HELLO_WEBHOOK_ALLOWED_HOSTS does not allow (SSRF guard).
    URL_NOT_ALLOWED = auto()
    # The URL did not answer the verification challenge with 2xx and {"challenge": ...}.
    URL_VERIFICATION_FAILED = auto()
    # A name of ``eventTypes`` that is not in webhookEventTypes.
    INVALID_EVENT_TYPE = auto()
