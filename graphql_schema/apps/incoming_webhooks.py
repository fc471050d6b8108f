"""Incoming webhooks of chats: a URL that posts into a chat as a bot."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, global_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from models.webhooks import ChatIncomingWebhook as HookRow
from resolvers.apps import incoming_webhooks as actions
from resolvers.core.errors import CoreErrorCode

TYPE_NAME = "ChatIncomingWebhook"


@strawberry.type(
    description="A URL that posts messages into one chat as a bot of its own. POST "
    '`{"text": "..."}` as JSON to `url`; with a signing secret, also `timestamp` (Unix '
    'seconds) and `sign` = `v1=<hex HMAC-SHA256(secret, "<timestamp>.<text>")>`.'
)
class ChatIncomingWebhook:
    id: strawberry.ID = strawberry.field(description="Its global ID (for the revoke).")
    name: str = strawberry.field(description="Its name, also its bot's display name.")
    signed: bool = strawberry.field(description="Whether posts must carry a signature.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    bot_pk: strawberry.Private[int]
    chat_pk: strawberry.Private[int]

    @strawberry.field(description="The global ID of the chat it posts into.")
    def chat_id(self) -> strawberry.ID:
        return global_id("Chat", self.chat_pk)

    @strawberry.field(description="The global ID of the bot user its messages come from.")
    def bot_user_id(self) -> strawberry.ID:
        return global_id("User", self.bot_pk)

    @classmethod
    def from_model(cls, hook: HookRow) -> ChatIncomingWebhook:
        return cls(
            id=global_id(TYPE_NAME, hook.id),
            name=hook.name,
            signed=hook.signing_secret_encrypted is not None,
            created_at=hook.created_at,
            bot_pk=hook.bot_user_id,
            chat_pk=hook.chat_id,
        )


_NOT_FOUND_CHAT = "You are in no chat with this ID (another organization's answers alike)."
_FORBIDDEN = "Only the chat's owner and admins manage its incoming webhooks."


@strawberry.enum(description="Why `chatIncomingWebhookCreate` failed.")
class ChatIncomingWebhookCreateErrorCode(Enum):
    NOT_FOUND = error_code(CoreErrorCode.NOT_FOUND, _NOT_FOUND_CHAT)
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "`name` is blank, over 100 characters or hides characters."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `chatIncomingWebhookCreate` failed.")
class ChatIncomingWebhookCreateError(MutationError):
    code: ChatIncomingWebhookCreateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="A new incoming webhook of a chat.")
class ChatIncomingWebhookCreateInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat it posts into.")
    name: str = strawberry.field(description="Its name (1 to 100 characters), its bot's name.")
    signed: bool = strawberry.field(
        default=False,
        description="Give it a signing secret: every post must then be signed and recent.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key (1 to 128 characters) and input returns the "
        "first webhook, with the same URL and secret.",
    )


@strawberry.type(description="The result of `chatIncomingWebhookCreate`.")
class ChatIncomingWebhookCreatePayload:
    chat_incoming_webhook: ChatIncomingWebhook | None = strawberry.field(
        default=None, description="The webhook."
    )
    url: str | None = strawberry.field(
        default=None,
        description="Where to POST, holding its secret token: shown here only (a path on this "
        "server, `/hooks/incoming/<token>`).",
    )
    signing_secret: str | None = strawberry.field(
        default=None, description="The signing secret, when `signed`: shown here only."
    )
    errors: list[ChatIncomingWebhookCreateError] = strawberry.field(
        description="Why it was not created."
    )


@strawberry.enum(description="Why `chatIncomingWebhookRevoke` failed.")
class ChatIncomingWebhookRevokeErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "No live incoming webhook of a chat you are in has this ID.",
    )
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, _FORBIDDEN)


@strawberry.type(description="A reason why `chatIncomingWebhookRevoke` failed.")
class ChatIncomingWebhookRevokeError(MutationError):
    code: ChatIncomingWebhookRevokeErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="The incoming webhook to revoke.")
class ChatIncomingWebhookRevokeInput:
    id: strawberry.ID = strawberry.field(description="The webhook's global ID.")


@strawberry.type(description="The result of `chatIncomingWebhookRevoke`.")
class ChatIncomingWebhookRevokePayload:
    chat_incoming_webhook: ChatIncomingWebhook | None = strawberry.field(
        default=None, description="The webhook, revoked: its URL answers 404 from now on."
    )
    errors: list[ChatIncomingWebhookRevokeError] = strawberry.field(
        description="Why nothing changed."
    )


@strawberry.type
class IncomingWebhooksQuery:
    @strawberry.field(
        description="A chat's incoming webhooks that are not revoked, oldest first. The chat's "
        "owner and admins only.",
        directives=needs("messenger:read"),
    )
    async def chat_incoming_webhooks(
        self,
        info: Info,
        chat_id: Annotated[strawberry.ID, strawberry.argument(description="The chat.")],
    ) -> list[ChatIncomingWebhook]:
        hooks = await actions.chat_incoming_webhooks(info.context, decode_id(chat_id, "Chat"))
        return [ChatIncomingWebhook.from_model(h) for h in hooks]


@strawberry.type
class IncomingWebhooksMutation:
    @strawberry.mutation(
        description="Create an incoming webhook for a chat (its owner and admins): a URL that "
        "posts into it as a bot. The URL and signing secret are in the payload, once.",
        directives=needs("messenger:write"),
    )
    async def chat_incoming_webhook_create(
        self,
        info: Info,
        input: Annotated[
            ChatIncomingWebhookCreateInput, strawberry.argument(description="The webhook.")
        ],
    ) -> ChatIncomingWebhookCreatePayload:
        return await mutate(
            ChatIncomingWebhookCreatePayload,
            ChatIncomingWebhookCreateError,
            actions.check_chat_incoming_webhook_create(
                info.context,
                decode_id(input.chat_id, "Chat"),
                name=input.name,
                signed=input.signed,
                idempotency_key=input.idempotency_key,
            ),
            lambda c: {
                "chat_incoming_webhook": ChatIncomingWebhook.from_model(c.hook),
                "url": f"/hooks/incoming/{c.token}",
                "signing_secret": c.signing_secret,
            },
        )

    @strawberry.mutation(
        description="Revoke an incoming webhook: its URL stops working at once.",
        directives=needs("messenger:write"),
    )
    async def chat_incoming_webhook_revoke(
        self,
        info: Info,
        input: Annotated[
            ChatIncomingWebhookRevokeInput, strawberry.argument(description="Which one.")
        ],
    ) -> ChatIncomingWebhookRevokePayload:
        return await mutate(
            ChatIncomingWebhookRevokePayload,
            ChatIncomingWebhookRevokeError,
            actions.check_chat_incoming_webhook_revoke(
                info.context, decode_id(input.id, TYPE_NAME)
            ),
            lambda h: {"chat_incoming_webhook": ChatIncomingWebhook.from_model(h)},
        )
