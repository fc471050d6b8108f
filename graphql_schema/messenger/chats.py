"""Root fields of Messenger: chats, sending, read state, and the live chat stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, require_id, resolve_global_ids
from graphql_schema.core.payload import MutationError, mutate
from graphql_schema.messenger.events import ChatEvent, to_chat_event
from graphql_schema.messenger.types import Chat, ChatKindEnum, Message
from models.messenger import ChatKind
from resolvers.messenger import chats, messages
from subscriptions import messenger as live

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(description="Why `chatCreate` failed.")
class ChatCreateErrorCode(Enum):
    INVALID_NAME = strawberry.enum_value(
        "INVALID_NAME", description="Name or description too long or empty."
    )
    INVALID_MEMBERS = strawberry.enum_value(
        "INVALID_MEMBERS", description="A direct chat needs exactly one other member."
    )
    GUEST_NOT_ALLOWED = strawberry.enum_value(
        "GUEST_NOT_ALLOWED", description="Guests cannot start chats."
    )
    BAD_USER_INPUT = strawberry.enum_value(
        "BAD_USER_INPUT",
        description="An input is malformed or over a documented limit (a list, a text, the "
        "idempotency key); `message` and `field` say which.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="A user in `memberIds` does not exist or you cannot see it (the two answer "
        "alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `chatCreate` failed.")
class ChatCreateError(MutationError):
    code: ChatCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `messageSend` failed.")
class MessageSendErrorCode(Enum):
    EMPTY_MESSAGE = strawberry.enum_value("EMPTY_MESSAGE", description="The text is blank.")
    TOO_LONG = strawberry.enum_value("TOO_LONG", description="The text is over 150 KB.")
    TOO_MANY_MENTIONS = strawberry.enum_value("TOO_MANY_MENTIONS", description="Over 100 mentions.")
    INVALID_CONTENT = strawberry.enum_value(
        "INVALID_CONTENT",
        description="The rich content is not in the documented format, or has a link that is "
        "not http(s).",
    )
    INVALID_MENTION = strawberry.enum_value(
        "INVALID_MENTION",
        description="`mentionedUserIds` or a mention in `content` names no user of your "
        "organization (`field` says which); nothing was sent.",
    )
    THROTTLED = strawberry.enum_value(
        "THROTTLED", description="Sending too fast; the message says when to retry."
    )
    CHAT_DISBANDED = strawberry.enum_value(
        "CHAT_DISBANDED", description="The group was disbanded; it is read-only."
    )
    ADMINS_ONLY = strawberry.enum_value(
        "ADMINS_ONLY", description="Only the group's owner and admins may send here."
    )
    TOO_MANY_FILES = strawberry.enum_value(
        "TOO_MANY_FILES", description="Over 10 files in `fileIds`."
    )
    NOT_A_FILE = strawberry.enum_value(
        "NOT_A_FILE", description="`fileIds` names a folder; attach files."
    )
    CANNOT_ATTACH = strawberry.enum_value(
        "CANNOT_ATTACH",
        description="Attaching shares a file with the chat: you need editor on it.",
    )
    BAD_USER_INPUT = strawberry.enum_value(
        "BAD_USER_INPUT",
        description="An input is malformed or over a documented limit (a list, a text, the "
        "idempotency key); `message` and `field` say which.",
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="You can see a file in `fileIds` but may not do this to it; `message` says "
        "why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The chat, the message replied to, the thread or a file does not exist or "
        "you cannot see it (the two answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `messageSend` failed.")
class MessageSendError(MutationError):
    code: MessageSendErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new chat.")
class ChatCreateInput:
    kind: ChatKindEnum = strawberry.field(description="GROUP or DIRECT.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="The other members (at most 100); exactly one for DIRECT."
    )
    name: str = strawberry.field(default="", description="A group's name, 1 to 100 characters.")
    description: str = strawberry.field(default="", description="At most 1000 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first chat."
    )


@strawberry.input(description="A message to send.")
class MessageSendInput:
    chat_id: strawberry.ID = strawberry.field(description="A chat you are a member of.")
    text: str = strawberry.field(
        default="", description="Up to 150 KB of text; ignored when `content` is given."
    )
    content: JSON | None = strawberry.field(
        default=None,
        description='Rich text: `{"blocks": [{"spans": [...]}]}`, blocks being paragraphs. A '
        'span is `{"kind": "text"|"bold"|"italic"|"code", "text": ...}`, `{"kind": "link", '
        '"text": ..., "url": "https://..."}` or `{"kind": "mention", "userId": <User ID>}`. '
        "The message's text becomes its plain rendering (mentions as @Display Name); mentioned "
        "members count as mentions.",
    )
    reply_to_id: strawberry.ID | None = strawberry.field(
        default=None, description="A message of the same chat this one answers."
    )
    thread_root_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Reply in the thread of this top-level message of the same chat.",
    )
    mentioned_user_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Users of your organization to mention (at most 100; those in the chat "
        "count as mentions). Anyone else is INVALID_MENTION, as in `content`.",
    )
    file_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Drive files to send (at most 10), each one you can edit: the chat's "
        "members may view them while the message is not recalled. The text may then be empty.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first message."
    )


@strawberry.input(description="How far you have read.")
class ChatMarkReadInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat.")
    seq: int = strawberry.field(description="The highest seq read; positions only move forward.")


@strawberry.type(description="The result of `chatCreate`.")
class ChatCreatePayload:
    chat: Chat | None = strawberry.field(
        default=None, description="The chat (existing for DIRECT)."
    )
    errors: list[ChatCreateError] = strawberry.field(description="Why no chat was made.")


@strawberry.type(description="The result of `messageSend`.")
class MessageSendPayload:
    message: Message | None = strawberry.field(default=None, description="The sent message.")
    errors: list[MessageSendError] = strawberry.field(description="Why nothing was sent.")


@strawberry.enum(description="Why `chatMarkRead` failed.")
class ChatMarkReadErrorCode(Enum):
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The chat does not exist or you are not in it (the two answer alike).",
    )


@strawberry.type(description="A reason why `chatMarkRead` failed.")
class ChatMarkReadError(MutationError):
    code: ChatMarkReadErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `chatMarkRead`.")
class ChatMarkReadPayload:
    chat: Chat | None = strawberry.field(default=None, description="The chat with new counts.")
    read_seq: int | None = strawberry.field(
        default=None, description="Your read position now; null when nothing was done."
    )
    errors: list[ChatMarkReadError] = strawberry.field(description="Why nothing was done.")


@strawberry.type
class MessengerQuery:
    @strawberry.field(description="A chat you are a member of, by global ID; null otherwise.")
    async def chat(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its global ID.")],
    ) -> Chat | None:
        found = (await resolve_global_ids(info, [id]))[0]
        return found if isinstance(found, Chat) else None


@strawberry.type
class MessengerMutation:
    @strawberry.mutation(
        description="Start a GROUP chat (you become its owner) or open the DIRECT chat with "
        "one person (the same chat every time)."
    )
    async def chat_create(
        self, info: Info, input: Annotated[ChatCreateInput, INPUT]
    ) -> ChatCreatePayload:
        member_ids = [require_id(m, "User", "memberIds") or 0 for m in input.member_ids]
        action = chats.check_chat_create(
            info.context,
            kind=ChatKind(input.kind.name),
            name=input.name,
            description=input.description,
            member_ids=member_ids,
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            ChatCreatePayload, ChatCreateError, action, lambda c: {"chat": Chat.from_model(c)}
        )

    @strawberry.mutation(
        description="Send a message. It gets the chat's next `seq`; a retry with the same "
        "`idempotencyKey` returns the first message instead of sending twice."
    )
    async def message_send(
        self, info: Info, input: Annotated[MessageSendInput, INPUT]
    ) -> MessageSendPayload:
        action = messages.check_message_send(
            info.context,
            chat_id=require_id(input.chat_id, "Chat", "chatId"),
            text=input.text,
            reply_to_id=require_id(input.reply_to_id, "Message", "replyToId"),
            # Not require_id: a malformed ID names nobody, refused like any unknown user.
            mention_ids=[decode_id(u, "User") or 0 for u in input.mentioned_user_ids],
            idempotency_key=input.idempotency_key,
            content=input.content,
            thread_root_id=require_id(input.thread_root_id, "Message", "threadRootId"),
            file_ids=[require_id(f, "File", "fileIds") for f in input.file_ids],
        )
        return await mutate(
            MessageSendPayload,
            MessageSendError,
            action,
            lambda m: {"message": Message.from_model(m)},
        )

    @strawberry.mutation(description="Move your read position forward; unread counts follow.")
    async def chat_mark_read(
        self, info: Info, input: Annotated[ChatMarkReadInput, INPUT]
    ) -> ChatMarkReadPayload:
        async def run() -> tuple[Any, int]:
            member = await messages.check_mark_read(
                info.context, require_id(input.chat_id, "Chat", "chatId"), input.seq
            )
            return await member.chat, member.read_seq

        return await mutate(
            ChatMarkReadPayload,
            ChatMarkReadError,
            run(),
            lambda r: {"chat": Chat.from_model(r[0]), "read_seq": r[1]},
        )


@strawberry.type
class MessengerSubscription:
    @strawberry.subscription(
        description="A chat's events. With `afterSeq`, first every message after it, then live "
        "events, with no gap and no duplicate between the two: reconnect with the last seq you "
        "saw and lose nothing."
    )
    async def chat_events(
        self,
        info: Info,
        chat_id: Annotated[strawberry.ID, strawberry.argument(description="A chat you are in.")],
        after_seq: Annotated[
            int | None, strawberry.argument(description="Replay messages after this seq first.")
        ] = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        event: dict[str, Any]
        async for event in live.chat_events(
            info.context, require_id(chat_id, "Chat", "chatId"), after_seq
        ):
            converted = to_chat_event(event)
            if converted is not None:
                yield converted
