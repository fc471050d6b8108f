"""What each participant does for themselves: microphone, camera, hand, screen share, and
reactions. Any JOINED participant, guests included (see ``controls`` for the table).

Muting is recorded so that everyone shows it; media itself is the client's. A participant
a host muted (``muted_by_host``) unmutes only by their own choice here, which clears the mark.

One screen share at a time unless the host allows several (``allow_multiple_shares``): a
second share is SHARE_IN_PROGRESS, decided under the meeting's lock so two at once cannot
both start. Leaving stops one's share.

Reactions are one emoji, relayed on the meeting channel and never stored, metered per
participant (a token bucket of ``REACTION_BURST`` refilling ``REACTIONS_PER_SECOND``): past
it, THROTTLED with ``retryAfter``. An emoji is one of: a pictograph with an optional
variation selector and skin tone, several such joined by zero-width joiners (at most
``MAX_EMOJI_PARTS``), a flag (two regional indicators) or a keycap."""

from __future__ import annotations

from adapters import runtime
from adapters.kv import Bucket
from models.meetings import MeetingParticipant, ParticipantState
from resolvers.core.channels import meeting_channel
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Throttled, ValidationFailed
from resolvers.meetings.access import NotInMeeting, access_meeting, require_joined
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.events import MeetingReaction, MeetingsEventKind, ParticipantChange
from resolvers.meetings.state import do_meeting_change

REACTION_BURST = 10
REACTIONS_PER_SECOND = 1.0
MAX_EMOJI_PARTS = 8

_ZWJ, _VS16, _KEYCAP = 0x200D, 0xFE0F, 0x20E3
_PICTOGRAPHS = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2300, 0x23FF),
    (0x2B00, 0x2BFF),
    (0x2190, 0x21FF),
    (0x2934, 0x2935),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
)
_SKIN = (0x1F3FB, 0x1F3FF)
_REGIONAL = (0x1F1E6, 0x1F1FF)


class ShareInProgress(DomainError):
    code = MeetingsErrorCode.SHARE_IN_PROGRESS
    default_message = "Someone else is sharing; the host allows one share at a time."


def _within(cp: int, span: tuple[int, int]) -> bool:
    return span[0] <= cp <= span[1]


def _pictograph(cp: int) -> bool:
    if _within(cp, _SKIN) or _within(cp, _REGIONAL):
        return False  # modifiers and half flags are not emoji on their own
    return any(_within(cp, span) for span in _PICTOGRAPHS)


def _part(cps: list[int]) -> bool:
    """One pictograph, then an optional VS16 and an optional skin tone."""
    if not cps or not _pictograph(cps[0]):
        return False
    rest = cps[1:]
    if rest and rest[0] == _VS16:
        rest = rest[1:]
    if rest and _within(rest[0], _SKIN):
        rest = rest[1:]
    return not rest


def check_emoji(emoji: str) -> str:
    cps = [ord(ch) for ch in emoji]
    ok = False
    if len(cps) == 2 and all(_within(cp, _REGIONAL) for cp in cps):
        ok = True  # a flag
    elif len(cps) in (2, 3) and chr(cps[0]) in "0123456789#*" and cps[-1] == _KEYCAP:
        ok = len(cps) == 2 or cps[1] == _VS16
    elif cps and len(cps) <= 4 * MAX_EMOJI_PARTS:
        parts: list[list[int]] = [[]]
        for cp in cps:
            if cp == _ZWJ:
                parts.append([])
            else:
                parts[-1].append(cp)
        ok = len(parts) <= MAX_EMOJI_PARTS and all(_part(p) for p in parts)
    if not ok:
        raise ValidationFailed("A reaction is one emoji.", field="emoji")
    return emoji


# --- own state --------------------------------------------------------------------------


async def check_self_update(
    ctx: Context,
    *,
    meeting_id: int | None,
    audio_muted: bool | None = None,
    video_muted: bool | None = None,
    hand_raised: bool | None = None,
    sharing: bool | None = None,
) -> MeetingParticipant:
    """Change what is given of one's own state; leave the rest."""
    actor = await access_meeting(ctx, meeting_id)
    me = require_joined(actor)
    return await do_self_update(
        actor.meeting.id,
        me.id,
        audio_muted=audio_muted,
        video_muted=video_muted,
        hand_raised=hand_raised,
        sharing=sharing,
    )


async def do_self_update(
    meeting_id: int,
    participant_id: int,
    *,
    audio_muted: bool | None,
    video_muted: bool | None,
    hand_raised: bool | None,
    sharing: bool | None,
) -> MeetingParticipant:
    async with do_meeting_change(meeting_id) as change:
        me = await MeetingParticipant.get(id=participant_id)
        if me.state != ParticipantState.JOINED:
            raise NotInMeeting()
        before = (me.audio_muted, me.video_muted, me.muted_by_host, me.hand_raised_at, me.sharing)
        if audio_muted is not None:
            me.audio_muted = audio_muted
            me.muted_by_host = False  # their own choice from now
        if video_muted is not None:
            me.video_muted = video_muted
        if hand_raised is not None and hand_raised != (me.hand_raised_at is not None):
            me.hand_raised_at = now() if hand_raised else None
        if sharing and not me.sharing and not change.meeting.allow_multiple_shares:
            others = (
                await MeetingParticipant.filter(
                    meeting_id=meeting_id, state=ParticipantState.JOINED, sharing=True
                )
                .exclude(id=me.id)
                .exists()
            )
            if others:
                raise ShareInProgress(field="sharing")
        if sharing is not None:
            me.sharing = sharing
        after = (me.audio_muted, me.video_muted, me.muted_by_host, me.hand_raised_at, me.sharing)
        if after != before:
            await me.save()
            await change.participant(me, ParticipantChange.UPDATED)
    return me


# --- reactions --------------------------------------------------------------------------


async def _metered(participant_id: int) -> None:
    store = runtime.current().store
    [result] = await store.take_all(
        [Bucket(f"meetings.reactions:{participant_id}", REACTION_BURST, REACTIONS_PER_SECOND)], 1
    )
    if not result.allowed:
        raise Throttled(
            f"At most {REACTION_BURST} reactions at once, then {REACTIONS_PER_SECOND:g} a second.",
            retry_after=result.retry_after,
            field="emoji",
        )


async def check_meeting_react(ctx: Context, *, meeting_id: int | None, emoji: str) -> str:
    clean = check_emoji(emoji)
    actor = await access_meeting(ctx, meeting_id)
    me = require_joined(actor)
    await _metered(me.id)
    event: MeetingReaction = {
        "type": MeetingsEventKind.REACTION,
        "meetingId": actor.meeting.id,
        "organizationId": actor.meeting.organization_id,
        "participantId": me.id,
        "emoji": clean,
    }
    await do_react(event)
    return clean


async def do_react(event: MeetingReaction) -> None:
    """Relay a reaction to everyone in the meeting at once (nothing is written)."""
    await runtime.current().bus.publish(meeting_channel(event["meetingId"]), dict(event))
