"""Sending and reading messages. Every message of a chat gets the next ``seq``, gap-free and
increasing, also under concurrent senders on several processes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry.relay import GlobalID
from tortoise import connections
from tortoise.expressions import F

from adapters import runtime
from models.identity import User
from models.messenger import Chat, ChatMember, Message, MessageKind
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, Throttled
from resolvers.core.idempotency import once
from resolvers.core.pagination import MAX_PAGE, page_size
from resolvers.core.principal import require_principal
from resolvers.core.sql import dialect
from resolvers.core.tx import transaction
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from resolvers.messenger.errors import MessengerErrorCode
from resolvers.messenger.message_rows import do_insert_as_member, do_insert_message

MAX_TEXT_BYTES = 150 * 1024
MAX_MENTIONS = 100
# Sends per user: a burst of 20, then 5 per second (typed error with the retry time).
SEND_BURST = 20
SEND_RATE = 5.0
# Rich content: {"blocks": [{"spans": [span, ...]}, ...]}; a span is {"kind": K, "text": str}
# for text/bold/italic/code, {"kind": "link", "text": str, "url": "http(s)://..."} or
# {"kind": "mention", "userId": "<User global ID>"}. Blocks are paragraphs, joined by newlines.
MAX_BLOCKS = 1000
MAX_SPANS = 5000
TEXT_KINDS = {"text", "bold", "italic", "code"}
NOT_MENTIONABLE = "A mention names no user of your organization."


def _bad(message: str) -> DomainError:
    return DomainError(message, field="content", code=MessengerErrorCode.INVALID_CONTENT)


async def parse_content(ctx: Context, content: Any) -> tuple[dict[str, Any], str, set[int]]:
    """Validate rich content strictly (unknown keys or kinds are errors, not ignored, so clients
    find their bugs). Returns (normalized content, plain-text rendering, mentioned user ids)."""
    principal = require_principal(ctx)
    if not isinstance(content, dict) or set(content) != {"blocks"}:
        raise _bad('Content is an object with one key, "blocks".')
    blocks = content["blocks"]
    if not isinstance(blocks, list) or not blocks or len(blocks) > MAX_BLOCKS:
        raise _bad(f"Content has 1 to {MAX_BLOCKS} blocks.")
    spans: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, dict) or set(block) != {"spans"}:
            raise _bad('Each block is an object with one key, "spans".')
        if not isinstance(block["spans"], list):
            raise _bad("A block's spans are a list.")
        spans.extend(block["spans"])
    if len(spans) > MAX_SPANS:
        raise _bad(f"Content has at most {MAX_SPANS} spans.")
    mention_pks: dict[str, int] = {}
    for span in spans:
        kind = span.get("kind") if isinstance(span, dict) else None
        if kind in TEXT_KINDS:
            ok = set(span) == {"kind", "text"} and isinstance(span["text"], str)
        elif kind == "link":
            ok = (
                set(span) == {"kind", "text", "url"}
                and isinstance(span["text"], str)
                and isinstance(span["url"], str)
                and span["url"].lower().startswith(("http://", "https://"))
                and len(span["url"]) > 8
            )
        elif kind == "mention":
            ok = set(span) == {"kind", "userId"} and isinstance(span["userId"], str)
            if ok:
                mention_pks[span["userId"]] = user_pk(span["userId"])
        else:
            ok = False
        if not ok:
            raise _bad(f"Not a valid span: {str(span)[:100]}")
    users = await check_mentions(principal.organization_id, set(mention_pks.values()), "content")

    def render(span: dict[str, Any]) -> str:
        if span["kind"] == "mention":
            return "@" + users[mention_pks[span["userId"]]].display_name
        return str(span["text"])

    text = "\n".join("".join(render(s) for s in b["spans"]) for b in blocks)
    return {"blocks": blocks}, text, set(mention_pks.values())


def user_pk(raw: str) -> int:
    """The database id a mentioned User ID names; 0 (nobody) for anything that is not one, so a
    malformed ID is refused exactly like an unknown user's."""
    try:
        gid = GlobalID.from_id(raw)
    except Exception:
        return 0
    ok = gid.type_name == "User" and gid.node_id.isdigit() and len(gid.node_id) < 19
    return int(gid.node_id) if ok else 0


async def check_mentions(organization_id: int, pks: set[int], field: str) -> dict[int, User]:
    """The one rule for every way of mentioning (the ``mentionedUserIds`` list, mention spans of
    rich content, edits): each mention names a user of your organization, or nothing is written.
    Another organization's user, an unknown id and a malformed one get the same code and
    message, so a refusal tells nobody who exists elsewhere. Whether a mention counts (the
    person is in the chat) is decided later and is not an error."""
    if not pks:
        return {}
    users = {u.id: u for u in await User.filter(id__in=pks, organization_id=organization_id)}
    if len(users) != len(pks):
        raise DomainError(NOT_MENTIONABLE, field=field, code=MessengerErrorCode.INVALID_MENTION)
    return users


async def next_seq(chat_id: int) -> int:
    """Take the chat's next sequence number. The UPDATE locks the chat row until the
    transaction ends, so concurrent senders (on any process) queue here, and a rolled-back send
    gives its number back: no gaps."""
    conn = connections.get("default")
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        f'UPDATE "chat" SET "last_seq" = "last_seq" + 1 WHERE "id" = {placeholder} '
        'RETURNING "last_seq"',
        [chat_id],
    )
    return int(rows[0]["last_seq"])


async def check_message_send(
    ctx: Context,
    *,
    chat_id: int | None,
    text: str,
    reply_to_id: int | None,
    mention_ids: list[int],
    idempotency_key: str | None,
    content: Any = None,
    thread_root_id: int | None = None,
    file_ids: list[int] | None = None,
) -> Message:
    # Imported here: group_chats imports this module (next_seq); Drive's sharing reads messages.
    from resolvers.drive.sharing import check_attachments
    from resolvers.messenger.group_chats import check_can_send

    principal = require_principal(ctx)
    if (
        content is None
        and not mention_ids
        and not file_ids
        and reply_to_id is None
        and thread_root_id is None
        and idempotency_key is None
        and text.strip()
        and len(text.encode()) <= MAX_TEXT_BYTES
        and dialect() == "postgres"
    ):
        # A plain message, which every check below but the chat's would let through: the
        # chat's are made in the statement that writes it (one round trip fewer).
        if chat_id is None:
            raise NotFound(field="chatId")
        await take_send_token(principal.user_id)
        return await do_plain_message_send(
            chat_id, principal.user_id, principal.organization_id, text, sender=principal.user
        )
    access = await access_chat(ctx, chat_id)
    check_can_send(access.chat, access.member)
    # The request as sent, before the content replaces the text (which it makes irrelevant).
    fields = {
        "chatId": access.chat.id,
        "text": text if content is None else "",
        "content": content,
        "replyToId": reply_to_id,
        "threadRootId": thread_root_id,
        "mentions": set(mention_ids),
        "fileIds": list(file_ids or []),
    }
    # Counted before the lookup, which it bounds; again below with the content's mentions.
    if len(mention_ids) > MAX_MENTIONS:
        raise DomainError(
            f"At most {MAX_MENTIONS} mentions.",
            field="mentionedUserIds",
            code=MessengerErrorCode.TOO_MANY_MENTIONS,
        )
    await check_mentions(principal.organization_id, set(mention_ids), "mentionedUserIds")
    if content is not None:
        # Content wins: the stored text is always its rendering, so search and notifications
        # see what readers see.
        content, text, content_mentions = await parse_content(ctx, content)
        mention_ids = [*mention_ids, *content_mentions]
    # Files go with a message only if the sender could share them (see Drive's sharing).
    attachments = await check_attachments(ctx, file_ids) if file_ids else []
    if not text.strip() and not attachments:
        raise DomainError(
            "A message needs text or files.", field="text", code=MessengerErrorCode.EMPTY_MESSAGE
        )
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise DomainError(
            "Messages are at most 150 KB.", field="text", code=MessengerErrorCode.TOO_LONG
        )
    if len(mention_ids) > MAX_MENTIONS:
        raise DomainError(
            f"At most {MAX_MENTIONS} mentions.",
            field="mentionedUserIds",
            code=MessengerErrorCode.TOO_MANY_MENTIONS,
        )
    if (
        reply_to_id is not None
        and not await Message.filter(id=reply_to_id, chat_id=access.chat.id).exists()
    ):
        raise NotFound(field="replyToId")
    if (
        thread_root_id is not None
        and not await Message.filter(
            id=thread_root_id, chat_id=access.chat.id, thread_root_id=None, kind=MessageKind.TEXT
        ).exists()
    ):
        # Threads are one level deep: the root is a top-level message of the same chat.
        raise NotFound(field="threadRootId")
    # Mentions count only for members of the chat; others are dropped, not an error.
    mentioned: set[int] = set()
    if mention_ids:
        rows = await ChatMember.filter(chat_id=access.chat.id, user_id__in=mention_ids).values_list(
            "user_id", flat=True
        )
        mentioned = {int(r) for r in rows}  # type: ignore[call-overload]

    async def create() -> Message:
        await take_send_token(principal.user_id)
        return await do_message_send(
            access.chat,
            principal.user_id,
            text,
            reply_to_id,
            mentioned,
            content=content,
            thread_root_id=thread_root_id,
            attachments=attachments,
            sender=principal.user,
        )

    async def load(pk: int) -> Message | None:
        return await Message.get_or_none(id=pk, chat_id=access.chat.id)

    return await once(principal.user_id, "messageSend", idempotency_key, create, load, input=fields)


async def take_send_token(user_id: int) -> None:
    """The sender's rate limit: THROTTLED, with the time to retry, past it."""
    bucket = await runtime.current().store.take(f"send:{user_id}", 1, SEND_BURST, SEND_RATE)
    if not bucket.allowed:
        raise Throttled(
            f"Sending too fast; retry in {bucket.retry_after:.1f} s.",
            retry_after=bucket.retry_after,
        )


async def do_plain_message_send(
    chat_id: int, sender_id: int, organization_id: int, text: str, *, sender: User
) -> Message:
    """``do_message_send`` of a plain message (text only), PostgreSQL only: the sender's
    membership is looked up in the statement that writes, and the rules of ``check_can_send``
    are applied to it before the commit; a refusal rolls the write back (no event either)."""
    from resolvers.messenger.group_chats import check_can_send  # group_chats imports us

    sent_at = _utc(datetime.now(UTC))
    # In a transaction for the same reason as do_message_send's.
    async with transaction() as tx:
        written = await do_insert_as_member(
            chat_id=chat_id,
            sender_id=sender_id,
            organization_id=organization_id,
            text=text,
            sent_at=sent_at,
        )
        if written is None:
            raise NotFound(field="chatId")  # not yours: nothing was written
        access, message = written
        check_can_send(access.chat, access.member)
        tx.publish(events.chat_channel(chat_id), events.message_added(message, sender))
    return message


async def do_message_send(
    chat: Chat,
    sender_id: int,
    text: str,
    reply_to_id: int | None,
    mentioned: set[int],
    *,
    content: Any = None,
    thread_root_id: int | None = None,
    forwarded_from_id: int | None = None,
    sent_at: datetime | None = None,
    attachments: list[int] | None = None,
    sender: User | None = None,
) -> Message:
    """``sender``: the sender's row if at hand, for the event to carry (no query here)."""
    sent_at = _utc(sent_at or datetime.now(UTC))
    row = {
        "chat_id": chat.id,
        "sender_id": sender_id,
        "text": text,
        "content": content,
        "reply_to_id": reply_to_id,
        "thread_root_id": thread_root_id,
        "forwarded_from_id": forwarded_from_id,
        "sent_at": sent_at,
        "mentioned": mentioned,
    }
    # In a transaction although on PostgreSQL the rows are one statement: a connection lost
    # before the COMMIT was sent then proves nothing was written, so the request is safely
    # retried (adapters/dbhealth.py); a lone statement cut off midway might have committed,
    # and would have to be answered 503 instead (tests/security/test_edge_database.py).
    async with transaction() as tx:
        message = await do_insert_message(**row)
        if thread_root_id is not None:
            # In the reply's transaction, with F(): concurrent replies never lose a count.
            await Message.filter(id=thread_root_id).update(
                reply_count=F("reply_count") + 1, last_reply_at=sent_at
            )
            root: Message | None = await Message.get(id=thread_root_id)
        else:
            root = None
        if attachments:
            from resolvers.drive.sharing import do_attach

            await do_attach(message.id, chat.id, attachments)
        tx.publish(events.chat_channel(chat.id), events.message_added(message, sender))
        if root is not None:
            tx.publish(events.chat_channel(chat.id), events.message_updated(root))
    return message


def _utc(moment: datetime) -> datetime:
    """As the ORM stores it (``use_tz``, UTC), so SQLite's text comparisons of timestamps
    written here and by the ORM agree."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


async def chat_messages(
    ctx: Context,
    chat_id: int,
    *,
    first: int | None,
    after: int | None,
    last: int | None,
    before: int | None,
) -> tuple[list[Message], bool, bool]:
    """A page of messages by seq: ``first`` after seq ``after`` (oldest first), or ``last``
    before seq ``before`` (the newest by default). Returns (messages, has_next, has_previous)."""
    await access_chat(ctx, chat_id)
    size, backward = page_size(first, last)
    qs = Message.filter(chat_id=chat_id)
    if after is not None:
        qs = qs.filter(seq__gt=after)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    if backward:
        rows = list(await qs.order_by("-seq").limit(size + 1))
        more = len(rows) > size
        return rows[:size][::-1], before is not None, more
    rows = list(await qs.order_by("seq").limit(size + 1))
    return rows[:size], len(rows) > size, after is not None and after > 0


async def thread_replies(
    ctx: Context, root: int, chat_id: int, first: int | None, after: int | None
) -> tuple[list[Message], bool]:
    """A page of a thread's replies by seq, oldest first; the viewer must be in the chat."""
    await access_chat(ctx, chat_id)
    size, _ = page_size(first, None)
    qs = Message.filter(thread_root_id=root, chat_id=chat_id)
    if after is not None:
        qs = qs.filter(seq__gt=after)
    rows = list(await qs.order_by("seq").limit(size + 1))
    return rows[:size], len(rows) > size


async def check_mark_read(ctx: Context, chat_id: int | None, seq: int) -> ChatMember:
    """Move your read position forward (never back)."""
    access = await access_chat(ctx, chat_id)
    target = min(max(seq, 0), access.chat.last_seq)
    return await do_mark_read(access.member, target)


async def do_mark_read(member: ChatMember, target: int) -> ChatMember:
    async with transaction() as tx:
        moved = await ChatMember.filter(id=member.id, read_seq__lt=target).update(read_seq=target)
        if moved:
            event = events.read_up_to(member.chat_id, member.user_id, target)
            # The chat sees read receipts; the reader's other devices see their counts change.
            tx.publish(events.chat_channel(member.chat_id), event)
            tx.publish(events.user_channel(member.user_id), event)
    return await ChatMember.get(id=member.id)


__all__ = ["MAX_PAGE", "chat_messages", "check_mark_read", "check_message_send", "next_seq"]
