"""Block mutations for bots and integrations: ``docBlocksInsert``, ``docBlockUpdate``,
``docBlocksDelete``, ``docBlocksMove`` (``resolvers.docs.block_ops`` says how they apply and
rebase)."""

from __future__ import annotations

from collections.abc import Awaitable
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id, resolve_global_ids
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.docs.docs import DOC_FORBIDDEN, INPUT
from graphql_schema.docs.types import Doc, DocBlock, DocBlockTypeEnum
from graphql_schema.drive.types import File, FileKindEnum
from resolvers.core.errors import CoreErrorCode, ValidationFailed
from resolvers.docs import block_ops, queries, store
from resolvers.docs.block_input import Visible
from resolvers.docs.blocks import MARKS, Block, BlockType, Run
from resolvers.docs.errors import DocsErrorCode

UNSET: Any = strawberry.UNSET

NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The doc, or a `fileId` or `target` named, does not exist or you cannot see it (the two "
    "answer alike); `field` says which.",
)
BLOCK_NOT_FOUND = error_code(
    DocsErrorCode.BLOCK_NOT_FOUND,
    "A block id is not in the doc (never was, or was deleted); `field` says which input.",
)
STALE_REVISION = error_code(
    DocsErrorCode.STALE_REVISION,
    "`revision` is newer than the doc, or older than the history the server keeps (its "
    "snapshot), or the block did not exist at it: read the doc again and retry. Nothing changed.",
)
BLOCK_INPUT = error_code(
    CoreErrorCode.BAD_USER_INPUT,
    "A block breaks the block model (a heading level outside 1 to 6, children under a "
    "paragraph, a cell outside a row, an attribute of another type...) or a limit; `field` "
    "says where.",
)
REVISION = "The doc's `revision` this change is based on (as `doc { revision }` gave it)."
DOC_ID = "A doc you may edit."


@strawberry.input(description="A stretch of text with one formatting.")
class DocTextRunInput:
    text: str = strawberry.field(description="The characters.")
    bold: bool = strawberry.field(default=False, description="Bold.")
    italic: bool = strawberry.field(default=False, description="Italic.")
    underline: bool = strawberry.field(default=False, description="Underlined.")
    strike: bool = strawberry.field(default=False, description="Struck through.")
    code: bool = strawberry.field(default=False, description="Inline code.")
    link: str | None = strawberry.field(
        default=None, description="A URL (http, https or mailto) it links to."
    )

    def to_run(self) -> Run:
        marks: dict[str, Any] = {m: True for m in MARKS if m != "link" and getattr(self, m)}
        if self.link is not None:
            marks["link"] = self.link
        return Run(self.text, marks)


@strawberry.input(
    description="A new block (README, Docs: the block model). Give `text` or `runs` for its "
    "text; attributes only of its type."
)
class DocBlockInput:
    type: DocBlockTypeEnum = strawberry.field(description="What it is.")
    text: str | None = strawberry.field(
        default=None, description="Its text, unformatted (at most 10,000 characters)."
    )
    runs: list[DocTextRunInput] | None = strawberry.field(
        default=None, description="Its text with formatting (instead of `text`)."
    )
    children: list[DocBlockInput] | None = strawberry.field(
        default=None,
        description="Nested blocks: list items', to-dos' and quotes' blocks, a table's rows, "
        "a row's cells. At most 100 per list, 500 in all, 8 levels deep, 100,000 characters "
        "of text in all.",
    )
    level: int | None = strawberry.field(default=None, description="A heading's, 1 to 6 (1).")
    checked: bool | None = strawberry.field(default=None, description="A to-do's (false).")
    language: str | None = strawberry.field(
        default=None, description="A code block's, at most 64 characters."
    )
    url: str | None = strawberry.field(default=None, description="A link's (http, https, mailto).")
    file_id: strawberry.ID | None = strawberry.field(
        default=None, description="An image's or file's: a Drive file you can see."
    )
    target: strawberry.ID | None = strawberry.field(
        default=None, description="A mention's: a User, Chat or Doc you can see."
    )

    def to_block(self) -> Block:
        if self.text is not None and self.runs is not None:
            raise ValidationFailed("Give text or runs, not both.", field="runs")
        runs = [r.to_run() for r in self.runs] if self.runs is not None else []
        if self.text:
            runs = [Run(self.text)]
        return Block(
            type=BlockType[self.type.name],
            runs=[r for r in runs if r.text],
            children=[c.to_block() for c in self.children or []],
            level=self.level,
            checked=self.checked,
            language=self.language,
            url=self.url,
            file_id=str(self.file_id) if self.file_id is not None else None,
            target=str(self.target) if self.target is not None else None,
        )


def visible(info: Info) -> Visible:
    """What the caller can see of global IDs, as block mutations ask (``Visible``): the kind
    of each, "File" only for a Drive file (not a folder or a doc's item)."""

    async def kinds(ids: list[str]) -> list[str | None]:
        found = await resolve_global_ids(info, ids)
        out: list[str | None] = []
        for obj in found:
            if obj is None:
                out.append(None)
            elif isinstance(obj, File):
                out.append("File" if obj.kind == FileKindEnum.FILE else None)
            else:
                out.append(type(obj).__name__)
        return out

    return kinds


async def _blocks_now(info: Info, doc_pk: int, block_ids: tuple[str, ...]) -> list[DocBlock]:
    found = (await queries.visible_docs(info.context, [doc_pk]))[0]
    if found is None:
        return []
    live = await store.load(found.document)
    return [DocBlock.of(b) for b in block_ops.read_blocks_by_id(live.ydoc, block_ids)]


async def _doc(info: Info, pk: int) -> Doc | None:
    found = (await queries.visible_docs(info.context, [pk]))[0]
    return Doc.from_model(found) if found is not None else None


@strawberry.type(description="What a block mutation changed.")
class DocBlocksResult:
    revision: int | None = strawberry.field(
        default=None,
        description="The doc's revision with the change (unchanged when it changed nothing).",
    )
    doc_id: strawberry.Private[int | None] = None
    written_ids: strawberry.Private[tuple[str, ...]] = ()

    @strawberry.field(description="The doc as it is now.")
    async def doc(self, info: Info) -> Doc | None:
        return await _doc(info, self.doc_id) if self.doc_id is not None else None


# -- docBlocksInsert ------------------------------------------------------------------------------


@strawberry.input(description="New blocks in a doc, in one change.")
class DocBlocksInsertInput:
    doc_id: strawberry.ID = strawberry.field(description=DOC_ID)
    revision: int = strawberry.field(description=REVISION)
    blocks: list[DocBlockInput] = strawberry.field(
        description="The blocks, in order (1 to 100, with their children 500 at most)."
    )
    parent_id: str | None = strawberry.field(
        default=None,
        description="The block (`DocBlock.id`) to insert into (a list item, to-do, quote, "
        "table or row); the top level of the doc when omitted.",
    )
    after_id: str | None = strawberry.field(
        default=None,
        description="A child of the parent to insert after; at the end when omitted.",
    )
    at_start: bool = strawberry.field(
        default=False, description="Insert before the first child instead (no `afterId`)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first result (the same block ids) "
        "and inserts nothing twice.",
    )


@strawberry.enum(description="Why `docBlocksInsert` failed.")
class DocBlocksInsertErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = DOC_FORBIDDEN
    BLOCK_NOT_FOUND = BLOCK_NOT_FOUND
    STALE_REVISION = STALE_REVISION
    BAD_USER_INPUT = BLOCK_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docBlocksInsert` failed.")
class DocBlocksInsertError(MutationError):
    code: DocBlocksInsertErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docBlocksInsert`: answered once it is stored.")
class DocBlocksInsertPayload(DocBlocksResult):
    errors: list[DocBlocksInsertError] = strawberry.field(description="Why nothing changed.")

    @strawberry.field(
        description="The new blocks' ids (the top-level ones, in order); their children's ids "
        "are in `blocks`."
    )
    def block_ids(self) -> list[strawberry.ID] | None:
        return [strawberry.ID(i) for i in self.written_ids] if self.doc_id is not None else None

    @strawberry.field(
        description="The new blocks as they are now, with their children (a retry shows those "
        "still in the doc)."
    )
    async def blocks(self, info: Info) -> list[DocBlock] | None:
        if self.doc_id is None:
            return None
        return await _blocks_now(info, self.doc_id, self.written_ids)


# -- docBlockUpdate -------------------------------------------------------------------------------


@strawberry.input(
    description="A change to one block: only the fields given change; null clears `language` "
    "(other attributes a type needs cannot be cleared)."
)
class DocBlockUpdateInput:
    doc_id: strawberry.ID = strawberry.field(description=DOC_ID)
    revision: int = strawberry.field(
        description=REVISION + " New text is merged with what was typed since, never over it."
    )
    block_id: str = strawberry.field(description="The block (`DocBlock.id`).")
    text: str | None = strawberry.field(
        default=UNSET, description="Its new text (formatting of unchanged characters is kept)."
    )
    runs: list[DocTextRunInput] | None = strawberry.field(
        default=UNSET, description="Its new text with formatting (instead of `text`)."
    )
    type: DocBlockTypeEnum | None = strawberry.field(
        default=UNSET,
        description="A new type: among types with text, or among types without; attributes of "
        "the old type that the new one lacks are removed.",
    )
    level: int | None = strawberry.field(default=UNSET, description="A heading's, 1 to 6.")
    checked: bool | None = strawberry.field(default=UNSET, description="A to-do's.")
    language: str | None = strawberry.field(default=UNSET, description="A code block's.")
    url: str | None = strawberry.field(default=UNSET, description="A link's.")
    file_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="An image's or file's: a Drive file you can see."
    )
    target: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A mention's: a User, Chat or Doc you can see."
    )

    def to_patch(self) -> block_ops.BlockPatch:
        patch = block_ops.BlockPatch()
        if self.text is not UNSET and self.text is not None:
            patch.text = self.text
        if self.runs is not UNSET and self.runs is not None:
            patch.runs = [r.to_run() for r in self.runs if r.text]
        if self.type is not UNSET and self.type is not None:
            patch.type = BlockType[self.type.name]
        for name in ("level", "checked", "language", "url", "fileId", "target"):
            value = getattr(self, "file_id" if name == "fileId" else name)
            if value is UNSET:
                continue
            if value is None:
                patch.clear.add(name)
            else:
                patch.values[name] = str(value) if name in ("fileId", "target") else value
        return patch


@strawberry.enum(description="Why `docBlockUpdate` failed.")
class DocBlockUpdateErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = DOC_FORBIDDEN
    BLOCK_NOT_FOUND = BLOCK_NOT_FOUND
    STALE_REVISION = STALE_REVISION
    BAD_USER_INPUT = BLOCK_INPUT


@strawberry.type(description="A reason why `docBlockUpdate` failed.")
class DocBlockUpdateError(MutationError):
    code: DocBlockUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docBlockUpdate`: answered once it is stored.")
class DocBlockUpdatePayload(DocBlocksResult):
    errors: list[DocBlockUpdateError] = strawberry.field(description="Why nothing changed.")

    @strawberry.field(description="The block as it is now (with what others typed since).")
    async def block(self, info: Info) -> DocBlock | None:
        if self.doc_id is None:
            return None
        found = await _blocks_now(info, self.doc_id, self.written_ids)
        return found[0] if found else None


# -- docBlocksDelete and docBlocksMove --------------------------------------------------------


@strawberry.input(description="Blocks to delete, with their children.")
class DocBlocksDeleteInput:
    doc_id: strawberry.ID = strawberry.field(description=DOC_ID)
    revision: int = strawberry.field(description=REVISION)
    block_ids: list[str] = strawberry.field(
        description="1 to 100 blocks (`DocBlock.id`); all must be in the doc, or none is deleted."
    )


@strawberry.enum(description="Why `docBlocksDelete` failed.")
class DocBlocksDeleteErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = DOC_FORBIDDEN
    BLOCK_NOT_FOUND = BLOCK_NOT_FOUND
    STALE_REVISION = STALE_REVISION
    BAD_USER_INPUT = BAD_USER_INPUT


@strawberry.type(description="A reason why `docBlocksDelete` failed.")
class DocBlocksDeleteError(MutationError):
    code: DocBlocksDeleteErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docBlocksDelete`: answered once it is stored.")
class DocBlocksDeletePayload(DocBlocksResult):
    errors: list[DocBlocksDeleteError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(
    description="Blocks to move, keeping their ids, text and children. Yjs has no move: each "
    "is copied to its new place and the original deleted in one change, so an edit made in it "
    "by a client that had not yet received the move does not show (README, Docs)."
)
class DocBlocksMoveInput:
    doc_id: strawberry.ID = strawberry.field(description=DOC_ID)
    revision: int = strawberry.field(description=REVISION)
    block_ids: list[str] = strawberry.field(
        description="1 to 100 blocks (`DocBlock.id`), placed in this order."
    )
    parent_id: str | None = strawberry.field(
        default=None, description="The block to move them into; the top level when omitted."
    )
    after_id: str | None = strawberry.field(
        default=None, description="A child of the parent to put them after; at the end if omitted."
    )
    at_start: bool = strawberry.field(
        default=False, description="Put them before the first child instead (no `afterId`)."
    )


@strawberry.enum(description="Why `docBlocksMove` failed.")
class DocBlocksMoveErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = DOC_FORBIDDEN
    BLOCK_NOT_FOUND = BLOCK_NOT_FOUND
    STALE_REVISION = STALE_REVISION
    BAD_USER_INPUT = BLOCK_INPUT


@strawberry.type(description="A reason why `docBlocksMove` failed.")
class DocBlocksMoveError(MutationError):
    code: DocBlocksMoveErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docBlocksMove`: answered once it is stored.")
class DocBlocksMovePayload(DocBlocksResult):
    errors: list[DocBlocksMoveError] = strawberry.field(description="Why nothing changed.")


def _built(written: block_ops.BlocksWritten) -> dict[str, Any]:
    return {
        "revision": written.revision,
        "doc_id": written.id,
        "written_ids": tuple(written.block_ids),
    }


@strawberry.type
class DocBlocksMutation:
    @strawberry.mutation(
        description="Insert blocks into a doc (editors may), as one change everyone editing "
        "sees at once.",
        directives=needs("docs:write"),
    )
    async def doc_blocks_insert(
        self, info: Info, input: Annotated[DocBlocksInsertInput, INPUT]
    ) -> DocBlocksInsertPayload:
        async def action() -> block_ops.BlocksWritten:
            return await block_ops.check_doc_blocks_insert(
                info.context,
                doc_id=require_id(input.doc_id, "Doc", "docId"),
                revision=input.revision,
                parent_id=input.parent_id,
                after_id=input.after_id,
                at_start=input.at_start,
                blocks=[b.to_block() for b in input.blocks],
                visible=visible(info),
                idempotency_key=input.idempotency_key,
            )

        return await mutate(DocBlocksInsertPayload, DocBlocksInsertError, action(), _built)

    @strawberry.mutation(
        description="Change a block's text, type or attributes (editors may). Text is rebased: "
        "what others typed since `revision` is kept.",
        directives=needs("docs:write"),
    )
    async def doc_block_update(
        self, info: Info, input: Annotated[DocBlockUpdateInput, INPUT]
    ) -> DocBlockUpdatePayload:
        async def action() -> block_ops.BlocksWritten:
            return await block_ops.check_doc_block_update(
                info.context,
                doc_id=require_id(input.doc_id, "Doc", "docId"),
                revision=input.revision,
                block_id=input.block_id,
                patch=input.to_patch(),
                visible=visible(info),
            )

        return await mutate(DocBlockUpdatePayload, DocBlockUpdateError, action(), _built)

    @strawberry.mutation(
        description="Delete blocks with their children (editors may).",
        directives=needs("docs:write"),
    )
    async def doc_blocks_delete(
        self, info: Info, input: Annotated[DocBlocksDeleteInput, INPUT]
    ) -> DocBlocksDeletePayload:
        action: Awaitable[block_ops.BlocksWritten] = block_ops.check_doc_blocks_delete(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            revision=input.revision,
            block_ids=list(input.block_ids),
        )
        return await mutate(DocBlocksDeletePayload, DocBlocksDeleteError, action, _built)

    @strawberry.mutation(
        description="Move blocks, keeping their ids (editors may).",
        directives=needs("docs:write"),
    )
    async def doc_blocks_move(
        self, info: Info, input: Annotated[DocBlocksMoveInput, INPUT]
    ) -> DocBlocksMovePayload:
        action: Awaitable[block_ops.BlocksWritten] = block_ops.check_doc_blocks_move(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            revision=input.revision,
            block_ids=list(input.block_ids),
            parent_id=input.parent_id,
            after_id=input.after_id,
            at_start=input.at_start,
        )
        return await mutate(DocBlocksMovePayload, DocBlocksMoveError, action, _built)
