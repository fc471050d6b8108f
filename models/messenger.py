"""Messenger: chats, their members, and messages with a gap-free sequence per chat."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization, User


class ChatKind(StrEnum):
    GROUP = "GROUP"
    DIRECT = "DIRECT"


class ChatRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class MessageKind(StrEnum):
    TEXT = "TEXT"
    SYSTEM = "SYSTEM"


class ChatPolicy(StrEnum):
    """Who may do something in a group chat."""

    EVERYONE = "EVERYONE"
    ADMINS = "ADMINS"


class Chat(Model):
    """A conversation. ``last_seq`` is the sequence number of its newest message: a sender
    increments it inside the transaction that inserts the message, so numbers have no gaps."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="chats", on_delete=fields.RESTRICT
    )
    organization_id: int
    kind = fields.CharEnumField(ChatKind, max_length=8)
    name = fields.CharField(max_length=100, default="")
    description = fields.CharField(max_length=1000, default="")
    direct_key = fields.CharField(max_length=64, null=True, unique=True)
    """For DIRECT chats: the two user ids, lower first. Unique, so a pair has one chat."""
    announcement = fields.TextField(default="")
    send_policy = fields.CharEnumField(ChatPolicy, max_length=8, default=ChatPolicy.EVERYONE)
    add_policy = fields.CharEnumField(ChatPolicy, max_length=8, default=ChatPolicy.EVERYONE)
    disbanded_at = fields.DatetimeField(null=True)
    last_seq = fields.BigIntField(default=0)
    last_activity_at = fields.DatetimeField()
    """Creation, then each new message: the order of the chat list."""
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chats_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chat"
        indexes = (("organization_id", "id"), ("last_activity_at", "id"))


class ChatMember(Model):
    """A user in a chat, with their read position (the highest seq they have read)."""

    id = fields.BigIntField(primary_key=True)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="members", on_delete=fields.CASCADE
    )
    chat_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_memberships", on_delete=fields.CASCADE, db_index=True
    )
    user_id: int
    role = fields.CharEnumField(ChatRole, max_length=8, default=ChatRole.MEMBER)
    read_seq = fields.BigIntField(default=0)
    muted = fields.BooleanField(default=False)
    pinned_at = fields.DatetimeField(null=True)
    """Set when the member pins the chat to the top of their list."""
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_member"
        unique_together = (("chat_id", "user_id"),)


class Message(Model):
    """A message. ``(chat_id, seq)`` is unique and gap-free within a chat."""

    id = fields.BigIntField(primary_key=True)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="messages", on_delete=fields.CASCADE
    )
    chat_id: int
    seq = fields.BigIntField()
    sender: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="messages_sent", null=True, on_delete=fields.SET_NULL
    )
    sender_id: int | None
    kind = fields.CharEnumField(MessageKind, max_length=8, default=MessageKind.TEXT)
    text = fields.TextField()
    """The plain-text rendering (what search and notifications use)."""
    content: Any = fields.JSONField(null=True)
    """Rich text as structured content (bold, italic, code, links, mentions), if any."""
    reply_to: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    reply_to_id: int | None
    thread_root: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="thread_replies", null=True, on_delete=fields.SET_NULL
    )
    thread_root_id: int | None
    reply_count = fields.IntField(default=0)
    last_reply_at = fields.DatetimeField(null=True)
    edited_at = fields.DatetimeField(null=True)
    edit_count = fields.IntField(default=0)
    recalled_at = fields.DatetimeField(null=True)
    recalled_by_id = fields.BigIntField(null=True)
    forwarded_from_id = fields.BigIntField(null=True)
    """The message this one forwards (possibly from another chat)."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message"
        unique_together = (("chat_id", "seq"),)


class MessageMention(Model):
    """A user mentioned in a message, for mention counts above the read position."""

    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="mentions", on_delete=fields.CASCADE
    )
    message_id: int
    chat_id = fields.BigIntField()
    seq = fields.BigIntField()
    user_id = fields.BigIntField()

    class Meta:
        table = "message_mention"
        indexes = (("user_id", "chat_id", "seq"),)


class MessageEdit(Model):
    """An earlier version of an edited message (at most 20 per message)."""

    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="edits", on_delete=fields.CASCADE
    )
    message_id: int
    text = fields.TextField()
    content: Any = fields.JSONField(null=True)
    edited_at = fields.DatetimeField()
    """When this version was replaced."""

    class Meta:
        table = "message_edit"


class Reaction(Model):
    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="reactions", on_delete=fields.CASCADE
    )
    message_id: int
    user_id = fields.BigIntField()
    emoji = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message_reaction"
        unique_together = (("message_id", "user_id", "emoji"),)


class MessagePin(Model):
    id = fields.BigIntField(primary_key=True)
    chat_id = fields.BigIntField(db_index=True)
    message: fields.OneToOneRelation[Message] = fields.OneToOneField(
        "models.Message", related_name="pin", on_delete=fields.CASCADE
    )
    message_id: int
    pinned_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message_pin"
