"""Values that several of this module's mutation error enums list with the same meaning,
declared once (strawberry lets one value serve several enums)."""

from __future__ import annotations

from graphql_schema.core.payload import error_code
from resolvers.core.errors import CoreErrorCode

CHAT_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The chat does not exist or you cannot see it (the two answer alike); `field` says which "
    "input.",
)
MEMBER_CHAT_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The chat does not exist or you are not in it (the two answer alike).",
)
MESSAGE_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The message does not exist or you cannot see it (the two answer alike); `field` says which"
    " input.",
)
