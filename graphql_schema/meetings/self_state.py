"""Root fields of what a participant does for themselves in a meeting: microphone, camera,
hand, screen share, and reactions (``resolvers.meetings.self_state``)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.meetings.meetings import INPUT, NOT_IN_MEETING
from graphql_schema.meetings.types import MeetingParticipant
from resolvers.core.errors import CoreErrorCode
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.self_state import check_meeting_react, check_self_update

NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND, "The meeting does not exist or you cannot see it (alike)."
)


@strawberry.input(description="Your own state in a meeting; what is omitted stays.")
class MeetingSelfUpdateInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you are in.")
    audio_muted: bool | None = strawberry.field(
        default=None, description="Your microphone off (either way clears `mutedByHost`)."
    )
    video_muted: bool | None = strawberry.field(default=None, description="Your camera off.")
    hand_raised: bool | None = strawberry.field(default=None, description="Raise or lower it.")
    sharing: bool | None = strawberry.field(
        default=None,
        description="Start or stop sharing your screen (one at a time unless the host allows "
        "several).",
    )


@strawberry.enum(description="Why `meetingSelfUpdate` failed.")
class MeetingSelfUpdateErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    SHARE_IN_PROGRESS = error_code(
        MeetingsErrorCode.SHARE_IN_PROGRESS,
        "Someone else is sharing and the host allows one share at a time.",
    )


@strawberry.type(description="A reason why `meetingSelfUpdate` failed.")
class MeetingSelfUpdateError(MutationError):
    code: MeetingSelfUpdateErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingSelfUpdate`.")
class MeetingSelfUpdatePayload:
    participant: MeetingParticipant | None = strawberry.field(
        default=None, description="You, after it."
    )
    errors: list[MeetingSelfUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="A reaction everyone in the meeting sees for a moment.")
class MeetingReactInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you are in.")
    emoji: str = strawberry.field(
        description="One emoji (a pictograph, a ZWJ sequence of up to 8, a flag or a keycap)."
    )


@strawberry.enum(description="Why `meetingReact` failed.")
class MeetingReactErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    BAD_USER_INPUT = error_code(CoreErrorCode.BAD_USER_INPUT, "`emoji` is not one emoji.")
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED,
        "You reacted more than allowed (10 at once, then 1 a second); wait `retryAfter`.",
    )


@strawberry.type(description="A reason why `meetingReact` failed.")
class MeetingReactError(MutationError):
    code: MeetingReactErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingReact`: relayed (never stored).")
class MeetingReactPayload:
    emoji: str | None = strawberry.field(default=None, description="What was sent.")
    errors: list[MeetingReactError] = strawberry.field(description="Why it was not.")


@strawberry.type
class MeetingsSelfMutation:
    @strawberry.mutation(
        description="Mute or unmute yourself, raise or lower your hand, start or stop sharing "
        "your screen.",
        directives=needs("meetings:write"),
    )
    async def meeting_self_update(
        self, info: Info, input: Annotated[MeetingSelfUpdateInput, INPUT]
    ) -> MeetingSelfUpdatePayload:
        action = check_self_update(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            audio_muted=input.audio_muted,
            video_muted=input.video_muted,
            hand_raised=input.hand_raised,
            sharing=input.sharing,
        )
        return await mutate(
            MeetingSelfUpdatePayload,
            MeetingSelfUpdateError,
            action,
            lambda p: {"participant": MeetingParticipant.from_model(p)},
        )

    @strawberry.mutation(
        description="React with an emoji: everyone in the meeting gets a `MeetingReactionEvent`.",
        directives=needs("meetings:write"),
    )
    async def meeting_react(
        self, info: Info, input: Annotated[MeetingReactInput, INPUT]
    ) -> MeetingReactPayload:
        action = check_meeting_react(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            emoji=input.emoji,
        )
        return await mutate(MeetingReactPayload, MeetingReactError, action, lambda e: {"emoji": e})
