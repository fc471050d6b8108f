"""Chat events on the bus. Each chat has a channel and each user one (for viewerEvents), named
in ``resolvers/core/channels.py``. Payloads carry snapshots, so delivering an event to many
subscribers needs no query per subscriber. The GraphQL side (``graphql_schema/messenger/
events.py``) turns each ``type`` below into one member of the ``ChatEvent`` union."""

from __future__ import annotations

from typing import Any

from models.messenger import Chat, Message

# The channels are named in resolvers/core (Admin and Drive publish on a user's channel too);
# messenger's own code keeps reading them here as events.chat_channel and events.user_channel.
from resolvers.core.channels import chat_channel as chat_channel
from resolvers.core.channels import user_channel as user_channel


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _enum(value: Any) -> str:
    return value.value if hasattr(value, "value") else str(value)


def message_snapshot(m: Message) -> dict[str, Any]:
    recalled = m.recalled_at is not None
    return {
        "id": m.id,
        "chatId": m.chat_id,
        "seq": m.seq,
        "senderId": m.sender_id,
        "kind": _enum(m.kind),
        # A recalled message keeps its place (a tombstone) but not its content.
        "text": "" if recalled else m.text,
        "content": None if recalled else m.content,
        "replyToId": m.reply_to_id,
        "threadRootId": m.thread_root_id,
        "replyCount": m.reply_count,
        "lastReplyAt": _iso(m.last_reply_at),
        "editedAt": _iso(m.edited_at),
        "editCount": m.edit_count,
        "recalledAt": _iso(m.recalled_at),
        "forwardedFromId": m.forwarded_from_id,
        "createdAt": m.created_at.isoformat(),
    }


def direct_user_ids(direct_key: str | None) -> list[int] | None:
    """The two people of a DIRECT chat, lower id first, read from its ``direct_key`` (no query:
    a chat list shows each one's peer)."""
    if not direct_key:
        return None
    low, _, high = direct_key.partition(":")
    return [int(low), int(high or low)]


def chat_snapshot(c: Chat) -> dict[str, Any]:
    return {
        "id": c.id,
        "organizationId": c.organization_id,
        "kind": _enum(c.kind),
        "name": c.name,
        "description": c.description,
        "announcement": c.announcement,
        "sendPolicy": _enum(c.send_policy),
        "addPolicy": _enum(c.add_policy),
        "lastSeq": c.last_seq,
        "lastActivityAt": c.last_activity_at.isoformat(),
        "disbandedAt": _iso(c.disbanded_at),
        "directUserIds": direct_user_ids(c.direct_key),
    }


def message_added(m: Message) -> dict[str, Any]:
    return {"type": "message.added", "chatId": m.chat_id, "message": message_snapshot(m)}


def message_updated(m: Message) -> dict[str, Any]:
    """Edited, or its thread changed (reply count, last reply)."""
    return {"type": "message.updated", "chatId": m.chat_id, "message": message_snapshot(m)}


def message_recalled(m: Message) -> dict[str, Any]:
    return {"type": "message.recalled", "chatId": m.chat_id, "message": message_snapshot(m)}


def reaction_changed(
    chat_id: int, message_id: int, reactions: list[dict[str, Any]]
) -> dict[str, Any]:
    """``reactions``: [{"emoji": str, "count": int, "userIds": [int, ...] (at most 20)}]."""
    return {
        "type": "reaction.changed",
        "chatId": chat_id,
        "messageId": message_id,
        "reactions": reactions,
    }


def message_pinned(chat_id: int, message_id: int, pinned: bool, by_user_id: int) -> dict[str, Any]:
    return {
        "type": "message.pinned",
        "chatId": chat_id,
        "messageId": message_id,
        "pinned": pinned,
        "byUserId": by_user_id,
    }


def members_changed(
    chat_id: int, added: list[int], removed: list[int], by_user_id: int | None
) -> dict[str, Any]:
    """Published on the chat channel (a removed member's chatEvents ends on it) and on the
    user channel of each added or removed user (viewerEvents)."""
    return {
        "type": "members.changed",
        "chatId": chat_id,
        "added": added,
        "removed": removed,
        "byUserId": by_user_id,
    }


def chat_updated(c: Chat) -> dict[str, Any]:
    return {"type": "chat.updated", "chatId": c.id, "chat": chat_snapshot(c)}


def typing(chat_id: int, user_id: int) -> dict[str, Any]:
    return {"type": "typing", "chatId": chat_id, "userId": user_id}


def read_up_to(chat_id: int, user_id: int, seq: int) -> dict[str, Any]:
    return {"type": "read.up_to", "chatId": chat_id, "userId": user_id, "seq": seq}
