"""docExport: a doc written as a Drive file (Markdown, HTML, plain text, DOCX or PDF) by a
background job, in a folder the requester may edit (their root by default).

Anyone who can see a doc may export it, viewers included: Drive lets viewers download files,
and an export holds nothing a viewer cannot read through ``doc`` already. The job
(``docs.export``) reads the doc as of its newest revision, renders it, stores the file through
Drive (its quota counts; the name is the title with the format's extension, made unique in the
folder) and records ``{"fileId": …}`` as the job's result in the same transaction, so a second
run of the job finds it done instead of making a second file, and ``backgroundJobEvents``'
final state names the file (``BackgroundJob.resultFile``)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from adapters import runtime
from models.docs import Document
from models.drive import DriveItem, ItemKind
from models.jobs import BackgroundJob
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.jobs import JobContext, do_enqueue, do_record_result, job_handler
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.docs import queries
from resolvers.docs.access import access_doc
from resolvers.docs.blocks import Block
from resolvers.docs.create import drive_name
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.formats import Format, docx, pdf
from resolvers.docs.formats.html import to_html_document
from resolvers.docs.formats.markdown import to_markdown
from resolvers.docs.formats.text import to_text
from resolvers.drive import events, names, storage
from resolvers.drive.tree import editable_folder

EXPORT_JOB = "docs.export"


@dataclass(frozen=True)
class Rendering:
    extension: str
    content_type: str


RENDERINGS = {
    Format.MARKDOWN: Rendering("md", "text/markdown; charset=utf-8"),
    Format.HTML: Rendering("html", "text/html; charset=utf-8"),
    Format.TEXT: Rendering("txt", "text/plain; charset=utf-8"),
    Format.DOCX: Rendering("docx", docx.CONTENT_TYPE),
    Format.PDF: Rendering("pdf", pdf.CONTENT_TYPE),
}


def render(fmt: Format, title: str, blocks: list[Block]) -> bytes:
    """The doc in ``fmt`` (pure; DOCX and PDF take a while for big docs: run it in a
    thread)."""
    if fmt == Format.MARKDOWN:
        return to_markdown(blocks).encode()
    if fmt == Format.HTML:
        return to_html_document(title, blocks).encode()
    if fmt == Format.TEXT:
        return to_text(blocks).encode()
    if fmt == Format.DOCX:
        return docx.to_docx(title, blocks)
    return pdf.to_pdf(title, blocks)


async def check_doc_export(
    ctx: Context, *, doc_id: int | None, fmt: Format, folder_id: int | None
) -> BackgroundJob:
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id)
    folder = await editable_folder(ctx, folder_id, "folderId")
    if fmt == Format.PDF and not pdf.available():
        raise ValidationFailed(
            "PDF export is not available on this server (its fonts are not installed).",
            field="format",
            code=DocsErrorCode.FORMAT_UNAVAILABLE,
        )
    return await do_doc_export(found.document, fmt, folder, principal.user_id)


async def do_doc_export(
    document: Document, fmt: Format, folder: DriveItem, user_id: int
) -> BackgroundJob:
    async with transaction():
        return await do_enqueue(
            EXPORT_JOB,
            {"docId": document.id, "format": fmt.value, "folderId": folder.id, "userId": user_id},
            key=f"export:{document.id}:{secrets.token_hex(12)}",
            organization_id=document.organization_id,
            requested_by=user_id,
        )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@job_handler(EXPORT_JOB, max_attempts=3)
async def run_doc_export(ctx: JobContext) -> None:
    job = await BackgroundJob.get(id=ctx.job_id)
    if job.result:
        return  # a second run: the file was made
    args = ctx.args
    fmt, user_id = Format(str(args["format"])), int(str(args["userId"]))
    await ctx.progress(0, 3)
    document = await Document.get_or_none(id=int(str(args["docId"])))
    folder = await DriveItem.get_or_none(
        id=int(str(args["folderId"])), kind=ItemKind.FOLDER, trashed_at__isnull=True
    )
    # The requester's role was checked when they asked, seconds ago: what runs now only makes
    # sure the doc and the folder are still there (not trashed or deleted meanwhile).
    live_doc = document is not None and await DriveItem.exists(
        id=document.id, trashed_at__isnull=True
    )
    if document is None or folder is None or not live_doc:
        raise LookupError("the doc or the folder was deleted or trashed")
    content = await queries.content(document)
    await ctx.progress(1, 3)
    data = await asyncio.to_thread(render, fmt, content.title, content.blocks)
    await ctx.progress(2, 3)
    rendering = RENDERINGS[fmt]
    name = f"{drive_name(content.title)[:240]}.{rendering.extension}"
    settings = runtime.current().settings
    staged = await storage.stage(
        document.organization_id, _once(data), max_bytes=settings.drive_max_file_bytes
    )
    try:
        async with transaction() as tx:
            item, _ = await storage.store_file(
                tx,
                folder=folder,
                name=names.check_name(name),
                content_type=rendering.content_type,
                staged=staged,
                user_id=user_id,
                on_conflict=names.OnConflict.RENAME,
            )
            await events.publish_change(tx, events.Change.CREATED, item, user_id)
            await do_record_result(
                ctx.job_id,
                {"fileId": item.id, "docId": document.id, "revision": content.revision},
            )
    except BaseException:
        await storage.blobs().delete(staged.key)
        raise
    await ctx.progress(3, 3)
