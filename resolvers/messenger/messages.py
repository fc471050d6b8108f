"""Sending and reading messages. Every message of a chat gets the next ``seq``, gap-free and
increasing, also under concurrent senders on several processes."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import connections

from models.messenger import Chat, ChatMember, Message, MessageKind, MessageMention
from resolvers.core.errors import DomainError, NotFound, Throttled
from resolvers.core.idempotency import once
from resolvers.core.pagination import MAX_PAGE, page_size
from resolvers.core.tx import transaction
from resolvers.identity.queries import require_principal
from resolvers.messenger import events
from resolvers.messenger.access import access_chat
from server import runtime
from server.context import Context

MAX_TEXT_BYTES = 150 * 1024
MAX_MENTIONS = 100
# Sends per user: a burst of 20, then 5 per second (typed error with the retry time).
SEND_BURST = 20
SEND_RATE = 5.0


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
) -> Message:
    principal = require_principal(ctx)
    access = await access_chat(ctx, chat_id)
    if not text.strip():
        raise DomainError("A message needs text.", field="text", code="EMPTY_MESSAGE")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise DomainError("Messages are at most 150 KB.", field="text", code="TOO_LONG")
    if len(mention_ids) > MAX_MENTIONS:
        raise DomainError(
            f"At most {MAX_MENTIONS} mentions.", field="mentions", code="TOO_MANY_MENTIONS"
        )
    if (
        reply_to_id is not None
        and not await Message.filter(id=reply_to_id, chat_id=access.chat.id).exists()
    ):
        raise NotFound("No such message in this chat.", field="replyToId")
    # Mentions count only for members of the chat; others are dropped, not an error.
    mentioned: set[int] = set()
    if mention_ids:
        rows = await ChatMember.filter(chat_id=access.chat.id, user_id__in=mention_ids).values_list(
            "user_id", flat=True
        )
        mentioned = {int(r) for r in rows}  # type: ignore[call-overload]

    async def create() -> Message:
        bucket = await runtime.current().store.take(
            f"send:{principal.user_id}", 1, SEND_BURST, SEND_RATE
        )
        if not bucket.allowed:
            raise Throttled(
                f"Sending too fast; retry in {bucket.retry_after:.1f} s.",
                retry_after=bucket.retry_after,
            )
        return await do_message_send(access.chat, principal.user_id, text, reply_to_id, mentioned)

    async def load(pk: int) -> Message | None:
        return await Message.get_or_none(id=pk, chat_id=access.chat.id)

    return await once(principal.user_id, "messageSend", idempotency_key, create, load)


async def do_message_send(
    chat: Chat, sender_id: int, text: str, reply_to_id: int | None, mentioned: set[int]
) -> Message:
    async with transaction() as tx:
        seq = await next_seq(chat.id)
        sent_at = datetime.now(UTC)
        # Through the ORM, not the raw UPDATE above, so the timestamp is stored in the same
        # format as every other (SQLite compares them as text).
        await Chat.filter(id=chat.id).update(last_activity_at=sent_at)
        message = await Message.create(
            chat_id=chat.id,
            seq=seq,
            sender_id=sender_id,
            kind=MessageKind.TEXT,
            text=text,
            reply_to_id=reply_to_id,
            created_at=sent_at,
        )
        if mentioned:
            await MessageMention.bulk_create(
                [
                    MessageMention(message_id=message.id, chat_id=chat.id, seq=seq, user_id=u)
                    for u in mentioned
                ]
            )
        # Your own message is read by you.
        await ChatMember.filter(chat_id=chat.id, user_id=sender_id, read_seq__lt=seq).update(
            read_seq=seq
        )
        tx.publish(events.chat_channel(chat.id), events.message_added(message))
    return message


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


async def check_mark_read(ctx: Context, chat_id: int | None, seq: int) -> ChatMember:
    """Move your read position forward (never back)."""
    access = await access_chat(ctx, chat_id)
    target = min(max(seq, 0), access.chat.last_seq)
    async with transaction() as tx:
        moved = await ChatMember.filter(id=access.member.id, read_seq__lt=target).update(
            read_seq=target
        )
        if moved:
            event = events.read_up_to(access.chat.id, access.member.user_id, target)
            # The chat sees read receipts; the reader's other devices see their counts change.
            tx.publish(events.chat_channel(access.chat.id), event)
            tx.publish(events.user_channel(access.member.user_id), event)
    return await ChatMember.get(id=access.member.id)


__all__ = ["MAX_PAGE", "chat_messages", "check_mark_read", "check_message_send", "next_seq"]
