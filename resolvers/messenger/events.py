"""Chat events on the bus: one channel per chat, payloads with snapshots (no query per
subscriber to deliver them)."""

from __future__ import annotations

from typing import Any

from models.messenger import Message


def chat_channel(chat_id: int) -> str:
    return f"chat:{chat_id}"


def message_snapshot(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "chatId": m.chat_id,
        "seq": m.seq,
        "senderId": m.sender_id,
        "kind": m.kind.value if hasattr(m.kind, "value") else str(m.kind),
        "text": m.text,
        "replyToId": m.reply_to_id,
        "createdAt": m.created_at.isoformat(),
    }


def message_added(m: Message) -> dict[str, Any]:
    return {"type": "message.added", "chatId": m.chat_id, "message": message_snapshot(m)}
