"""Comments on docs: the mutations, and their live events (``DocCommentEvent`` in
``docEvents``, ``DocMentionedEvent`` in ``viewerEvents``). ``resolvers.docs.comments`` has the
rules."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.docs.comment_types import DocComment, fresh_roles
from graphql_schema.docs.types import Doc
from graphql_schema.identity.types import User, visible_user
from models import docs as m
from resolvers.core.errors import CoreErrorCode, NotFound
from resolvers.docs import comments, queries
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocCommentChanged, DocMentioned

INPUT = strawberry.argument(description="What to do.")

NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The doc or comment does not exist or you cannot see it (the two answer alike), or a "
    "mentioned ID names nobody of your organization (`field` says which).",
)
FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "You can see the doc but may not do this: commenting needs the commenter role, editing a "
    "comment its authorship, deleting it authorship or the doc's ownership.",
)
MENTION_WITHOUT_ACCESS = error_code(
    DocsErrorCode.MENTION_WITHOUT_ACCESS,
    "A mentioned person cannot see the doc (`field` says which): share it with them first, or "
    "leave them out. Nothing was written.",
)


def _mentions(ids: list[strawberry.ID] | None) -> list[int] | None:
    if ids is None:
        return None
    out = []
    for i, raw in enumerate(ids):
        pk = decode_id(raw, "User")
        if pk is None:
            raise NotFound(field=f"mentionedUserIds.{i}")
        out.append(pk)
    return out


async def _comment(row: m.DocComment) -> DocComment:
    document = await m.Document.get(id=row.document_id)
    return DocComment.of(row, document)


MENTIONS = strawberry.field(
    default=None,
    description="People to notify (at most 50); each must be able to see the doc.",
)
BODY = strawberry.field(description="1 to 10,000 characters of plain text.")


@strawberry.input(description="A range of a block's text, in UTF-16 code units (as Yjs counts).")
class DocCommentAnchorInput:
    block_id: strawberry.ID = strawberry.field(description="A block with text (its id).")
    start: int = strawberry.field(description="Where the range starts.")
    end: int = strawberry.field(description="Where it ends (exclusive); after `start`.")


@strawberry.input(description="A new comment thread on a doc.")
class DocCommentCreateInput:
    doc_id: strawberry.ID = strawberry.field(description="A doc you may comment on.")
    body: str = BODY
    anchor: DocCommentAnchorInput | None = strawberry.field(
        default=None, description="The text it is about; omit for a comment on the whole doc."
    )
    mentioned_user_ids: list[strawberry.ID] | None = MENTIONS
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first comment."
    )


@strawberry.enum(description="Why `docCommentCreate` failed.")
class DocCommentCreateErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN
    BLOCK_NOT_FOUND = error_code(
        DocsErrorCode.BLOCK_NOT_FOUND, "The doc has no block with `anchor.blockId`."
    )
    MENTION_WITHOUT_ACCESS = MENTION_WITHOUT_ACCESS
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docCommentCreate` failed.")
class DocCommentCreateError(MutationError):
    code: DocCommentCreateErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docCommentCreate`.")
class DocCommentCreatePayload:
    comment: DocComment | None = strawberry.field(default=None, description="The new thread.")
    errors: list[DocCommentCreateError] = strawberry.field(description="Why nothing was made.")


@strawberry.input(description="A reply in a comment thread.")
class DocCommentReplyInput:
    comment_id: strawberry.ID = strawberry.field(
        description="The thread, or any reply in it (the reply goes to its thread)."
    )
    body: str = BODY
    mentioned_user_ids: list[strawberry.ID] | None = MENTIONS
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first reply."
    )


@strawberry.enum(description="Why `docCommentReply` failed.")
class DocCommentReplyErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN
    MENTION_WITHOUT_ACCESS = MENTION_WITHOUT_ACCESS
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docCommentReply` failed.")
class DocCommentReplyError(MutationError):
    code: DocCommentReplyErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docCommentReply`.")
class DocCommentReplyPayload:
    comment: DocComment | None = strawberry.field(default=None, description="The new reply.")
    errors: list[DocCommentReplyError] = strawberry.field(description="Why nothing was made.")


@strawberry.input(description="New words for your comment.")
class DocCommentUpdateInput:
    comment_id: strawberry.ID = strawberry.field(description="A comment of yours.")
    body: str = BODY
    mentioned_user_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Who it mentions now (people added are notified); omit to keep them.",
    )


@strawberry.enum(description="Why `docCommentUpdate` failed.")
class DocCommentUpdateErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN
    MENTION_WITHOUT_ACCESS = MENTION_WITHOUT_ACCESS
    BAD_USER_INPUT = BAD_USER_INPUT


@strawberry.type(description="A reason why `docCommentUpdate` failed.")
class DocCommentUpdateError(MutationError):
    code: DocCommentUpdateErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docCommentUpdate`.")
class DocCommentUpdatePayload:
    comment: DocComment | None = strawberry.field(default=None, description="The comment.")
    errors: list[DocCommentUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="A comment to delete (a thread goes with its replies).")
class DocCommentDeleteInput:
    comment_id: strawberry.ID = strawberry.field(
        description="A comment of yours, or any comment on a doc you own."
    )


@strawberry.enum(description="Why `docCommentDelete` failed.")
class DocCommentDeleteErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN


@strawberry.type(description="A reason why `docCommentDelete` failed.")
class DocCommentDeleteError(MutationError):
    code: DocCommentDeleteErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docCommentDelete`.")
class DocCommentDeletePayload:
    deleted_comment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The comment deleted."
    )
    errors: list[DocCommentDeleteError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="A comment thread to resolve.")
class DocCommentResolveInput:
    comment_id: strawberry.ID = strawberry.field(
        description="The thread, or any reply in it (its thread is resolved)."
    )


@strawberry.input(description="A resolved comment thread to open again.")
class DocCommentReopenInput:
    comment_id: strawberry.ID = strawberry.field(
        description="The thread, or any reply in it (its thread is reopened)."
    )


@strawberry.enum(description="Why `docCommentResolve` or `docCommentReopen` failed.")
class DocCommentResolveErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN


@strawberry.type(description="A reason why `docCommentResolve` or `docCommentReopen` failed.")
class DocCommentResolveError(MutationError):
    code: DocCommentResolveErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docCommentResolve`.")
class DocCommentResolvePayload:
    comment: DocComment | None = strawberry.field(default=None, description="The thread.")
    errors: list[DocCommentResolveError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `docCommentReopen`.")
class DocCommentReopenPayload:
    comment: DocComment | None = strawberry.field(default=None, description="The thread.")
    errors: list[DocCommentResolveError] = strawberry.field(description="Why nothing changed.")


# -- live events --------------------------------------------------------------------------------


@strawberry.enum(name="DocCommentChange", description="What happened to a comment.")
class DocCommentChangeEnum(Enum):
    CREATED = strawberry.enum_value("CREATED", description="Written (a thread or a reply).")
    UPDATED = strawberry.enum_value("UPDATED", description="Edited by its author.")
    RESOLVED = strawberry.enum_value("RESOLVED", description="Its thread was resolved.")
    REOPENED = strawberry.enum_value("REOPENED", description="Its thread was opened again.")
    DELETED = strawberry.enum_value("DELETED", description="Deleted (`comment` is null).")


@strawberry.type(description="A comment on the doc was written, edited, resolved or deleted.")
class DocCommentEvent:
    change: DocCommentChangeEnum = strawberry.field(description="What happened.")
    comment_id: strawberry.ID = strawberry.field(description="The comment's global ID.")
    thread_id: strawberry.ID | None = strawberry.field(
        description="For a reply: its thread's global ID."
    )
    pk: strawberry.Private[int]
    actor_id: strawberry.Private[int]

    @strawberry.field(description="The comment as it is now; null once deleted.")
    async def comment(self, info: Info) -> DocComment | None:
        fresh_roles(info)
        found = await comments.visible_comment(info.context, self.pk)
        return await _comment(found) if found is not None else None

    @strawberry.field(description="Who did it; null if not visible to you.")
    async def actor(self, info: Info) -> User | None:
        return await visible_user(info, self.actor_id)


def to_comment_event(event: DocCommentChanged) -> DocCommentEvent:
    thread = event["threadId"]
    return DocCommentEvent(
        change=DocCommentChangeEnum(event["change"]),
        comment_id=global_id("DocComment", event["commentId"]),
        thread_id=global_id("DocComment", thread) if thread is not None else None,
        pk=event["commentId"],
        actor_id=event["actorId"],
    )


READ = needs("docs:read")


@strawberry.type(description="Someone mentioned you in a comment on a doc.")
class DocMentionedEvent:
    doc_id: strawberry.ID = strawberry.field(directives=READ, description="The doc's global ID.")
    comment_id: strawberry.ID | None = strawberry.field(
        directives=READ, description="The comment's global ID."
    )
    doc_pk: strawberry.Private[int]
    comment_pk: strawberry.Private[int | None]
    actor_id: strawberry.Private[int]

    @strawberry.field(directives=READ, description="The doc; null if you can no longer see it.")
    async def doc(self, info: Info) -> Doc | None:
        fresh_roles(info)
        found = (await queries.visible_docs(info.context, [self.doc_pk]))[0]
        return Doc.from_model(found) if found is not None else None

    @strawberry.field(directives=READ, description="The comment; null once deleted.")
    async def comment(self, info: Info) -> DocComment | None:
        if self.comment_pk is None:
            return None
        fresh_roles(info)
        found = await comments.visible_comment(info.context, self.comment_pk)
        return await _comment(found) if found is not None else None

    @strawberry.field(directives=READ, description="Who mentioned you.")
    async def actor(self, info: Info) -> User | None:
        return await visible_user(info, self.actor_id)


def to_mentioned_event(event: DocMentioned) -> DocMentionedEvent:
    comment = event["commentId"]
    return DocMentionedEvent(
        doc_id=global_id("Doc", event["docId"]),
        comment_id=global_id("DocComment", comment) if comment is not None else None,
        doc_pk=event["docId"],
        comment_pk=comment,
        actor_id=event["actorId"],
    )


# -- root fields --------------------------------------------------------------------------------


@strawberry.type
class DocCommentsMutation:
    @strawberry.mutation(
        description="Start a comment thread on a doc (commenters and up): on a range of a "
        "block's text, which it follows while the text changes, or on the whole doc.",
        directives=needs("docs:write"),
    )
    async def doc_comment_create(
        self, info: Info, input: Annotated[DocCommentCreateInput, INPUT]
    ) -> DocCommentCreatePayload:
        anchor = input.anchor
        action = comments.check_comment_create(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            body=input.body,
            anchor=comments.AnchorInput(str(anchor.block_id), anchor.start, anchor.end)
            if anchor is not None
            else None,
            mentioned_user_ids=_mentions(input.mentioned_user_ids) or [],
            idempotency_key=input.idempotency_key,
        )

        async def made() -> Any:
            return await _comment(await action)

        return await mutate(
            DocCommentCreatePayload, DocCommentCreateError, made(), lambda c: {"comment": c}
        )

    @strawberry.mutation(
        description="Reply in a comment thread (commenters and up).",
        directives=needs("docs:write"),
    )
    async def doc_comment_reply(
        self, info: Info, input: Annotated[DocCommentReplyInput, INPUT]
    ) -> DocCommentReplyPayload:
        action = comments.check_comment_reply(
            info.context,
            comment_id=require_id(input.comment_id, "DocComment", "commentId"),
            body=input.body,
            mentioned_user_ids=_mentions(input.mentioned_user_ids) or [],
            idempotency_key=input.idempotency_key,
        )

        async def made() -> Any:
            return await _comment(await action)

        return await mutate(
            DocCommentReplyPayload, DocCommentReplyError, made(), lambda c: {"comment": c}
        )

    @strawberry.mutation(description="Edit your comment.", directives=needs("docs:write"))
    async def doc_comment_update(
        self, info: Info, input: Annotated[DocCommentUpdateInput, INPUT]
    ) -> DocCommentUpdatePayload:
        action = comments.check_comment_update(
            info.context,
            comment_id=require_id(input.comment_id, "DocComment", "commentId"),
            body=input.body,
            mentioned_user_ids=_mentions(input.mentioned_user_ids),
        )

        async def made() -> Any:
            return await _comment(await action)

        return await mutate(
            DocCommentUpdatePayload, DocCommentUpdateError, made(), lambda c: {"comment": c}
        )

    @strawberry.mutation(
        description="Delete a comment: your own, or any on a doc you own. A thread goes with "
        "its replies.",
        directives=needs("docs:write"),
    )
    async def doc_comment_delete(
        self, info: Info, input: Annotated[DocCommentDeleteInput, INPUT]
    ) -> DocCommentDeletePayload:
        action = comments.check_comment_delete(
            info.context, comment_id=require_id(input.comment_id, "DocComment", "commentId")
        )
        return await mutate(
            DocCommentDeletePayload,
            DocCommentDeleteError,
            action,
            lambda c: {"deleted_comment_id": global_id("DocComment", c.id)},
        )

    @strawberry.mutation(
        description="Resolve a comment thread (commenters and up); it leaves the default list.",
        directives=needs("docs:write"),
    )
    async def doc_comment_resolve(
        self, info: Info, input: Annotated[DocCommentResolveInput, INPUT]
    ) -> DocCommentResolvePayload:
        action = comments.check_comment_resolve(
            info.context,
            comment_id=require_id(input.comment_id, "DocComment", "commentId"),
            resolved=True,
        )

        async def made() -> Any:
            return await _comment(await action)

        return await mutate(
            DocCommentResolvePayload, DocCommentResolveError, made(), lambda c: {"comment": c}
        )

    @strawberry.mutation(
        description="Open a resolved comment thread again (commenters and up).",
        directives=needs("docs:write"),
    )
    async def doc_comment_reopen(
        self, info: Info, input: Annotated[DocCommentReopenInput, INPUT]
    ) -> DocCommentReopenPayload:
        action = comments.check_comment_resolve(
            info.context,
            comment_id=require_id(input.comment_id, "DocComment", "commentId"),
            resolved=False,
        )

        async def made() -> Any:
            return await _comment(await action)

        return await mutate(
            DocCommentReopenPayload, DocCommentResolveError, made(), lambda c: {"comment": c}
        )
