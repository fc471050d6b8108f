"""meetingEvents: one participant's view of a meeting, live: the signals addressed to them and
the meeting's state changes.

The stream listens on the meeting's channel (state changes, reactions, recordings) and on the
participant's own channel (signals), then reads the state and yields it first
(``MeetingSync``), so nothing falls between ``meetingJoin`` and the stream.

Signals: each sender numbers its signals to each session of the addressee from 1
(``resolvers.meetings.signal``); the stream delivers them in that order even when two
processes relayed them and the bus brought them out of order: one that comes early waits for
the ones before it at most ``REORDER_SECONDS``, then what has come goes out in order. Signals
for an earlier session of the participant (another device of theirs) are not delivered.

Presence: the stream is the participant's presence. It touches their row every
``presence.heartbeat_seconds()`` and takes out others nobody has seen for
``presence.stale_seconds()``; when it closes (the client left, its socket dropped) the
participant leaves the meeting, unless another device took over. It ends on its own, after a
last ``MeetingStreamEnded``, when the participant is removed, leaves, is replaced by another
device, or the meeting ends; the next signal of a removed participant is NOT_IN_MEETING.

Lobby: someone waiting sees only what concerns them (admitted, refused) and the meeting's own
changes; only hosts and co-hosts see who waits.

Redis down (``subscriptions/core.py``): on ``CATCH_UP`` the stream reads the state again and
yields a new ``MeetingSync`` (state is in the database); ``meetingSignal`` refuses signals
meanwhile (SERVICE_UNAVAILABLE with ``retryAfter``: ``resolvers.meetings.signal``), so the
sender sends them again once Redis is back; one published just as Redis went may still be
lost, and clients whose connection stalls ask their peer to offer again (RENEGOTIATE) or
restart ICE, as WebRTC clients do on a network change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from models.meetings import (
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
)
from resolvers.core.channels import meeting_channel, meeting_participant_channel
from resolvers.core.context import Context
from resolvers.meetings.access import NotInMeeting, access_meeting
from resolvers.meetings.events import (
    MeetingChange,
    MeetingChannelEvent,
    MeetingsEventKind,
    MeetingSignal,
    ParticipantChange,
    is_meetings_event,
)
from resolvers.meetings.join import do_meeting_leave
from resolvers.meetings.presence import do_reap, do_touch, heartbeat_seconds
from resolvers.meetings.sfu import do_sfu_keepalive
from subscriptions.core import CatchUp
from subscriptions.viewer import Merger

# Long enough for a relay held up on a loaded process (a 1 s window let a test on a busy
# machine see 76 before 73); it only delays anything when a signal was really lost, which a
# relay that answered never is (during a Redis outage meetingSignal refuses instead).
REORDER_SECONDS = 5.0
_HOSTS = (ParticipantRole.HOST, ParticipantRole.COHOST)
_leaving: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True, slots=True)
class MeetingSync:
    """The meeting as it is now: the first item of every stream, and after a catch-up."""

    meeting: Meeting
    participants: list[MeetingParticipant]
    you: MeetingParticipant


@dataclass(frozen=True, slots=True)
class MeetingStreamEnded:
    """The last item: why the stream ends (REMOVED, LEFT, REPLACED, ENDED)."""

    reason: str


MeetingStreamItem = MeetingSync | MeetingStreamEnded | MeetingChannelEvent | MeetingSignal


@dataclass
class _Reorder:
    """A sender's signals to this session, delivered in ``seq`` order."""

    expected: int = 1
    held: dict[int, MeetingSignal] = field(default_factory=dict)
    since: float = 0.0

    def push(self, signal: MeetingSignal) -> list[MeetingSignal]:
        seq = signal["seq"]
        if seq < self.expected:
            return [signal]  # late (after a flush) or renumbered by an outage: deliver anyway
        self.held[seq] = signal
        if not self.since:
            self.since = time.monotonic()
        return self.ready()

    def ready(self) -> list[MeetingSignal]:
        out = []
        while self.expected in self.held:
            out.append(self.held.pop(self.expected))
            self.expected += 1
        if not self.held:
            self.since = 0.0
        return out

    def flush(self) -> list[MeetingSignal]:
        """Give up waiting for the missing ones: what is held, in order."""
        out = [self.held[s] for s in sorted(self.held)]
        if out:
            self.expected = out[-1]["seq"] + 1
        self.held.clear()
        self.since = 0.0
        return out


async def read_state(meeting_id: int, participant_id: int) -> MeetingSync:
    meeting = await Meeting.get(id=meeting_id)
    rows = await MeetingParticipant.filter(
        meeting_id=meeting_id, state__in=[ParticipantState.JOINED, ParticipantState.LOBBY]
    ).order_by("id")
    you = next((p for p in rows if p.id == participant_id), None)
    if you is None:
        you = await MeetingParticipant.get(id=participant_id)
    if you.role not in _HOSTS:
        rows = [p for p in rows if p.state == ParticipantState.JOINED or p.id == you.id]
    return MeetingSync(meeting, rows, you)


def _leave_later(meeting_id: int, participant_id: int, session: int) -> None:
    """The stream closed: the participant leaves (in a task of its own, since the stream's
    task is being cancelled)."""
    task = asyncio.create_task(do_meeting_leave(meeting_id, participant_id, session))
    _leaving.add(task)
    task.add_done_callback(_leaving.discard)


async def meeting_events(ctx: Context, meeting_id: int | None) -> AsyncIterator[MeetingStreamItem]:
    actor = await access_meeting(ctx, meeting_id)
    me = actor.participant
    if me is None or me.state not in (ParticipantState.JOINED, ParticipantState.LOBBY):
        raise NotInMeeting()
    meeting = actor.meeting
    session = me.session
    role: ParticipantRole = me.role
    state: ParticipantState = me.state
    merger = Merger()
    reorder: dict[tuple[int, int], _Reorder] = {}
    ended = False
    try:
        await merger.add(
            [meeting_channel(meeting.id), meeting_participant_channel(meeting.id, me.id)]
        )
        sync = await read_state(meeting.id, me.id)
        if sync.you.session != session or sync.you.state not in (
            ParticipantState.JOINED,
            ParticipantState.LOBBY,
        ):
            raise NotInMeeting()
        if sync.meeting.status == MeetingStatus.ENDED:
            ended = True
            yield MeetingStreamEnded("ENDED")
            return
        yield sync
        beat = time.monotonic() + heartbeat_seconds()
        while True:
            now = time.monotonic()
            waits = [beat] + [r.since + REORDER_SECONDS for r in reorder.values() if r.since]
            timeout = max(0.0, min(waits) - now)
            try:
                got = await asyncio.wait_for(merger.queue.get(), timeout)
            except TimeoutError:
                got = None
            if got is None:
                now = time.monotonic()
                for r in reorder.values():
                    if r.since and now - r.since >= REORDER_SECONDS:
                        for signal in r.flush():
                            yield signal
                if now >= beat:
                    beat = now + heartbeat_seconds()
                    if not await do_touch(me.id, session):
                        reason = await _why_out(me.id, session)
                        ended = True
                        yield MeetingStreamEnded(reason)
                        return
                    await do_reap(meeting.id)
                    await do_sfu_keepalive(me.id)
                continue
            if isinstance(got, BaseException):
                raise got
            _, payload = got
            if isinstance(payload, CatchUp):
                merger.catch_up_queued = False
                sync = await read_state(meeting.id, me.id)
                if sync.you.session != session or sync.you.state not in (
                    ParticipantState.JOINED,
                    ParticipantState.LOBBY,
                ):
                    ended = True
                    yield MeetingStreamEnded(await _why_out(me.id, session))
                    return
                if sync.meeting.status == MeetingStatus.ENDED:
                    ended = True
                    yield MeetingStreamEnded("ENDED")
                    return
                role, state = sync.you.role, sync.you.state
                yield sync
                continue
            if not is_meetings_event(payload):
                continue
            if payload["type"] == MeetingsEventKind.SIGNAL:
                signal = cast(MeetingSignal, payload)
                if signal["toId"] != me.id or signal["toSession"] != session:
                    continue
                if state != ParticipantState.JOINED:
                    continue
                key = (signal["fromId"], signal["fromSession"])
                for ready in reorder.setdefault(key, _Reorder()).push(signal):
                    yield ready
                continue
            event = cast(MeetingChannelEvent, payload)
            if event["type"] == MeetingsEventKind.PARTICIPANT:
                p = event["participant"]
                if p["id"] == me.id:
                    if p["session"] > session:
                        ended = True
                        yield MeetingStreamEnded("REPLACED")
                        return
                    role = ParticipantRole(p["role"])
                    state = ParticipantState(p["state"])
                    if event["change"] in (ParticipantChange.REMOVED, ParticipantChange.LEFT):
                        yield event
                        ended = True
                        yield MeetingStreamEnded(str(event["change"]))
                        return
                else:
                    if state == ParticipantState.LOBBY:
                        continue
                    if p["state"] == ParticipantState.LOBBY and role not in _HOSTS:
                        continue
                    if event["change"] in (ParticipantChange.LEFT, ParticipantChange.REMOVED):
                        gone = p["id"]
                        reorder = {k: r for k, r in reorder.items() if k[0] != gone}
                yield event
                continue
            if event["type"] == MeetingsEventKind.MEETING:
                yield event
                if event["change"] == MeetingChange.ENDED:
                    ended = True
                    yield MeetingStreamEnded("ENDED")
                    return
                continue
            if state == ParticipantState.JOINED:
                yield event
    finally:
        await merger.close()
        if not ended:
            _leave_later(meeting.id, me.id, session)


async def _why_out(participant_id: int, session: int) -> str:
    p = await MeetingParticipant.filter(id=participant_id).first()
    if p is None:
        return "REMOVED"
    if p.session != session:
        return "REPLACED"
    if p.state == ParticipantState.REMOVED:
        return "REMOVED"
    meeting = await Meeting.filter(id=p.meeting_id).only("id", "status").first()
    if meeting is None or meeting.status == MeetingStatus.ENDED:
        return "ENDED"
    return "LEFT"


__all__ = ["MeetingStreamEnded", "MeetingStreamItem", "MeetingSync", "meeting_events"]
