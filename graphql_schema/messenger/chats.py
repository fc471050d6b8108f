"""Root fields of Messenger's chats: a chat by ID, ``chatCreate``, and the live chat stream.
Sending and read state are in ``messages``, group chat management in ``group_chats``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id, resolve_global_ids
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.core.shared_events import shared_event
from graphql_schema.messenger.events import ChatEvent, to_chat_event
from graphql_schema.messenger.types import Chat, ChatKindEnum
from models.messenger import ChatKind
from resolvers.core.errors import CoreErrorCode
from resolvers.messenger import chats
from resolvers.messenger.errors import MessengerErrorCode
from subscriptions import messenger as live

INPUT = strawberry.argument(description="What to do.")


@strawberry.enum(description="Why `chatCreate` failed.")
class ChatCreateErrorCode(Enum):
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, "Name or description too long or empty.")
    INVALID_MEMBERS = error_code(
        MessengerErrorCode.INVALID_MEMBERS, "A direct chat needs exactly one other member."
    )
    GUEST_NOT_ALLOWED = error_code(
        MessengerErrorCode.GUEST_NOT_ALLOWED, "Guests cannot start chats."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "A user in `memberIds` does not exist or you cannot see it (the two answer "
        "alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `chatCreate` failed.")
class ChatCreateError(MutationError):
    code: ChatCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


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


@strawberry.type(description="The result of `chatCreate`.")
class ChatCreatePayload:
    chat: Chat | None = strawberry.field(
        default=None, description="The chat (existing for DIRECT)."
    )
    errors: list[ChatCreateError] = strawberry.field(description="Why no chat was made.")


@strawberry.type
class MessengerQuery:
    @strawberry.field(
        description="A chat you are a member of, by global ID; null otherwise.",
        directives=needs("messenger:read"),
    )
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
        "one person (the same chat every time).",
        directives=needs("messenger:write"),
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


@strawberry.type
class MessengerSubscription:
    @strawberry.subscription(
        description="A chat's events. With `afterSeq`, first every message after it, then live "
        "events, with no gap and no duplicate between the two: reconnect with the last seq you "
        "saw and lose nothing.",
        directives=needs("messenger:read"),
    )
    async def chat_events(
        self,
        info: Info,
        chat_id: Annotated[strawberry.ID, strawberry.argument(description="A chat you are in.")],
        after_seq: Annotated[
            int | None, strawberry.argument(description="Replay messages after this seq first.")
        ] = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        async for event in live.chat_events(
            info.context, require_id(chat_id, "Chat", "chatId"), after_seq
        ):
            # The same object for every subscriber handed this bus payload, so that they
            # share its execution (server/live_events.py).
            converted = shared_event(info, event, to_chat_event)
            if converted is not None:
                yield converted
