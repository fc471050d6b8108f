"""Root fields of the host's own controls of Video meetings: co-hosts, handing over the host,
the meeting's settings (lock, lobby, shares, topic) and ending it for everyone."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.meetings.controls import BAD_INPUT, NOT_FOUND
from graphql_schema.meetings.meetings import INPUT, MEETING_ENDED, MEETING_ID, NOT_IN_MEETING
from graphql_schema.meetings.types import LobbyPolicyEnum, Meeting, MeetingParticipant
from models import meetings as m
from models.meetings import LobbyPolicy
from resolvers.core.errors import CoreErrorCode
from resolvers.meetings import controls

HOST_ONLY = error_code(
    CoreErrorCode.FORBIDDEN,
    "Only the host may do this, and a guest cannot be a host or co-host; `message` says why.",
)
WRITE = needs("meetings:write")


def _meeting(row: m.Meeting) -> dict[str, Any]:
    return {"meeting": Meeting.from_model(row)}


@strawberry.input(description="Make a participant a co-host, or an attendee again.")
class MeetingCohostSetInput:
    participant_id: strawberry.ID = strawberry.field(
        description="A member of the organization in a meeting you host (not a guest)."
    )
    cohost: bool = strawberry.field(description="True: co-host; false: attendee.")


@strawberry.enum(description="Why `meetingCohostSet` failed.")
class MeetingCohostSetErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = HOST_ONLY
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingCohostSet` failed.")
class MeetingCohostSetError(MutationError):
    code: MeetingCohostSetErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingCohostSet`.")
class MeetingCohostSetPayload:
    participant: MeetingParticipant | None = strawberry.field(
        default=None, description="Them, in their new role."
    )
    errors: list[MeetingCohostSetError] = strawberry.field(description="Why not.")


@strawberry.input(description="Hand the host over to another participant.")
class MeetingHostTransferInput:
    participant_id: strawberry.ID = strawberry.field(
        description="A member of the organization in the meeting now (not a guest)."
    )


@strawberry.enum(description="Why `meetingHostTransfer` failed.")
class MeetingHostTransferErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The participant does not exist, you cannot see them, or they are not in the meeting now.",
    )
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = HOST_ONLY
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingHostTransfer` failed.")
class MeetingHostTransferError(MutationError):
    code: MeetingHostTransferErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingHostTransfer`: you are a co-host now.")
class MeetingHostTransferPayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting.")
    errors: list[MeetingHostTransferError] = strawberry.field(description="Why not.")


@strawberry.input(description="The meeting's settings to change; what is omitted stays.")
class MeetingUpdateInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you run.")
    locked: bool | None = strawberry.field(
        default=None, description="Locked: nobody new gets in (hosts and co-hosts still do)."
    )
    lobby_policy: LobbyPolicyEnum | None = strawberry.field(
        default=None, description="Who waits to be admitted (those waiting now stay)."
    )
    allow_multiple_shares: bool | None = strawberry.field(
        default=None,
        description="Several may share screens at once (off: running shares go on; the next "
        "one waits its turn).",
    )
    topic: str | None = strawberry.field(default=None, description="At most 255 characters.")


@strawberry.enum(description="Why `meetingUpdate` failed.")
class MeetingUpdateErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND, "The meeting does not exist or you cannot see it (alike)."
    )
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "Only the host and co-hosts may do this.")
    BAD_USER_INPUT = error_code(CoreErrorCode.BAD_USER_INPUT, "The topic is too long.")


@strawberry.type(description="A reason why `meetingUpdate` failed.")
class MeetingUpdateError(MutationError):
    code: MeetingUpdateErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingUpdate`.")
class MeetingUpdatePayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting.")
    errors: list[MeetingUpdateError] = strawberry.field(description="Why nothing changed.")


@strawberry.enum(description="Why `meetingEnd` failed.")
class MeetingEndErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND, "The meeting does not exist or you cannot see it (alike)."
    )
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "Only the host may end it for everyone.")
    MEETING_ENDED = MEETING_ENDED


@strawberry.type(description="A reason why `meetingEnd` failed.")
class MeetingEndError(MutationError):
    code: MeetingEndErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingEnd`.")
class MeetingEndPayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting, ENDED.")
    errors: list[MeetingEndError] = strawberry.field(description="Why it goes on.")


@strawberry.type
class MeetingsHostMutation:
    @strawberry.mutation(
        description="Make a member a co-host, or an attendee again (the host only).",
        directives=WRITE,
    )
    async def meeting_cohost_set(
        self, info: Info, input: Annotated[MeetingCohostSetInput, INPUT]
    ) -> MeetingCohostSetPayload:
        action = controls.check_cohost_set(
            info.context,
            participant_id=require_id(input.participant_id, "MeetingParticipant", "participantId"),
            cohost=input.cohost,
        )
        return await mutate(
            MeetingCohostSetPayload,
            MeetingCohostSetError,
            action,
            lambda p: {"participant": MeetingParticipant.from_model(p)},
        )

    @strawberry.mutation(
        description="Hand the host over to a member in the meeting (the host only); you stay "
        "as a co-host.",
        directives=WRITE,
    )
    async def meeting_host_transfer(
        self, info: Info, input: Annotated[MeetingHostTransferInput, INPUT]
    ) -> MeetingHostTransferPayload:
        action = controls.check_host_transfer(
            info.context,
            participant_id=require_id(input.participant_id, "MeetingParticipant", "participantId"),
        )
        return await mutate(MeetingHostTransferPayload, MeetingHostTransferError, action, _meeting)

    @strawberry.mutation(
        description="Lock or unlock the meeting, change its lobby policy, whether several may "
        "share at once, or its topic (host and co-hosts).",
        directives=WRITE,
    )
    async def meeting_update(
        self, info: Info, input: Annotated[MeetingUpdateInput, INPUT]
    ) -> MeetingUpdatePayload:
        policy = input.lobby_policy
        action = controls.check_meeting_update(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            locked=input.locked,
            lobby_policy=LobbyPolicy(policy.name) if policy is not None else None,
            allow_multiple_shares=input.allow_multiple_shares,
            topic=input.topic,
        )
        return await mutate(MeetingUpdatePayload, MeetingUpdateError, action, _meeting)

    @strawberry.mutation(
        description="End the meeting for everyone (the host only): every stream ends ENDED.",
        directives=WRITE,
    )
    async def meeting_end(
        self, info: Info, meeting_id: Annotated[strawberry.ID, MEETING_ID]
    ) -> MeetingEndPayload:
        action = controls.check_meeting_end(
            info.context, meeting_id=require_id(meeting_id, "Meeting", "meetingId")
        )
        return await mutate(MeetingEndPayload, MeetingEndError, action, _meeting)
