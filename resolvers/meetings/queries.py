"""Reads of Video meetings, tenancy-checked: another organization's meeting, and one the
asker may not see (``access.can_see``), is None exactly like one that does not exist."""

from __future__ import annotations

from collections.abc import Sequence

from models.meetings import (
    Meeting,
    MeetingParticipant,
    MeetingRecording,
    ParticipantRole,
    ParticipantState,
)
from resolvers.core.context import Context
from resolvers.core.loaders import by_key
from resolvers.meetings.access import actor_ids, can_see


async def _seen_by(ctx: Context, meetings: list[Meeting]) -> list[Meeting]:
    user_id, org_id, guest_meeting = actor_ids(ctx)
    out = []
    for m in meetings:
        if m.organization_id != org_id:
            continue
        if guest_meeting is not None:
            if m.id == guest_meeting:
                out.append(m)
            continue
        assert user_id is not None
        if await can_see(m, user_id):
            out.append(m)
    return out


async def visible_meetings(ctx: Context, ids: list[int]) -> Sequence[Meeting | None]:
    rows = await Meeting.filter(id__in=ids)
    return by_key(await _seen_by(ctx, rows), ids)


async def visible_participants(ctx: Context, ids: list[int]) -> Sequence[MeetingParticipant | None]:
    rows = await MeetingParticipant.filter(id__in=ids)
    meetings = {m.id for m in await visible_meetings(ctx, list({p.meeting_id for p in rows})) if m}
    return by_key([p for p in rows if p.meeting_id in meetings], ids)


async def visible_recordings(ctx: Context, ids: list[int]) -> Sequence[MeetingRecording | None]:
    rows = await MeetingRecording.filter(id__in=ids)
    meetings = {m.id for m in await visible_meetings(ctx, list({r.meeting_id for r in rows})) if m}
    return by_key([r for r in rows if r.meeting_id in meetings], ids)


async def participants_of(
    meeting: Meeting, viewer: MeetingParticipant | None
) -> list[MeetingParticipant]:
    """Who is in the meeting now; hosts and co-hosts also see who waits in the lobby."""
    states = [ParticipantState.JOINED]
    if viewer is not None and viewer.role in (ParticipantRole.HOST, ParticipantRole.COHOST):
        states.append(ParticipantState.LOBBY)
    return await MeetingParticipant.filter(meeting_id=meeting.id, state__in=states).order_by("id")


async def viewer_participant(ctx: Context, meeting: Meeting) -> MeetingParticipant | None:
    user_id, _, _ = actor_ids(ctx)
    if user_id is None:
        assert ctx.guest is not None
        return await MeetingParticipant.filter(id=ctx.guest.participant_id).first()
    return await MeetingParticipant.filter(meeting_id=meeting.id, user_id=user_id).first()


async def meetings_of_events(ctx: Context, event_ids: list[int]) -> Sequence[Meeting | None]:
    """The meeting of each event (by the event, or the series it belongs to), as the asker
    may see it."""
    rows = await Meeting.filter(event_id__in=event_ids)
    seen = {m.event_id: m for m in await _seen_by(ctx, rows)}
    return [seen.get(e) for e in event_ids]


async def meetings_of_cards(ctx: Context, message_ids: list[int]) -> Sequence[Meeting | None]:
    """The meeting each message is the card of, as the asker may see it."""
    rows = await Meeting.filter(card_message_id__in=message_ids)
    seen = {m.card_message_id: m for m in await _seen_by(ctx, rows)}
    return [seen.get(m) for m in message_ids]
