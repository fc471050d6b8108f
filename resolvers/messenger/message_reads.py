"""The batched reads behind what members do to messages: edit histories, reactions, read
receipts, a chat's pinned messages. Each takes many keys and makes one query (DataLoaders call
them per request)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from models.messenger import ChatMember, Message, MessageEdit, MessagePin, Reaction
from resolvers.core.context import Context
from resolvers.core.pagination import Page, paginate
from resolvers.messenger.access import access_chat

READ_RECEIPT_MEMBERS = 1000


async def reaction_summaries(message_ids: list[int]) -> Sequence[list[dict[str, Any]]]:
    """Per message: [{"emoji", "count", "userIds" (all, by time)}], in order of each emoji's
    first reaction. All ids, so ``viewerReacted`` is right beyond the first 20."""
    grouped: dict[int, dict[str, list[int]]] = defaultdict(dict)
    # Three columns, not models: turning each row's timestamp into a datetime was most of the
    # cost of a message page's reactions (bench/, figure 1).
    rows = (
        await Reaction.filter(message_id__in=message_ids)
        .order_by("created_at", "id")
        .values_list("message_id", "emoji", "user_id")
    )
    for message_id, emoji, user_id in rows:
        grouped[int(message_id)].setdefault(str(emoji), []).append(int(user_id))
    return [
        [{"emoji": e, "count": len(users), "userIds": users} for e, users in grouped[mid].items()]
        for mid in message_ids
    ]


async def pinned_messages(
    ctx: Context,
    chat_id: int | None,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Page[Message]:
    """A chat's pinned messages, newest pin first, keyset-paged by pin (two queries a page)."""
    access = await access_chat(ctx, chat_id)
    pins = await paginate(
        MessagePin.filter(chat_id=access.chat.id),
        order=["-created_at", "-id"],
        first=first,
        after=after,
        last=last,
        before=before,
    )
    rows = {m.id: m for m in await Message.filter(id__in=[p.message_id for p in pins.items])}
    kept = [
        (rows[p.message_id], c)
        for p, c in zip(pins.items, pins.cursors, strict=True)
        if p.message_id in rows
    ]
    return Page(
        items=[m for m, _ in kept],
        cursors=[c for _, c in kept],
        has_next=pins.has_next,
        has_previous=pins.has_previous,
    )


async def edit_histories(message_ids: list[int]) -> Sequence[list[MessageEdit]]:
    grouped: dict[int, list[MessageEdit]] = defaultdict(list)
    for e in await MessageEdit.filter(message_id__in=message_ids).order_by("edited_at", "id"):
        grouped[e.message_id].append(e)
    return [grouped[i] for i in message_ids]


async def readers(keys: list[tuple[int, int, int | None]]) -> Sequence[list[int] | None]:
    """Per (chat_id, seq, sender_id): members who read that far, sender excluded, in join
    order; None for chats over 1000 members (no receipts there). One query per batch."""
    chat_ids = sorted({k[0] for k in keys})
    members: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        await ChatMember.filter(chat_id__in=chat_ids)
        .order_by("id")
        .values_list("chat_id", "user_id", "read_seq")
    )
    for chat_id, user_id, read_seq in rows:
        members[int(chat_id)].append((int(user_id), int(read_seq)))
    result: list[list[int] | None] = []
    for chat_id, seq, sender_id in keys:
        ms = members[chat_id]
        if len(ms) > READ_RECEIPT_MEMBERS:
            result.append(None)
            continue
        result.append([u for u, r in ms if r >= seq and u != sender_id])
    return result
