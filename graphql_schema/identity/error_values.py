"""Values that several of this module's mutation error enums list with the same meaning,
declared once (strawberry lets one value serve several enums)."""

from __future__ import annotations

from graphql_schema.core.payload import error_code
from resolvers.core.errors import CoreErrorCode
from resolvers.identity.errors import IdentityErrorCode

DISPLAY_INVALID_NAME = error_code(
    CoreErrorCode.INVALID_NAME,
    "The display name is empty or longer than 100 characters.",
)
INVALID_EMAIL = error_code(IdentityErrorCode.INVALID_EMAIL, "Not a valid address.")
WEAK_PASSWORD = error_code(
    IdentityErrorCode.WEAK_PASSWORD,
    "Shorter than 10 characters, or equal to the email.",
)
