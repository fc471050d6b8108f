"""Values that several of this module's mutation error enums list with the same meaning,
declared once (strawberry lets one value serve several enums)."""

from __future__ import annotations

from graphql_schema.core.payload import error_code
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.errors import CoreErrorCode

DIRECTORY_INVALID_NAME = error_code(
    CoreErrorCode.INVALID_NAME,
    "Create, update: the name is empty or over 100 characters.",
)
EMAIL_TAKEN = error_code(AdminErrorCode.EMAIL_TAKEN, "An account with this email exists already.")
GUEST_NOT_ALLOWED = error_code(AdminErrorCode.GUEST_NOT_ALLOWED, "Guests sit in no department.")
MANAGER_INACTIVE = error_code(AdminErrorCode.MANAGER_INACTIVE, "The manager is deactivated.")
USER_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The user does not exist or you cannot see it (the two answer alike); `field` says which "
    "input.",
)
