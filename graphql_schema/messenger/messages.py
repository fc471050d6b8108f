"""Root fields of Messenger's messages: sending one (``messageSend``) and moving your read
position (``chatMarkRead``). Editing, recalling, reacting, pinning and forwarding are in
``message_ops``."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.messenger.error_values import MEMBER_CHAT_NOT_FOUND
from graphql_schema.messenger.types import Chat, Message
from resolvers.core.errors import CoreErrorCode
from resolvers.drive.errors import DriveErrorCode
from resolvers.messenger import messages
from resolvers.messenger.errors import MessengerErrorCode

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(description="Why `messageSend` failed.")
class MessageSendErrorCode(Enum):
    EMPTY_MESSAGE = error_code(MessengerErrorCode.EMPTY_MESSAGE, "The text is blank.")
    TOO_LONG = error_code(MessengerErrorCode.TOO_LONG, "The text is over 150 KB.")
    TOO_MANY_MENTIONS = error_code(MessengerErrorCode.TOO_MANY_MENTIONS, "Over 100 mentions.")
    INVALID_CONTENT = error_code(
        MessengerErrorCode.INVALID_CONTENT,
        "The rich content is not in the documented format, or has a link that is not http(s).",
    )
    INVALID_MENTION = error_code(
        MessengerErrorCode.INVALID_MENTION,
        "`mentionedUserIds` or a mention in `content` names no user of your "
        "organization (`field` says which); nothing was sent.",
    )
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED, "Sending too fast; the message says when to retry."
    )
    CHAT_DISBANDED = error_code(
        MessengerErrorCode.CHAT_DISBANDED, "The group was disbanded; it is read-only."
    )
    ADMINS_ONLY = error_code(
        MessengerErrorCode.ADMINS_ONLY, "Only the group's owner and admins may send here."
    )
    TOO_MANY_FILES = error_code(DriveErrorCode.TOO_MANY_FILES, "Over 10 files in `fileIds`.")
    NOT_A_FILE = error_code(DriveErrorCode.NOT_A_FILE, "`fileIds` names a folder; attach files.")
    CANNOT_ATTACH = error_code(
        DriveErrorCode.CANNOT_ATTACH,
        "Attaching shares a file with the chat: you need editor on it.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "You can see a file in `fileIds` but may not do this to it; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The chat, the message replied to, the thread or a file does not exist or "
        "you cannot see it (the two answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `messageSend` failed.")
class MessageSendError(MutationError):
    code: MessageSendErrorCode = strawberry.field(description="What went wrong, for programs.")


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


@strawberry.type(description="The result of `messageSend`.")
class MessageSendPayload:
    message: Message | None = strawberry.field(default=None, description="The sent message.")
    errors: list[MessageSendError] = strawberry.field(description="Why nothing was sent.")


@strawberry.enum(description="Why `chatMarkRead` failed.")
class ChatMarkReadErrorCode(Enum):
    NOT_FOUND = MEMBER_CHAT_NOT_FOUND


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
class MessagesMutation:
    @strawberry.mutation(
        description="Send a message. It gets the chat's next `seq`; a retry with the same "
        "`idempotencyKey` returns the first message instead of sending twice.",
        directives=needs("messenger:write"),
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

    @strawberry.mutation(
        description="Move your read position forward; unread counts follow.",
        directives=needs("messenger:write"),
    )
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
