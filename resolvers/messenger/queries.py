"""Tenancy- and membership-checked reads of Messenger."""

from __future__ import annotations

from models.messenger import Chat, ChatMember, Message
from resolvers.core.context import Context


async def visible_chats(ctx: Context, ids: list[int]) -> list[Chat | None]:
    """Chats by id that the viewer is a member of (None otherwise, like a missing one)."""
    principal = ctx.principal
    if principal is None or not ids:
        return [None] * len(ids)
    mine = set(
        await ChatMember.filter(user_id=principal.user_id, chat_id__in=ids).values_list(
            "chat_id", flat=True
        )
    )
    rows = {
        c.id: c
        for c in await Chat.filter(
            id__in=[i for i in ids if i in mine], organization_id=principal.organization_id
        )
    }
    return [rows.get(i) for i in ids]


async def visible_messages(ctx: Context, ids: list[int]) -> list[Message | None]:
    principal = ctx.principal
    if principal is None or not ids:
        return [None] * len(ids)
    rows = {m.id: m for m in await Message.filter(id__in=ids)}
    chats = await visible_chats(ctx, sorted({m.chat_id for m in rows.values()}))
    allowed = {c.id for c in chats if c is not None}
    return [rows[i] if i in rows and rows[i].chat_id in allowed else None for i in ids]
