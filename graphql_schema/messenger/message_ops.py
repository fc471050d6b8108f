"""Root fields for what members do to existing messages: edit, recall, react, pin, forward."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.connection import Connection, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.messenger.error_values import MESSAGE_NOT_FOUND
from graphql_schema.messenger.types import Message
from resolvers.core.errors import CoreErrorCode
from resolvers.messenger import message_ops as ops
from resolvers.messenger import message_reads
from resolvers.messenger.errors import MessengerErrorCode

INPUT = strawberry.argument(description="What to do.")


def _message(m: object) -> dict[str, object]:
    return {"message": Message.from_model(m)}  # type: ignore[arg-type]


RECALLED = error_code(MessengerErrorCode.RECALLED, "The message was recalled.")
CHAT_DISBANDED = error_code(
    MessengerErrorCode.CHAT_DISBANDED, "The message's group was disbanded; it is read-only."
)


@strawberry.enum(description="Why `messageEdit` failed.")
class MessageEditErrorCode(Enum):
    NOT_SENDER = error_code(MessengerErrorCode.NOT_SENDER, "Only the sender edits.")
    EDIT_WINDOW_PASSED = error_code(
        MessengerErrorCode.EDIT_WINDOW_PASSED, "The organization's edit window has passed."
    )
    TOO_MANY_EDITS = error_code(
        MessengerErrorCode.TOO_MANY_EDITS, "The message was already edited 20 times."
    )
    EMPTY_MESSAGE = error_code(MessengerErrorCode.EMPTY_MESSAGE, "The new text is blank.")
    TOO_LONG = error_code(MessengerErrorCode.TOO_LONG, "The new text is over 150 KB.")
    INVALID_CONTENT = error_code(
        MessengerErrorCode.INVALID_CONTENT, "The rich content is not in the documented format."
    )
    INVALID_MENTION = error_code(
        MessengerErrorCode.INVALID_MENTION,
        "A mention in `content` names no user of your organization; nothing changed.",
    )
    CONFLICT = error_code(
        MessengerErrorCode.CONFLICT, "Edited at the same time by another request; retry."
    )
    RECALLED = RECALLED
    CHAT_DISBANDED = CHAT_DISBANDED
    NOT_FOUND = MESSAGE_NOT_FOUND


@strawberry.enum(description="Why `messageRecall` failed.")
class MessageRecallErrorCode(Enum):
    NOT_ALLOWED = error_code(
        MessengerErrorCode.NOT_ALLOWED, "Only the sender or a chat owner or admin recalls."
    )
    RECALL_WINDOW_PASSED = error_code(
        MessengerErrorCode.RECALL_WINDOW_PASSED, "The organization's recall window has passed."
    )
    RECALLED = RECALLED
    CHAT_DISBANDED = CHAT_DISBANDED
    NOT_FOUND = MESSAGE_NOT_FOUND


@strawberry.enum(description="Why `messageReactionToggle` failed.")
class MessageReactionErrorCode(Enum):
    INVALID_EMOJI = error_code(MessengerErrorCode.INVALID_EMOJI, "An emoji has 1 to 32 characters.")
    TOO_MANY_REACTIONS = error_code(
        MessengerErrorCode.TOO_MANY_REACTIONS, "The message already has 50 different emoji."
    )
    RECALLED = RECALLED
    CHAT_DISBANDED = CHAT_DISBANDED
    NOT_FOUND = MESSAGE_NOT_FOUND


@strawberry.enum(description="Why `messagePin` or `messageUnpin` failed.")
class MessagePinErrorCode(Enum):
    NOT_ALLOWED = error_code(
        MessengerErrorCode.NOT_ALLOWED, "In groups only the owner and admins pin."
    )
    TOO_MANY_PINS = error_code(
        MessengerErrorCode.TOO_MANY_PINS, "The chat already has 100 pinned messages."
    )
    RECALLED = RECALLED
    CHAT_DISBANDED = CHAT_DISBANDED
    NOT_FOUND = MESSAGE_NOT_FOUND


@strawberry.enum(description="Why `messageForward` failed.")
class MessageForwardErrorCode(Enum):
    TOO_MANY_CHATS = error_code(MessengerErrorCode.TOO_MANY_CHATS, "Forward to 1 to 100 chats.")
    ADMINS_ONLY = error_code(
        MessengerErrorCode.ADMINS_ONLY, "Only the admins of a target group may send there."
    )
    RECALLED = RECALLED
    CHAT_DISBANDED = CHAT_DISBANDED
    BAD_USER_INPUT = BAD_USER_INPUT
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The message or a chat in `chatIds` does not exist or you cannot see it "
        "(the two answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `messageEdit` failed.")
class MessageEditError(MutationError):
    code: MessageEditErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `messageRecall` failed.")
class MessageRecallError(MutationError):
    code: MessageRecallErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `messageReactionToggle` failed.")
class MessageReactionError(MutationError):
    code: MessageReactionErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `messagePin` or `messageUnpin` failed.")
class MessagePinError(MutationError):
    code: MessagePinErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `messageForward` failed.")
class MessageForwardError(MutationError):
    code: MessageForwardErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A new version of a message you sent.")
class MessageEditInput:
    message_id: strawberry.ID = strawberry.field(description="Your message.")
    text: str | None = strawberry.field(default=None, description="The new plain text.")
    content: JSON | None = strawberry.field(
        default=None,
        description="The new rich content (as in `messageSend`); wins over `text`.",
    )


@strawberry.input(description="A message to act on.")
class MessageRefInput:
    """Shared shape of the inputs below; each mutation names its own (never in the schema)."""

    message_id: strawberry.ID = strawberry.field(description="The message.")


@strawberry.input(description="A message to recall.")
class MessageRecallInput(MessageRefInput):
    pass


@strawberry.input(description="A message to pin.")
class MessagePinInput(MessageRefInput):
    pass


@strawberry.input(description="A message to unpin.")
class MessageUnpinInput(MessageRefInput):
    pass


@strawberry.input(description="An emoji to add to a message, or take back.")
class MessageReactionToggleInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    emoji: str = strawberry.field(description="1 to 32 characters.")


@strawberry.input(description="Copies of a message for other chats.")
class MessageForwardInput:
    message_id: strawberry.ID = strawberry.field(description="The message to forward.")
    chat_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 100 chats you are a member of."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first copies."
    )


@strawberry.type(description="The result of `messageEdit`.")
class MessageEditPayload:
    message: Message | None = strawberry.field(default=None, description="The edited message.")
    errors: list[MessageEditError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `messageRecall`.")
class MessageRecallPayload:
    message: Message | None = strawberry.field(default=None, description="The tombstone.")
    errors: list[MessageRecallError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `messageReactionToggle`.")
class MessageReactionTogglePayload:
    message: Message | None = strawberry.field(
        default=None, description="The message, with its reactions now."
    )
    errors: list[MessageReactionError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `messagePin`.")
class MessagePinPayload:
    message: Message | None = strawberry.field(default=None, description="The message.")
    errors: list[MessagePinError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of `messageUnpin`.")
class MessageUnpinPayload(MessagePinPayload):
    pass


@strawberry.type(description="The result of `messageForward`.")
class MessageForwardPayload:
    messages: list[Message] = strawberry.field(
        default_factory=list, description="The copies, one per target chat."
    )
    errors: list[MessageForwardError] = strawberry.field(description="Why nothing was sent.")


@strawberry.type
class MessageOpsQuery:
    @strawberry.field(
        description="The pinned messages of a chat you are a member of, newest pin first (a "
        "chat holds at most 100 pins). Page with `first`/`after` or `last`/`before`.",
        directives=needs("messenger:read"),
    )
    async def pinned_messages(
        self,
        info: Info,
        chat_id: Annotated[strawberry.ID, strawberry.argument(description="The chat.")],
        first: Annotated[
            int | None, strawberry.argument(description="How many, at most 100 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="A cursor from `pageInfo.endCursor`.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="How many before `before`, at most 100.")
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="A cursor from `pageInfo.startCursor`.")
        ] = None,
    ) -> Connection[Message]:
        page = await message_reads.pinned_messages(
            info.context,
            require_id(chat_id, "Chat", "chatId"),
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return connection(page, Message.from_model)


@strawberry.type
class MessageOpsMutation:
    @strawberry.mutation(
        description="Edit a message you sent, within the organization's edit window, at most "
        "20 times; earlier versions stay in `editHistory`.",
        directives=needs("messenger:write"),
    )
    async def message_edit(
        self, info: Info, input: Annotated[MessageEditInput, INPUT]
    ) -> MessageEditPayload:
        action = ops.check_message_edit(
            info.context,
            require_id(input.message_id, "Message", "messageId"),
            input.text,
            input.content,
        )
        return await mutate(MessageEditPayload, MessageEditError, action, _message)

    @strawberry.mutation(
        description="Recall a message: by its sender within the organization's recall window, "
        "or by a chat owner or admin at any time. Its content and edit history are erased; "
        "a tombstone keeps its place.",
        directives=needs("messenger:write"),
    )
    async def message_recall(
        self, info: Info, input: Annotated[MessageRecallInput, INPUT]
    ) -> MessageRecallPayload:
        action = ops.check_message_recall(
            info.context, require_id(input.message_id, "Message", "messageId")
        )
        return await mutate(MessageRecallPayload, MessageRecallError, action, _message)

    @strawberry.mutation(
        description="Add your reaction with this emoji, or take it back if you already did.",
        directives=needs("messenger:write"),
    )
    async def message_reaction_toggle(
        self, info: Info, input: Annotated[MessageReactionToggleInput, INPUT]
    ) -> MessageReactionTogglePayload:
        action = ops.check_reaction_toggle(
            info.context, require_id(input.message_id, "Message", "messageId"), input.emoji
        )
        return await mutate(MessageReactionTogglePayload, MessageReactionError, action, _message)

    @strawberry.mutation(
        description="Pin a message in its chat (group owner and admins; anyone in a direct "
        "chat). Pinning a pinned message changes nothing.",
        directives=needs("messenger:write"),
    )
    async def message_pin(
        self, info: Info, input: Annotated[MessagePinInput, INPUT]
    ) -> MessagePinPayload:
        action = ops.check_pin(
            info.context, require_id(input.message_id, "Message", "messageId"), True
        )
        return await mutate(MessagePinPayload, MessagePinError, action, _message)

    @strawberry.mutation(
        description="Unpin a message (who may pin may unpin).", directives=needs("messenger:write")
    )
    async def message_unpin(
        self, info: Info, input: Annotated[MessageUnpinInput, INPUT]
    ) -> MessageUnpinPayload:
        action = ops.check_pin(
            info.context, require_id(input.message_id, "Message", "messageId"), False
        )
        return await mutate(MessageUnpinPayload, MessagePinError, action, _message)

    @strawberry.mutation(
        description="Copy a message's text and content into other chats you are a member of: "
        "each copy gets that chat's next `seq`. A retry with the same `idempotencyKey` returns "
        "the first copies.",
        directives=needs("messenger:write"),
    )
    async def message_forward(
        self, info: Info, input: Annotated[MessageForwardInput, INPUT]
    ) -> MessageForwardPayload:
        action = ops.check_message_forward(
            info.context,
            require_id(input.message_id, "Message", "messageId"),
            [decode_id(c, "Chat") for c in input.chat_ids],
            input.idempotency_key,
        )
        return await mutate(
            MessageForwardPayload,
            MessageForwardError,
            action,
            lambda f: {"messages": [Message.from_model(m) for m in f.messages]},
        )
