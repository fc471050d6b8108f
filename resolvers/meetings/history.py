"""Meeting history, for reports: the meetings the viewer took part in (they were in it at
least once: an attendance interval), newest start first, and who was in each when.

Everyone sees their own intervals; the host and co-hosts of a meeting (and its host of
record) see everyone's. Recordings are listed to members who can see the meeting; whether
one's file opens is Drive's decision (it is shared with those who attended)."""

from __future__ import annotations

from tortoise.expressions import Subquery

from models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingParticipant,
    MeetingRecording,
    ParticipantRole,
)
from resolvers.core.context import Context
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.meetings.access import actor_ids


async def meeting_history(ctx: Context, *, first: int | None, after: str | None) -> Page[Meeting]:
    principal = require_principal(ctx)
    attended = MeetingAttendance.filter(participant__user_id=principal.user_id).values("meeting_id")
    qs = Meeting.filter(
        organization_id=principal.organization_id,
        id__in=Subquery(attended),
        started_at__isnull=False,
    )
    return await paginate(qs, order=["-started_at", "-id"], first=first, after=after)


async def attendance_seen(ctx: Context, meeting: Meeting) -> list[MeetingAttendance]:
    """The meeting's intervals the viewer may see, by when they began: all for its hosts,
    their own for others, none for a guest."""
    user_id, _, _ = actor_ids(ctx)
    if user_id is None:
        return []
    rows = MeetingAttendance.filter(meeting_id=meeting.id)
    if user_id != meeting.host_id:
        me = await MeetingParticipant.filter(meeting_id=meeting.id, user_id=user_id).first()
        if me is None:
            return []
        if me.role not in (ParticipantRole.HOST, ParticipantRole.COHOST):
            rows = rows.filter(participant_id=me.id)
    return await rows.order_by("joined_at", "id")


async def recordings_seen(ctx: Context, meeting: Meeting) -> list[MeetingRecording]:
    """The meeting's recordings, newest first (none for a guest)."""
    user_id, _, _ = actor_ids(ctx)
    if user_id is None:
        return []
    return await MeetingRecording.filter(meeting_id=meeting.id).order_by("-id")
