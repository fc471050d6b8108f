"""Root fields of Video meetings: a meeting by ID, creating and joining one, WebRTC signaling
(``meetingSignal``) and the live stream of a participant (``meetingEvents``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.core.shared_events import shared_event
from graphql_schema.meetings.recordings import MeetingRecordingEvent, to_recording_event
from graphql_schema.meetings.types import (
    IceServer,
    LobbyPolicyEnum,
    Meeting,
    MeetingParticipant,
    MeetingReactionEvent,
)
from models.meetings import LobbyPolicy
from resolvers.core.errors import CoreErrorCode
from resolvers.meetings import links as _links  # noqa: F401  (registers chat and event links)
from resolvers.meetings import queries
from resolvers.meetings.access import MeetingNotFound
from resolvers.meetings.create import check_meeting_create
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.events import (
    MeetingChannelEvent,
    MeetingsEventKind,
    MeetingSignal,
    SignalKind,
)
from resolvers.meetings.ice import ice_servers
from resolvers.meetings.join import (
    Joined,
    check_meeting_join,
    check_meeting_join_as_guest,
    check_meeting_leave,
)
from resolvers.meetings.signal import SFU, check_meeting_signal
from resolvers.messenger.errors import MessengerErrorCode
from subscriptions.meetings import MeetingStreamEnded, MeetingSync, meeting_events

INPUT = strawberry.argument(description="What to do.")
MEETING_ID = strawberry.argument(description="The meeting (its global ID).")

MEETING_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The meeting does not exist or you cannot see it (the two answer alike).",
)
NOT_IN_MEETING = error_code(
    MeetingsErrorCode.NOT_IN_MEETING,
    "You are not in the meeting now (join it, or wait to be admitted).",
)
MEETING_ENDED = error_code(MeetingsErrorCode.MEETING_ENDED, "The meeting has ended.")
MEETING_LOCKED = error_code(
    MeetingsErrorCode.MEETING_LOCKED, "The meeting is locked: nobody new is admitted."
)
MEETING_FULL = error_code(
    MeetingsErrorCode.MEETING_FULL,
    "The meeting holds as many people as it may (`message` says why).",
)
SFU_UNAVAILABLE = error_code(
    MeetingsErrorCode.SFU_UNAVAILABLE, "The media server cannot be reached right now."
)


async def _meeting(info: Info, pk: int) -> Meeting | None:
    found = (await queries.visible_meetings(info.context, [pk]))[0]
    return Meeting.from_model(found) if found is not None else None


@strawberry.enum(name="SignalKind", description="What a signal carries.")
class SignalKindEnum(Enum):
    OFFER = strawberry.enum_value(
        "OFFER", description="An SDP offer (`payload`: the session description's text)."
    )
    ANSWER = strawberry.enum_value("ANSWER", description="An SDP answer (`payload`: its text).")
    ICE_CANDIDATE = strawberry.enum_value(
        "ICE_CANDIDATE",
        description="A trickled candidate (`payload`: RTCIceCandidateInit as JSON; an empty "
        "`candidate` ends them).",
    )
    RENEGOTIATE = strawberry.enum_value(
        "RENEGOTIATE",
        description="Ask the peer to offer again (`payload`: a short reason), or an offer made "
        "during a renegotiation (`payload`: its SDP).",
    )


@strawberry.input(description="A new instant meeting, hosted by you.")
class MeetingCreateInput:
    topic: str = strawberry.field(default="", description="At most 255 characters.")
    passcode: str | None = strawberry.field(
        default=None,
        description="4 to 16 letters and digits asked of members who are not invited.",
    )
    lobby_policy: LobbyPolicyEnum = strawberry.field(
        default=LobbyPolicyEnum.GUESTS, description="Who waits to be admitted."
    )
    chat_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Start it from this chat: the chat gets a meeting card and is the "
        "meeting chat.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first meeting."
    )


@strawberry.enum(description="Why `meetingCreate` failed.")
class MeetingCreateErrorCode(Enum):
    BAD_USER_INPUT = BAD_USER_INPUT
    NOT_FOUND = error_code(CoreErrorCode.NOT_FOUND, "The chat does not exist or you are not in it.")
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Guests of the organization cannot start meetings."
    )
    CHAT_DISBANDED = error_code(
        MessengerErrorCode.CHAT_DISBANDED, "The chat was disbanded; it is read-only."
    )
    ADMINS_ONLY = error_code(
        MessengerErrorCode.ADMINS_ONLY,
        "Only the chat's owner and admins may post there (the meeting card).",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `meetingCreate` failed.")
class MeetingCreateError(MutationError):
    code: MeetingCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `meetingCreate`.")
class MeetingCreatePayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The new meeting.")
    errors: list[MeetingCreateError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="Join a meeting as a member of its organization.")
class MeetingJoinInput:
    meeting_id: strawberry.ID | None = strawberry.field(
        default=None, description="The meeting; or give its `number`."
    )
    number: str | None = strawberry.field(
        default=None, description="Its nine digits (spaces and dashes are ignored)."
    )
    passcode: str | None = strawberry.field(
        default=None, description="Needed if it has one and you are not invited."
    )


@strawberry.enum(description="Why `meetingJoin` failed.")
class MeetingJoinErrorCode(Enum):
    WRONG_PASSCODE = error_code(
        MeetingsErrorCode.WRONG_PASSCODE, "The passcode is missing or wrong."
    )
    MEETING_LOCKED = MEETING_LOCKED
    MEETING_ENDED = MEETING_ENDED
    MEETING_FULL = MEETING_FULL
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "A host removed you from this meeting.")
    NOT_FOUND = MEETING_NOT_FOUND


@strawberry.type(description="A reason why `meetingJoin` failed.")
class MeetingJoinError(MutationError):
    code: MeetingJoinErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(
    description="You are in (or in the lobby: `participant.state`). Subscribe to "
    "`meetingEvents` now; in a mesh, send an OFFER to each participant listed."
)
class MeetingJoinPayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting.")
    participant: MeetingParticipant | None = strawberry.field(
        default=None, description="You in it."
    )
    participants: list[MeetingParticipant] | None = strawberry.field(
        default=None, description="Everyone else in it now (not the lobby)."
    )
    ice_servers: list[IceServer] | None = strawberry.field(
        default=None,
        description="For your RTCPeerConnection: STUN, and TURN with credentials that expire.",
    )
    guest_token: str | None = strawberry.field(
        default=None,
        description="`meetingJoinAsGuest` only: your bearer token for this meeting (send it "
        "as `Authorization: Bearer …` or in the WebSocket's connection_init). It stops "
        "working when you leave.",
    )
    errors: list[MeetingJoinError] = strawberry.field(description="Why you are not in.")


async def _joined(info: Info, joined: Joined) -> dict[str, Any]:
    others = [
        p
        for p in await queries.participants_of(joined.meeting, None)
        if p.id != joined.participant.id
    ]
    return {
        "meeting": Meeting.from_model(joined.meeting),
        "participant": MeetingParticipant.from_model(joined.participant),
        "participants": [MeetingParticipant.from_model(p) for p in others],
        "ice_servers": [IceServer.of(s) for s in ice_servers(str(joined.participant.id))],
        "guest_token": joined.guest_token,
    }


@strawberry.input(description="Join a meeting from outside its organization, with its link.")
class MeetingJoinAsGuestInput:
    link: str = strawberry.field(description="The meeting's `joinUrl`, as you were given it.")
    display_name: str = strawberry.field(description="1 to 64 characters others will see.")


@strawberry.enum(description="Why `meetingLeave` failed.")
class MeetingLeaveErrorCode(Enum):
    NOT_IN_MEETING = NOT_IN_MEETING
    NOT_FOUND = MEETING_NOT_FOUND


@strawberry.type(description="A reason why `meetingLeave` failed.")
class MeetingLeaveError(MutationError):
    code: MeetingLeaveErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `meetingLeave`.")
class MeetingLeavePayload:
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting.")
    errors: list[MeetingLeaveError] = strawberry.field(description="Why you did not leave.")


@strawberry.input(description="A WebRTC signal for one participant (or the SFU).")
class MeetingSignalInput:
    meeting_id: strawberry.ID = strawberry.field(description="A meeting you are in.")
    to: strawberry.ID | None = strawberry.field(
        default=None,
        description="The participant it is for; omitted in an SFU meeting: it is for the SFU "
        "(your publisher OFFER, your ANSWER to its latest offer, a candidate of either "
        "connection by its usernameFragment, or RENEGOTIATE to get a fresh offer).",
    )
    kind: SignalKindEnum = strawberry.field(description="What `payload` is.")
    payload: str = strawberry.field(description="The SDP, candidate or reason (see `kind`).")


@strawberry.enum(description="Why `meetingSignal` failed.")
class MeetingSignalErrorCode(Enum):
    INVALID_SDP = error_code(
        MeetingsErrorCode.INVALID_SDP,
        "`payload` is not a WebRTC session description (`message` says where); not relayed.",
    )
    INVALID_CANDIDATE = error_code(
        MeetingsErrorCode.INVALID_CANDIDATE,
        "`payload` is not an RTCIceCandidateInit with an RFC 8839 candidate; not relayed.",
    )
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED,
        "You sent more signals than allowed per second; wait `retryAfter` and send again.",
    )
    NOT_IN_MEETING = NOT_IN_MEETING
    SFU_UNAVAILABLE = SFU_UNAVAILABLE
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The meeting, or the participant `to` in it now, does not exist or you cannot see it.",
    )
    SERVICE_UNAVAILABLE = error_code(
        CoreErrorCode.SERVICE_UNAVAILABLE,
        "Signals cannot be relayed in order right now (Redis, which relays and numbers them "
        "across processes, is unreachable); not relayed: send it again after `retryAfter`.",
    )


@strawberry.type(description="A reason why `meetingSignal` failed.")
class MeetingSignalError(MutationError):
    code: MeetingSignalErrorCode = strawberry.field(description="What went wrong, for programs.")
    retry_after: float | None = strawberry.field(
        default=None,
        description="THROTTLED, SERVICE_UNAVAILABLE: seconds to wait before sending again; "
        "null otherwise.",
    )


@strawberry.type(description="The result of `meetingSignal`: relayed (never stored).")
class MeetingSignalPayload:
    seq: int | None = strawberry.field(
        default=None, description="Its number among your signals to that participant."
    )
    errors: list[MeetingSignalError] = strawberry.field(description="Why it was not relayed.")


# The stream's events.


@strawberry.type(
    description="The meeting as it is now: the first event of `meetingEvents`, and again "
    "after live events were interrupted (replace what you show with it)."
)
class MeetingSyncEvent:
    meeting: Meeting = strawberry.field(description="The meeting.")
    participants: list[MeetingParticipant] = strawberry.field(
        description="Who is in it (hosts also see the lobby)."
    )
    you: MeetingParticipant = strawberry.field(description="You.")


@strawberry.enum(name="ParticipantChange", description="What happened to a participant.")
class ParticipantChangeEnum(Enum):
    JOINED = strawberry.enum_value(
        "JOINED", description="Came in (or joined again from another device: a new session)."
    )
    LEFT = strawberry.enum_value("LEFT", description="Left (or their connection was lost).")
    WAITING = strawberry.enum_value("WAITING", description="Waits in the lobby.")
    ADMITTED = strawberry.enum_value("ADMITTED", description="Admitted from the lobby.")
    REMOVED = strawberry.enum_value("REMOVED", description="Removed or refused by a host.")
    UPDATED = strawberry.enum_value("UPDATED", description="Muted, hand, sharing or role changed.")


@strawberry.type(description="A participant changed.")
class MeetingParticipantEvent:
    participant_change: ParticipantChangeEnum = strawberry.field(description="What happened.")
    participant: MeetingParticipant = strawberry.field(description="Them, after it.")
    revision: int = strawberry.field(description="The meeting's revision with it.")
    actor_id: strawberry.ID | None = strawberry.field(
        description="The participant who did it (a host), if not they themselves."
    )


@strawberry.enum(name="MeetingChange", description="What happened to a meeting.")
class MeetingChangeEnum(Enum):
    STARTED = strawberry.enum_value("STARTED", description="Someone came in first.")
    UPDATED = strawberry.enum_value("UPDATED", description="Locked, unlocked or settings.")
    HOST_CHANGED = strawberry.enum_value("HOST_CHANGED", description="A new host.")
    MODE_CHANGED = strawberry.enum_value(
        "MODE_CHANGED",
        description="Moved to the SFU: publish to it and subscribe through it (see `mode`).",
    )
    ENDED = strawberry.enum_value("ENDED", description="Ended for everyone: the stream ends.")


@strawberry.type(description="The meeting changed.")
class MeetingChangedEvent:
    meeting_change: MeetingChangeEnum = strawberry.field(description="What happened.")
    revision: int = strawberry.field(description="The meeting's revision with it.")
    meeting_id: strawberry.Private[int]

    @strawberry.field(description="The meeting, after it.")
    async def meeting(self, info: Info) -> Meeting:
        found = await _meeting(info, self.meeting_id)
        if found is None:  # a subscriber is a participant, who sees it
            raise MeetingNotFound()
        return found


@strawberry.type(description="A WebRTC signal for you.")
class MeetingSignalEvent:
    kind: SignalKindEnum = strawberry.field(description="What `payload` is.")
    payload: str = strawberry.field(description="The SDP, candidate or reason.")
    seq: int = strawberry.field(
        description="Its number among the sender's signals to you (delivered in this order)."
    )
    from_id: strawberry.ID | None = strawberry.field(
        description="The sending participant; null for the SFU."
    )
    from_session: int = strawberry.field(description="The sender's session.")


@strawberry.enum(name="MeetingStreamEndReason", description="Why `meetingEvents` ended.")
class MeetingStreamEndReasonEnum(Enum):
    LEFT = strawberry.enum_value("LEFT", description="You left.")
    REMOVED = strawberry.enum_value("REMOVED", description="A host removed or refused you.")
    REPLACED = strawberry.enum_value(
        "REPLACED", description="You joined from another device; this one is out."
    )
    ENDED = strawberry.enum_value("ENDED", description="The meeting ended.")


@strawberry.type(description="The last event of `meetingEvents`: why it ends.")
class MeetingStreamEndedEvent:
    reason: MeetingStreamEndReasonEnum = strawberry.field(description="Why.")


MeetingEvent = Annotated[
    MeetingSyncEvent
    | MeetingParticipantEvent
    | MeetingChangedEvent
    | MeetingSignalEvent
    | MeetingReactionEvent
    | MeetingRecordingEvent
    | MeetingStreamEndedEvent,
    strawberry.union("MeetingEvent", description="What `meetingEvents` streams."),
]


def to_meeting_event(event: MeetingChannelEvent | MeetingSignal) -> Any:
    if event["type"] == MeetingsEventKind.SIGNAL:
        return MeetingSignalEvent(
            kind=SignalKindEnum[event["kind"]],
            payload=event["payload"],
            seq=event["seq"],
            from_id=global_id("MeetingParticipant", event["fromId"])
            if event["fromId"] != SFU
            else None,
            from_session=event["fromSession"],
        )
    if event["type"] == MeetingsEventKind.PARTICIPANT:
        actor = event["actorId"]
        return MeetingParticipantEvent(
            participant_change=ParticipantChangeEnum[event["change"]],
            participant=MeetingParticipant.from_snapshot(event["participant"]),
            revision=event["revision"],
            actor_id=global_id("MeetingParticipant", actor) if actor is not None else None,
        )
    if event["type"] == MeetingsEventKind.MEETING:
        return MeetingChangedEvent(
            meeting_change=MeetingChangeEnum[event["change"]],
            revision=event["revision"],
            meeting_id=event["meetingId"],
        )
    if event["type"] == MeetingsEventKind.REACTION:
        return MeetingReactionEvent(
            emoji=event["emoji"],
            participant_id=global_id("MeetingParticipant", event["participantId"]),
        )
    if event["type"] == MeetingsEventKind.RECORDING:
        return to_recording_event(event)
    return None


@strawberry.type
class MeetingsQuery:
    @strawberry.field(
        description="A meeting you can see, by global ID; null otherwise.",
        directives=needs("meetings:read"),
    )
    async def meeting(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Meeting | None:
        pk = decode_id(id, "Meeting")
        return await _meeting(info, pk) if pk is not None else None


@strawberry.type
class MeetingsMutation:
    @strawberry.mutation(
        description="Create an instant meeting hosted by you (then `meetingJoin` it).",
        directives=needs("meetings:write"),
    )
    async def meeting_create(
        self, info: Info, input: Annotated[MeetingCreateInput, INPUT]
    ) -> MeetingCreatePayload:
        action = check_meeting_create(
            info.context,
            topic=input.topic,
            passcode=input.passcode,
            lobby_policy=LobbyPolicy(input.lobby_policy.name),
            chat_id=require_id(input.chat_id, "Chat", "chatId"),
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            MeetingCreatePayload,
            MeetingCreateError,
            action,
            lambda row: {"meeting": Meeting.from_model(row)},
        )

    @strawberry.mutation(
        description="Join a meeting (or wait in its lobby), by ID or number. Joining again "
        "from another device takes over from the first.",
        directives=needs("meetings:write"),
    )
    async def meeting_join(
        self, info: Info, input: Annotated[MeetingJoinInput, INPUT]
    ) -> MeetingJoinPayload:
        action = check_meeting_join(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            number=input.number,
            passcode=input.passcode,
        )

        async def joined() -> dict[str, Any]:
            return await _joined(info, await action)

        return await mutate(MeetingJoinPayload, MeetingJoinError, joined(), lambda d: d)

    @strawberry.mutation(
        description="Join a meeting from outside its organization with its link and a name. "
        "Needs no sign-in; answers a guest token for this meeting only."
    )
    async def meeting_join_as_guest(
        self, info: Info, input: Annotated[MeetingJoinAsGuestInput, INPUT]
    ) -> MeetingJoinPayload:
        action = check_meeting_join_as_guest(
            info.context, link=input.link, display_name=input.display_name
        )

        async def joined() -> dict[str, Any]:
            return await _joined(info, await action)

        return await mutate(MeetingJoinPayload, MeetingJoinError, joined(), lambda d: d)

    @strawberry.mutation(
        description="Leave a meeting (or its lobby). The last person out ends it.",
        directives=needs("meetings:write"),
    )
    async def meeting_leave(
        self, info: Info, meeting_id: Annotated[strawberry.ID, MEETING_ID]
    ) -> MeetingLeavePayload:
        action = check_meeting_leave(
            info.context, meeting_id=require_id(meeting_id, "Meeting", "meetingId")
        )
        return await mutate(
            MeetingLeavePayload,
            MeetingLeaveError,
            action,
            lambda row: {"meeting": Meeting.from_model(row)},
        )

    @strawberry.mutation(
        description="Relay a WebRTC signal to one participant (or the SFU); never stored. "
        "Each sender's signals reach their addressee in the order sent.",
        directives=needs("meetings:write"),
    )
    async def meeting_signal(
        self, info: Info, input: Annotated[MeetingSignalInput, INPUT]
    ) -> MeetingSignalPayload:
        action = check_meeting_signal(
            info.context,
            meeting_id=require_id(input.meeting_id, "Meeting", "meetingId"),
            to=require_id(input.to, "MeetingParticipant", "to"),
            kind=SignalKind(input.kind.name),
            payload=input.payload,
        )
        return await mutate(
            MeetingSignalPayload, MeetingSignalError, action, lambda r: {"seq": r.seq}
        )


@strawberry.type
class MeetingsSubscription:
    @strawberry.subscription(
        description="Your view of a meeting, live: its state first, then signals for you and "
        "every change. It is your presence: close it and you leave the meeting.",
        directives=needs("meetings:read"),
    )
    async def meeting_events(
        self, info: Info, meeting_id: Annotated[strawberry.ID, MEETING_ID]
    ) -> AsyncGenerator[MeetingEvent, None]:
        async for item in meeting_events(
            info.context, require_id(meeting_id, "Meeting", "meetingId")
        ):
            if isinstance(item, MeetingSync):
                yield MeetingSyncEvent(
                    meeting=Meeting.from_model(item.meeting),
                    participants=[MeetingParticipant.from_model(p) for p in item.participants],
                    you=MeetingParticipant.from_model(item.you),
                )
                continue
            if isinstance(item, MeetingStreamEnded):
                yield MeetingStreamEndedEvent(reason=MeetingStreamEndReasonEnum[item.reason])
                return
            if item["type"] == MeetingsEventKind.SIGNAL:
                yield to_meeting_event(item)  # one subscriber's own: nothing to share
                continue
            converted = shared_event(info, item, to_meeting_event)
            if converted is not None:
                yield converted
