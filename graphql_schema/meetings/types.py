"""Video meetings' types: the meeting, its participants, its history and recordings, and the
ICE servers a participant gets."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.node import VisibleNode, global_id
from graphql_schema.drive.types import File
from graphql_schema.identity.types import User, visible_user
from models import meetings as m
from resolvers.core.clock import now
from resolvers.drive.access import visible_items
from resolvers.meetings import history, queries
from resolvers.meetings.ice import IceServer as IceServerRow
from resolvers.meetings.join import join_link


@strawberry.enum(name="MeetingKind", description="How a meeting came about.")
class MeetingKindEnum(Enum):
    INSTANT = strawberry.enum_value("INSTANT", description="Started now (from a chat, say).")
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="Created with a calendar event.")


@strawberry.enum(name="MeetingStatus", description="Where a meeting stands.")
class MeetingStatusEnum(Enum):
    WAITING = strawberry.enum_value("WAITING", description="Nobody has joined yet.")
    LIVE = strawberry.enum_value("LIVE", description="Someone is in it.")
    ENDED = strawberry.enum_value("ENDED", description="Ended (a scheduled one may start again).")


@strawberry.enum(name="MeetingMode", description="How media flows.")
class MeetingModeEnum(Enum):
    MESH = strawberry.enum_value(
        "MESH", description="Peer to peer: send an OFFER to each participant who was there first."
    )
    SFU = strawberry.enum_value(
        "SFU",
        description="Through the media server: send your OFFER with `to` omitted (its ANSWER "
        "comes from the SFU, `fromId` null); each OFFER the SFU sends covers everyone who "
        "publishes: answer it (`to` omitted) on a new connection replacing the one of its "
        "former offer. A fresh offer comes when someone starts publishing or leaves (ask for "
        "one with RENEGOTIATE). Each track's stream id (msid) is its publisher's participant ID.",
    )


@strawberry.enum(name="LobbyPolicy", description="Who waits to be admitted.")
class LobbyPolicyEnum(Enum):
    NOBODY = strawberry.enum_value("NOBODY", description="Nobody waits.")
    GUESTS = strawberry.enum_value("GUESTS", description="Guests from outside wait (default).")
    EVERYONE = strawberry.enum_value("EVERYONE", description="All but hosts and co-hosts wait.")


@strawberry.enum(name="MeetingRole", description="A participant's role.")
class MeetingRoleEnum(Enum):
    HOST = strawberry.enum_value("HOST", description="Runs the meeting (one at a time).")
    COHOST = strawberry.enum_value("COHOST", description="Has the host's controls.")
    ATTENDEE = strawberry.enum_value("ATTENDEE", description="Takes part.")
    RECORDER = strawberry.enum_value("RECORDER", description="The server's recording peer.")


@strawberry.enum(name="ParticipantState", description="Where a participant stands.")
class ParticipantStateEnum(Enum):
    LOBBY = strawberry.enum_value("LOBBY", description="Waiting to be admitted.")
    JOINED = strawberry.enum_value("JOINED", description="In the meeting.")
    LEFT = strawberry.enum_value("LEFT", description="Left (may join again).")
    REMOVED = strawberry.enum_value("REMOVED", description="Removed or refused by a host.")


@strawberry.enum(name="RecordingState", description="Where a recording stands.")
class RecordingStateEnum(Enum):
    RECORDING = strawberry.enum_value("RECORDING", description="Recording now.")
    STOPPING = strawberry.enum_value("STOPPING", description="Stopped: the file is closing.")
    UPLOADING = strawberry.enum_value("UPLOADING", description="Being stored in Drive.")
    READY = strawberry.enum_value("READY", description="In Drive: see `file`.")
    FAILED = strawberry.enum_value("FAILED", description="Failed: see `error`.")


@strawberry.type(description="A STUN or TURN server for your RTCPeerConnection's iceServers.")
class IceServer:
    urls: list[str] = strawberry.field(description="`stun:` or `turn:` URLs.")
    username: str | None = strawberry.field(
        description="TURN only: a username that expires (TURN REST convention)."
    )
    credential: str | None = strawberry.field(description="TURN only: its credential.")

    @classmethod
    def of(cls, row: IceServerRow) -> IceServer:
        return cls(urls=row.urls, username=row.username, credential=row.credential)


@strawberry.type(description="Someone in a meeting (or waiting in its lobby, or who was).")
class MeetingParticipant(VisibleNode):
    id: relay.NodeID[int]
    display_name: str = strawberry.field(description="The name shown in the meeting.")
    role: MeetingRoleEnum = strawberry.field(description="Host, co-host, attendee, recorder.")
    state: ParticipantStateEnum = strawberry.field(description="Lobby, joined, left, removed.")
    is_guest: bool = strawberry.field(description="A guest from outside the organization.")
    session: int = strawberry.field(
        description="Grows with each join: a join from another device takes over. Signals "
        "go to the newest session."
    )
    audio_muted: bool = strawberry.field(description="Microphone off.")
    video_muted: bool = strawberry.field(description="Camera off.")
    muted_by_host: bool = strawberry.field(
        description="A host muted them: their client mutes and stays so until they unmute."
    )
    hand_raised_at: datetime | None = strawberry.field(description="When they raised a hand.")
    sharing: bool = strawberry.field(description="Sharing their screen.")
    joined_at: datetime | None = strawberry.field(description="Since when they are in.")
    user_id: strawberry.Private[int | None]

    fetch_visible = staticmethod(queries.visible_participants)

    @classmethod
    def from_model(cls, p: m.MeetingParticipant) -> MeetingParticipant:
        return cls(
            id=p.id,
            display_name=p.display_name,
            role=MeetingRoleEnum[str(p.role)],
            state=ParticipantStateEnum[str(p.state)],
            is_guest=p.user_id is None and p.role != m.ParticipantRole.RECORDER,
            session=p.session,
            audio_muted=p.audio_muted,
            video_muted=p.video_muted,
            muted_by_host=p.muted_by_host,
            hand_raised_at=p.hand_raised_at,
            sharing=p.sharing,
            joined_at=p.joined_at,
            user_id=p.user_id,
        )

    @classmethod
    def from_snapshot(cls, s: Any) -> MeetingParticipant:
        return cls(
            id=s["id"],
            display_name=s["displayName"],
            role=MeetingRoleEnum[s["role"]],
            state=ParticipantStateEnum[s["state"]],
            is_guest=s["userId"] is None and s["role"] != "RECORDER",
            session=s["session"],
            audio_muted=s["audioMuted"],
            video_muted=s["videoMuted"],
            muted_by_host=s["mutedByHost"],
            hand_raised_at=datetime.fromisoformat(s["handRaisedAt"]) if s["handRaisedAt"] else None,
            sharing=s["sharing"],
            joined_at=datetime.fromisoformat(s["joinedAt"]) if s["joinedAt"] else None,
            user_id=s["userId"],
        )

    @strawberry.field(description="Their account; null for guests, and for a guest viewer.")
    async def user(self, info: Info) -> User | None:
        if info.context.principal is None:
            return None
        return await visible_user(info, self.user_id)


@strawberry.type(description="Someone in the meeting reacted (relayed, never stored).")
class MeetingReactionEvent:
    emoji: str = strawberry.field(description="One emoji.")
    participant_id: strawberry.ID = strawberry.field(description="Who reacted.")


@strawberry.type(description="One stretch of time someone was in a meeting.")
class MeetingAttendance:
    joined_at: datetime = strawberry.field(description="When they came in.")
    left_at: datetime | None = strawberry.field(description="When they left; null if still in.")
    participant_id: strawberry.Private[int]

    @strawberry.field(description="Who.")
    async def participant(self, info: Info) -> MeetingParticipant | None:
        found = (await queries.visible_participants(info.context, [self.participant_id]))[0]
        return MeetingParticipant.from_model(found) if found is not None else None


@strawberry.type(description="A recording of a meeting and the Drive file it became.")
class MeetingRecording(VisibleNode):
    id: relay.NodeID[int]
    state: RecordingStateEnum = strawberry.field(description="Where it stands.")
    started_at: datetime = strawberry.field(description="When recording started.")
    stopped_at: datetime | None = strawberry.field(description="When it stopped.")
    duration_ms: int | None = strawberry.field(description="Its length, once stopped.")
    bytes: float = strawberry.field(description="Its size so far.")
    error: str | None = strawberry.field(description="Why it failed.")
    file_id: strawberry.Private[int | None]

    fetch_visible = staticmethod(queries.visible_recordings)

    @classmethod
    def from_model(cls, r: m.MeetingRecording) -> MeetingRecording:
        return cls(
            id=r.id,
            state=RecordingStateEnum[str(r.state)],
            started_at=r.started_at,
            stopped_at=r.stopped_at,
            duration_ms=r.duration_ms,
            bytes=float(r.bytes),
            error=r.error,
            file_id=r.file_id,
        )

    @strawberry.field(
        description="The Drive file it became, once READY, as Drive shows it to you (in the "
        "host's `Meeting recordings` folder, shared with those who attended); null before, "
        "and when you cannot see it."
    )
    async def file(self, info: Info) -> File | None:
        if self.file_id is None or info.context.principal is None:
            return None
        item = (await visible_items(info.context, [self.file_id]))[0]
        return File.from_model(item) if item is not None else None


@strawberry.type(description="A video meeting.")
class Meeting(VisibleNode):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="Nine digits people type to join.")
    topic: str = strawberry.field(description="What it is about.")
    kind: MeetingKindEnum = strawberry.field(description="Instant or scheduled.")
    status: MeetingStatusEnum = strawberry.field(description="Waiting, live or ended.")
    mode: MeetingModeEnum = strawberry.field(description="Mesh or SFU.")
    locked: bool = strawberry.field(description="A locked meeting admits nobody new.")
    lobby_policy: LobbyPolicyEnum = strawberry.field(description="Who waits to be admitted.")
    allow_multiple_shares: bool = strawberry.field(
        description="More than one participant may share a screen at a time."
    )
    revision: int = strawberry.field(description="Grows with every change of its state.")
    started_at: datetime | None = strawberry.field(description="When it (last) started.")
    ended_at: datetime | None = strawberry.field(description="When it ended.")
    created_at: datetime = strawberry.field(description="When it was created.")
    model: strawberry.Private[m.Meeting]

    fetch_visible = staticmethod(queries.visible_meetings)

    @classmethod
    def from_model(cls, row: m.Meeting) -> Meeting:
        return cls(
            id=row.id,
            number=row.number,
            topic=row.topic,
            kind=MeetingKindEnum[str(row.kind)],
            status=MeetingStatusEnum[str(row.status)],
            mode=MeetingModeEnum[str(row.mode)],
            locked=row.locked,
            lobby_policy=LobbyPolicyEnum[str(row.lobby_policy)],
            allow_multiple_shares=row.allow_multiple_shares,
            revision=row.revision,
            started_at=row.started_at,
            ended_at=row.ended_at,
            created_at=row.created_at,
            model=row,
        )

    @strawberry.field(description="The host; null for a guest viewer.")
    async def host(self, info: Info) -> User | None:
        if info.context.principal is None:
            return None
        return await visible_user(info, self.model.host_id)

    @strawberry.field(description="The passcode; null for guests (their link lets them in).")
    def passcode(self, info: Info) -> str | None:
        return self.model.passcode if info.context.principal is not None else None

    @strawberry.field(
        description="The link that lets guests from outside in (with `meetingJoinAsGuest`); "
        "null for guests."
    )
    def join_url(self, info: Info) -> str | None:
        if info.context.principal is None:
            return None
        return join_link(self.model, str(info.context.request.base_url))

    @strawberry.field(
        description="The meeting chat (a Messenger chat: read it with `chat(id:)`, where you "
        "are a member once you joined); null for guests."
    )
    def chat_id(self, info: Info) -> strawberry.ID | None:
        if info.context.principal is None or self.model.chat_id is None:
            return None
        return global_id("Chat", self.model.chat_id)

    @strawberry.field(description="The calendar event it was created with, if scheduled.")
    def event_id(self, info: Info) -> strawberry.ID | None:
        if info.context.principal is None or self.model.event_id is None:
            return None
        return global_id("Event", self.model.event_id)

    @strawberry.field(
        description="Who is in it now, by when they first joined; hosts and co-hosts also see "
        "who waits in the lobby."
    )
    async def participants(self, info: Info) -> list[MeetingParticipant]:
        viewer = await queries.viewer_participant(info.context, self.model)
        rows = await queries.participants_of(self.model, viewer)
        return [MeetingParticipant.from_model(p) for p in rows]

    @strawberry.field(description="You in this meeting, if you joined it (or wait to).")
    async def viewer_participant(self, info: Info) -> MeetingParticipant | None:
        p = await queries.viewer_participant(info.context, self.model)
        return MeetingParticipant.from_model(p) if p is not None else None

    @strawberry.field(
        description="How long it lasted in seconds (until now while it is live); null before "
        "it started."
    )
    def duration_seconds(self) -> int | None:
        if self.model.started_at is None:
            return None
        end = self.model.ended_at or now()
        return max(0, int((end - self.model.started_at).total_seconds()))

    @strawberry.field(
        description="Who was in it when, every stretch by when it began: everyone's for its "
        "host and co-hosts, your own for others; empty for guests."
    )
    async def attendance(self, info: Info) -> list[MeetingAttendance]:
        rows = await history.attendance_seen(info.context, self.model)
        return [
            MeetingAttendance(
                joined_at=a.joined_at, left_at=a.left_at, participant_id=a.participant_id
            )
            for a in rows
        ]

    @strawberry.field(description="Its recordings, newest first; empty for guests.")
    async def recordings(self, info: Info) -> list[MeetingRecording]:
        rows = await history.recordings_seen(info.context, self.model)
        return [MeetingRecording.from_model(r) for r in rows]


def _request_loader(info: Info, name: str, fetch: Any) -> Any:
    """A DataLoader over ``fetch(ctx, keys)``, made once per request."""
    ctx = info.context

    def make() -> Any:
        async def batch(keys: list[int]) -> Any:
            return await fetch(ctx, keys)

        return batch

    return ctx.loaders.get(ctx.per_request(f"meetings.types.{name}", make))


async def meeting_of_event(info: Info, event_id: int) -> Meeting | None:
    """The video meeting of a calendar event (its meeting link), if any and visible."""
    found = await _request_loader(info, "events", queries.meetings_of_events).load(event_id)
    return Meeting.from_model(found) if found is not None else None


async def meeting_of_card(info: Info, message_id: int) -> Meeting | None:
    """The meeting a chat message is the card of, if any and visible."""
    found = await _request_loader(info, "cards", queries.meetings_of_cards).load(message_id)
    return Meeting.from_model(found) if found is not None else None
