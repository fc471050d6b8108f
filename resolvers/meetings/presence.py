"""Who is still there: a participant's open ``meetingEvents`` stream touches its row every
``heartbeat_seconds()`` (setting ``meetings_heartbeat_seconds``, 15 s); one that has not been
touched for ``stale_seconds()`` (``meetings_stale_seconds``, 45 s: its process died, its
network went without a close) is taken out of the meeting (LEFT) by the next heartbeat of
anyone else in it (and by the next join), so nobody waits for a peer that is gone.

Presence is the database row, not Redis: it survives a Redis outage, and a process killed
with SIGKILL (no stream closes, nobody leaves) is noticed by the others' heartbeats within
``stale_seconds() + heartbeat_seconds()``."""

from __future__ import annotations

from datetime import timedelta

from adapters.settings import get_settings
from models.meetings import MeetingParticipant, ParticipantRole, ParticipantState
from resolvers.core.clock import now
from resolvers.meetings.state import do_leave, do_meeting_change


def heartbeat_seconds() -> float:
    return get_settings().meetings_heartbeat_seconds


def stale_seconds() -> float:
    return get_settings().meetings_stale_seconds


async def do_touch(participant_id: int, session: int) -> bool:
    """Mark the participant seen; False when ``session`` is no longer theirs or they are out
    (the stream should end)."""
    changed = await MeetingParticipant.filter(
        id=participant_id,
        session=session,
        state__in=[ParticipantState.JOINED, ParticipantState.LOBBY],
    ).update(last_seen_at=now())
    return changed > 0


async def do_reap(meeting_id: int) -> int:
    """Take the participants nobody has seen for ``stale_seconds()`` out; how many."""
    cutoff = now() - timedelta(seconds=stale_seconds())
    stale = await MeetingParticipant.filter(
        meeting_id=meeting_id,
        state__in=[ParticipantState.JOINED, ParticipantState.LOBBY],
        last_seen_at__lt=cutoff,
        role__not=ParticipantRole.RECORDER,
    ).values_list("id", flat=True)
    if not stale:
        return 0
    async with do_meeting_change(meeting_id) as change:
        rows = await MeetingParticipant.filter(id__in=list(stale), last_seen_at__lt=cutoff).all()
        for p in rows:
            if p.state in (ParticipantState.JOINED, ParticipantState.LOBBY):
                await do_leave(change, p)
    return len(rows)
