"""Who may read and write a chat: its members, in the chat's organization. A chat of another
organization, or one you are not in, is NOT_FOUND (no existence leaks)."""

from __future__ import annotations

from dataclasses import dataclass

from models.messenger import Chat, ChatMember
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.core.principal import require_principal


@dataclass
class ChatAccess:
    chat: Chat
    member: ChatMember


async def access_chat(ctx: Context, chat_id: int | None, *, field: str = "chatId") -> ChatAccess:
    principal = require_principal(ctx)
    member = (
        await ChatMember.filter(
            chat_id=chat_id,
            user_id=principal.user_id,
            chat__organization_id=principal.organization_id,
        )
        .select_related("chat")
        .first()
        if chat_id is not None
        else None
    )
    if member is None:
        raise NotFound(field=field)
    return ChatAccess(member.chat, member)
