"""Chat events on the bus. Each chat has a channel and each user one (for viewerEvents), named
in ``resolvers/core/channels.py``; presence changes go on the organization's presence channel
(``presence.presence_channel``). Payloads carry snapshots, so delivering an event to many
subscribers needs no query per subscriber.

Messenger's kinds are declared once, in ``MessengerEventKind``; each payload is a ``TypedDict``
built here, and ``is_messenger_event`` tells them from other modules' on a shared channel.
``ChatEvent`` is what a chat channel carries (the GraphQL side,
``graphql_schema/messenger/events.py``, turns each into one member of the ``ChatEvent`` union);
Messenger's events on a user channel (``members.changed``, ``read.up_to``) are chat events too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict, TypeGuard

from models.identity import User
from models.messenger import Chat, Message
from resolvers.core.channels import chat_channel as chat_channel
from resolvers.core.channels import user_channel as user_channel

# The channels are named in resolvers/core (Admin and Drive publish on a user's channel too);
# messenger's own code keeps reading them here as events.chat_channel and events.user_channel.
from resolvers.core.webhook_events import WebhookAudience, register_webhook_event
from resolvers.identity.events import UserSnapshot, user_snapshot


class MessengerEventKind(StrEnum):
    """The ``type`` of Messenger's events, as it travels on the bus."""

    MESSAGE_ADDED = "message.added"
    MESSAGE_UPDATED = "message.updated"
    MESSAGE_RECALLED = "message.recalled"
    REACTION_CHANGED = "reaction.changed"
    MESSAGE_PINNED = "message.pinned"
    MEMBERS_CHANGED = "members.changed"
    CHAT_UPDATED = "chat.updated"
    TYPING = "typing"
    READ_UP_TO = "read.up_to"
    PRESENCE_CHANGED = "presence.changed"


class MessageSnapshot(TypedDict):
    id: int
    chatId: int
    seq: int
    senderId: int | None
    kind: str
    text: str
    content: Any
    replyToId: int | None
    threadRootId: int | None
    replyCount: int
    lastReplyAt: str | None
    editedAt: str | None
    editCount: int
    recalledAt: str | None
    forwardedFromId: int | None
    createdAt: str
    # The sender's public snapshot (identity's ``user_snapshot``), so that delivering a new
    # message needs no query per subscriber; absent when the publisher did not have the user
    # at hand and in events of older processes (then the sender is loaded).
    sender: NotRequired[UserSnapshot]


class ChatSnapshot(TypedDict):
    id: int
    organizationId: int
    kind: str
    name: str
    description: str
    announcement: str
    sendPolicy: str
    addPolicy: str
    lastSeq: int
    lastActivityAt: str
    disbandedAt: str | None
    # Always sent; snapshots published before chat titles existed lack it.
    directUserIds: NotRequired[list[int] | None]


class ReactionSummary(TypedDict):
    emoji: str
    count: int
    userIds: list[int]  # at most 20


class _MessageEvent(TypedDict):
    """What the events about one message carry besides their kind."""

    chatId: int
    message: MessageSnapshot


class MessageAdded(_MessageEvent):
    type: Literal[MessengerEventKind.MESSAGE_ADDED]


class MessageUpdated(_MessageEvent):
    type: Literal[MessengerEventKind.MESSAGE_UPDATED]


class MessageRecalled(_MessageEvent):
    type: Literal[MessengerEventKind.MESSAGE_RECALLED]


class ReactionChanged(TypedDict):
    type: Literal[MessengerEventKind.REACTION_CHANGED]
    chatId: int
    messageId: int
    reactions: list[ReactionSummary]


class MessagePinned(TypedDict):
    type: Literal[MessengerEventKind.MESSAGE_PINNED]
    chatId: int
    messageId: int
    pinned: bool
    byUserId: int


class MembersChanged(TypedDict):
    type: Literal[MessengerEventKind.MEMBERS_CHANGED]
    chatId: int
    added: list[int]
    removed: list[int]
    byUserId: int | None


class ChatUpdated(TypedDict):
    type: Literal[MessengerEventKind.CHAT_UPDATED]
    chatId: int
    chat: ChatSnapshot


class Typing(TypedDict):
    type: Literal[MessengerEventKind.TYPING]
    chatId: int
    userId: int


class ReadUpTo(TypedDict):
    type: Literal[MessengerEventKind.READ_UP_TO]
    chatId: int
    userId: int
    seq: int


class PresenceChanged(TypedDict):
    type: Literal[MessengerEventKind.PRESENCE_CHANGED]
    organizationId: int
    userId: int
    status: str
    at: str


ChatEvent = (
    MessageAdded
    | MessageUpdated
    | MessageRecalled
    | ReactionChanged
    | MessagePinned
    | MembersChanged
    | ChatUpdated
    | Typing
    | ReadUpTo
)
"""What a chat channel carries; ``members.changed`` and ``read.up_to`` also go on the user
channels of the people they concern."""

MessengerEvent = ChatEvent | PresenceChanged
"""Every event of Messenger: one ``TypedDict`` per ``MessengerEventKind`` member. Presence
changes go on the organization's presence channel."""

_KINDS = frozenset(MessengerEventKind)


def is_messenger_event(event: Mapping[str, Any]) -> TypeGuard[MessengerEvent]:
    """True for a payload of one of Messenger's kinds (from the bus, a plain str equal to it);
    comparing ``event["type"]`` with a member then narrows it to that kind's ``TypedDict``."""
    return event.get("type") in _KINDS


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _enum(value: Any) -> str:
    return value.value if hasattr(value, "value") else str(value)


def message_snapshot(m: Message) -> MessageSnapshot:
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


def chat_snapshot(c: Chat) -> ChatSnapshot:
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


def message_added(m: Message, sender: User | None = None) -> MessageAdded:
    """``sender``: the sender's row, when at hand (it is the principal who sends)."""
    snapshot = message_snapshot(m)
    if sender is not None and sender.id == m.sender_id:
        snapshot["sender"] = user_snapshot(sender)
    return {
        "type": MessengerEventKind.MESSAGE_ADDED,
        "chatId": m.chat_id,
        "message": snapshot,
    }


def message_updated(m: Message) -> MessageUpdated:
    """Edited, or its thread changed (reply count, last reply)."""
    return {
        "type": MessengerEventKind.MESSAGE_UPDATED,
        "chatId": m.chat_id,
        "message": message_snapshot(m),
    }


def message_recalled(m: Message) -> MessageRecalled:
    return {
        "type": MessengerEventKind.MESSAGE_RECALLED,
        "chatId": m.chat_id,
        "message": message_snapshot(m),
    }


def reaction_changed(
    chat_id: int, message_id: int, reactions: list[ReactionSummary]
) -> ReactionChanged:
    """``reactions``: every emoji on the message, with at most 20 user ids each."""
    return {
        "type": MessengerEventKind.REACTION_CHANGED,
        "chatId": chat_id,
        "messageId": message_id,
        "reactions": reactions,
    }


def message_pinned(chat_id: int, message_id: int, pinned: bool, by_user_id: int) -> MessagePinned:
    return {
        "type": MessengerEventKind.MESSAGE_PINNED,
        "chatId": chat_id,
        "messageId": message_id,
        "pinned": pinned,
        "byUserId": by_user_id,
    }


def members_changed(
    chat_id: int, added: list[int], removed: list[int], by_user_id: int | None
) -> MembersChanged:
    """Published on the chat channel (a removed member's chatEvents ends on it) and on the
    user channel of each added or removed user (viewerEvents)."""
    return {
        "type": MessengerEventKind.MEMBERS_CHANGED,
        "chatId": chat_id,
        "added": added,
        "removed": removed,
        "byUserId": by_user_id,
    }


def chat_updated(c: Chat) -> ChatUpdated:
    return {"type": MessengerEventKind.CHAT_UPDATED, "chatId": c.id, "chat": chat_snapshot(c)}


def typing(chat_id: int, user_id: int) -> Typing:
    return {"type": MessengerEventKind.TYPING, "chatId": chat_id, "userId": user_id}


def read_up_to(chat_id: int, user_id: int, seq: int) -> ReadUpTo:
    return {
        "type": MessengerEventKind.READ_UP_TO,
        "chatId": chat_id,
        "userId": user_id,
        "seq": seq,
    }


def presence_changed(organization_id: int, user_id: int, status: StrEnum) -> PresenceChanged:
    """On the organization's presence channel: someone came online or went offline."""
    return {
        "type": MessengerEventKind.PRESENCE_CHANGED,
        "organizationId": organization_id,
        "userId": user_id,
        "status": status.value,
        "at": datetime.now(UTC).isoformat(),
    }


# Webhooks (resolvers/core/webhook_events.py): what apps may subscribe to. Typing, read
# positions and presence are a person's live state, not events an app acts on.
for _kind, _what in (
    (MessengerEventKind.MESSAGE_ADDED, "A message was posted in a chat the app's bot is in."),
    (MessengerEventKind.MESSAGE_UPDATED, "A message was edited, or its thread changed."),
    (MessengerEventKind.MESSAGE_RECALLED, "A message was recalled (its text is gone)."),
    (MessengerEventKind.REACTION_CHANGED, "The reactions on a message changed."),
    (MessengerEventKind.MESSAGE_PINNED, "A message was pinned or unpinned."),
    (MessengerEventKind.MEMBERS_CHANGED, "People joined or left a chat the app's bot is in."),
    (MessengerEventKind.CHAT_UPDATED, "A chat's name, description or policies changed."),
):
    register_webhook_event(_kind, _what, module="messenger", audience=WebhookAudience.CHAT)
