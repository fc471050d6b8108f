"""Changing a meeting's state: one transaction that locks the meeting row, bumps its
``revision`` and records the state events it publishes after commit (nothing is published
for a change that rolled back). Every host control, join and leave goes through here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
)
from resolvers.core.channels import meeting_channel
from resolvers.core.clock import now
from resolvers.core.tx import Transaction, transaction
from resolvers.meetings.events import (
    MeetingChange,
    MeetingChanged,
    MeetingsEventKind,
    ParticipantChange,
    ParticipantChanged,
    meeting_snapshot,
    participant_snapshot,
)
from resolvers.meetings.sfu import do_sfu_end, do_sfu_leave

EndedHook = Callable[[Meeting], Awaitable[None]]
_ended_hooks: list[EndedHook] = []


def on_ended(hook: EndedHook) -> EndedHook:
    """Register ``hook(meeting)``, run inside the transaction that ends a meeting."""
    _ended_hooks.append(hook)
    return hook


@dataclass(slots=True)
class Change:
    """A meeting locked for a change, inside its transaction."""

    tx: Transaction
    meeting: Meeting

    async def bump(self) -> int:
        """The meeting's next revision (saved with the meeting)."""
        self.meeting.revision += 1
        await self.meeting.save(update_fields=["revision", "updated_at"])
        return self.meeting.revision

    async def participant(
        self, p: MeetingParticipant, change: ParticipantChange, actor_id: int | None = None
    ) -> None:
        """Save nothing; record that ``p`` changed (saved by the caller), under a new
        revision, for its meeting channel."""
        revision = await self.bump()
        event: ParticipantChanged = {
            "type": MeetingsEventKind.PARTICIPANT,
            "meetingId": self.meeting.id,
            "organizationId": self.meeting.organization_id,
            "revision": revision,
            "change": change,
            "participant": participant_snapshot(p),
            "actorId": actor_id,
        }
        self.tx.publish(meeting_channel(self.meeting.id), event)

    async def changed(self, change: MeetingChange, actor_id: int | None = None) -> None:
        """Save the meeting and record that it changed, under a new revision."""
        self.meeting.revision += 1
        await self.meeting.save()
        event: MeetingChanged = {
            "type": MeetingsEventKind.MEETING,
            "meetingId": self.meeting.id,
            "organizationId": self.meeting.organization_id,
            "revision": self.meeting.revision,
            "change": change,
            "meeting": meeting_snapshot(self.meeting),
            "actorId": actor_id,
        }
        self.tx.publish(meeting_channel(self.meeting.id), event)


@asynccontextmanager
async def do_meeting_change(meeting_id: int) -> AsyncIterator[Change]:
    """Lock the meeting and change it; events go out after commit."""
    async with transaction() as tx:
        meeting = await Meeting.select_for_update().get(id=meeting_id)
        yield Change(tx, meeting)


async def do_close_attendance(p: MeetingParticipant) -> None:
    """End the participant's open attendance interval, if any."""
    await MeetingAttendance.filter(participant_id=p.id, left_at__isnull=True).update(left_at=now())


async def do_leave(
    change: Change,
    p: MeetingParticipant,
    *,
    state: ParticipantState = ParticipantState.LEFT,
    actor_id: int | None = None,
) -> None:
    """``p`` leaves (or is removed): their state, their attendance, the events; the meeting
    ends when no person is left in it."""
    was_in = p.state == ParticipantState.JOINED
    p.state = state
    p.joined_at = None
    p.sharing = False
    p.hand_raised_at = None
    p.guest_token_hash = None  # a guest token dies with the guest's stay
    await p.save()
    if was_in:
        await do_close_attendance(p)
    if p.janus:
        meeting = change.meeting
        change.tx.after_commit(lambda: do_sfu_leave(meeting, p))
    await change.participant(
        p,
        ParticipantChange.REMOVED if state == ParticipantState.REMOVED else ParticipantChange.LEFT,
        actor_id,
    )
    if was_in:
        await do_end_if_empty(change)


async def people_in(meeting_id: int) -> int:
    """How many people (not the recorder) are in the meeting now."""
    return await MeetingParticipant.filter(
        meeting_id=meeting_id, state=ParticipantState.JOINED, role__not=ParticipantRole.RECORDER
    ).count()


async def do_end_if_empty(change: Change) -> None:
    if change.meeting.status == MeetingStatus.LIVE and await people_in(change.meeting.id) == 0:
        await do_end(change, None)


async def do_end(change: Change, actor_id: int | None) -> None:
    """End the meeting for everyone: everyone in it or waiting leaves, attendance closes."""
    at = now()
    meeting = change.meeting
    meeting.status = MeetingStatus.ENDED
    meeting.ended_at = at
    await MeetingAttendance.filter(meeting_id=meeting.id, left_at__isnull=True).update(left_at=at)
    await MeetingParticipant.filter(
        meeting_id=meeting.id, state__in=[ParticipantState.JOINED, ParticipantState.LOBBY]
    ).update(state=ParticipantState.LEFT, joined_at=None, sharing=False, guest_token_hash=None)
    await change.changed(MeetingChange.ENDED, actor_id)
    for hook in _ended_hooks:
        await hook(meeting)
    if meeting.janus_room is not None:
        change.tx.after_commit(lambda: do_sfu_end(meeting))
