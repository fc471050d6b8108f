"""Who may see a meeting and act in it.

Two kinds of people act in a meeting: signed-in members of its organization (a principal) and
guests from outside it, signed in for that one meeting by their guest token (``ctx.guest``).

Seeing a meeting (``meeting(id)``, its history): its organization's members who are or were
its participants, its host and creator, the members of its chat and the attendees of its
event (``can_see`` hooks of other modules add to this; Calendar's and Messenger's are
registered by them). Anyone else, another organization above all, gets NOT_FOUND, exactly as
for a meeting that does not exist. Joining by ``number`` is open to the organization's members
(with the passcode where one is set): a meeting number is shared the way a link is.

Acting in a meeting (signals, hands, reactions, leaving): a JOINED participant, in the session
(device) that joined last. Host controls: a JOINED host or co-host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from models.meetings import Meeting, MeetingParticipant, ParticipantRole, ParticipantState
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, Unauthenticated
from resolvers.core.principal import require_principal
from resolvers.meetings.errors import MeetingsErrorCode

VisibilityHook = Callable[[Meeting, int], Awaitable[bool]]
_visibility_hooks: list[VisibilityHook] = []


def on_can_see(hook: VisibilityHook) -> VisibilityHook:
    """Register ``hook(meeting, user_id) -> bool``: True lets that user see the meeting (an
    attendee of its event, a member of its chat). Other modules' hooks live with them."""
    _visibility_hooks.append(hook)
    return hook


class NotInMeeting(DomainError):
    code = MeetingsErrorCode.NOT_IN_MEETING
    default_message = "You are not in this meeting (join it, or wait to be admitted)."


class MeetingNotFound(NotFound):
    default_message = "The meeting does not exist or you cannot see it."


@dataclass(slots=True)
class Actor:
    """Who acts in a meeting: a member (``user_id``) or a guest, and their participant row
    when they have one."""

    meeting: Meeting
    participant: MeetingParticipant | None
    user_id: int | None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def is_host(self) -> bool:
        p = self.participant
        return p is not None and p.role in (ParticipantRole.HOST, ParticipantRole.COHOST)


def actor_ids(ctx: Context) -> tuple[int | None, int, int | None]:
    """(user id, organization id, guest meeting id) of whoever asks, or UNAUTHENTICATED."""
    if ctx.principal is not None:
        principal = require_principal(ctx)
        return principal.user_id, principal.organization_id, None
    if ctx.guest is not None:
        return None, ctx.guest.organization_id, ctx.guest.meeting_id
    raise Unauthenticated()


async def can_see(meeting: Meeting, user_id: int) -> bool:
    if user_id in (meeting.host_id, meeting.created_by_id):
        return True
    if await MeetingParticipant.exists(meeting_id=meeting.id, user_id=user_id):
        return True
    for hook in _visibility_hooks:
        if await hook(meeting, user_id):
            return True
    return False


async def access_meeting(ctx: Context, meeting_id: int | None) -> Actor:
    """The meeting as the asker may see it, with their participant row if any; NOT_FOUND for
    one of another organization, one they cannot see, or a guest's other meetings."""
    user_id, org_id, guest_meeting = actor_ids(ctx)
    if meeting_id is None:
        raise MeetingNotFound(field="meetingId")
    meeting = await Meeting.filter(id=meeting_id, organization_id=org_id).first()
    if meeting is None or (guest_meeting is not None and guest_meeting != meeting_id):
        raise MeetingNotFound(field="meetingId")
    if user_id is None:
        assert ctx.guest is not None
        participant = await MeetingParticipant.filter(
            id=ctx.guest.participant_id, meeting_id=meeting.id
        ).first()
        if participant is None:
            raise MeetingNotFound(field="meetingId")
        return Actor(meeting, participant, None)
    participant = await MeetingParticipant.filter(meeting_id=meeting.id, user_id=user_id).first()
    if participant is None and not await can_see(meeting, user_id):
        raise MeetingNotFound(field="meetingId")
    return Actor(meeting, participant, user_id)


async def access_meeting_by_number(ctx: Context, number: str) -> Actor:
    """A meeting of the asker's organization by its number (members only; guests use their
    link); NOT_FOUND otherwise."""
    user_id, org_id, guest_meeting = actor_ids(ctx)
    digits = "".join(ch for ch in number if ch.isdigit())
    meeting = await Meeting.filter(number=digits, organization_id=org_id).first()
    if meeting is None or guest_meeting is not None:
        raise MeetingNotFound(field="number")
    participant = None
    if user_id is not None:
        participant = await MeetingParticipant.filter(
            meeting_id=meeting.id, user_id=user_id
        ).first()
    return Actor(meeting, participant, user_id)


def require_joined(actor: Actor) -> MeetingParticipant:
    """The actor's participant row if they are in the meeting now, else NOT_IN_MEETING."""
    p = actor.participant
    if p is None or p.state != ParticipantState.JOINED:
        raise NotInMeeting()
    return p


def require_host(actor: Actor) -> MeetingParticipant:
    """The actor's row if they are a JOINED host or co-host, else FORBIDDEN."""
    p = require_joined(actor)
    if p.role not in (ParticipantRole.HOST, ParticipantRole.COHOST):
        raise Forbidden("Only the host and co-hosts may do this.")
    return p
