"""meetingSignal: relaying WebRTC signaling from one participant to another (or to the SFU).

Nothing is stored. The signal is checked (``sdp``), metered per participant (a token bucket
of ``meetings_signals_per_second``, twice that as a burst), numbered per sender and published
on the addressee's participant channel; ``meetingEvents`` delivers each sender's signals in
their numbers' order whichever process relayed them.

Redis unreachable (at scale): the signal is refused with SERVICE_UNAVAILABLE and a
``retryAfter``, at once, rather than accepted. Redis numbers and relays signals across
processes; during an outage the numbers would come from each process's own fallback counter
(two processes would both hand out 1, 2, ...) and the bus would publish the signal whenever
Redis is back, after the addressee's stream may have given up on it: an accepted signal could
be lost or misordered without anyone knowing. Refused, the client sends it again once Redis
is back, in order. State (joins, leaves) is in the database and reaches streams by their
``MeetingSync`` catch-up meanwhile.

The addressee must be in the same meeting now: any other participant id, another meeting's
above all, is NOT_FOUND, as is one that left."""

from __future__ import annotations

from dataclasses import dataclass

from adapters import runtime
from adapters.kv import Bucket
from adapters.settings import get_settings
from models.meetings import MeetingMode, MeetingParticipant, ParticipantState
from resolvers.core.channels import meeting_participant_channel
from resolvers.core.context import Context
from resolvers.core.errors import CoreErrorCode, DomainError, NotFound, Throttled
from resolvers.meetings.access import access_meeting, require_joined
from resolvers.meetings.events import MeetingsEventKind, MeetingSignal, SignalKind
from resolvers.meetings.sdp import check_candidate, check_reason, check_sdp
from resolvers.meetings.sfu import do_sfu_signal

SEQ_WINDOW_SECONDS = 24 * 3600
OUTAGE_RETRY_SECONDS = 2.0
SFU = 0
"""The participant id signals from and to the SFU carry."""


class SignalsUnavailable(DomainError):
    code = CoreErrorCode.SERVICE_UNAVAILABLE
    default_message = "Signals cannot be relayed right now; send it again shortly."

    def __init__(self) -> None:
        super().__init__(None)
        self.retry_after = OUTAGE_RETRY_SECONDS


@dataclass(slots=True)
class Relayed:
    meeting_id: int
    seq: int


def check_payload(kind: SignalKind, payload: str) -> str:
    if kind == SignalKind.ICE_CANDIDATE:
        return check_candidate(payload)
    if kind == SignalKind.RENEGOTIATE:
        return check_reason(payload)
    return check_sdp(payload)


async def _metered(participant_id: int) -> None:
    rate = get_settings().meetings_signals_per_second
    store = runtime.current().store
    [result] = await store.take_all(
        [Bucket(f"meetings.signals:{participant_id}", 2 * rate, float(rate))], 1
    )
    if not result.allowed:
        raise Throttled(
            f"At most {rate} signals per second (a burst of {2 * rate}).",
            retry_after=result.retry_after,
            field="payload",
        )


async def check_meeting_signal(
    ctx: Context, *, meeting_id: int | None, to: int | None, kind: SignalKind, payload: str
) -> Relayed:
    actor = await access_meeting(ctx, meeting_id)
    sender = require_joined(actor)
    clean = check_payload(kind, payload)
    meeting = actor.meeting
    if to is None or to == SFU:
        if meeting.mode != MeetingMode.SFU:
            raise NotFound("Name the participant (`to`): this meeting is a mesh.", field="to")
        await _metered(sender.id)
        await do_sfu_signal(meeting, sender, kind, clean)
        return Relayed(meeting.id, 0)
    addressee = await MeetingParticipant.filter(
        id=to, meeting_id=meeting.id, state=ParticipantState.JOINED
    ).first()
    if addressee is None or addressee.id == sender.id:
        raise NotFound("No such participant in this meeting now.", field="to")
    await _metered(sender.id)
    # Numbered per (sender session, addressee session) from 1: the addressee's stream knows
    # which number comes next from each sender.
    key = f"meetings.seq:{sender.id}.{sender.session}:{addressee.id}.{addressee.session}"
    store = runtime.current().store
    seq = await store.hit(key, SEQ_WINDOW_SECONDS)
    if store.degraded or runtime.current().bus.pending:
        raise SignalsUnavailable()  # numbered by this process alone, published who knows when
    event: MeetingSignal = {
        "type": MeetingsEventKind.SIGNAL,
        "meetingId": meeting.id,
        "organizationId": meeting.organization_id,
        "fromId": sender.id,
        "fromSession": sender.session,
        "toId": addressee.id,
        "toSession": addressee.session,
        "kind": kind,
        "payload": clean,
        "seq": seq,
    }
    await do_relay(event)
    return Relayed(meeting.id, seq)


async def do_relay(event: MeetingSignal) -> None:
    """Publish a signal on its addressee's channel at once (nothing is written)."""
    channel = meeting_participant_channel(event["meetingId"], event["toId"])
    await runtime.current().bus.publish(channel, dict(event))
