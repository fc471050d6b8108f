"""Incoming webhooks of chats (what Lark calls a custom bot): a URL that posts into one chat.

| act                                      | chat OWNER | chat ADMIN | chat MEMBER | others |
|------------------------------------------|------------|------------|-------------|--------|
| create, list, revoke a chat's webhooks   | yes        | yes        | no (F)      | NF     |

A hook has a bot user of its own (``is_bot``, unusable password, named like the hook), so its
messages show who posted them; it is not a chat member and holds no session. The URL carries a
random token of which only the HMAC is stored (shown once, derived from the idempotency key on a
retry). An optional signing secret (stored AES-GCM encrypted, as webhook secrets are) makes
``timestamp`` and ``sign`` mandatory in each post: ``sign`` is ``v1=<hex HMAC-SHA256(secret,
"<timestamp>.<text>")>``, refused when wrong or more than 5 minutes from now. A revoked hook's
URL answers 404 like one that never existed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from models.identity import Role, User
from models.messenger import Chat, ChatRole, Message
from models.webhooks import ChatIncomingWebhook
from resolvers.apps.apps import BOT_EMAIL_DOMAIN, UNUSABLE_PASSWORD
from resolvers.apps.webhook_crypto import decrypt_secret, encrypt_secret
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainErrors, Forbidden, NotFound
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.names import name_errors
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.identity.tokens import token_hash
from resolvers.messenger.access import access_chat
from resolvers.messenger.messages import do_message_send

TOKEN_PREFIX = "hlw_"
SIGNING_PREFIX = "whsign_"
SIGNING_PURPOSE = "chat_incoming_webhook"
MAX_TEXT = 4000
MAX_SKEW_SECONDS = 300
MAX_PER_CHAT = 20


@dataclass
class CreatedHook:
    hook: ChatIncomingWebhook
    token: str
    signing_secret: str | None


class IncomingRefused(Exception):
    """A post the hook does not accept: ``status`` and ``code`` for the JSON answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


async def _access_managed_chat(ctx: Context, chat_id: int | None) -> Chat:
    access = await access_chat(ctx, chat_id)
    if access.member.role not in (ChatRole.OWNER, ChatRole.ADMIN):
        raise Forbidden("Only the chat's owner and admins manage its incoming webhooks.")
    if access.chat.disbanded_at is not None:
        raise NotFound(field="chatId")
    return access.chat


async def chat_incoming_webhooks(ctx: Context, chat_id: int | None) -> list[ChatIncomingWebhook]:
    """The chat's hooks that are not revoked, oldest first."""
    chat = await _access_managed_chat(ctx, chat_id)
    return list(
        await ChatIncomingWebhook.filter(chat_id=chat.id, revoked_at__isnull=True).order_by("id")
    )


async def check_chat_incoming_webhook_create(
    ctx: Context,
    chat_id: int | None,
    *,
    name: str,
    signed: bool,
    idempotency_key: str | None,
) -> CreatedHook:
    principal = require_principal(ctx)
    chat = await _access_managed_chat(ctx, chat_id)
    problems = name_errors(name, "name", max_length=100, what="Webhook names")
    if problems:
        raise DomainErrors(problems)
    clean = name.strip()
    token = retry_safe_token(TOKEN_PREFIX, "chatIncomingWebhookCreate", idempotency_key, chat.id)
    signing = (
        retry_safe_token(SIGNING_PREFIX, "chatIncomingWebhookSign", idempotency_key, chat.id)
        if signed
        else None
    )

    async def create() -> ChatIncomingWebhook:
        return await do_create_incoming_webhook(chat, principal.user_id, clean, token, signing)

    async def load(pk: int) -> ChatIncomingWebhook | None:
        return await ChatIncomingWebhook.get_or_none(id=pk, chat_id=chat.id)

    hook = await once(
        principal.user_id,
        "chatIncomingWebhookCreate",
        idempotency_key,
        create,
        load,
        input={"chatId": chat.id, "name": clean, "signed": signed},
    )
    secret = (
        decrypt_secret(hook.signing_secret_encrypted, SIGNING_PURPOSE)
        if hook.signing_secret_encrypted
        else None
    )
    return CreatedHook(hook, token, secret)


async def do_create_incoming_webhook(
    chat: Chat, user_id: int, name: str, token: str, signing: str | None
) -> ChatIncomingWebhook:
    async with transaction():
        bot = await User.create(
            organization_id=chat.organization_id,
            email=f"hook-{secrets.token_hex(8)}@{BOT_EMAIL_DOMAIN}",
            display_name=name,
            password_hash=UNUSABLE_PASSWORD,
            role=Role.MEMBER,
            is_bot=True,
        )
        return await ChatIncomingWebhook.create(
            organization_id=chat.organization_id,
            chat_id=chat.id,
            name=name,
            token_hash=token_hash(token),
            signing_secret_encrypted=encrypt_secret(signing, SIGNING_PURPOSE) if signing else None,
            bot_user_id=bot.id,
            created_by_id=user_id,
        )


async def check_chat_incoming_webhook_revoke(
    ctx: Context, hook_id: int | None
) -> ChatIncomingWebhook:
    principal = require_principal(ctx)
    hook = (
        await ChatIncomingWebhook.get_or_none(
            id=hook_id, organization_id=principal.organization_id, revoked_at__isnull=True
        )
        if hook_id is not None
        else None
    )
    if hook is None:
        raise NotFound(field="id")
    try:
        await _access_managed_chat(ctx, hook.chat_id)
    except NotFound:
        raise NotFound(field="id") from None
    return await do_revoke_incoming_webhook(hook)


async def do_revoke_incoming_webhook(hook: ChatIncomingWebhook) -> ChatIncomingWebhook:
    """Its URL answers 404 from now on; its bot user stays (its messages keep their sender)."""
    at = now()
    async with transaction():
        await ChatIncomingWebhook.filter(id=hook.id).update(revoked_at=at)
    hook.revoked_at = at
    return hook


# --- the POST ---------------------------------------------------------------------------------


async def find_hook(token: str) -> ChatIncomingWebhook | None:
    return await ChatIncomingWebhook.get_or_none(
        token_hash=token_hash(token), revoked_at__isnull=True
    )


def parse_post(hook: ChatIncomingWebhook, raw: bytes) -> str:
    """The text to post, or IncomingRefused (400 bad JSON or text, 401 bad signature)."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise IncomingRefused(400, "BAD_JSON", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise IncomingRefused(400, "BAD_JSON", "The body is not a JSON object.")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise IncomingRefused(
            400, "BAD_TEXT", f"`text` must be a non-empty string of at most {MAX_TEXT} characters."
        )
    if hook.signing_secret_encrypted:
        secret = decrypt_secret(hook.signing_secret_encrypted, SIGNING_PURPOSE)
        ts, sign = data.get("timestamp"), data.get("sign")
        if not isinstance(ts, int | str) or not isinstance(sign, str) or not str(ts).isdigit():
            raise IncomingRefused(401, "BAD_SIGNATURE", "`timestamp` and `sign` are required.")
        if abs(time.time() - int(ts)) > MAX_SKEW_SECONDS:
            raise IncomingRefused(401, "BAD_SIGNATURE", "`timestamp` is more than 5 minutes off.")
        if not hmac.compare_digest(sign, incoming_signature(secret, int(ts), text)):
            raise IncomingRefused(401, "BAD_SIGNATURE", "`sign` does not match.")
    return text


def incoming_signature(secret: str, timestamp: int, text: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{text}".encode(), hashlib.sha256)
    return f"v1={mac.hexdigest()}"


async def do_post_incoming(hook: ChatIncomingWebhook, text: str) -> Message:
    """The message, sent through Messenger's send path as the hook's bot."""
    async with transaction():
        chat = await Chat.get_or_none(id=hook.chat_id)
        if chat is None or chat.disbanded_at is not None:
            raise IncomingRefused(404, "NOT_FOUND", "No such webhook.")
        bot = await User.get(id=hook.bot_user_id)
        return await do_message_send(chat, bot.id, text, None, set(), sender=bot)
