"""meetingCreate: a new meeting of the asker's organization, hosted by them.

An instant meeting starts when its host joins (the client calls ``meetingJoin`` right after);
``chat_id`` starts it from a chat (``hooks.on_created`` lets Messenger post the meeting card and
make that chat the meeting chat); Calendar creates scheduled ones with its events."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from models.identity import Role
from models.meetings import LobbyPolicy, Meeting, MeetingKind
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction
from resolvers.messenger.access import access_chat
from resolvers.messenger.group_chats import check_can_send

MAX_TOPIC = 255
PASSCODE_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

CreatedHook = Callable[[Meeting, int], Awaitable[None]]
_created_hooks: list[CreatedHook] = []


def on_created(hook: CreatedHook) -> CreatedHook:
    """Register ``hook(meeting, creator_id)``, run inside the creating transaction (a meeting
    started from a chat posts its card there)."""
    _created_hooks.append(hook)
    return hook


def check_topic(topic: str) -> str:
    clean = " ".join(topic.split())
    if len(clean) > MAX_TOPIC:
        raise ValidationFailed(f"A topic has at most {MAX_TOPIC} characters.", field="topic")
    return clean


def check_passcode(passcode: str | None) -> str | None:
    if passcode is None or passcode == "":
        return None
    if not 4 <= len(passcode) <= 16 or not set(passcode) <= PASSCODE_CHARS:
        raise ValidationFailed("A passcode is 4 to 16 letters and digits.", field="passcode")
    return passcode


def new_number() -> str:
    """Nine digits, the first not 0 (people read them out as 3-3-3)."""
    return str(secrets.randbelow(9 * 10**8) + 10**8)


async def check_meeting_create(
    ctx: Context,
    *,
    topic: str,
    passcode: str | None,
    lobby_policy: LobbyPolicy,
    chat_id: int | None,
    idempotency_key: str | None,
) -> Meeting:
    principal = require_principal(ctx)
    if principal.user.role == Role.GUEST:
        raise Forbidden("Guests of the organization cannot start meetings.")
    clean = check_topic(topic)
    code = check_passcode(passcode)
    if chat_id is not None:
        # One is in the chat one starts a meeting from, and may post its card there.
        access = await access_chat(ctx, chat_id)
        check_can_send(access.chat, access.member)

    async def create() -> Meeting:
        return await do_meeting_create(
            principal.organization_id,
            principal.user_id,
            topic=clean,
            passcode=code,
            lobby_policy=lobby_policy,
            chat_id=chat_id,
        )

    async def load(pk: int) -> Meeting | None:
        return await Meeting.filter(id=pk, organization_id=principal.organization_id).first()

    fingerprint = {
        "topic": clean,
        "passcode": code,
        "lobbyPolicy": str(lobby_policy),
        "chatId": chat_id,
    }
    return await once(
        principal.user_id, "meetingCreate", idempotency_key, create, load, input=fingerprint
    )


async def do_meeting_create(
    organization_id: int,
    host_id: int,
    *,
    topic: str,
    passcode: str | None = None,
    lobby_policy: LobbyPolicy = LobbyPolicy.GUESTS,
    chat_id: int | None = None,
    kind: MeetingKind = MeetingKind.INSTANT,
    event_id: int | None = None,
) -> Meeting:
    """The meeting row (with a fresh number) and what the ``on_created`` hooks add (a chat
    card, say), in one transaction."""
    number = new_number()
    while await Meeting.exists(number=number):
        number = new_number()
    async with transaction():
        meeting = await Meeting.create(
            organization_id=organization_id,
            number=number,
            topic=topic,
            kind=kind,
            host_id=host_id,
            created_by_id=host_id,
            passcode=passcode,
            link_secret=secrets.token_urlsafe(16),
            lobby_policy=lobby_policy,
            source_chat_id=chat_id,
            chat_id=chat_id,
            event_id=event_id,
        )
        for hook in _created_hooks:
            await hook(meeting, host_id)
    return meeting
