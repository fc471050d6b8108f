"""Video meetings' live events on the bus: their kinds and payloads.

A meeting's channel (``channels.meeting_channel``) carries its state changes, each with the
meeting's ``revision`` after it and a snapshot of what changed (so subscribers read nothing);
a participant's channel (``channels.meeting_participant_channel``) carries the signals
addressed to them. Signals and reactions are relayed, never stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from models.meetings import Meeting, MeetingParticipant, MeetingRecording


class MeetingsEventKind(StrEnum):
    SIGNAL = "meetings.signal"
    PARTICIPANT = "meetings.participant"
    MEETING = "meetings.meeting"
    REACTION = "meetings.reaction"
    RECORDING = "meetings.recording"


class SignalKind(StrEnum):
    OFFER = "OFFER"
    ANSWER = "ANSWER"
    ICE_CANDIDATE = "ICE_CANDIDATE"
    RENEGOTIATE = "RENEGOTIATE"


class ParticipantChange(StrEnum):
    JOINED = "JOINED"
    LEFT = "LEFT"
    WAITING = "WAITING"
    """Entered the lobby."""
    ADMITTED = "ADMITTED"
    REMOVED = "REMOVED"
    UPDATED = "UPDATED"
    """Muted or unmuted, hand raised or lowered, sharing started or stopped, role changed."""


class MeetingChange(StrEnum):
    STARTED = "STARTED"
    UPDATED = "UPDATED"
    """Locked or unlocked, settings, topic."""
    HOST_CHANGED = "HOST_CHANGED"
    MODE_CHANGED = "MODE_CHANGED"
    """Moved from a mesh to the SFU: renegotiate media through the SFU."""
    ENDED = "ENDED"


class ParticipantSnapshot(TypedDict):
    id: int
    meetingId: int
    userId: int | None
    displayName: str
    role: str
    state: str
    session: int
    audioMuted: bool
    videoMuted: bool
    mutedByHost: bool
    handRaisedAt: str | None
    sharing: bool
    joinedAt: str | None


class MeetingSnapshot(TypedDict):
    id: int
    organizationId: int
    status: str
    mode: str
    hostId: int
    locked: bool
    lobbyPolicy: str
    allowMultipleShares: bool
    topic: str
    revision: int
    startedAt: str | None
    endedAt: str | None


class MeetingSignal(TypedDict):
    """On the addressee's participant channel."""

    type: Literal[MeetingsEventKind.SIGNAL]
    meetingId: int
    organizationId: int
    fromId: int
    """The sending participant, or 0 for the SFU."""
    fromSession: int
    toId: int
    toSession: int
    """The addressee's session the sender saw (an older device of theirs ignores it)."""
    kind: str  # a SignalKind
    payload: str
    seq: int
    """Grows by one per signal of this sender: a receiver delivers a sender's signals in it."""


class ParticipantChanged(TypedDict):
    type: Literal[MeetingsEventKind.PARTICIPANT]
    meetingId: int
    organizationId: int
    revision: int
    change: str  # a ParticipantChange
    participant: ParticipantSnapshot
    actorId: int | None
    """The participant who made the change (a host removing, muting), if not the subject."""


class MeetingChanged(TypedDict):
    type: Literal[MeetingsEventKind.MEETING]
    meetingId: int
    organizationId: int
    revision: int
    change: str  # a MeetingChange
    meeting: MeetingSnapshot
    actorId: int | None


class MeetingReaction(TypedDict):
    type: Literal[MeetingsEventKind.REACTION]
    meetingId: int
    organizationId: int
    participantId: int
    emoji: str


class RecordingChanged(TypedDict):
    """A recording started, progressed (bytes, duration), stopped, is ready (with its file)
    or failed."""

    type: Literal[MeetingsEventKind.RECORDING]
    meetingId: int
    organizationId: int
    recordingId: int
    state: str  # a RecordingState
    durationMs: int | None
    bytes: int
    fileId: int | None
    error: str | None


MeetingChannelEvent = ParticipantChanged | MeetingChanged | MeetingReaction | RecordingChanged
MeetingsEvent = MeetingChannelEvent | MeetingSignal

_KINDS = frozenset(MeetingsEventKind)


def is_meetings_event(event: Mapping[str, Any]) -> TypeGuard[MeetingsEvent]:
    return event.get("type") in _KINDS


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def participant_snapshot(p: MeetingParticipant) -> ParticipantSnapshot:
    return {
        "id": p.id,
        "meetingId": p.meeting_id,
        "userId": p.user_id,
        "displayName": p.display_name,
        "role": str(p.role),
        "state": str(p.state),
        "session": p.session,
        "audioMuted": p.audio_muted,
        "videoMuted": p.video_muted,
        "mutedByHost": p.muted_by_host,
        "handRaisedAt": _iso(p.hand_raised_at),
        "sharing": p.sharing,
        "joinedAt": _iso(p.joined_at),
    }


def meeting_snapshot(m: Meeting) -> MeetingSnapshot:
    return {
        "id": m.id,
        "organizationId": m.organization_id,
        "status": str(m.status),
        "mode": str(m.mode),
        "hostId": m.host_id,
        "locked": m.locked,
        "lobbyPolicy": str(m.lobby_policy),
        "allowMultipleShares": m.allow_multiple_shares,
        "topic": m.topic,
        "revision": m.revision,
        "startedAt": _iso(m.started_at),
        "endedAt": _iso(m.ended_at),
    }


def recording_changed(r: MeetingRecording) -> RecordingChanged:
    return {
        "type": MeetingsEventKind.RECORDING,
        "meetingId": r.meeting_id,
        "organizationId": r.organization_id,
        "recordingId": r.id,
        "state": str(r.state),
        "durationMs": r.duration_ms,
        "bytes": r.bytes,
        "fileId": r.file_id,
        "error": r.error,
    }
