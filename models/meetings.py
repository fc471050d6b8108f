"""Video meetings (issue 18): meetings, who takes part in them, when each was there, and their
recordings.

Media never touches the database or the application: it flows peer to peer in a small meeting
(MESH) and through Janus (SFU) in a larger one. Hello stores the state a meeting has between
its signals (who is in, muted, sharing, the host), relays the signals themselves on the bus
without storing them, and keeps the history (attendance intervals, recordings)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization, User


class MeetingKind(StrEnum):
    INSTANT = "INSTANT"
    """Started now, from a chat or on its own."""
    SCHEDULED = "SCHEDULED"
    """Created with a calendar event (its meeting link)."""


class MeetingStatus(StrEnum):
    WAITING = "WAITING"
    """Nobody has joined yet (a scheduled meeting before its start)."""
    LIVE = "LIVE"
    ENDED = "ENDED"


class MeetingMode(StrEnum):
    MESH = "MESH"
    """Media peer to peer between every pair of participants."""
    SFU = "SFU"
    """Media through Janus: each participant publishes once and subscribes to the others."""


class LobbyPolicy(StrEnum):
    """Who waits in the lobby until a host or co-host admits them."""

    NOBODY = "NOBODY"
    GUESTS = "GUESTS"
    """Guests from outside the organization (the default)."""
    EVERYONE = "EVERYONE"
    """Everyone but the host and co-hosts."""


class ParticipantRole(StrEnum):
    HOST = "HOST"
    COHOST = "COHOST"
    ATTENDEE = "ATTENDEE"
    RECORDER = "RECORDER"
    """The server-side recording peer (no person)."""


class ParticipantState(StrEnum):
    LOBBY = "LOBBY"
    """Waiting to be admitted."""
    JOINED = "JOINED"
    LEFT = "LEFT"
    REMOVED = "REMOVED"
    """Removed by a host (may not join again) or refused from the lobby."""


class RecordingState(StrEnum):
    RECORDING = "RECORDING"
    STOPPING = "STOPPING"
    """Asked to stop: the recorder is closing its file."""
    UPLOADING = "UPLOADING"
    """The file is closed and a job stores it in Drive."""
    READY = "READY"
    FAILED = "FAILED"


class Meeting(Model):
    """A meeting. ``number`` is what people type or dial (nine digits, unique) and the link
    carries ``link_secret`` so that a guest with the link can join. ``revision`` grows with
    every change of the state and is carried by each state event."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="meetings", on_delete=fields.RESTRICT
    )
    organization_id: int
    number = fields.CharField(max_length=12, unique=True)
    topic = fields.CharField(max_length=255, default="")
    kind = fields.CharEnumField(MeetingKind, max_length=10, default=MeetingKind.INSTANT)
    status = fields.CharEnumField(MeetingStatus, max_length=8, default=MeetingStatus.WAITING)
    mode = fields.CharEnumField(MeetingMode, max_length=4, default=MeetingMode.MESH)
    host: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meetings_hosted", on_delete=fields.RESTRICT
    )
    host_id: int
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meetings_created", on_delete=fields.RESTRICT
    )
    created_by_id: int
    passcode = fields.CharField(max_length=16, null=True)
    """Asked of everyone but the host, invitees and guests with the link, if set."""
    link_secret = fields.CharField(max_length=32)
    lobby_policy = fields.CharEnumField(LobbyPolicy, max_length=8, default=LobbyPolicy.GUESTS)
    locked = fields.BooleanField(default=False)
    """A locked meeting admits nobody new (its participants may rejoin)."""
    allow_multiple_shares = fields.BooleanField(default=False)
    chat_id = fields.BigIntField(null=True)
    """The meeting chat (a Messenger chat): the chat it was started from, or its own."""
    source_chat_id = fields.BigIntField(null=True)
    """The chat it was started from, whose meeting card is ``card_message_id``."""
    card_message_id = fields.BigIntField(null=True)
    event_id = fields.BigIntField(null=True, index=True)
    """The calendar event it was created with (a scheduled meeting)."""
    janus_room = fields.BigIntField(null=True)
    """The Janus VideoRoom of an SFU meeting."""
    revision = fields.BigIntField(default=0)
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "meeting"
        indexes = (("organization_id", "created_at"),)


class MeetingParticipant(Model):
    """One person (or guest, or recorder) in one meeting: one row for their whole time in
    it, whatever devices they join from. ``session`` grows with each join, so a join from
    another device takes over and the stream of the former ends. Signals are addressed to
    a participant."""

    id = fields.BigIntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="participants", on_delete=fields.CASCADE
    )
    meeting_id: int
    organization_id = fields.BigIntField()
    """The organization of the meeting (not of the guest)."""
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meeting_participations", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    display_name = fields.CharField(max_length=64, default="")
    """A guest or recorder name (people show their own)."""
    role = fields.CharEnumField(ParticipantRole, max_length=8, default=ParticipantRole.ATTENDEE)
    state = fields.CharEnumField(ParticipantState, max_length=8, default=ParticipantState.LOBBY)
    session = fields.IntField(default=0)
    guest_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    """The hash of a guest bearer token (hmg_...), which works for this meeting only."""
    audio_muted = fields.BooleanField(default=False)
    video_muted = fields.BooleanField(default=False)
    muted_by_host = fields.BooleanField(default=False)
    """Muted by a host: the client mutes, and unmutes only when the participant chooses to."""
    hand_raised_at = fields.DatetimeField(null=True)
    sharing = fields.BooleanField(default=False)
    janus: Any = fields.JSONField(null=True)
    """The Janus session and handles of this participant in an SFU meeting."""
    joined_at = fields.DatetimeField(null=True)
    """Start of the current attendance (null when not in)."""
    last_seen_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "meeting_participant"
        unique_together = (("meeting_id", "user_id"),)


class MeetingAttendance(Model):
    """One interval of one participant in one meeting (for history and reports)."""

    id = fields.BigIntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="attendance", on_delete=fields.CASCADE
    )
    meeting_id: int
    participant: fields.ForeignKeyRelation[MeetingParticipant] = fields.ForeignKeyField(
        "models.MeetingParticipant", related_name="intervals", on_delete=fields.CASCADE
    )
    participant_id: int
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "meeting_attendance"
        indexes = (("meeting_id", "joined_at"),)


class MeetingRecording(Model):
    """A recording of a meeting, from start to stop, and the Drive file it became."""

    id = fields.BigIntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="recordings", on_delete=fields.CASCADE
    )
    meeting_id: int
    organization_id = fields.BigIntField()
    started_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meeting_recordings", on_delete=fields.RESTRICT
    )
    started_by_id: int
    state = fields.CharEnumField(RecordingState, max_length=10, default=RecordingState.RECORDING)
    started_at = fields.DatetimeField(auto_now_add=True)
    stopped_at = fields.DatetimeField(null=True)
    duration_ms = fields.BigIntField(null=True)
    bytes = fields.BigIntField(default=0)
    file_id = fields.BigIntField(null=True)
    """The Drive file (in the host drive) once READY."""
    job_id = fields.BigIntField(null=True)
    """The background job that records or uploads it now."""
    error = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "meeting_recording"
