"""Who may read and write a chat: its members, in the chat's organization. A chat of another
organization, or one you are not in, is NOT_FOUND (no existence leaks).

Every Messenger operation on a chat starts here, so the lookup is one statement written once
(the ORM built the same join with pypika on every call, most of a ``messageSend``'s own CPU)
and its rows become models the way the ORM's own ``select_related`` makes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from models.messenger import Chat, ChatMember
from resolvers.core.context import Context
from resolvers.core.errors import NotFound
from resolvers.core.principal import require_principal
from resolvers.core.sql import Statement


@dataclass
class ChatAccess:
    chat: Chat
    member: ChatMember


@cache
def _columns() -> tuple[list[str], list[str]]:
    """The member's and the chat's columns (known once the ORM is initialised)."""
    return (
        list(ChatMember._meta.fields_db_projection.values()),
        list(Chat._meta.fields_db_projection.values()),
    )


@cache
def access_select() -> str:
    """The lookup's select list (the member's columns as ``m_<column>``, the chat's as
    ``c_<column>``) and its FROM clause, without the WHERE: the chat ``m."chat_id"``, the user
    ``m."user_id"``, the organization ``c."organization_id"``. ``message_rows`` runs the same
    lookup inside a send's statement."""
    member_columns, chat_columns = _columns()
    select = [f'm."{c}" AS "m_{c}"' for c in member_columns]
    select += [f'c."{c}" AS "c_{c}"' for c in chat_columns]
    return f'SELECT {", ".join(select)} FROM "chat_member" m JOIN "chat" c ON c."id" = m."chat_id"'


@cache
def _lookup() -> Statement:
    return Statement(
        f"{access_select()} "
        'WHERE m."chat_id" = ? AND m."user_id" = ? AND c."organization_id" = ? LIMIT 1'
    )


def access_of_row(row: Mapping[str, Any]) -> ChatAccess:
    """The chat and the membership of a row of ``access_select``, as the ORM's own
    ``select_related`` makes them."""
    member_columns, chat_columns = _columns()
    chat = Chat._init_from_db(**{c: row[f"c_{c}"] for c in chat_columns})
    member = ChatMember._init_from_db(**{c: row[f"m_{c}"] for c in member_columns})
    # As select_related leaves it: ``await member.chat`` answers without a query.
    object.__setattr__(member, "_chat", chat)
    return ChatAccess(chat, member)


async def access_chat(ctx: Context, chat_id: int | None, *, field: str = "chatId") -> ChatAccess:
    principal = require_principal(ctx)
    if chat_id is None:
        raise NotFound(field=field)
    rows = await _lookup().fetch([chat_id, principal.user_id, principal.organization_id])
    if not rows:
        raise NotFound(field=field)
    return access_of_row(rows[0])
