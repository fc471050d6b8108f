"""The ``ChatEvent`` union and the conversion of bus payloads
(``resolvers.messenger.events``) into its members."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import global_id
from graphql_schema.identity.types import User
from graphql_schema.messenger.types import Chat, Message
from resolvers.identity import queries as identity
from resolvers.messenger import events as bus
from resolvers.messenger.events import MessengerEventKind


async def _users(info: Info, ids: list[int]) -> list[Any]:
    found = await identity.visible_users(info.context, ids)
    return [User.from_model(u) for u in found if u is not None]


@strawberry.type(description="A message arrived in the chat.")
class MessageAdded:
    message: Message = strawberry.field(description="The new message.")


@strawberry.type(description="A message was edited, or its thread grew.")
class MessageUpdated:
    message: Message = strawberry.field(description="The message as it is now.")


@strawberry.type(description="A message was recalled: its content is gone, its place stays.")
class MessageRecalled:
    message: Message = strawberry.field(description="The tombstone.")


@strawberry.type(description="One emoji on a message, with how many reacted with it.")
class ReactionSummary:
    emoji: str = strawberry.field(description="The emoji.")
    count: int = strawberry.field(description="How many people reacted with it.")
    user_ids: strawberry.Private[list[int]]

    @strawberry.field(description="Some of the people who reacted (at most 20).")
    async def users(self, info: Info) -> list[User]:
        return await _users(info, self.user_ids)


@strawberry.type(description="The reactions on a message changed.")
class ReactionChanged:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    reactions: list[ReactionSummary] = strawberry.field(description="All its reactions now.")


@strawberry.type(description="A message was pinned in the chat, or unpinned.")
class MessagePinned:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    pinned: bool = strawberry.field(description="True if pinned, false if unpinned.")


@strawberry.type(description="People joined or left the chat.")
class MembersChanged:
    added_ids: strawberry.Private[list[int]]
    removed_ids: strawberry.Private[list[int]]

    @strawberry.field(description="Who joined.")
    async def added(self, info: Info) -> list[User]:
        return await _users(info, self.added_ids)

    @strawberry.field(description="Who left or was removed.")
    async def removed(self, info: Info) -> list[User]:
        return await _users(info, self.removed_ids)


@strawberry.type(description="The chat's name, description, announcement or settings changed.")
class ChatUpdated:
    chat: Chat = strawberry.field(description="The chat as it is now.")


@strawberry.type(description="Someone is typing (for a few seconds).")
class Typing:
    user_id: strawberry.Private[int]

    @strawberry.field(description="Who is typing.")
    async def user(self, info: Info) -> User | None:
        found = await _users(info, [self.user_id])
        return found[0] if found else None


@strawberry.type(description="Someone read the chat up to a message (your other devices, too).")
class ReadUpTo:
    seq: int = strawberry.field(description="Their read position now.")
    user_id: strawberry.Private[int]

    @strawberry.field(description="Who read.")
    async def user(self, info: Info) -> User | None:
        found = await _users(info, [self.user_id])
        return found[0] if found else None


ChatEvent = Annotated[
    MessageAdded
    | MessageUpdated
    | MessageRecalled
    | ReactionChanged
    | MessagePinned
    | MembersChanged
    | ChatUpdated
    | Typing
    | ReadUpTo,
    strawberry.union("ChatEvent", description="A change in a chat."),
]


def to_chat_event(event: bus.ChatEvent) -> Any | None:
    """The union member for a bus payload; None for kinds a chat stream does not show."""
    if event["type"] == MessengerEventKind.MESSAGE_ADDED:
        return MessageAdded(message=Message.from_snapshot(event["message"]))
    if event["type"] == MessengerEventKind.MESSAGE_UPDATED:
        return MessageUpdated(message=Message.from_snapshot(event["message"]))
    if event["type"] == MessengerEventKind.MESSAGE_RECALLED:
        return MessageRecalled(message=Message.from_snapshot(event["message"]))
    if event["type"] == MessengerEventKind.REACTION_CHANGED:
        return ReactionChanged(
            message_id=global_id("Message", event["messageId"]),
            reactions=[
                ReactionSummary(emoji=r["emoji"], count=r["count"], user_ids=r.get("userIds", []))
                for r in event["reactions"]
            ],
        )
    if event["type"] == MessengerEventKind.MESSAGE_PINNED:
        return MessagePinned(
            message_id=global_id("Message", event["messageId"]),
            pinned=event["pinned"],
        )
    if event["type"] == MessengerEventKind.MEMBERS_CHANGED:
        return MembersChanged(added_ids=event["added"], removed_ids=event["removed"])
    if event["type"] == MessengerEventKind.CHAT_UPDATED:
        return ChatUpdated(chat=Chat.from_snapshot(event["chat"]))
    if event["type"] == MessengerEventKind.TYPING:
        return Typing(user_id=event["userId"])
    if event["type"] == MessengerEventKind.READ_UP_TO:
        return ReadUpTo(seq=event["seq"], user_id=event["userId"])
    return None


__all__ = ["ChatEvent", "to_chat_event"]
