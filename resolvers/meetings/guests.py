"""Guest tokens: how someone from outside the organization, with a meeting's link and a
display name, is signed in for that one meeting.

A guest token (``hmg_`` and 43 random characters) is stored as Identity stores tokens (an
HMAC keyed by the server secret) on the guest's participant row. It authenticates while the
guest is in the lobby or the meeting and stops working once they leave, are removed or the
meeting ends. It is no principal: the edge puts a ``Guest`` in the context, never a user, so
every field outside Video meetings answers UNAUTHENTICATED."""

from __future__ import annotations

import secrets

from models.meetings import Meeting, MeetingParticipant, MeetingStatus, ParticipantState
from resolvers.core.context import Guest
from resolvers.identity.tokens import token_hash

GUEST_PREFIX = "hmg_"


def new_guest_token() -> tuple[str, str]:
    """A new guest token and its hash."""
    token = GUEST_PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def is_guest_token(token: str) -> bool:
    return token.startswith(GUEST_PREFIX) and len(token) <= 128


async def authenticate_guest(token: str) -> Guest | None:
    """The guest a token signs in, or None (unknown, left, removed, meeting ended)."""
    if not is_guest_token(token):
        return None
    p = await MeetingParticipant.filter(guest_token_hash=token_hash(token)).first()
    if p is None or p.state not in (ParticipantState.LOBBY, ParticipantState.JOINED):
        return None
    meeting = await Meeting.filter(id=p.meeting_id).only("id", "status").first()
    if meeting is None or meeting.status == MeetingStatus.ENDED:
        return None
    return Guest(
        participant_id=p.id,
        meeting_id=p.meeting_id,
        organization_id=p.organization_id,
        display_name=p.display_name,
    )
