"""The types of doc comments: a comment (a thread or a reply) and its anchor, resolved against
the doc as it stands when asked."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import global_id
from graphql_schema.identity.types import User, visible_user
from models import docs as m
from resolvers.docs import anchors, comments
from resolvers.identity.queries import visible_users


async def visible_users_of(info: Info, ids: list[int]) -> list[User]:
    """The users of ``ids`` the viewer may see, in order (one batched load)."""
    found = await visible_users(info.context, list(ids))
    return [User.from_model(u) for u in found if u is not None]


def fresh_roles(info: Info) -> None:
    """A WebSocket context outlives events: roles on docs are worked out afresh for each."""
    info.context.cache.pop("drive.grantees", None)


async def _resolver(info: Info, document: m.Document) -> anchors.Resolver:
    """One resolver per doc and revision per request (a page of threads reads the doc once)."""
    fresh = await comments.resolver_for(document)
    # Keyed by the revision it read, so a long-lived WebSocket context never answers from an
    # old state of the doc.
    key = f"docs.anchors:{document.id}:{fresh.revision}"
    resolver: anchors.Resolver = info.context.cache.setdefault(key, fresh)
    return resolver


@strawberry.type(description="Where a comment sits in a block's text, as the doc stands now.")
class DocCommentAnchor:
    block_id: strawberry.ID = strawberry.field(description="The block (its id within the doc).")
    start: int | None = strawberry.field(
        description="Where the range starts in the block's text, in UTF-16 code units (as Yjs "
        "and JavaScript count); null when the block is gone."
    )
    end: int | None = strawberry.field(
        description="Where it ends (exclusive); equal to `start` when its text was deleted."
    )
    quote: str = strawberry.field(
        description="The text it covers now; when detached, the text it covered when the "
        "comment was made."
    )
    detached: bool = strawberry.field(
        description="True when the commented text (or its block) was deleted: show the "
        "comment with its quote, apart from the text."
    )


@strawberry.type(
    description="A comment on a doc: a thread (on a range of text or on the whole doc) or a "
    "reply in one."
)
class DocComment:
    id: strawberry.ID = strawberry.field(description="Its global ID.")
    body: str = strawberry.field(description="What it says (plain text).")
    created_at: datetime = strawberry.field(description="When it was written.")
    edited_at: datetime | None = strawberry.field(description="When its author last edited it.")
    resolved_at: datetime | None = strawberry.field(
        description="For a thread: when it was resolved; null while open (and for replies)."
    )
    model: strawberry.Private[m.DocComment]
    document: strawberry.Private[m.Document]

    @strawberry.field(description="The thread it replies to; null for a thread.")
    def thread_id(self) -> strawberry.ID | None:
        pk = self.model.thread_id
        return global_id("DocComment", pk) if pk is not None else None

    @strawberry.field(description="Who wrote it; null if they are gone or not visible to you.")
    async def author(self, info: Info) -> User | None:
        return await visible_user(info, self.model.author_id)

    @strawberry.field(description="Who resolved the thread; null while open.")
    async def resolved_by(self, info: Info) -> User | None:
        return await visible_user(info, self.model.resolved_by_id)

    @strawberry.field(description="The people it mentions that you can see.")
    async def mentioned_users(self, info: Info) -> list[User]:
        return await visible_users_of(info, self.model.mentioned_user_ids)

    @strawberry.field(
        description="For a thread on a range of text: where that text is now; null for a "
        "whole-doc thread and for replies."
    )
    async def anchor(self, info: Info) -> DocCommentAnchor | None:
        c = self.model
        if c.block_id is None or c.anchor_start is None or c.anchor_end is None:
            return None
        resolver = await _resolver(info, self.document)
        at = resolver.resolve(c.block_id, bytes(c.anchor_start), bytes(c.anchor_end), c.quote)
        return DocCommentAnchor(
            block_id=strawberry.ID(at.block_id),
            start=at.start,
            end=at.end,
            quote=at.quote,
            detached=at.detached,
        )

    @strawberry.field(description="For a thread: its replies, oldest first (empty for a reply).")
    async def replies(self, info: Info) -> list[DocComment]:
        if self.model.thread_id is not None:
            return []
        rows = await info.context.loaders.get(comments.replies_of).load(self.model.id)
        return [DocComment.of(r, self.document) for r in rows]

    @classmethod
    def of(cls, comment: m.DocComment, document: m.Document) -> DocComment:
        return cls(
            id=global_id("DocComment", comment.id),
            body=comment.body,
            created_at=comment.created_at,
            edited_at=comment.edited_at,
            resolved_at=comment.resolved_at,
            model=comment,
            document=document,
        )
