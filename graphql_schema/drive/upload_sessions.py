"""Upload sessions in GraphQL: large files in parts, resumable (``uploadSessionCreate``,
``uploadSession``, ``uploadSessionComplete``, ``uploadSessionAbort``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import global_id, require_id
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
from graphql_schema.drive.types import ByteCount, File, OnNameConflict
from models import drive as m
from resolvers.core.errors import CoreErrorCode, NotFound
from resolvers.drive import access, completion, names, upload_sessions
from resolvers.drive.downloads import base_url
from resolvers.drive.errors import DriveErrorCode

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(description="Where an upload session stands.")
class UploadSessionStatus(Enum):
    OPEN = strawberry.enum_value(
        "OPEN", description="Waiting for parts and `uploadSessionComplete`."
    )
    COMPLETING = strawberry.enum_value(
        "COMPLETING", description="Being verified; ask again (or complete again) in a moment."
    )
    COMPLETED = strawberry.enum_value("COMPLETED", description="The file (or version) exists.")
    ABORTED = strawberry.enum_value(
        "ABORTED", description="Aborted, failed verification or expired; its parts are gone."
    )
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Past `expiresAt`: it can no longer be completed."
    )


@strawberry.type(description="One part of an upload session.")
class UploadPart:
    number: int = strawberry.field(description="1 for the first part, then 2, 3…")
    size: ByteCount = strawberry.field(
        description="Its exact size: `partSize`, except the last part, which has the rest."
    )
    url: str | None = strawberry.field(
        description="Where to PUT its bytes while the session is open: on Hello with your "
        "access token (`Authorization: Bearer …`), or a presigned S3 URL needing no token. "
        "Sending a part again replaces it."
    )
    received: bool = strawberry.field(description="True once it arrived with the right size.")


@strawberry.type(
    description="A large upload in parts. Send every part to its `url`, then call "
    "`uploadSessionComplete`. Resumable until `expiresAt`: ask which parts arrived and send "
    "the others."
)
class UploadSession:
    id: strawberry.ID = strawberry.field(description="Its global ID.")
    name: str = strawberry.field(description="The name the file will have.")
    size: ByteCount = strawberry.field(description="Bytes announced.")
    sha256: str = strawberry.field(description="SHA-256 announced, hex; checked on completion.")
    content_type: str = strawberry.field(description="MIME type the file will have.")
    part_size: ByteCount = strawberry.field(
        description="Bytes per part (4 MiB; 5 MiB or more on S3), the last part excepted."
    )
    part_count: int = strawberry.field(description="How many parts.")
    expires_at: datetime = strawberry.field(description="When unfinished parts are deleted.")
    status: UploadSessionStatus = strawberry.field(description="Where it stands.")
    model: strawberry.Private[m.UploadSession]

    @strawberry.field(description="The file it created or updated, once completed.")
    async def file(self, info: Info) -> File | None:
        if self.model.status != m.UploadStatus.COMPLETED or not self.model.result_item_id:
            return None
        found = (await access.visible_items(info.context, [self.model.result_item_id]))[0]
        return File.from_model(found) if found is not None else None

    @strawberry.field(
        description="Its parts from number `start`, at most `count` (1000 by default and at "
        "most), with their URLs and whether they arrived."
    )
    async def parts(
        self,
        info: Info,
        start: Annotated[int, strawberry.argument(description="The first part number.")] = 1,
        count: Annotated[int, strawberry.argument(description="How many, at most 1000.")] = 1000,
    ) -> list[UploadPart]:
        states = await upload_sessions.part_states(
            self.model, base_url=base_url(info.context), start=start, count=count
        )
        return [
            UploadPart(number=p.number, size=ByteCount(p.size), url=p.url, received=p.received)
            for p in states
        ]

    @classmethod
    def from_model(cls, s: m.UploadSession) -> UploadSession:
        return cls(
            id=global_id("UploadSession", s.id),
            name=s.name,
            size=s.size,
            sha256=s.sha256,
            content_type=s.content_type,
            part_size=ByteCount(s.part_size),
            part_count=upload_sessions.part_count(s),
            expires_at=s.expires_at,
            status=UploadSessionStatus[upload_sessions.state(s)],
            model=s,
        )


@strawberry.enum(description="Why `uploadSessionCreate` failed.")
class UploadSessionCreateErrorCode(Enum):
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The name is missing, empty, too long, or has slashes."
    )
    INVALID_CONTENT_TYPE = INVALID_CONTENT_TYPE
    INVALID_SIZE = error_code(
        DriveErrorCode.INVALID_SIZE, "The size is 0 (send empty files with `fileUpload`)."
    )
    INVALID_SHA256 = error_code(
        DriveErrorCode.INVALID_SHA256, "The SHA-256 is not 64 hexadecimal characters."
    )
    NAME_TAKEN = error_code(
        DriveErrorCode.NAME_TAKEN, "The folder has an item of that name (`onConflict` FAIL)."
    )
    NOT_A_FOLDER = NOT_A_FOLDER
    NOT_A_FILE = error_code(DriveErrorCode.NOT_A_FILE, "`fileId` names a folder.")
    FILE_TOO_LARGE = error_code(DriveErrorCode.FILE_TOO_LARGE, "Over the per-file size limit.")
    QUOTA_EXCEEDED = QUOTA_EXCEEDED
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = TARGET_FORBIDDEN
    NOT_FOUND = TARGET_NOT_FOUND
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `uploadSessionCreate` created nothing.")
class UploadSessionCreateError(MutationError):
    code: UploadSessionCreateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.enum(description="Why `uploadSessionComplete` created no file.")
class UploadSessionCompleteErrorCode(Enum):
    PARTS_MISSING = error_code(
        DriveErrorCode.PARTS_MISSING, "Some parts have not arrived (see `parts`)."
    )
    PART_SIZE_MISMATCH = error_code(
        DriveErrorCode.PART_SIZE_MISMATCH, "A part has the wrong size: send it again."
    )
    SIZE_MISMATCH = error_code(
        DriveErrorCode.SIZE_MISMATCH,
        "The bytes do not have the announced size; the session is aborted.",
    )
    SHA256_MISMATCH = error_code(
        DriveErrorCode.SHA256_MISMATCH,
        "The bytes do not have the announced SHA-256; the session is aborted.",
    )
    UPLOAD_CLOSED = error_code(
        DriveErrorCode.UPLOAD_CLOSED, "The session was aborted or has expired."
    )
    UPLOAD_IN_PROGRESS = error_code(
        DriveErrorCode.UPLOAD_IN_PROGRESS, "Still being verified elsewhere; call again in a moment."
    )
    NAME_TAKEN = error_code(
        DriveErrorCode.NAME_TAKEN, "The folder got an item of that name meanwhile."
    )
    NOT_A_FOLDER = error_code(DriveErrorCode.NOT_A_FOLDER, "The target is no longer a folder.")
    TOO_DEEP = TOO_DEEP
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You may no longer write to the target folder or file; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The upload session, or its target folder or file does not exist or you "
        "cannot see it (the two answer alike); `field` says which input.",
    )
    QUOTA_EXCEEDED = error_code(
        DriveErrorCode.QUOTA_EXCEEDED,
        "The organization's storage quota has no room for the file any more.",
    )


@strawberry.type(description="A reason why `uploadSessionComplete` created no file.")
class UploadSessionCompleteError(MutationError):
    code: UploadSessionCompleteErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.enum(description="Why `uploadSessionAbort` failed.")
class UploadSessionAbortErrorCode(Enum):
    ALREADY_COMPLETED = error_code(
        DriveErrorCode.ALREADY_COMPLETED, "The session is completed; delete the file."
    )
    UPLOAD_IN_PROGRESS = error_code(
        DriveErrorCode.UPLOAD_IN_PROGRESS, "The session is being completed right now."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The upload session (one of yours) does not exist or you cannot see it (the "
        "two answer alike); `field` says which input.",
    )


@strawberry.type(description="A reason why `uploadSessionAbort` failed.")
class UploadSessionAbortError(MutationError):
    code: UploadSessionAbortErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="A large upload to start.")
class UploadSessionCreateInput:
    size: ByteCount = strawberry.field(description="Exact size in bytes (at least 1).")
    sha256: str = strawberry.field(description="SHA-256 of the whole content, hex.")
    name: str | None = strawberry.field(
        default=None, description="The file's name (required unless `fileId` is given)."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit; your root folder if omitted."
    )
    file_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Upload a new version of this file (you must be its editor) instead of a "
        "new file; `name`, `folderId` and `onConflict` are then ignored.",
    )
    content_type: str | None = strawberry.field(
        default=None, description="MIME type; `application/octet-stream` if omitted."
    )
    on_conflict: OnNameConflict = strawberry.field(
        default=OnNameConflict.FAIL, description="When the folder has an item of that name."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first session."
    )


@strawberry.input(description="An upload session to finish.")
class UploadSessionCompleteInput:
    upload_session_id: strawberry.ID = strawberry.field(
        description="Your session (`UploadSession.id`)."
    )


@strawberry.input(description="An upload session to give up.")
class UploadSessionAbortInput:
    upload_session_id: strawberry.ID = strawberry.field(
        description="Your session (`UploadSession.id`)."
    )


@strawberry.type(description="The result of `uploadSessionCreate`.")
class UploadSessionCreatePayload:
    session: UploadSession | None = strawberry.field(default=None, description="The session.")
    errors: list[UploadSessionCreateError] = strawberry.field(description="Why nothing started.")


@strawberry.type(description="The result of `uploadSessionComplete`.")
class UploadSessionCompletePayload:
    file: File | None = strawberry.field(default=None, description="The new or updated file.")
    errors: list[UploadSessionCompleteError] = strawberry.field(
        description="Why no file was created."
    )


@strawberry.type(description="The result of `uploadSessionAbort`.")
class UploadSessionAbortPayload:
    session: UploadSession | None = strawberry.field(
        default=None, description="The aborted session."
    )
    errors: list[UploadSessionAbortError] = strawberry.field(description="Why it was not aborted.")


@strawberry.type
class UploadSessionQuery:
    @strawberry.field(
        description="One of your upload sessions, to resume it: which parts arrived, until "
        "when. Null if it does not exist or is not yours.",
        directives=needs("drive:write"),
    )
    async def upload_session(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The session's ID.")],
    ) -> UploadSession | None:
        try:
            found = await upload_sessions.access_session(
                info.context, require_id(id, "UploadSession", "id")
            )
        except NotFound:
            return None
        return UploadSession.from_model(found)


@strawberry.type
class UploadSessionMutation:
    @strawberry.mutation(
        description="Start a large upload in parts (any size up to the per-file limit); the "
        "size is reserved against your organization's quota until it completes or is aborted.",
        directives=needs("drive:write"),
    )
    async def upload_session_create(
        self, info: Info, input: Annotated[UploadSessionCreateInput, INPUT]
    ) -> UploadSessionCreatePayload:
        action = upload_sessions.create_session(
            info.context,
            name=input.name,
            size=input.size,
            sha256=input.sha256,
            folder_id=require_id(input.folder_id, "File", "folderId"),
            content_type=input.content_type,
            file_id=require_id(input.file_id, "File", "fileId"),
            on_conflict=names.OnConflict(input.on_conflict.name),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            UploadSessionCreatePayload,
            UploadSessionCreateError,
            action,
            lambda s: {"session": UploadSession.from_model(s)},
        )

    @strawberry.mutation(
        description="Finish an upload: checks that every part arrived, joins them and verifies "
        "the size and SHA-256, then creates the file (or version). Calling it again returns the "
        "same file. On a size or SHA-256 mismatch nothing is created and the session is aborted.",
        directives=needs("drive:write"),
    )
    async def upload_session_complete(
        self, info: Info, input: Annotated[UploadSessionCompleteInput, INPUT]
    ) -> UploadSessionCompletePayload:
        action = completion.complete_session(
            info.context, require_id(input.upload_session_id, "UploadSession", "uploadSessionId")
        )
        return await mutate(
            UploadSessionCompletePayload,
            UploadSessionCompleteError,
            action,
            lambda f: {"file": File.from_model(f)},
        )

    @strawberry.mutation(
        description="Give up an upload: its parts are deleted and its reserved size given back.",
        directives=needs("drive:write"),
    )
    async def upload_session_abort(
        self, info: Info, input: Annotated[UploadSessionAbortInput, INPUT]
    ) -> UploadSessionAbortPayload:
        action = completion.abort_session(
            info.context, require_id(input.upload_session_id, "UploadSession", "uploadSessionId")
        )
        return await mutate(
            UploadSessionAbortPayload,
            UploadSessionAbortError,
            action,
            lambda s: {"session": UploadSession.from_model(s)},
        )
