"""Docs' types: the doc (a Drive item of kind DOC, edited live as a Yjs document) and its
blocks (``resolvers.docs.blocks`` is the model)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.node import VisibleNode, global_id
from graphql_schema.docs.comment_types import DocComment, visible_users_of
from graphql_schema.drive.types import DriveRoleEnum, File
from graphql_schema.identity.types import User, visible_user
from models import docs as m
from models.drive import DriveItem
from resolvers.docs import blocks as b
from resolvers.docs import comments, queries, versions
from resolvers.docs.formats.html import to_html
from resolvers.docs.formats.markdown import to_markdown
from resolvers.docs.formats.text import to_text


@strawberry.enum(name="DocBlockType", description="What a block is (README, Docs: the model).")
class DocBlockTypeEnum(Enum):
    PARAGRAPH = strawberry.enum_value("paragraph", description="Text.")
    HEADING = strawberry.enum_value("heading", description="A heading; `level` 1 to 6.")
    BULLETED_LIST_ITEM = strawberry.enum_value(
        "bulleted_list_item", description="A bulleted list item; nested items as `children`."
    )
    NUMBERED_LIST_ITEM = strawberry.enum_value(
        "numbered_list_item", description="A numbered list item; nested items as `children`."
    )
    TODO = strawberry.enum_value("todo", description="A to-do item; `checked`.")
    QUOTE = strawberry.enum_value("quote", description="A quote; its own text and `children`.")
    CODE = strawberry.enum_value("code", description="Code; `language`.")
    DIVIDER = strawberry.enum_value("divider", description="A horizontal rule; no text.")
    TABLE = strawberry.enum_value("table", description="A table: its `children` are rows.")
    TABLE_ROW = strawberry.enum_value("table_row", description="A row: its `children` are cells.")
    TABLE_CELL = strawberry.enum_value("table_cell", description="A cell: text.")
    IMAGE = strawberry.enum_value(
        "image", description="An image stored in Drive (`fileId`); the text is its caption."
    )
    FILE = strawberry.enum_value(
        "file", description="A file stored in Drive (`fileId`); the text is its caption."
    )
    MENTION = strawberry.enum_value(
        "mention",
        description="A person, chat or doc (`target`); the text is the name shown to those "
        "who cannot see it.",
    )
    LINK = strawberry.enum_value("link", description="A link (`url`); the text is its label.")


@strawberry.type(description="A stretch of a block's text with one formatting.")
class DocTextRun:
    text: str = strawberry.field(description="The characters.")
    bold: bool = strawberry.field(description="Bold.")
    italic: bool = strawberry.field(description="Italic.")
    underline: bool = strawberry.field(description="Underlined.")
    strike: bool = strawberry.field(description="Struck through.")
    code: bool = strawberry.field(description="Inline code.")
    link: str | None = strawberry.field(description="The URL it links to, if any.")

    @classmethod
    def of(cls, run: b.Run) -> DocTextRun:
        link = run.marks.get("link")
        return cls(
            text=run.text,
            bold=bool(run.marks.get("bold")),
            italic=bool(run.marks.get("italic")),
            underline=bool(run.marks.get("underline")),
            strike=bool(run.marks.get("strike")),
            code=bool(run.marks.get("code")),
            link=str(link) if isinstance(link, str) else None,
        )


@strawberry.type(description="A block of a doc: its text, its attributes and its children.")
class DocBlock:
    id: strawberry.ID = strawberry.field(
        description="The block's id within its doc (not a global ID): stable while it exists."
    )
    type: DocBlockTypeEnum = strawberry.field(description="What it is.")
    text: str = strawberry.field(description="Its text without formatting (empty if none).")
    runs: list[DocTextRun] = strawberry.field(description="Its text with formatting.")
    children: list[DocBlock] = strawberry.field(
        description="Blocks nested in it (list items, a quote's blocks, rows, cells)."
    )
    level: int | None = strawberry.field(description="A heading's level, 1 to 6.")
    checked: bool | None = strawberry.field(description="Whether a to-do item is done.")
    language: str | None = strawberry.field(description="A code block's language.")
    file_id: strawberry.ID | None = strawberry.field(
        description="An image's or file's Drive file (global ID)."
    )
    url: str | None = strawberry.field(description="A link's URL.")
    target: strawberry.ID | None = strawberry.field(
        description="A mention's User, Chat or Doc (global ID)."
    )

    @classmethod
    def of(cls, block: b.Block) -> DocBlock:
        return cls(
            id=strawberry.ID(block.id),
            type=DocBlockTypeEnum(block.type.value),
            text=block.text,
            runs=[DocTextRun.of(r) for r in block.runs],
            children=[cls.of(c) for c in block.children],
            level=block.level,
            checked=block.checked,
            language=block.language,
            file_id=strawberry.ID(block.file_id) if block.file_id else None,
            url=block.url,
            target=strawberry.ID(block.target) if block.target else None,
        )


@strawberry.enum(name="DocVersionKind", description="How a version came to be.")
class DocVersionKindEnum(Enum):
    AUTO = strawberry.enum_value("AUTO", description="Saved after some minutes of editing.")
    NAMED = strawberry.enum_value("NAMED", description="Saved by someone, with a name.")
    RESTORE = strawberry.enum_value(
        "RESTORE", description="The doc right before a restore (restore it to undo that)."
    )


@strawberry.type(description="A saved state of a doc, to view or restore.")
class DocVersion:
    id: strawberry.ID = strawberry.field(description="Its global ID.")
    number: int = strawberry.field(description="1 for the doc's first version, then up by one.")
    kind: DocVersionKindEnum = strawberry.field(description="How it came to be.")
    name: str | None = strawberry.field(description="Its name (named and restore versions).")
    revision: int = strawberry.field(description="The doc's revision it holds.")
    title: str = strawberry.field(description="The doc's title then.")
    created_at: datetime = strawberry.field(description="When it was saved.")
    model: strawberry.Private[m.DocVersion]

    @strawberry.field(description="Who saved it; null for automatic versions.")
    async def created_by(self, info: Info) -> User | None:
        return await visible_user(info, self.model.created_by_id)

    @strawberry.field(
        description="Who changed the doc between the version before and this one (those you "
        "can see)."
    )
    async def editors(self, info: Info) -> list[User]:
        return await visible_users_of(info, self.model.editor_ids)

    @strawberry.field(description="The doc's blocks then.")
    async def blocks(self, info: Info) -> list[DocBlock]:
        found = await info.context.loaders.get(versions.version_blocks).load(self.model.id)
        return [DocBlock.of(x) for x in found]

    @classmethod
    def of(cls, version: m.DocVersion) -> DocVersion:
        return cls(
            id=global_id("DocVersion", version.id),
            number=version.number,
            kind=DocVersionKindEnum(str(version.kind.value)),
            name=version.name,
            revision=version.revision,
            title=version.title,
            created_at=version.created_at,
            model=version,
        )


@strawberry.federation.type(
    keys=["id"],
    description="A doc: a Drive item (kind DOC) edited live by several people as a Yjs "
    "document. Its Drive item (`file`) gives its place, sharing and trash; the roles are "
    "Drive's (viewers read, commenters comment, editors edit).",
)
class Doc(VisibleNode):
    id: relay.NodeID[int]
    viewer_role: DriveRoleEnum = strawberry.field(description="Your role on it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    edited_at: datetime | None = strawberry.field(description="When its content last changed.")
    item: strawberry.Private[DriveItem]
    model: strawberry.Private[m.Document]

    fetch_visible = staticmethod(queries.visible_docs)

    @strawberry.field(description="Its title, as of its newest revision.")
    async def title(self, info: Info) -> str:
        return (await queries.content(self.model)).title

    @strawberry.field(
        description="How many updates its content has had: each stored change raises it by "
        "one. Block mutations take the revision they were based on."
    )
    async def revision(self, info: Info) -> int:
        return (await queries.content(self.model)).revision

    @strawberry.field(description="Its content as blocks, as of its newest revision.")
    async def blocks(self, info: Info) -> list[DocBlock]:
        return [DocBlock.of(x) for x in (await queries.content(self.model)).blocks]

    @strawberry.field(
        description="Its content (not the title) as Markdown: CommonMark with GitHub's tables, "
        "strikethrough and task lists; images, files and mentions link to `hello:<global ID>`."
    )
    async def markdown(self, info: Info) -> str:
        return to_markdown((await queries.content(self.model)).blocks)

    @strawberry.field(
        description="Its content (not the title) as an HTML fragment: only Hello's own tags, "
        "every text escaped, only safe URLs."
    )
    async def html(self, info: Info) -> str:
        return to_html((await queries.content(self.model)).blocks)

    @strawberry.field(
        description="Its content (not the title) as plain text: a line per block, nested "
        "blocks indented, list items with their bullet, number or check box."
    )
    async def plain_text(self, info: Info) -> str:
        return to_text((await queries.content(self.model)).blocks)

    @strawberry.field(description="Its Drive item: name, folder, owner, sharing.")
    def file(self, info: Info) -> File:
        return File.from_model(self.item)

    @strawberry.field(
        description="Its comment threads, oldest first, each with its replies; resolved ones "
        "only with `includeResolved`."
    )
    async def comments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        include_resolved: Annotated[
            bool, strawberry.argument(description="Include resolved threads too.")
        ] = False,
    ) -> Connection[DocComment]:
        page = await comments.threads_page(
            self.model, include_resolved=include_resolved, first=first, after=after
        )
        return connection(page, lambda c: DocComment.of(c, self.model))

    @strawberry.field(description="Its saved versions, newest first.")
    async def versions(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[DocVersion]:
        page = await versions.versions_page(self.model, first=first, after=after)
        return connection(page, DocVersion.of)

    @classmethod
    def from_model(cls, seen: queries.SeenDoc) -> Doc:
        return cls(
            id=seen.item.id,
            viewer_role=DriveRoleEnum[seen.role.value],
            created_at=seen.document.created_at,
            edited_at=seen.document.edited_at,
            item=seen.item,
            model=seen.document,
        )
