"""Host controls: the lobby, removing, muting, hands, roles, the meeting's settings, ending it.

Who may do what (a JOINED participant, in the meeting now; anyone else who can see the
meeting gets NOT_IN_MEETING, anyone who cannot, NOT_FOUND):

============================================  ====  =======  ========  =====
action                                        host  co-host  attendee  guest
============================================  ====  =======  ========  =====
admit or refuse those waiting in the lobby    yes   yes      no        no
remove a participant (never oneself)          yes   yes (1)  no        no
mute one, mute all (all spares hosts)         yes   yes (1)  no        no
lower others' hands (one, several, all)       yes   yes      no        no
lock, lobby policy, multiple shares, topic    yes   yes      no        no
end the meeting for everyone                  yes   no       no        no
hand over the host (to a JOINED member)       yes   no       no        no
make or unmake a co-host (members only)       yes   no       no        no
own microphone, camera, hand, screen share    yes   yes      yes       yes
reactions                                     yes   yes      yes       yes
============================================  ====  =======  ========  =====

(1) not on the host. "no" is FORBIDDEN. A guest (from outside, by link) and a guest account
of the organization can be neither host nor co-host: a host is accountable to the
organization. Handing over the host makes the former host a co-host (the new host may
unmake them). Admitting from the lobby is a host decision, so it works while the meeting is
locked (the lock keeps new people from reaching the lobby); it still respects capacity.
Someone refused or removed is REMOVED: their stream ends, a guest token stops working and
they may not join again. Every change goes through ``state.do_meeting_change`` (the lock,
the revision, events after commit), and the actor is checked again under the lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.settings import get_settings
from models.identity import Role, User
from models.meetings import (
    LobbyPolicy,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
)
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden, NotFound, ValidationFailed
from resolvers.meetings.access import (
    Actor,
    MeetingNotFound,
    NotInMeeting,
    access_meeting,
    actor_ids,
)
from resolvers.meetings.create import check_topic
from resolvers.meetings.events import MeetingChange, ParticipantChange
from resolvers.meetings.join import MeetingEnded, _make_room, do_enter
from resolvers.meetings.state import Change, do_end, do_leave, do_meeting_change

HOSTS = (ParticipantRole.HOST, ParticipantRole.COHOST)
MAX_IDS = 100


class ParticipantNotFound(NotFound):
    default_message = "No such participant in this meeting now."


def require_control(p: MeetingParticipant | None, *, host_only: bool = False) -> MeetingParticipant:
    """``p`` if they are in the meeting with the role the control needs, else NOT_IN_MEETING or
    FORBIDDEN."""
    if p is None or p.state != ParticipantState.JOINED:
        raise NotInMeeting()
    if host_only and p.role != ParticipantRole.HOST:
        raise Forbidden("Only the host may do this.")
    if p.role not in HOSTS:
        raise Forbidden("Only the host and co-hosts may do this.")
    return p


async def access_control(ctx: Context, meeting_id: int | None, *, host_only: bool = False) -> Actor:
    """The meeting, for a host control of the asker."""
    actor = await access_meeting(ctx, meeting_id)
    require_control(actor.participant, host_only=host_only)
    return actor


async def access_target(
    ctx: Context, participant_id: int | None, *, host_only: bool = False
) -> tuple[Actor, MeetingParticipant]:
    """The meeting of participant ``participant_id`` and the participant, for a host control
    of the asker on them; NOT_FOUND for one of a meeting the asker cannot see."""
    _, org_id, _ = actor_ids(ctx)
    target = None
    if participant_id is not None:
        target = await MeetingParticipant.filter(id=participant_id, organization_id=org_id).first()
    if target is None:
        raise ParticipantNotFound(field="participantId")
    try:
        actor = await access_meeting(ctx, target.meeting_id)
    except MeetingNotFound:
        raise ParticipantNotFound(field="participantId") from None
    me = require_control(actor.participant, host_only=host_only)
    if target.id == me.id:
        raise ValidationFailed(
            "Not on yourself (use meetingSelfUpdate or meetingLeave).", field="participantId"
        )
    if target.role == ParticipantRole.HOST and me.role != ParticipantRole.HOST:
        raise Forbidden("A co-host cannot do this to the host.", field="participantId")
    if target.role == ParticipantRole.RECORDER:
        raise Forbidden("The recorder is stopped with the recording.", field="participantId")
    return actor, target


@asynccontextmanager
async def do_control(
    meeting_id: int, actor_id: int, *, host_only: bool = False
) -> AsyncIterator[tuple[Change, MeetingParticipant]]:
    """The meeting locked for a change by ``actor_id``, whose role is checked again under
    the lock (a co-host unmade a moment ago controls nothing)."""
    async with do_meeting_change(meeting_id) as change:
        me = await MeetingParticipant.get(id=actor_id)
        require_control(me, host_only=host_only)
        yield change, me


def _ids(ids: list[int] | None) -> list[int] | None:
    if ids is not None and not 1 <= len(ids) <= MAX_IDS:
        raise ValidationFailed(
            f"Name 1 to {MAX_IDS} participants (or none for all).", field="participantIds"
        )
    return ids


async def _in_meeting(meeting_id: int, ids: list[int] | None) -> None:
    if ids is None:
        return
    found = await MeetingParticipant.filter(id__in=ids, meeting_id=meeting_id).count()
    if found != len(set(ids)):
        raise ParticipantNotFound(field="participantIds")


# --- the lobby --------------------------------------------------------------------------


async def _lobby(
    ctx: Context, meeting_id: int | None, participant_ids: list[int] | None
) -> tuple[int, int, list[int] | None]:
    """(meeting, actor, ids) of a lobby decision: ``participant_ids``, or everyone waiting
    when None; the ones no longer waiting are left as they are."""
    ids = _ids(participant_ids)
    actor = await access_control(ctx, meeting_id)
    await _in_meeting(actor.meeting.id, ids)
    assert actor.participant is not None
    return actor.meeting.id, actor.participant.id, ids


async def _waiting(meeting_id: int, ids: list[int] | None) -> list[MeetingParticipant]:
    waiting = MeetingParticipant.filter(meeting_id=meeting_id, state=ParticipantState.LOBBY)
    if ids is not None:
        waiting = waiting.filter(id__in=ids)
    return await waiting.order_by("id")


async def check_lobby_admit(
    ctx: Context, *, meeting_id: int | None, participant_ids: list[int] | None
) -> list[MeetingParticipant]:
    return await do_lobby_admit(*await _lobby(ctx, meeting_id, participant_ids))


async def do_lobby_admit(
    meeting_id: int, actor_id: int, ids: list[int] | None
) -> list[MeetingParticipant]:
    """In, each after the other, as capacity allows (ADMITTED, then JOINED)."""
    settings = get_settings()
    async with do_control(meeting_id, actor_id) as (change, me):
        rows = await _waiting(meeting_id, ids)
        for p in rows:
            await _make_room(change, settings.meetings_max_participants, settings.meetings_mesh_max)
            await change.participant(p, ParticipantChange.ADMITTED, me.id)
            await do_enter(change, p)
    return rows


async def check_lobby_refuse(
    ctx: Context, *, meeting_id: int | None, participant_ids: list[int] | None
) -> list[MeetingParticipant]:
    return await do_lobby_refuse(*await _lobby(ctx, meeting_id, participant_ids))


async def do_lobby_refuse(
    meeting_id: int, actor_id: int, ids: list[int] | None
) -> list[MeetingParticipant]:
    """REMOVED: their stream ends, a guest token dies, they may not join again."""
    async with do_control(meeting_id, actor_id) as (change, me):
        rows = await _waiting(meeting_id, ids)
        for p in rows:
            await do_leave(change, p, state=ParticipantState.REMOVED, actor_id=me.id)
    return rows


# --- one participant --------------------------------------------------------------------


async def check_participant_remove(
    ctx: Context, *, participant_id: int | None
) -> MeetingParticipant:
    actor, target = await access_target(ctx, participant_id)
    assert actor.participant is not None
    return await do_participant_remove(actor.meeting.id, actor.participant.id, target.id)


async def do_participant_remove(
    meeting_id: int, actor_id: int, target_id: int
) -> MeetingParticipant:
    async with do_control(meeting_id, actor_id) as (change, me):
        target = await MeetingParticipant.get(id=target_id)
        if target.state != ParticipantState.REMOVED:
            await do_leave(change, target, state=ParticipantState.REMOVED, actor_id=me.id)
    return target


async def check_participant_mute(
    ctx: Context, *, participant_id: int | None, video: bool
) -> MeetingParticipant:
    actor, target = await access_target(ctx, participant_id)
    assert actor.participant is not None
    return await do_participant_mute(actor.meeting.id, actor.participant.id, target.id, video)


async def do_participant_mute(
    meeting_id: int, actor_id: int, target_id: int, video: bool
) -> MeetingParticipant:
    async with do_control(meeting_id, actor_id) as (change, me):
        target = await MeetingParticipant.get(id=target_id)
        if target.state != ParticipantState.JOINED:
            raise ParticipantNotFound(field="participantId")
        await _mute(change, target, video, me.id)
    return target


async def _mute(change: Change, p: MeetingParticipant, video: bool, actor_id: int) -> None:
    p.audio_muted = True
    p.muted_by_host = True
    if video:
        p.video_muted = True
    await p.save(update_fields=["audio_muted", "muted_by_host", "video_muted", "updated_at"])
    await change.participant(p, ParticipantChange.UPDATED, actor_id)


async def check_mute_all(
    ctx: Context, *, meeting_id: int | None, video: bool
) -> list[MeetingParticipant]:
    actor = await access_control(ctx, meeting_id)
    assert actor.participant is not None
    return await do_mute_all(actor.meeting.id, actor.participant.id, video)


async def do_mute_all(meeting_id: int, actor_id: int, video: bool) -> list[MeetingParticipant]:
    """Mute every attendee in the meeting (hosts and co-hosts are spared)."""
    async with do_control(meeting_id, actor_id) as (change, me):
        rows = await MeetingParticipant.filter(
            meeting_id=meeting_id,
            state=ParticipantState.JOINED,
            role=ParticipantRole.ATTENDEE,
        ).order_by("id")
        for p in rows:
            await _mute(change, p, video, me.id)
    return rows


async def check_hands_lower(
    ctx: Context, *, meeting_id: int | None, participant_ids: list[int] | None
) -> list[MeetingParticipant]:
    ids = _ids(participant_ids)
    actor = await access_control(ctx, meeting_id)
    await _in_meeting(actor.meeting.id, ids)
    assert actor.participant is not None
    return await do_hands_lower(actor.meeting.id, actor.participant.id, ids)


async def do_hands_lower(
    meeting_id: int, actor_id: int, ids: list[int] | None
) -> list[MeetingParticipant]:
    """Lower the raised hands of ``ids`` (or everyone's); those lowered."""
    async with do_control(meeting_id, actor_id) as (change, me):
        raised = MeetingParticipant.filter(
            meeting_id=meeting_id, state=ParticipantState.JOINED, hand_raised_at__isnull=False
        )
        if ids is not None:
            raised = raised.filter(id__in=ids)
        rows = await raised.order_by("id")
        for p in rows:
            p.hand_raised_at = None
            await p.save(update_fields=["hand_raised_at", "updated_at"])
            await change.participant(p, ParticipantChange.UPDATED, None if p.id == me.id else me.id)
    return rows


# --- roles ------------------------------------------------------------------------------


async def _may_host(target: MeetingParticipant) -> None:
    """A guest from outside, or a guest account of the organization, hosts nothing."""
    if target.user_id is None:
        raise Forbidden("A guest cannot be a host or co-host.", field="participantId")
    user = await User.filter(id=target.user_id).only("id", "role").first()
    if user is None or user.role == Role.GUEST:
        raise Forbidden("A guest cannot be a host or co-host.", field="participantId")


async def check_cohost_set(
    ctx: Context, *, participant_id: int | None, cohost: bool
) -> MeetingParticipant:
    actor, target = await access_target(ctx, participant_id, host_only=True)
    if cohost:
        await _may_host(target)
    assert actor.participant is not None
    return await do_cohost_set(actor.meeting.id, actor.participant.id, target.id, cohost)


async def do_cohost_set(
    meeting_id: int, actor_id: int, target_id: int, cohost: bool
) -> MeetingParticipant:
    async with do_control(meeting_id, actor_id, host_only=True) as (change, me):
        target = await MeetingParticipant.get(id=target_id)
        role = ParticipantRole.COHOST if cohost else ParticipantRole.ATTENDEE
        if target.role != role:
            target.role = role
            await target.save(update_fields=["role", "updated_at"])
            await change.participant(target, ParticipantChange.UPDATED, me.id)
    return target


async def check_host_transfer(ctx: Context, *, participant_id: int | None) -> Meeting:
    actor, target = await access_target(ctx, participant_id, host_only=True)
    await _may_host(target)
    if target.state != ParticipantState.JOINED:
        raise ParticipantNotFound(field="participantId")
    assert actor.participant is not None
    return await do_host_transfer(actor.meeting.id, actor.participant.id, target.id)


async def do_host_transfer(meeting_id: int, actor_id: int, target_id: int) -> Meeting:
    """``target`` hosts from now; the former host stays as a co-host."""
    async with do_control(meeting_id, actor_id, host_only=True) as (change, me):
        target = await MeetingParticipant.get(id=target_id)
        if target.state != ParticipantState.JOINED or target.user_id is None:
            raise ParticipantNotFound(field="participantId")
        target.role = ParticipantRole.HOST
        await target.save(update_fields=["role", "updated_at"])
        await change.participant(target, ParticipantChange.UPDATED, me.id)
        me.role = ParticipantRole.COHOST
        await me.save(update_fields=["role", "updated_at"])
        await change.participant(me, ParticipantChange.UPDATED)
        change.meeting.host_id = target.user_id
        await change.changed(MeetingChange.HOST_CHANGED, me.id)
    return change.meeting


# --- the meeting ------------------------------------------------------------------------


async def check_meeting_update(
    ctx: Context,
    *,
    meeting_id: int | None,
    locked: bool | None = None,
    lobby_policy: LobbyPolicy | None = None,
    allow_multiple_shares: bool | None = None,
    topic: str | None = None,
) -> Meeting:
    """Change what is given; leave the rest. Turning ``allowMultipleShares`` off stops no
    share that runs: it refuses the next one."""
    clean = check_topic(topic) if topic is not None else None
    actor = await access_control(ctx, meeting_id)
    assert actor.participant is not None
    return await do_meeting_update(
        actor.meeting.id,
        actor.participant.id,
        {
            "locked": locked,
            "lobby_policy": lobby_policy,
            "allow_multiple_shares": allow_multiple_shares,
            "topic": clean,
        },
    )


async def do_meeting_update(meeting_id: int, actor_id: int, values: dict[str, object]) -> Meeting:
    async with do_control(meeting_id, actor_id) as (change, me):
        meeting = change.meeting
        changed = False
        for name, value in values.items():
            if value is not None and getattr(meeting, name) != value:
                setattr(meeting, name, value)
                changed = True
        if changed:
            await change.changed(MeetingChange.UPDATED, me.id)
    return change.meeting


async def check_meeting_end(ctx: Context, *, meeting_id: int | None) -> Meeting:
    actor = await access_meeting(ctx, meeting_id)
    if actor.meeting.status == MeetingStatus.ENDED:
        raise MeetingEnded()
    require_control(actor.participant, host_only=True)
    assert actor.participant is not None
    return await do_meeting_end(actor.meeting.id, actor.participant.id)


async def do_meeting_end(meeting_id: int, actor_id: int) -> Meeting:
    """Everyone leaves (the lobby too), guest tokens die, every stream ends ENDED."""
    async with do_control(meeting_id, actor_id, host_only=True) as (change, me):
        await do_end(change, me.id)
    return change.meeting
