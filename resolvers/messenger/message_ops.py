"""What members do to existing messages: edit, recall, react, pin, forward (the batched reads
behind them are in ``message_reads.py``). Not audited: the audit log is for administrative
acts, not chat activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models.identity import Organization
from models.messenger import (
    Chat,
    ChatKind,
    ChatMember,
    ChatRole,
    Message,
    MessageEdit,
    MessageKind,
    MessageMention,
    MessagePin,
    Reaction,
)
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.messenger import events
from resolvers.messenger.access import ChatAccess, access_chat
from resolvers.messenger.errors import MessengerErrorCode
from resolvers.messenger.group_chats import check_can_send
from resolvers.messenger.message_reads import reaction_summaries
from resolvers.messenger.messages import MAX_TEXT_BYTES, do_message_send, parse_content

MAX_EDITS = 20
MAX_EMOJI = 50
MAX_EMOJI_CHARS = 32
REACTION_USERS = 20
MAX_FORWARD = 100
MAX_PINS = 100


@dataclass
class MessageAccess:
    message: Message
    access: ChatAccess


async def access_message(
    ctx: Context, message_id: int | None, *, writable: bool = True
) -> MessageAccess:
    """The message, if the viewer is a member of its chat; NOT_FOUND otherwise."""
    message = await Message.get_or_none(id=message_id) if message_id is not None else None
    if message is None:
        raise NotFound(field="messageId")
    access = await access_chat(ctx, message.chat_id, field="messageId")
    if writable and access.chat.disbanded_at is not None:
        # Members still read a disbanded group, but it is read-only for everyone.
        raise DomainError(
            "This group was disbanded; it is read-only.", code=MessengerErrorCode.CHAT_DISBANDED
        )
    return MessageAccess(message, access)


def _not_recalled(message: Message) -> None:
    if message.recalled_at is not None:
        raise DomainError(
            "The message was recalled.", field="messageId", code=MessengerErrorCode.RECALLED
        )


async def _window(ctx: Context, column: str) -> timedelta:
    org = await Organization.get(id=require_principal(ctx).organization_id)
    return timedelta(minutes=int(getattr(org, column)))


async def check_message_edit(
    ctx: Context, message_id: int | None, text: str | None, content: Any
) -> Message:
    principal = require_principal(ctx)
    found = await access_message(ctx, message_id)
    message = found.message
    _not_recalled(message)
    if message.sender_id != principal.user_id or message.kind != MessageKind.TEXT:
        raise DomainError("Only the sender edits a message.", code=MessengerErrorCode.NOT_SENDER)
    if datetime.now(UTC) - message.created_at > await _window(ctx, "message_edit_window_minutes"):
        raise DomainError("The edit window has passed.", code=MessengerErrorCode.EDIT_WINDOW_PASSED)
    if message.edit_count >= MAX_EDITS:
        raise DomainError(
            f"A message is edited at most {MAX_EDITS} times.",
            code=MessengerErrorCode.TOO_MANY_EDITS,
        )
    mentioned: set[int] | None = None
    if content is not None:
        content, text, mentioned = await parse_content(ctx, content)
    elif text is None:
        raise DomainError(
            "Give text or content.", field="text", code=MessengerErrorCode.EMPTY_MESSAGE
        )
    assert text is not None
    if not text.strip():
        raise DomainError(
            "A message needs text.", field="text", code=MessengerErrorCode.EMPTY_MESSAGE
        )
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise DomainError(
            "Messages are at most 150 KB.", field="text", code=MessengerErrorCode.TOO_LONG
        )
    return await do_message_edit(message, text, content, mentioned)


async def do_message_edit(
    message: Message, text: str, content: Any, mentioned: set[int] | None
) -> Message:
    now = datetime.now(UTC)
    async with transaction() as tx:
        # Conditional on the count read above: two concurrent edits cannot both pass 20.
        updated = await Message.filter(id=message.id, edit_count=message.edit_count).update(
            text=text, content=content, edited_at=now, edit_count=message.edit_count + 1
        )
        if not updated:
            raise DomainError(
                "The message changed meanwhile; retry.", code=MessengerErrorCode.CONFLICT
            )
        await MessageEdit.create(
            message_id=message.id, text=message.text, content=message.content, edited_at=now
        )
        if mentioned is not None:
            # Rich content says exactly who is mentioned now; only chat members count.
            members = await ChatMember.filter(
                chat_id=message.chat_id, user_id__in=mentioned
            ).values_list("user_id", flat=True)
            await MessageMention.filter(message_id=message.id).delete()
            await MessageMention.bulk_create(
                [
                    MessageMention(
                        message_id=message.id, chat_id=message.chat_id, seq=message.seq, user_id=u
                    )
                    for u in set(members)
                ]
            )
        fresh = await Message.get(id=message.id)
        tx.publish(events.chat_channel(message.chat_id), events.message_updated(fresh))
    return fresh


async def check_message_recall(ctx: Context, message_id: int | None) -> Message:
    principal = require_principal(ctx)
    found = await access_message(ctx, message_id)
    message = found.message
    _not_recalled(message)
    chat_admin = found.access.member.role in (ChatRole.OWNER, ChatRole.ADMIN)
    if not chat_admin:
        if message.sender_id != principal.user_id:
            raise DomainError(
                "Only the sender or a chat admin recalls.", code=MessengerErrorCode.NOT_ALLOWED
            )
        window = await _window(ctx, "message_recall_window_minutes")
        if datetime.now(UTC) - message.created_at > window:
            raise DomainError(
                "The recall window has passed.", code=MessengerErrorCode.RECALL_WINDOW_PASSED
            )
    return await do_message_recall(message, principal.user_id)


async def do_message_recall(message: Message, by_user_id: int) -> Message:
    now = datetime.now(UTC)
    async with transaction() as tx:
        await Message.filter(id=message.id).update(
            text="", content=None, recalled_at=now, recalled_by_id=by_user_id
        )
        # The content is gone, so are its earlier versions and the mentions it made.
        await MessageEdit.filter(message_id=message.id).delete()
        await MessageMention.filter(message_id=message.id).delete()
        fresh = await Message.get(id=message.id)
        tx.publish(events.chat_channel(message.chat_id), events.message_recalled(fresh))
    return fresh


async def reaction_summary(message_id: int) -> list[events.ReactionSummary]:
    """The event's form: like ``reaction_summaries`` with at most 20 user ids per emoji."""
    return [
        {"emoji": r["emoji"], "count": r["count"], "userIds": r["userIds"][:REACTION_USERS]}
        for r in (await reaction_summaries([message_id]))[0]
    ]


async def check_reaction_toggle(ctx: Context, message_id: int | None, emoji: str) -> Message:
    principal = require_principal(ctx)
    found = await access_message(ctx, message_id)
    message = found.message
    _not_recalled(message)
    if not 1 <= len(emoji) <= MAX_EMOJI_CHARS or not emoji.strip():
        raise DomainError(
            "An emoji has 1 to 32 characters.", field="emoji", code=MessengerErrorCode.INVALID_EMOJI
        )
    return await do_reaction_toggle(message, principal.user_id, emoji)


async def do_reaction_toggle(message: Message, user_id: int, emoji: str) -> Message:
    async with transaction() as tx:
        # Lock the message row: toggles of one message queue here, so the same toggle sent
        # twice at once cannot insert twice, and the 50-emoji limit holds exactly (which is
        # why that limit is checked here, under the lock, and not in check_reaction_toggle).
        await Message.filter(id=message.id).select_for_update().first()
        mine = Reaction.filter(message_id=message.id, user_id=user_id, emoji=emoji)
        if await mine.exists():
            await mine.delete()
        else:
            kinds = set(
                await Reaction.filter(message_id=message.id).values_list("emoji", flat=True)
            )
            if emoji not in kinds and len(kinds) >= MAX_EMOJI:
                raise DomainError(
                    f"At most {MAX_EMOJI} different emoji per message.",
                    field="emoji",
                    code=MessengerErrorCode.TOO_MANY_REACTIONS,
                )
            await Reaction.create(message_id=message.id, user_id=user_id, emoji=emoji)
        summary = await reaction_summary(message.id)
        tx.publish(
            events.chat_channel(message.chat_id),
            events.reaction_changed(message.chat_id, message.id, summary),
        )
    return message


async def check_pin(ctx: Context, message_id: int | None, pinned: bool) -> Message:
    principal = require_principal(ctx)
    found = await access_message(ctx, message_id)
    message, chat = found.message, found.access.chat
    if chat.kind != ChatKind.DIRECT and found.access.member.role not in (
        ChatRole.OWNER,
        ChatRole.ADMIN,
    ):
        raise DomainError(
            "Only the chat's owner and admins pin.", code=MessengerErrorCode.NOT_ALLOWED
        )
    if pinned:
        _not_recalled(message)
    return await do_pin(chat, message, pinned, principal.user_id)


async def do_pin(chat: Chat, message: Message, pinned: bool, by_user_id: int) -> Message:
    async with transaction() as tx:
        exists = await MessagePin.filter(message_id=message.id).exists()
        if pinned and not exists:
            # Counted in the transaction that inserts the pin, so the limit is checked here.
            if await MessagePin.filter(chat_id=chat.id).count() >= MAX_PINS:
                raise DomainError(
                    f"At most {MAX_PINS} pins per chat.", code=MessengerErrorCode.TOO_MANY_PINS
                )
            await MessagePin.create(chat_id=chat.id, message_id=message.id, pinned_by_id=by_user_id)
        elif not pinned and exists:
            await MessagePin.filter(message_id=message.id).delete()
        else:
            return message  # Already as asked: nothing changes, nothing is published.
        tx.publish(
            events.chat_channel(chat.id),
            events.message_pinned(chat.id, message.id, pinned, by_user_id),
        )
    return message


@dataclass
class Forwarded:
    id: int
    messages: list[Message] = field(default_factory=list)


async def check_message_forward(
    ctx: Context, message_id: int | None, chat_ids: list[int | None], idempotency_key: str | None
) -> Forwarded:
    principal = require_principal(ctx)
    # Copying out of a disbanded (read-only) group is reading it: allowed.
    source = (await access_message(ctx, message_id, writable=False)).message
    _not_recalled(source)
    if not chat_ids or len(chat_ids) > MAX_FORWARD:
        raise DomainError(
            f"Forward to 1 to {MAX_FORWARD} chats.",
            field="chatIds",
            code=MessengerErrorCode.TOO_MANY_CHATS,
        )
    # Each target must be a chat you are in: any other is NOT_FOUND, and nothing is sent.
    targets: list[Chat] = []
    # In id order: concurrent forwards lock the chat rows (next_seq) in the same order.
    for cid in sorted(dict.fromkeys(c or 0 for c in chat_ids)):
        target = await access_chat(ctx, cid, field="chatIds")
        # A forward is a send: the target's send rules apply (disbanded, admins only).
        check_can_send(target.chat, target.member)
        targets.append(target.chat)
    sent_at = datetime.now(UTC)

    async def create() -> Forwarded:
        return await do_message_forward(source, targets, principal.user_id, sent_at)

    async def load(pk: int) -> Forwarded | None:
        # One forward's copies share the sender, the source and the send time.
        first = await Message.get_or_none(id=pk)
        if first is None:
            return None
        copies = await Message.filter(
            sender_id=principal.user_id,
            forwarded_from_id=first.forwarded_from_id,
            created_at=first.created_at,
        ).order_by("id")
        return Forwarded(pk, list(copies))

    fields = {"messageId": source.id, "chatIds": [chat.id for chat in targets]}
    return await once(
        principal.user_id, "messageForward", idempotency_key, create, load, input=fields
    )


async def do_message_forward(
    source: Message, targets: list[Chat], sender_id: int, sent_at: datetime
) -> Forwarded:
    """One copy of ``source`` per target chat, all or none (one transaction, targets in id
    order), sharing the send time by which ``check_message_forward`` finds them again."""
    async with transaction():
        sent = [
            await do_message_send(
                chat,
                sender_id,
                source.text,
                None,
                set(),
                content=source.content,
                forwarded_from_id=source.id,
                sent_at=sent_at,
            )
            for chat in targets
        ]
    return Forwarded(sent[0].id, sent)
