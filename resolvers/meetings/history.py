"""Meeting history, for reports: the meetings the viewer took part in (they were in it at
least once: an attendance interval), newest start first, and who was in each when.

Everyone sees their own intervals; the host and co-hosts of a meeting (and its host of
record) see everyone's. Recordings are listed to members who can see the meeting; whether
one's file opens is Drive's decision (it is shared with those who attended)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

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


_HOSTS = (ParticipantRole.HOST, ParticipantRole.COHOST)
Batch = Callable[[list[int]], Awaitable[Sequence[Any]]]


def _attendance_batch(ctx: Context) -> Batch:
    def make() -> Batch:
        async def load(meeting_ids: list[int]) -> list[list[MeetingAttendance]]:
            user_id, _, _ = actor_ids(ctx)
            out: dict[int, list[MeetingAttendance]] = {m: [] for m in meeting_ids}
            if user_id is None:
                return [out[m] for m in meeting_ids]
            hosts = {
                m.id: m.host_id
                for m in await Meeting.filter(id__in=meeting_ids).only("id", "host_id")
            }
            mine = {
                p.meeting_id: p
                for p in await MeetingParticipant.filter(
                    meeting_id__in=meeting_ids, user_id=user_id
                )
            }
            rows = await MeetingAttendance.filter(meeting_id__in=meeting_ids).order_by(
                "joined_at", "id"
            )
            for a in rows:
                me = mine.get(a.meeting_id)
                sees_all = hosts.get(a.meeting_id) == user_id or (
                    me is not None and me.role in _HOSTS
                )
                if sees_all or (me is not None and a.participant_id == me.id):
                    out[a.meeting_id].append(a)
            return [out[m] for m in meeting_ids]

        return load

    return ctx.per_request("meetings.attendance_fn", make)


def _recordings_batch(ctx: Context) -> Batch:
    def make() -> Batch:
        async def load(meeting_ids: list[int]) -> list[list[MeetingRecording]]:
            out: dict[int, list[MeetingRecording]] = {m: [] for m in meeting_ids}
            user_id, _, _ = actor_ids(ctx)
            if user_id is not None:
                for r in await MeetingRecording.filter(meeting_id__in=meeting_ids).order_by("-id"):
                    out[r.meeting_id].append(r)
            return [out[m] for m in meeting_ids]

        return load

    return ctx.per_request("meetings.recordings_fn", make)


async def attendance_seen(ctx: Context, meeting: Meeting) -> list[MeetingAttendance]:
    """The meeting's intervals the viewer may see, by when they began: all for its hosts,
    their own for others, none for a guest (batched per request)."""
    rows: list[MeetingAttendance] = await ctx.loaders.get(_attendance_batch(ctx)).load(meeting.id)
    return rows


async def recordings_seen(ctx: Context, meeting: Meeting) -> list[MeetingRecording]:
    """The meeting's recordings, newest first; none for a guest (batched per request)."""
    rows: list[MeetingRecording] = await ctx.loaders.get(_recordings_batch(ctx)).load(meeting.id)
    return rows
