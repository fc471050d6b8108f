"""Inputs, typed errors and payloads of the tree mutations (see ``graphql_schema.drive.items``)."""

from __future__ import annotations

from enum import Enum

import strawberry

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code
from graphql_schema.drive.error_values import (
    ITEM_FORBIDDEN,
    ITEM_NOT_FOUND,
    ITEM_OR_FOLDER_FORBIDDEN,
    ITEM_OR_FOLDER_NOT_FOUND,
)
from graphql_schema.drive.types import File, FileVersion, OnNameConflict
from resolvers.core.errors import CoreErrorCode
from resolvers.drive.copying import MAX_COPY
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.trash import MAX_IDS

INVALID_NAME = (
    "The name is empty, longer than 255 characters, `.`/`..`, or has slashes or control characters."
)
NAME_TAKEN = "The folder has an item of that name, in any case (and `onConflict` is FAIL)."
NOT_A_FOLDER = "`folderId` names a file."
TOO_DEEP = "Folders nest at most 32 levels deep."
ROOT_FOLDER = "Root folders (My Drive) cannot be renamed, moved, copied or deleted."


def conflict() -> OnNameConflict:
    """The ``onConflict`` field (a new field object per input type)."""
    return strawberry.field(
        default=OnNameConflict.FAIL,
        description="When the folder already has an item of that name: FAIL (the default) or "
        "RENAME. NEW_VERSION is for uploads only.",
    )


@strawberry.enum(description="Why `folderCreate` failed.")
class FolderCreateErrorCode(Enum):
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, INVALID_NAME)
    NAME_TAKEN = error_code(DriveErrorCode.NAME_TAKEN, NAME_TAKEN)
    NOT_A_FOLDER = error_code(DriveErrorCode.NOT_A_FOLDER, "`parentId` names a file.")
    TOO_DEEP = error_code(DriveErrorCode.TOO_DEEP, TOO_DEEP)
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You can see the parent folder but may not do this to it; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The parent folder does not exist or you cannot see it (the two answer "
        "alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.enum(description="Why `fileRename` failed.")
class FileRenameErrorCode(Enum):
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, INVALID_NAME)
    NAME_TAKEN = error_code(DriveErrorCode.NAME_TAKEN, NAME_TAKEN)
    ROOT_FOLDER = error_code(DriveErrorCode.ROOT_FOLDER, ROOT_FOLDER)
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = ITEM_NOT_FOUND


@strawberry.enum(description="Why `fileMove` failed.")
class FileMoveErrorCode(Enum):
    NAME_TAKEN = error_code(DriveErrorCode.NAME_TAKEN, NAME_TAKEN)
    NOT_A_FOLDER = error_code(DriveErrorCode.NOT_A_FOLDER, NOT_A_FOLDER)
    TOO_DEEP = error_code(DriveErrorCode.TOO_DEEP, TOO_DEEP + " The moved folder's contents count.")
    ROOT_FOLDER = error_code(DriveErrorCode.ROOT_FOLDER, ROOT_FOLDER)
    INTO_ITSELF = error_code(
        DriveErrorCode.INTO_ITSELF, "The target folder is the folder moved or a folder inside it."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = ITEM_OR_FOLDER_FORBIDDEN
    NOT_FOUND = ITEM_OR_FOLDER_NOT_FOUND


@strawberry.enum(description="Why `fileCopy` failed.")
class FileCopyErrorCode(Enum):
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, INVALID_NAME)
    NAME_TAKEN = error_code(DriveErrorCode.NAME_TAKEN, NAME_TAKEN)
    NOT_A_FOLDER = error_code(DriveErrorCode.NOT_A_FOLDER, NOT_A_FOLDER)
    TOO_DEEP = error_code(
        DriveErrorCode.TOO_DEEP, TOO_DEEP + " The copied folder's contents count."
    )
    ROOT_FOLDER = error_code(DriveErrorCode.ROOT_FOLDER, ROOT_FOLDER)
    TOO_MANY_ITEMS = error_code(
        DriveErrorCode.TOO_MANY_ITEMS,
        f"A copied folder holds more than {MAX_COPY} files and folders.",
    )
    QUOTA_EXCEEDED = error_code(
        DriveErrorCode.QUOTA_EXCEEDED,
        "Your organization's storage quota would be exceeded (copies count).",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = ITEM_OR_FOLDER_FORBIDDEN
    NOT_FOUND = ITEM_OR_FOLDER_NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.enum(description="Why `fileDelete` failed.")
class FileDeleteErrorCode(Enum):
    ROOT_FOLDER = error_code(DriveErrorCode.ROOT_FOLDER, ROOT_FOLDER)
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = ITEM_NOT_FOUND


@strawberry.enum(description="Why `fileRestore` failed.")
class FileRestoreErrorCode(Enum):
    NAME_TAKEN = error_code(DriveErrorCode.NAME_TAKEN, NAME_TAKEN)
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = ITEM_FORBIDDEN
    NOT_FOUND = ITEM_NOT_FOUND


@strawberry.enum(description="Why `trashEmpty` failed.")
class TrashEmptyErrorCode(Enum):
    NOT_IN_TRASH = error_code(
        DriveErrorCode.NOT_IN_TRASH, "An item named in `ids` is not in the trash."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You can see an item named but may not do this to it; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "An item named does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.enum(description="Why `fileVersionRestore` failed.")
class FileVersionRestoreErrorCode(Enum):
    QUOTA_EXCEEDED = error_code(
        DriveErrorCode.QUOTA_EXCEEDED,
        "Your organization's storage quota would be exceeded (the restored version counts again).",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You can see the file but may not do this to it; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The file or the version does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `folderCreate` failed.")
class FolderCreateError(MutationError):
    code: FolderCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileRename` failed.")
class FileRenameError(MutationError):
    code: FileRenameErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileMove` failed.")
class FileMoveError(MutationError):
    code: FileMoveErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileCopy` failed.")
class FileCopyError(MutationError):
    code: FileCopyErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileDelete` failed.")
class FileDeleteError(MutationError):
    code: FileDeleteErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileRestore` failed.")
class FileRestoreError(MutationError):
    code: FileRestoreErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `trashEmpty` failed.")
class TrashEmptyError(MutationError):
    code: TrashEmptyErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `fileVersionRestore` failed.")
class FileVersionRestoreError(MutationError):
    code: FileVersionRestoreErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


# -- inputs ---------------------------------------------------------------------------------------


@strawberry.input(description="A new folder.")
class FolderCreateInput:
    name: str = strawberry.field(description="1 to 255 characters, no slashes.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit; your root folder if omitted."
    )
    on_conflict: OnNameConflict = conflict()
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first folder."
    )


@strawberry.input(description="A new name for a file or folder.")
class FileRenameInput:
    file_id: strawberry.ID = strawberry.field(description="A file or folder you can edit.")
    name: str = strawberry.field(description="1 to 255 characters, no slashes.")
    on_conflict: OnNameConflict = conflict()


@strawberry.input(description="Where to move a file or folder.")
class FileMoveInput:
    file_id: strawberry.ID = strawberry.field(
        description="A file or folder you can edit; a folder moves with everything in it."
    )
    folder_id: strawberry.ID = strawberry.field(
        description="The folder to move it into (you must be able to edit it too)."
    )
    on_conflict: OnNameConflict = conflict()


@strawberry.input(description="What to copy, and where.")
class FileCopyInput:
    file_id: strawberry.ID = strawberry.field(
        description=f"A file or folder you can see. A folder is copied with what is in it (not "
        f"what is in the trash), at most {MAX_COPY} items in all."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A folder you can edit. If omitted: the folder the original is in when you "
        "may edit it, else your root folder.",
    )
    name: str | None = strawberry.field(
        default=None, description="The copy's name; the original's if omitted."
    )
    on_conflict: OnNameConflict = conflict()
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first copy."
    )


@strawberry.input(description="A file or folder to move to the trash.")
class FileDeleteInput:
    file_id: strawberry.ID = strawberry.field(
        description="A file or folder you can edit; a folder goes with everything in it."
    )


@strawberry.input(description="A file or folder to bring back from the trash.")
class FileRestoreInput:
    file_id: strawberry.ID = strawberry.field(description="An item in the trash you can edit.")
    on_conflict: OnNameConflict = conflict()


@strawberry.input(description="What to delete for good.")
class TrashEmptyInput:
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"Items in the trash you own (at most {MAX_IDS}), deleted with what is in "
        "them; if omitted, everything in your trash that you own.",
    )


@strawberry.input(description="An old version to make current again.")
class FileVersionRestoreInput:
    file_id: strawberry.ID = strawberry.field(description="A file you can edit.")
    version_id: strawberry.ID = strawberry.field(description="One of its versions.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first new version."
    )


# -- payloads -------------------------------------------------------------------------------------


@strawberry.type(description="The result of `folderCreate`.")
class FolderCreatePayload:
    folder: File | None = strawberry.field(default=None, description="The new folder.")
    errors: list[FolderCreateError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="The result of `fileRename`.")
class FileRenamePayload:
    file: File | None = strawberry.field(default=None, description="The renamed item.")
    errors: list[FileRenameError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `fileMove`.")
class FileMovePayload:
    file: File | None = strawberry.field(default=None, description="The moved item.")
    errors: list[FileMoveError] = strawberry.field(description="Why nothing moved.")


@strawberry.type(description="The result of `fileCopy`.")
class FileCopyPayload:
    file: File | None = strawberry.field(default=None, description="The copy.")
    errors: list[FileCopyError] = strawberry.field(description="Why nothing was copied.")


@strawberry.type(description="The result of `fileDelete`.")
class FileDeletePayload:
    file: File | None = strawberry.field(
        default=None, description="The item, now in the trash (`trashedAt` set)."
    )
    errors: list[FileDeleteError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `fileRestore`.")
class FileRestorePayload:
    file: File | None = strawberry.field(default=None, description="The item, back in a folder.")
    errors: list[FileRestoreError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `trashEmpty`.")
class TrashEmptyPayload:
    deleted_count: int = strawberry.field(
        default=0, description="How many files and folders were deleted for good."
    )
    errors: list[TrashEmptyError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of `fileVersionRestore`.")
class FileVersionRestorePayload:
    file: File | None = strawberry.field(default=None, description="The file.")
    version: FileVersion | None = strawberry.field(
        default=None, description="Its current version now (a new one, unless it already was)."
    )
    errors: list[FileVersionRestoreError] = strawberry.field(description="Why nothing changed.")
