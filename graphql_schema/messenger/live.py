"""Messenger, live: presence, typing and the viewer's one stream (viewerEvents)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.admin.account_events import PasswordResetByAdmin, to_account_event
from graphql_schema.calendar.live import (
    CalendarEventChanged,
    EventRsvpChanged,
    to_calendar_event,
)
from graphql_schema.calendar.reminders import EventReminder, to_event_reminder
from graphql_schema.core.node import decode_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.docs.comments import DocMentionedEvent, to_mentioned_event
from graphql_schema.drive.events import DriveChanged, to_drive_event
from graphql_schema.identity.types import User, visible_user
from graphql_schema.messenger.error_values import CHAT_NOT_FOUND
from graphql_schema.messenger.events import ChatEvent, to_chat_event
from graphql_schema.messenger.types import Chat
from models.messenger import MessageMention
from resolvers.admin.events import is_admin_event
from resolvers.calendar.live import is_calendar_event
from resolvers.core.errors import NotFound
from resolvers.core.scopes import missing_scopes
from resolvers.docs.events import DocsEventKind, is_docs_event
from resolvers.drive.events import is_drive_event
from resolvers.messenger import presence
from resolvers.messenger.errors import MessengerErrorCode
from resolvers.messenger.events import MessengerEventKind, is_messenger_event
from subscriptions import viewer


async def _user(info: Info, user_id: int) -> Any | None:
    return await visible_user(info, user_id)


@strawberry.enum(description="Whether someone is around.")
class PresenceStatus(Enum):
    ONLINE = strawberry.enum_value(
        "ONLINE", description="Connected and active within the last five minutes."
    )
    AWAY = strawberry.enum_value("AWAY", description="Connected, but idle for five minutes.")
    OFFLINE = strawberry.enum_value("OFFLINE", description="No open connection.")


@strawberry.type(description="Someone's presence.")
class UserPresence:
    user_id: strawberry.Private[int]
    status: PresenceStatus = strawberry.field(description="Online, away or offline.")
    last_seen_at: datetime | None = strawberry.field(
        description="When they were last active (within 30 days); null if not known."
    )

    @strawberry.field(description="Whose presence this is.")
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_id)


@strawberry.input(description="You started typing in a chat.")
class TypingStartInput:
    chat_id: strawberry.ID = strawberry.field(description="A chat you are a member of.")


@strawberry.enum(description="Why `typingStart` failed.")
class TypingStartErrorCode(Enum):
    CHAT_DISBANDED = error_code(
        MessengerErrorCode.CHAT_DISBANDED, "The chat was disbanded: nobody types there any more."
    )
    NOT_FOUND = CHAT_NOT_FOUND


@strawberry.type(description="A reason why `typingStart` failed.")
class TypingStartError(MutationError):
    code: TypingStartErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `typingStart`.")
class TypingStartPayload:
    relayed: bool = strawberry.field(
        default=False,
        description="True if the members were told now; false within two seconds of the "
        "previous call (they still see you typing), or on failure.",
    )
    errors: list[TypingStartError] = strawberry.field(description="Why nothing was relayed.")


@strawberry.type(description="Something happened in one of your chats.")
class ViewerChatEvent:
    chat_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    seq: strawberry.Private[int | None]
    user_id: strawberry.Private[int]
    event: ChatEvent = strawberry.field(description="What happened, as `chatEvents` shows it.")

    @strawberry.field(description="The chat it happened in (as it is now).")
    async def chat(self, info: Info) -> Chat | None:
        found = await viewer.load_chat(self.chat_id, self.organization_id)
        return Chat.from_model(found) if found is not None else None

    @strawberry.field(description="True for a new message that mentions you.")
    async def mentions_you(self, info: Info) -> bool:
        if self.seq is None:
            return False
        # Only when asked for, so subscribers that do not select it cost no query.
        return await MessageMention.filter(
            user_id=self.user_id, chat_id=self.chat_id, seq=self.seq
        ).exists()


@strawberry.type(description="Someone you chat with came online or went offline.")
class PresenceChanged:
    user_id: strawberry.Private[int]
    status: PresenceStatus = strawberry.field(description="Their status now.")
    at: datetime = strawberry.field(description="When it changed.")

    @strawberry.field(description="Who.")
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_id)


ViewerEvent = Annotated[
    ViewerChatEvent
    | PresenceChanged
    | DriveChanged
    | PasswordResetByAdmin
    | CalendarEventChanged
    | EventRsvpChanged
    | EventReminder
    | DocMentionedEvent,
    strawberry.union("ViewerEvent", description="Something that concerns you."),
]


def _to_viewer_event(info: Info, event: viewer.ViewerEvent) -> Any | None:
    principal = info.context.principal
    if is_drive_event(event):
        return to_drive_event(event)
    if is_admin_event(event):
        return to_account_event(event)
    if is_calendar_event(event):
        # An app's token without calendar:read is not told that anything happened there.
        if principal is None or missing_scopes(principal, {"calendar:read"}):
            return None
        if (reminder := to_event_reminder(event)) is not None:
            return reminder
        return to_calendar_event(event)
    if is_docs_event(event):
        # Only a mention travels on user channels; a token without docs:read is not told.
        if principal is None or missing_scopes(principal, {"docs:read"}):
            return None
        if event["type"] == DocsEventKind.MENTIONED:
            return to_mentioned_event(event)
        return None
    if not is_messenger_event(event):
        return None
    if event["type"] == MessengerEventKind.PRESENCE_CHANGED:
        return PresenceChanged(
            user_id=int(event["userId"]),
            status=PresenceStatus[event["status"]],
            at=datetime.fromisoformat(event["at"]),
        )
    converted = to_chat_event(event)
    if converted is None or principal is None:
        return None
    seq = event["message"]["seq"] if event["type"] == MessengerEventKind.MESSAGE_ADDED else None
    return ViewerChatEvent(
        chat_id=int(event["chatId"]),
        organization_id=principal.organization_id,
        seq=seq,
        user_id=principal.user_id,
        event=converted,
    )


@strawberry.type
class LiveQuery:
    @strawberry.field(
        description="Presence of people of your organization (at most 100), in the order "
        "asked; null for an ID that names nobody you can see.",
        directives=needs("messenger:read"),
    )
    async def presence(
        self,
        info: Info,
        user_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="User global IDs.")
        ],
    ) -> list[UserPresence | None]:
        pks = [decode_id(u, "User") for u in user_ids]
        found = await presence.presence_of(info.context, pks)
        return [
            UserPresence(
                user_id=p.user_id,
                status=PresenceStatus[p.status.value],
                last_seen_at=p.last_seen_at,
            )
            if p is not None
            else None
            for p in found
        ]


@strawberry.type
class LiveMutation:
    @strawberry.mutation(
        description="Tell a chat's members you are typing; they see it for a few seconds. "
        "Call it as often as you like: at most one event per two seconds goes out, never stored.",
        directives=needs("messenger:write"),
    )
    async def typing_start(
        self,
        info: Info,
        input: Annotated[TypingStartInput, strawberry.argument(description="The chat.")],
    ) -> TypingStartPayload:
        chat_pk = decode_id(input.chat_id, "Chat")
        if chat_pk is None:
            raise NotFound(field="chatId")
        return await mutate(
            TypingStartPayload,
            TypingStartError,
            presence.typing_start(info.context, chat_pk),
            lambda relayed: {"relayed": relayed},
        )


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="Everything that concerns you, in one stream: new and changed messages in "
        "any of your chats (your 500 most active), being added or removed, your read positions "
        "from other devices, presence of the people you chat with, changes to Drive files "
        "and folders you can see, an admin resetting your password, and changes and answers "
        "to calendar events you see, and mentions of you in doc comments.",
        directives=needs("messenger:read", "drive:read"),
    )
    async def viewer_events(self, info: Info) -> AsyncGenerator[ViewerEvent, None]:
        async for event in viewer.viewer_events(info.context):
            converted = _to_viewer_event(info, event)
            if converted is not None:
                yield converted
