"""Values that several of this module's mutation error enums list with the same meaning,
declared once (strawberry lets one value serve several enums)."""

from __future__ import annotations

from graphql_schema.core.payload import error_code
from resolvers.core.errors import CoreErrorCode
from resolvers.drive.errors import DriveErrorCode

INVALID_CONTENT_TYPE = error_code(
    DriveErrorCode.INVALID_CONTENT_TYPE,
    "The content type is not `type/subtype`.",
)
ITEM_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "You can see the item but may not do this to it; `message` says why.",
)
ITEM_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The item does not exist or you cannot see it (the two answer alike); `field` says which "
    "input.",
)
ITEM_OR_FOLDER_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "You can see the item or the folder but may not do this to it; `message` says why.",
)
ITEM_OR_FOLDER_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The item or the folder does not exist or you cannot see it (the two answer alike); `field`"
    " says which input.",
)
NOT_A_FOLDER = error_code(DriveErrorCode.NOT_A_FOLDER, "`folderId` names a file.")
QUOTA_EXCEEDED = error_code(
    DriveErrorCode.QUOTA_EXCEEDED,
    "Your organization's storage quota would be exceeded.",
)
ROOT_NOT_SHAREABLE = error_code(
    DriveErrorCode.ROOT_NOT_SHAREABLE,
    "My Drive itself cannot be shared.",
)
TARGET_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "You can see the folder or file but may not do this to it; `message` says why.",
)
TARGET_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The folder or the file to add a version to does not exist or you cannot see it (the two "
    "answer alike); `field` says which input.",
)
TOO_DEEP = error_code(DriveErrorCode.TOO_DEEP, "Folders nest at most 32 deep.")
