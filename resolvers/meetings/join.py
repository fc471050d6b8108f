"""Joining and leaving: ``meetingJoin`` (members), ``meetingJoinAsGuest`` (anyone with the
link), ``meetingLeave``.

A join takes the meeting's row lock (``state.do_meeting_change``), so capacity, the lock and
the move from mesh to SFU are decided one join at a time. Each join starts a new ``session``
of the participant: joining again from another device takes over, and the stream of the
former device ends (``subscriptions.meetings``).

Who waits in the lobby (``LobbyPolicy``): guests by default, everyone but hosts with
EVERYONE; someone admitted once rejoins without waiting. The passcode, where set, is asked of
members who are not invited (host, participants so far, members of its chat, attendees of its
event); a guest's link carries the meeting's secret instead."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.settings import get_settings
from models.identity import User
from models.meetings import (
    LobbyPolicy,
    Meeting,
    MeetingAttendance,
    MeetingKind,
    MeetingMode,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    ParticipantState,
)
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, ValidationFailed
from resolvers.meetings.access import (
    Actor,
    MeetingNotFound,
    NotInMeeting,
    access_meeting,
    access_meeting_by_number,
    can_see,
)
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.events import MeetingChange, ParticipantChange
from resolvers.meetings.guests import new_guest_token
from resolvers.meetings.presence import do_reap
from resolvers.meetings.sfu import sfu_configured
from resolvers.meetings.state import Change, do_leave, do_meeting_change, people_in

MAX_DISPLAY_NAME = 64

EnteredHook = Callable[[Meeting, MeetingParticipant], Awaitable[None]]
_entered_hooks: list[EnteredHook] = []


def on_entered(hook: EnteredHook) -> EnteredHook:
    """Register ``hook(meeting, participant)``, run inside the transaction of each entry into
    the meeting (a join, an admission): the meeting chat adds the person."""
    _entered_hooks.append(hook)
    return hook


_LINK = re.compile(r"(?P<number>\d{9,12})\D*?(?:[?&]k=|:)(?P<secret>[A-Za-z0-9_-]{8,64})")


class MeetingEnded(DomainError):
    code = MeetingsErrorCode.MEETING_ENDED
    default_message = "This meeting has ended."


class MeetingLocked(DomainError):
    code = MeetingsErrorCode.MEETING_LOCKED
    default_message = "This meeting is locked: the host admits nobody new."


class MeetingFull(DomainError):
    code = MeetingsErrorCode.MEETING_FULL
    default_message = "This meeting is full."


class WrongPasscode(DomainError):
    code = MeetingsErrorCode.WRONG_PASSCODE
    default_message = "The passcode is missing or wrong."


@dataclass(slots=True)
class Joined:
    meeting: Meeting
    participant: MeetingParticipant
    guest_token: str | None = None


def join_link(meeting: Meeting, base_url: str = "") -> str:
    """The link that lets a guest in: the meeting number and its secret."""
    base = (get_settings().public_url or base_url).rstrip("/")
    return f"{base}/meet/{meeting.number}?k={meeting.link_secret}"


def check_display_name(name: str) -> str:
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= MAX_DISPLAY_NAME:
        raise ValidationFailed(
            f"A display name has 1 to {MAX_DISPLAY_NAME} characters.", field="displayName"
        )
    return clean


async def _invited(actor: Actor) -> bool:
    meeting, user_id = actor.meeting, actor.user_id
    if user_id is None:
        return False
    if actor.participant is not None or user_id in (meeting.host_id, meeting.created_by_id):
        return True
    return await can_see(meeting, user_id)


async def check_meeting_join(
    ctx: Context, *, meeting_id: int | None, number: str | None, passcode: str | None
) -> Joined:
    if meeting_id is not None:
        actor = await access_meeting(ctx, meeting_id)
    elif number:
        actor = await access_meeting_by_number(ctx, number)
    else:
        raise ValidationFailed("Name the meeting by meetingId or number.", field="meetingId")
    meeting = actor.meeting
    if meeting.status == MeetingStatus.ENDED and meeting.kind == MeetingKind.INSTANT:
        raise MeetingEnded()
    if actor.participant is not None and actor.participant.state == ParticipantState.REMOVED:
        raise Forbidden("The host removed you from this meeting.")
    if actor.is_guest:
        assert actor.participant is not None
        return await do_meeting_join(meeting.id, participant_id=actor.participant.id)
    if (
        meeting.passcode
        and not await _invited(actor)
        and (passcode is None or not hmac.compare_digest(passcode, meeting.passcode))
    ):
        raise WrongPasscode(field="passcode")
    assert actor.user_id is not None
    return await do_meeting_join(meeting.id, user_id=actor.user_id)


async def check_meeting_join_as_guest(ctx: Context, *, link: str, display_name: str) -> Joined:
    name = check_display_name(display_name)
    m = _LINK.search(link)
    if m is None:
        raise ValidationFailed("Not a meeting link.", field="link")
    meeting = await Meeting.filter(number=m["number"]).first()
    if meeting is None or not hmac.compare_digest(m["secret"], meeting.link_secret):
        raise MeetingNotFound(field="link")
    if meeting.status == MeetingStatus.ENDED and meeting.kind == MeetingKind.INSTANT:
        raise MeetingEnded()
    return await do_meeting_join(meeting.id, guest_name=name)


async def do_meeting_join(
    meeting_id: int,
    *,
    user_id: int | None = None,
    participant_id: int | None = None,
    guest_name: str | None = None,
) -> Joined:
    """Join (or wait in the lobby, or take over from another device) under the meeting's lock:
    a member by ``user_id``, a guest already known by ``participant_id``, a new guest by
    ``guest_name`` (who gets a guest token)."""
    settings = get_settings()
    token: str | None = None
    # Whoever's process died without a word counts against capacity no longer.
    await do_reap(meeting_id)
    async with do_meeting_change(meeting_id) as change:
        meeting = change.meeting
        p: MeetingParticipant | None = None
        if user_id is not None:
            p = await MeetingParticipant.filter(meeting_id=meeting_id, user_id=user_id).first()
        elif participant_id is not None:
            p = await MeetingParticipant.get(id=participant_id)
        is_host = user_id is not None and user_id == meeting.host_id
        if p is None:
            role = ParticipantRole.HOST if is_host else ParticipantRole.ATTENDEE
            if user_id is not None:
                user = await User.get(id=user_id)
                guest_name = user.display_name[:MAX_DISPLAY_NAME]
            p = MeetingParticipant(
                meeting_id=meeting_id,
                organization_id=meeting.organization_id,
                user_id=user_id,
                display_name=guest_name or "",
                role=role,
                state=ParticipantState.LEFT,
            )
            if user_id is None:
                token, p.guest_token_hash = new_guest_token()
        elif p.state == ParticipantState.REMOVED:
            raise Forbidden("The host removed you from this meeting.")
        elif is_host and p.role != ParticipantRole.HOST:
            p.role = ParticipantRole.HOST
        hosts = p.role in (ParticipantRole.HOST, ParticipantRole.COHOST)
        already_in = p.state == ParticipantState.JOINED
        if meeting.status == MeetingStatus.ENDED:
            meeting.status = MeetingStatus.WAITING  # a scheduled meeting starts again
            meeting.ended_at = None
            meeting.started_at = None
        if not already_in:
            if meeting.locked and not hosts:
                raise MeetingLocked()
            await _make_room(change, settings.meetings_max_participants, settings.meetings_mesh_max)
        admitted_before = p.id is not None and await MeetingAttendance.exists(participant_id=p.id)
        waits = (
            not hosts
            and not already_in
            and not admitted_before
            and (
                meeting.lobby_policy == LobbyPolicy.EVERYONE
                or (meeting.lobby_policy == LobbyPolicy.GUESTS and p.user_id is None)
            )
        )
        p.session += 1
        p.last_seen_at = now()
        if waits:
            p.state = ParticipantState.LOBBY
            await p.save()
            await change.participant(p, ParticipantChange.WAITING)
        else:
            await do_enter(change, p)
    return Joined(meeting, p, token)


async def _make_room(change: Change, max_participants: int, mesh_max: int) -> None:
    """Refuse a join past the meeting's capacity; move a full mesh to the SFU."""
    meeting = change.meeting
    count = await people_in(meeting.id)
    if count >= max_participants:
        raise MeetingFull()
    if meeting.mode == MeetingMode.MESH and count >= mesh_max:
        if not sfu_configured():
            raise MeetingFull(
                f"This meeting is full: {mesh_max} people meet peer to peer and this server "
                "has no media server (SFU) for more."
            )
        meeting.mode = MeetingMode.SFU
        await change.changed(MeetingChange.MODE_CHANGED)


async def do_enter(change: Change, p: MeetingParticipant) -> None:
    """``p`` is in the meeting from now (joined, or admitted from the lobby): state, an
    attendance interval, the meeting started if it was not, the events."""
    meeting = change.meeting
    at = now()
    rejoined = p.state == ParticipantState.JOINED
    p.state = ParticipantState.JOINED
    if not rejoined:
        p.joined_at = at
    p.last_seen_at = at
    await p.save()
    if not rejoined:
        await MeetingAttendance.create(meeting_id=meeting.id, participant_id=p.id, joined_at=at)
        for hook in _entered_hooks:
            await hook(meeting, p)
    if meeting.status != MeetingStatus.LIVE:
        meeting.status = MeetingStatus.LIVE
        meeting.started_at = at
        meeting.ended_at = None
        await change.changed(MeetingChange.STARTED)
    await change.participant(p, ParticipantChange.JOINED)


async def check_meeting_leave(ctx: Context, *, meeting_id: int | None) -> Meeting:
    actor = await access_meeting(ctx, meeting_id)
    p = actor.participant
    if p is None or p.state not in (ParticipantState.JOINED, ParticipantState.LOBBY):
        raise NotInMeeting()
    return await do_meeting_leave(actor.meeting.id, p.id, p.session)


async def do_meeting_leave(meeting_id: int, participant_id: int, session: int) -> Meeting:
    """The participant leaves, if ``session`` is still theirs (a device that was taken over
    leaving changes nothing)."""
    async with do_meeting_change(meeting_id) as change:
        p = await MeetingParticipant.get(id=participant_id)
        if p.session == session and p.state in (ParticipantState.JOINED, ParticipantState.LOBBY):
            await do_leave(change, p)
    return change.meeting
