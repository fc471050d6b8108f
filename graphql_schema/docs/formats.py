"""Docs import and export: ``docImport`` (Markdown or HTML into a new doc) and ``docExport``
(a doc into a Drive file, by a background job)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.admin.jobs import BackgroundJob
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.docs.docs import INPUT, _doc
from graphql_schema.docs.types import Doc
from graphql_schema.drive.error_values import NOT_A_FOLDER
from resolvers.core.errors import CoreErrorCode
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.exports import check_doc_export
from resolvers.docs.formats import Format
from resolvers.docs.imports import MAX_IMPORT_BYTES, check_doc_import
from resolvers.drive.errors import DriveErrorCode


@strawberry.enum(description="What `docImport` reads.")
class DocImportFormat(Enum):
    MARKDOWN = strawberry.enum_value(
        "MARKDOWN", description="CommonMark with GitHub's tables, strikethrough and task lists."
    )
    HTML = strawberry.enum_value(
        "HTML",
        description="HTML, sanitized: only what maps to blocks is kept (no scripts, styles, "
        "event handlers or unsafe URLs).",
    )


@strawberry.enum(description="What `docExport` writes.")
class DocExportFormat(Enum):
    MARKDOWN = strawberry.enum_value("MARKDOWN", description="A `.md` file, as `Doc.markdown`.")
    HTML = strawberry.enum_value("HTML", description="A `.html` page: the title and `Doc.html`.")
    TEXT = strawberry.enum_value("TEXT", description="A `.txt` file, as `Doc.plainText`.")
    DOCX = strawberry.enum_value("DOCX", description="A Word document (`.docx`).")
    PDF = strawberry.enum_value(
        "PDF",
        description="A PDF in the DejaVu fonts: scripts they lack (CJK among them) show "
        "blank unless the server has a CJK font.",
    )


@strawberry.input(description="A new doc from Markdown or HTML.")
class DocImportInput:
    format: DocImportFormat = strawberry.field(description="What the content is.")
    content: str | None = strawberry.field(
        default=None,
        description=f"The text to import, at most {MAX_IMPORT_BYTES} bytes of UTF-8; or give "
        "`fileId`.",
    )
    file_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A Drive file you can read holding the text (UTF-8), instead of `content`.",
    )
    title: str | None = strawberry.field(
        default=None,
        description="At most 255 characters; if omitted, the first heading's text (else the "
        "file's name, else Untitled).",
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit; your root folder if omitted."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first doc."
    )


@strawberry.enum(description="Why `docImport` failed.")
class DocImportErrorCode(Enum):
    IMPORT_TOO_LARGE = error_code(
        DocsErrorCode.IMPORT_TOO_LARGE,
        f"The content or file has more than {MAX_IMPORT_BYTES} bytes.",
    )
    NOT_A_FILE = error_code(DriveErrorCode.NOT_A_FILE, "`fileId` is a folder or a doc, not a file.")
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The title cannot be a Drive name (blank characters, . or ..)."
    )
    NAME_TAKEN = error_code(
        DriveErrorCode.NAME_TAKEN, "Another item took the name at the same moment: try again."
    )
    NOT_A_FOLDER = NOT_A_FOLDER
    TOO_DEEP = error_code(DriveErrorCode.TOO_DEEP, "The folder is nested too deep for more.")
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "You can see the folder but not edit it.")
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The folder or file does not exist or you cannot see it; `field` says which.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docImport` failed.")
class DocImportError(MutationError):
    code: DocImportErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docImport`.")
class DocImportPayload:
    doc: Doc | None = strawberry.field(default=None, description="The new doc.")
    errors: list[DocImportError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="A doc to write as a Drive file.")
class DocExportInput:
    doc_id: strawberry.ID = strawberry.field(description="A doc you can see.")
    format: DocExportFormat = strawberry.field(description="What to write.")
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit for the file; your root if omitted."
    )


@strawberry.enum(description="Why `docExport` failed.")
class DocExportErrorCode(Enum):
    FORMAT_UNAVAILABLE = error_code(
        DocsErrorCode.FORMAT_UNAVAILABLE,
        "This server cannot write the format (PDF without its fonts).",
    )
    NOT_A_FOLDER = NOT_A_FOLDER
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "You can see the folder but not edit it.")
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The doc or folder does not exist or you cannot see it (the two answer alike); `field` "
        "says which.",
    )


@strawberry.type(description="A reason why `docExport` failed.")
class DocExportError(MutationError):
    code: DocExportErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docExport`.")
class DocExportPayload:
    job: BackgroundJob | None = strawberry.field(
        default=None,
        description="The export's job: follow it with `backgroundJobEvents`; once SUCCEEDED "
        "its `resultFile` is the new file.",
    )
    errors: list[DocExportError] = strawberry.field(description="Why nothing was started.")


@strawberry.type
class DocsFormatsMutation:
    @strawberry.mutation(
        description="Create a doc from Markdown or HTML (inline, or a Drive file you can read).",
        directives=needs("docs:write"),
    )
    async def doc_import(
        self, info: Info, input: Annotated[DocImportInput, INPUT]
    ) -> DocImportPayload:
        async def imported() -> Any:
            item = await check_doc_import(
                info.context,
                folder_id=require_id(input.folder_id, "File", "folderId"),
                title=input.title,
                fmt=Format(input.format.name),
                content=input.content,
                file_id=require_id(input.file_id, "File", "fileId"),
                file_id_given=input.file_id is not None,
                idempotency_key=input.idempotency_key,
            )
            return await _doc(info, item.id)

        return await mutate(DocImportPayload, DocImportError, imported(), lambda d: {"doc": d})

    @strawberry.mutation(
        description="Write a doc (as of its newest revision) as a new Drive file, in the "
        "background: answers the job at once. Viewers may export.",
        directives=needs("docs:read", "drive:write"),
    )
    async def doc_export(
        self, info: Info, input: Annotated[DocExportInput, INPUT]
    ) -> DocExportPayload:
        async def started() -> Any:
            return await check_doc_export(
                info.context,
                doc_id=require_id(input.doc_id, "Doc", "docId"),
                fmt=Format(input.format.name),
                folder_id=require_id(input.folder_id, "File", "folderId"),
            )

        return await mutate(
            DocExportPayload,
            DocExportError,
            started(),
            lambda job: {"job": BackgroundJob.from_model(job)},
        )
