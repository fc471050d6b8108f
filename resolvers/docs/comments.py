"""Comments on docs: threads anchored to a text range (``anchors``) or to the whole doc,
replies, edits, deletion, resolve and reopen, and mentions that notify.

Who may do what: anyone who sees the doc reads its comments; commenters and up comment, reply,
resolve and reopen; only the author edits a comment; the author or the doc's owner deletes it.

Mentions: each mentioned person must be of the doc's organization (else NOT_FOUND, worded like
an id that names nobody) and must be able to see the doc; one who cannot is refused with
MENTION_WITHOUT_ACCESS naming them (``field`` is ``mentionedUserIds.<i>``), and nothing is
written: a comment never tells someone about a doc they cannot open, and never silently drops
a mention its author believes was sent. Share the doc first, or leave them out. The mentioned
people (the author apart) get a ``DocMentioned`` on their user channel after commit
(``viewerEvents``, and webhooks of their bots); an edit notifies only the newly mentioned.

Every change goes on the doc's channel as a ``DocCommentChanged`` (``docEvents``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from models.docs import DocComment, Document
from models.drive import DriveRole
from models.identity import User
from resolvers.core.channels import doc_channel, user_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.core.webhook_events import WebhookAudience, register_webhook_event
from resolvers.docs import anchors
from resolvers.docs.access import DocAccess, access_doc
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocCommentChanged, DocMentioned, DocsEventKind
from resolvers.docs.store import load
from resolvers.drive.access import audience

MAX_BODY = 10_000
MAX_MENTIONS = 50


class CommentChange(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RESOLVED = "RESOLVED"
    REOPENED = "REOPENED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class AnchorInput:
    block_id: str
    start: int
    end: int


class MentionWithoutAccess(DomainError):
    code = DocsErrorCode.MENTION_WITHOUT_ACCESS
    default_message = "This person cannot see the doc: share it with them first."


def check_body(body: str) -> str:
    clean = body.strip()
    if not clean or len(clean) > MAX_BODY:
        raise ValidationFailed(f"A comment has 1 to {MAX_BODY} characters.", field="body")
    return clean


async def check_mentions(found: DocAccess, user_ids: Sequence[int]) -> list[int]:
    """The mentioned people, in order without repeats (see the module docstring)."""
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > MAX_MENTIONS:
        raise ValidationFailed(
            f"A comment mentions at most {MAX_MENTIONS} people.", field="mentionedUserIds"
        )
    if not wanted:
        return []
    known = set(
        await User.filter(
            id__in=wanted, organization_id=found.document.organization_id, is_active=True
        ).values_list("id", flat=True)
    )
    readers = await audience(found.item)
    for i, user_id in enumerate(wanted):
        if user_id not in known:
            raise NotFound(field=f"mentionedUserIds.{i}")
        if user_id not in readers:
            raise MentionWithoutAccess(field=f"mentionedUserIds.{i}")
    return wanted


def _changed(comment: DocComment, change: CommentChange, actor_id: int) -> DocCommentChanged:
    return {
        "type": DocsEventKind.COMMENT_CHANGED,
        "docId": comment.document_id,
        "organizationId": comment.organization_id,
        "commentId": comment.id,
        "threadId": comment.thread_id,
        "change": change.value,
        "actorId": actor_id,
    }


def publish(tx: Transaction, comment: DocComment, change: CommentChange, actor_id: int) -> None:
    tx.publish(doc_channel(comment.document_id), _changed(comment, change, actor_id))


def notify_mentioned(
    tx: Transaction, comment: DocComment, user_ids: Sequence[int], actor_id: int
) -> None:
    """Tell each mentioned person (the author apart), on their user channel, after commit."""
    for user_id in user_ids:
        if user_id == actor_id:
            continue
        event: DocMentioned = {
            "type": DocsEventKind.MENTIONED,
            "docId": comment.document_id,
            "organizationId": comment.organization_id,
            "commentId": comment.id,
            "actorId": actor_id,
        }
        tx.publish(user_channel(user_id), event)


# -- docCommentCreate, docCommentReply ----------------------------------------------------------


async def check_comment_create(
    ctx: Context,
    *,
    doc_id: int | None,
    body: str,
    anchor: AnchorInput | None,
    mentioned_user_ids: Sequence[int],
    idempotency_key: str | None,
) -> DocComment:
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.COMMENTER)
    text = check_body(body)
    mentions = await check_mentions(found, mentioned_user_ids)
    placed = None
    if anchor is not None:
        if not 1 <= len(anchor.block_id) <= 64:
            raise ValidationFailed("No such block id.", field="anchor.blockId")
        live = await load(found.document)
        placed = anchors.place(live.ydoc, anchor.block_id, anchor.start, anchor.end)

    async def create() -> DocComment:
        return await do_comment_create(
            found.document, principal.user_id, text, mentions, placed, thread=None
        )

    fingerprint = {
        "docId": found.document.id,
        "body": text,
        "anchor": [anchor.block_id, anchor.start, anchor.end] if anchor else None,
        "mentionedUserIds": sorted(mentions),
    }
    return await once(
        principal.user_id, "docCommentCreate", idempotency_key, create, _load, input=fingerprint
    )


async def check_comment_reply(
    ctx: Context,
    *,
    comment_id: int | None,
    body: str,
    mentioned_user_ids: Sequence[int],
    idempotency_key: str | None,
) -> DocComment:
    principal = require_principal(ctx)
    comment, found = await access_comment(ctx, comment_id, DriveRole.COMMENTER)
    text = check_body(body)
    mentions = await check_mentions(found, mentioned_user_ids)
    thread_id = comment.thread_id or comment.id

    async def create() -> DocComment:
        return await do_comment_create(
            found.document, principal.user_id, text, mentions, None, thread=thread_id
        )

    fingerprint = {"threadId": thread_id, "body": text, "mentionedUserIds": sorted(mentions)}
    return await once(
        principal.user_id, "docCommentReply", idempotency_key, create, _load, input=fingerprint
    )


async def _load(pk: int) -> DocComment | None:
    return await DocComment.filter(id=pk, deleted_at__isnull=True).first()


async def do_comment_create(
    document: Document,
    author_id: int,
    body: str,
    mentions: list[int],
    placed: anchors.Placed | None,
    *,
    thread: int | None,
) -> DocComment:
    async with transaction() as tx:
        comment = await DocComment.create(
            organization_id=document.organization_id,
            document_id=document.id,
            thread_id=thread,
            author_id=author_id,
            body=body,
            mentioned_user_ids=mentions,
            block_id=placed.block_id if placed else None,
            anchor_start=placed.start if placed else None,
            anchor_end=placed.end if placed else None,
            quote=placed.quote if placed else "",
        )
        publish(tx, comment, CommentChange.CREATED, author_id)
        notify_mentioned(tx, comment, mentions, author_id)
    return comment


# -- access to one comment ------------------------------------------------------------------------


async def access_comment(
    ctx: Context, comment_id: int | None, need: DriveRole
) -> tuple[DocComment, DocAccess]:
    """A comment that is not deleted, on a doc the viewer sees with role ``need``; NOT_FOUND
    (for ``commentId``) when they cannot see it, FORBIDDEN below ``need``."""
    principal = require_principal(ctx)
    comment = None
    if comment_id is not None:
        comment = await DocComment.filter(
            id=comment_id, organization_id=principal.organization_id, deleted_at__isnull=True
        ).first()
    if comment is None:
        raise NotFound(field="commentId")
    if comment.thread_id is not None:
        thread = await DocComment.filter(id=comment.thread_id, deleted_at__isnull=True).first()
        if thread is None:
            raise NotFound(field="commentId")
    found = await access_doc(ctx, comment.document_id, need, field="commentId")
    return comment, found


# -- docCommentUpdate ---------------------------------------------------------------------------


async def check_comment_update(
    ctx: Context, *, comment_id: int | None, body: str, mentioned_user_ids: Sequence[int] | None
) -> DocComment:
    principal = require_principal(ctx)
    comment, found = await access_comment(ctx, comment_id, DriveRole.VIEWER)
    if comment.author_id != principal.user_id:
        raise Forbidden("Only its author may edit a comment.", field="commentId")
    text = check_body(body)
    mentions = (
        await check_mentions(found, mentioned_user_ids)
        if mentioned_user_ids is not None
        else list(comment.mentioned_user_ids)
    )
    if text == comment.body and mentions == list(comment.mentioned_user_ids):
        return comment
    return await do_comment_update(comment, text, mentions, principal.user_id)


async def do_comment_update(
    comment: DocComment, body: str, mentions: list[int], actor_id: int
) -> DocComment:
    newly = [u for u in mentions if u not in set(comment.mentioned_user_ids)]
    async with transaction() as tx:
        comment.body, comment.mentioned_user_ids, comment.edited_at = body, mentions, now()
        await comment.save(update_fields=["body", "mentioned_user_ids", "edited_at"])
        publish(tx, comment, CommentChange.UPDATED, actor_id)
        notify_mentioned(tx, comment, newly, actor_id)
    return comment


# -- docCommentDelete ---------------------------------------------------------------------------


async def check_comment_delete(ctx: Context, *, comment_id: int | None) -> DocComment:
    principal = require_principal(ctx)
    comment, found = await access_comment(ctx, comment_id, DriveRole.VIEWER)
    if comment.author_id != principal.user_id and found.role != DriveRole.OWNER:
        raise Forbidden(
            "Only its author or the doc's owner may delete a comment.", field="commentId"
        )
    return await do_comment_delete(comment, principal.user_id)


async def do_comment_delete(comment: DocComment, actor_id: int) -> DocComment:
    """Soft: the row stays (a thread's replies go with it from every list)."""
    async with transaction() as tx:
        comment.deleted_at = now()
        await comment.save(update_fields=["deleted_at"])
        publish(tx, comment, CommentChange.DELETED, actor_id)
    return comment


# -- docCommentResolve, docCommentReopen --------------------------------------------------------


async def check_comment_resolve(
    ctx: Context, *, comment_id: int | None, resolved: bool
) -> DocComment:
    """Resolve (or reopen) the thread of the comment named (a reply names its thread). Doing
    it twice changes nothing the second time."""
    principal = require_principal(ctx)
    comment, _ = await access_comment(ctx, comment_id, DriveRole.COMMENTER)
    if comment.thread_id is not None:
        comment = await DocComment.get(id=comment.thread_id)
    if (comment.resolved_at is not None) == resolved:
        return comment
    return await do_comment_resolve(comment, resolved, principal.user_id)


async def do_comment_resolve(comment: DocComment, resolved: bool, actor_id: int) -> DocComment:
    async with transaction() as tx:
        comment.resolved_at = now() if resolved else None
        comment.resolved_by_id = actor_id if resolved else None
        await comment.save(update_fields=["resolved_at", "resolved_by_id"])
        change = CommentChange.RESOLVED if resolved else CommentChange.REOPENED
        publish(tx, comment, change, actor_id)
    return comment


# -- reading --------------------------------------------------------------------------------------


async def threads_page(
    document: Document, *, include_resolved: bool, first: int | None, after: str | None
) -> Page[DocComment]:
    """A doc's threads (not deleted), oldest first; resolved ones only if asked."""
    qs = DocComment.filter(document_id=document.id, thread_id__isnull=True, deleted_at__isnull=True)
    if not include_resolved:
        qs = qs.filter(resolved_at__isnull=True)
    return await paginate(qs, order=["id"], first=first, after=after)


async def replies_of(thread_ids: list[int]) -> list[list[DocComment]]:
    """Each thread's replies (not deleted), oldest first: one query for all (a DataLoader's
    batch function)."""
    rows = await DocComment.filter(Q(thread_id__in=thread_ids), deleted_at__isnull=True).order_by(
        "id"
    )
    by_thread: dict[int, list[DocComment]] = {t: [] for t in thread_ids}
    for row in rows:
        assert row.thread_id is not None
        by_thread[row.thread_id].append(row)
    return [by_thread[t] for t in thread_ids]


async def visible_comment(ctx: Context, comment_id: int) -> DocComment | None:
    """A comment (not deleted) on a doc the viewer sees; None otherwise."""
    try:
        comment, _ = await access_comment(ctx, comment_id, DriveRole.VIEWER)
    except DomainError:
        return None
    return comment


async def resolver_for(document: Document) -> anchors.Resolver:
    """Resolves the doc's anchors against its newest stored state."""
    live = await load(document)
    return anchors.Resolver(live.ydoc, live.revision)


# Webhooks (resolvers/core/webhook_events.py): a mention goes on the mentioned person's user
# channel, so an app hears of it when its bot is the one mentioned.
register_webhook_event(
    DocsEventKind.MENTIONED,
    "The app's bot was mentioned in a comment on a doc.",
    module="docs",
    audience=WebhookAudience.USERS,
)
