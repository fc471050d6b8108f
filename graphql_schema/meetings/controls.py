"""Root fields of the host controls of Video meetings: the lobby, removing and muting
participants, lowering hands (who may do what: ``resolvers.meetings.controls``)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import require_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.meetings.meetings import INPUT, MEETING_FULL, NOT_IN_MEETING
from graphql_schema.meetings.types import MeetingParticipant
from models import meetings as m
from resolvers.core.errors import CoreErrorCode
from resolvers.meetings import controls

NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The meeting or a participant named does not exist or you cannot see it (alike).",
)
FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN,
    "Only the host and co-hosts may do this (a co-host not to the host); `message` says why.",
)
BAD_INPUT = error_code(
    CoreErrorCode.BAD_USER_INPUT,
    "An input is malformed or over its limit (1 to 100 participants; not yourself).",
)


def _ids(raw: list[strawberry.ID] | None) -> list[int] | None:
    if raw is None:
        return None
    return [require_id(i, "MeetingParticipant", "participantIds") for i in raw]


def _people(rows: list[m.MeetingParticipant]) -> dict[str, object]:
    return {"participants": [MeetingParticipant.from_model(p) for p in rows]}


def _one(p: m.MeetingParticipant) -> dict[str, object]:
    return {"participant": MeetingParticipant.from_model(p)}


# --- lobby ------------------------------------------------------------------------------


@strawberry.input(description="Those waiting in the lobby to admit or refuse.")
class MeetingLobbyInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you host or co-host.")
    participant_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="1 to 100 of those waiting; omitted: everyone waiting now. Anyone no "
        "longer waiting is left as they are.",
    )


@strawberry.enum(description="Why `meetingLobbyAdmit` failed.")
class MeetingLobbyAdmitErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_INPUT
    MEETING_FULL = MEETING_FULL


@strawberry.type(description="A reason why `meetingLobbyAdmit` failed.")
class MeetingLobbyAdmitError(MutationError):
    code: MeetingLobbyAdmitErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingLobbyAdmit`.")
class MeetingLobbyAdmitPayload:
    participants: list[MeetingParticipant] | None = strawberry.field(
        default=None, description="Those admitted (now JOINED)."
    )
    errors: list[MeetingLobbyAdmitError] = strawberry.field(description="Why nobody was.")


@strawberry.enum(description="Why `meetingLobbyRefuse` failed.")
class MeetingLobbyRefuseErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingLobbyRefuse` failed.")
class MeetingLobbyRefuseError(MutationError):
    code: MeetingLobbyRefuseErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingLobbyRefuse`.")
class MeetingLobbyRefusePayload:
    participants: list[MeetingParticipant] | None = strawberry.field(
        default=None, description="Those refused (now REMOVED: they may not join again)."
    )
    errors: list[MeetingLobbyRefuseError] = strawberry.field(description="Why nobody was.")


# --- one participant --------------------------------------------------------------------


@strawberry.input(description="A participant to remove from their meeting.")
class MeetingParticipantRemoveInput:
    participant_id: strawberry.ID = strawberry.field(description="Someone in a meeting you run.")


@strawberry.enum(description="Why `meetingParticipantRemove` failed.")
class MeetingParticipantRemoveErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingParticipantRemove` failed.")
class MeetingParticipantRemoveError(MutationError):
    code: MeetingParticipantRemoveErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingParticipantRemove`.")
class MeetingParticipantRemovePayload:
    participant: MeetingParticipant | None = strawberry.field(
        default=None, description="Them, REMOVED."
    )
    errors: list[MeetingParticipantRemoveError] = strawberry.field(description="Why not.")


@strawberry.input(description="A participant to mute.")
class MeetingParticipantMuteInput:
    participant_id: strawberry.ID = strawberry.field(description="Someone in a meeting you run.")
    video: bool = strawberry.field(default=False, description="Turn their camera off too.")


@strawberry.enum(description="Why `meetingParticipantMute` failed.")
class MeetingParticipantMuteErrorCode(Enum):
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The participant does not exist, you cannot see them, or they are not in the meeting now.",
    )
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingParticipantMute` failed.")
class MeetingParticipantMuteError(MutationError):
    code: MeetingParticipantMuteErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingParticipantMute`.")
class MeetingParticipantMutePayload:
    participant: MeetingParticipant | None = strawberry.field(
        default=None, description="Them, muted by a host (`mutedByHost`)."
    )
    errors: list[MeetingParticipantMuteError] = strawberry.field(description="Why not.")


@strawberry.input(description="Mute everyone but the hosts and co-hosts.")
class MeetingMuteAllInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you run.")
    video: bool = strawberry.field(default=False, description="Turn their cameras off too.")


@strawberry.enum(description="Why `meetingMuteAll` failed.")
class MeetingMuteAllErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN


@strawberry.type(description="A reason why `meetingMuteAll` failed.")
class MeetingMuteAllError(MutationError):
    code: MeetingMuteAllErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingMuteAll`.")
class MeetingMuteAllPayload:
    participants: list[MeetingParticipant] | None = strawberry.field(
        default=None, description="Those muted."
    )
    errors: list[MeetingMuteAllError] = strawberry.field(description="Why not.")


@strawberry.input(description="Raised hands to lower.")
class MeetingHandsLowerInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you run.")
    participant_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="1 to 100 participants; omitted: every raised hand."
    )


@strawberry.enum(description="Why `meetingHandsLower` failed.")
class MeetingHandsLowerErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    NOT_IN_MEETING = NOT_IN_MEETING
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_INPUT


@strawberry.type(description="A reason why `meetingHandsLower` failed.")
class MeetingHandsLowerError(MutationError):
    code: MeetingHandsLowerErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `meetingHandsLower`.")
class MeetingHandsLowerPayload:
    participants: list[MeetingParticipant] | None = strawberry.field(
        default=None, description="Those whose hand was lowered."
    )
    errors: list[MeetingHandsLowerError] = strawberry.field(description="Why not.")


WRITE = needs("meetings:write")


@strawberry.type
class MeetingsControlsMutation:
    @strawberry.mutation(
        description="Admit people waiting in the lobby (host and co-hosts): they are in.",
        directives=WRITE,
    )
    async def meeting_lobby_admit(
        self, info: Info, input: Annotated[MeetingLobbyInput, INPUT]
    ) -> MeetingLobbyAdmitPayload:
        action = controls.check_lobby_admit(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            participant_ids=_ids(input.participant_ids),
        )
        return await mutate(MeetingLobbyAdmitPayload, MeetingLobbyAdmitError, action, _people)

    @strawberry.mutation(
        description="Refuse people waiting in the lobby (host and co-hosts): their stream "
        "ends, a guest's token stops working, they may not join again.",
        directives=WRITE,
    )
    async def meeting_lobby_refuse(
        self, info: Info, input: Annotated[MeetingLobbyInput, INPUT]
    ) -> MeetingLobbyRefusePayload:
        action = controls.check_lobby_refuse(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            participant_ids=_ids(input.participant_ids),
        )
        return await mutate(MeetingLobbyRefusePayload, MeetingLobbyRefuseError, action, _people)

    @strawberry.mutation(
        description="Remove someone from the meeting (host and co-hosts): their stream ends, "
        "their signals are refused, a guest's token stops working, they may not join again.",
        directives=WRITE,
    )
    async def meeting_participant_remove(
        self, info: Info, input: Annotated[MeetingParticipantRemoveInput, INPUT]
    ) -> MeetingParticipantRemovePayload:
        action = controls.check_participant_remove(
            info.context,
            participant_id=require_id(input.participant_id, "MeetingParticipant", "participantId"),
        )
        return await mutate(
            MeetingParticipantRemovePayload, MeetingParticipantRemoveError, action, _one
        )

    @strawberry.mutation(
        description="Mute someone (host and co-hosts). Their client mutes and stays muted "
        "until they unmute themselves.",
        directives=WRITE,
    )
    async def meeting_participant_mute(
        self, info: Info, input: Annotated[MeetingParticipantMuteInput, INPUT]
    ) -> MeetingParticipantMutePayload:
        action = controls.check_participant_mute(
            info.context,
            participant_id=require_id(input.participant_id, "MeetingParticipant", "participantId"),
            video=input.video,
        )
        return await mutate(
            MeetingParticipantMutePayload, MeetingParticipantMuteError, action, _one
        )

    @strawberry.mutation(
        description="Mute every attendee (host and co-hosts); hosts and co-hosts are spared.",
        directives=WRITE,
    )
    async def meeting_mute_all(
        self, info: Info, input: Annotated[MeetingMuteAllInput, INPUT]
    ) -> MeetingMuteAllPayload:
        action = controls.check_mute_all(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            video=input.video,
        )
        return await mutate(MeetingMuteAllPayload, MeetingMuteAllError, action, _people)

    @strawberry.mutation(
        description="Lower raised hands, some or all (host and co-hosts). To lower your own, "
        "use `meetingSelfUpdate`.",
        directives=WRITE,
    )
    async def meeting_hands_lower(
        self, info: Info, input: Annotated[MeetingHandsLowerInput, INPUT]
    ) -> MeetingHandsLowerPayload:
        action = controls.check_hands_lower(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            participant_ids=_ids(input.participant_ids),
        )
        return await mutate(MeetingHandsLowerPayload, MeetingHandsLowerError, action, _people)
