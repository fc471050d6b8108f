"""How meetings tie into Messenger and Calendar.

- The meeting chat: a meeting started from a chat uses that chat, one created with an event
  that names a chat uses it; any other meeting gets a group chat of its own, made with it
  (owned by the host), and every member of the organization who joins is added to it (guests
  from outside are not: a chat is the organization's).
- The meeting card: a meeting started from a chat posts a message there from its host; the
  message's ``meeting`` is the live meeting (``Message.meeting``), and when the meeting ends
  the card's message is published again as updated, so chat clients redraw it.
- Who may see a meeting besides its participants (``access.on_can_see``): the members of its
  chat and the attendees (and organizer) of its event."""

from __future__ import annotations

from models.calendar import Event, EventAttendee
from models.identity import User
from models.meetings import Meeting, MeetingKind, MeetingParticipant
from models.messenger import Chat, ChatMember, Message
from resolvers.core.tx import current
from resolvers.meetings.access import on_can_see
from resolvers.meetings.create import on_created
from resolvers.meetings.join import on_entered
from resolvers.meetings.state import on_ended
from resolvers.messenger import events as chat_events
from resolvers.messenger.chats import do_chat_create
from resolvers.messenger.group_chats import do_members_add
from resolvers.messenger.messages import do_message_send

MAX_CHAT_NAME = 100


def card_text(meeting: Meeting) -> str:
    topic = meeting.topic or "a meeting"
    number = f"{meeting.number[:3]} {meeting.number[3:6]} {meeting.number[6:]}"
    return f"Started {topic} (meeting {number}): join from this card."


@on_created
async def do_link_created(meeting: Meeting, creator_id: int) -> None:
    """The card in the chat it was started from, or a meeting chat of its own."""
    if meeting.source_chat_id is not None and meeting.kind == MeetingKind.INSTANT:
        chat = await Chat.get(id=meeting.source_chat_id)
        message = await do_message_send(chat, creator_id, card_text(meeting), None, set())
        meeting.card_message_id = message.id
        await meeting.save(update_fields=["card_message_id"])
    if meeting.chat_id is None:
        name = f"Meeting: {meeting.topic or meeting.number}"[:MAX_CHAT_NAME]
        chat = await do_chat_create(
            meeting.organization_id,
            meeting.host_id,
            name=name,
            description=f"The chat of meeting {meeting.number}.",
            member_ids=[],
        )
        meeting.chat_id = chat.id
        await meeting.save(update_fields=["chat_id"])


@on_entered
async def do_join_meeting_chat(meeting: Meeting, p: MeetingParticipant) -> None:
    """A member who joins a meeting with a chat of its own becomes a member of that chat."""
    if (
        p.user_id is None
        or meeting.chat_id is None
        or meeting.source_chat_id is not None
        or meeting.event_id is not None
    ):
        return
    if await ChatMember.exists(chat_id=meeting.chat_id, user_id=p.user_id):
        return
    chat = await Chat.filter(id=meeting.chat_id, disbanded_at__isnull=True).first()
    if chat is None:
        return
    users = await User.filter(id__in=[p.user_id, meeting.host_id])
    by_id = {u.id: u for u in users}
    if p.user_id in by_id:
        await do_members_add(chat, by_id.get(meeting.host_id, by_id[p.user_id]), [by_id[p.user_id]])


@on_ended
async def do_redraw_card(meeting: Meeting) -> None:
    """The meeting ended: chat clients showing its card learn that it changed."""
    if meeting.card_message_id is None or meeting.source_chat_id is None:
        return
    message = await Message.filter(id=meeting.card_message_id).first()
    tx = current()
    if message is not None and tx is not None:
        tx.publish(chat_events.chat_channel(message.chat_id), chat_events.message_updated(message))


@on_can_see
async def chat_member_sees(meeting: Meeting, user_id: int) -> bool:
    return meeting.chat_id is not None and await ChatMember.exists(
        chat_id=meeting.chat_id, user_id=user_id
    )


@on_can_see
async def event_attendee_sees(meeting: Meeting, user_id: int) -> bool:
    if meeting.event_id is None:
        return False
    if await EventAttendee.exists(event_id=meeting.event_id, user_id=user_id):
        return True
    return await Event.exists(id=meeting.event_id, organizer_id=user_id)
