"""Uploads in GraphQL: ``fileUpload`` (multipart, small files) and upload sessions."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.drive.error_values import (
    INVALID_CONTENT_TYPE,
    NOT_A_FOLDER,
    QUOTA_EXCEEDED,
    TARGET_FORBIDDEN,
    TARGET_NOT_FOUND,
    TOO_DEEP,
)
from graphql_schema.drive.types import File, OnNameConflict
from resolvers.core.errors import CoreErrorCode
from resolvers.drive import names, uploads
from resolvers.drive.errors import DriveErrorCode

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(description="Why an upload failed.")
class UploadErrorCode(Enum):
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The name is empty, too long, `.`/`..`, or has slashes."
    )
    INVALID_CONTENT_TYPE = INVALID_CONTENT_TYPE
    NAME_TAKEN = error_code(
        DriveErrorCode.NAME_TAKEN, "The folder has an item of that name (and `onConflict` is FAIL)."
    )
    NOT_A_FOLDER = NOT_A_FOLDER
    TOO_DEEP = TOO_DEEP
    FILE_TOO_LARGE = error_code(
        DriveErrorCode.FILE_TOO_LARGE,
        "Over the size limit: 20 MB through `fileUpload` (use an upload session), "
        "or the per-file limit.",
    )
    QUOTA_EXCEEDED = QUOTA_EXCEEDED
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = TARGET_FORBIDDEN
    NOT_FOUND = TARGET_NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why an upload created nothing.")
class UploadError(MutationError):
    code: UploadErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A file sent in this request (GraphQL multipart request spec).")
class FileUploadInput:
    file: Upload = strawberry.field(
        description="The file part. Requests carrying files need the `x-hello-csrf` header."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit; your root folder if omitted."
    )
    name: str | None = strawberry.field(
        default=None, description="The file's name; the uploaded file name if omitted."
    )
    content_type: str | None = strawberry.field(
        default=None, description="MIME type; the part's content type if omitted."
    )
    on_conflict: OnNameConflict = strawberry.field(
        default=OnNameConflict.FAIL, description="When the folder has an item of that name."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first file."
    )


@strawberry.type(description="The result of `fileUpload`.")
class FileUploadPayload:
    file: File | None = strawberry.field(default=None, description="The file (new or updated).")
    errors: list[UploadError] = strawberry.field(description="Why nothing was stored.")


@strawberry.type
class UploadMutation:
    @strawberry.mutation(
        description="Upload a file of at most 20 MB in this request (multipart). Larger files "
        "go through `uploadSessionCreate`.",
        directives=needs("drive:write"),
    )
    async def file_upload(
        self, info: Info, input: Annotated[FileUploadInput, INPUT]
    ) -> FileUploadPayload:
        action = uploads.upload_small(
            info.context,
            upload=input.file,
            folder_id=require_id(input.folder_id, "File", "folderId"),
            name=input.name,
            content_type=input.content_type,
            on_conflict=names.OnConflict(input.on_conflict.name),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            FileUploadPayload, UploadError, action, lambda f: {"file": File.from_model(f)}
        )
