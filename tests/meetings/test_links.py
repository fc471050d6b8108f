"""Meetings and the other modules: a meeting started from a chat posts its card there and its
chat's members may see and join it; an event created with a meeting carries it and its
attendees join without a passcode; any other meeting has a chat of its own whose members are
the people who joined."""

from __future__ import annotations

from models.meetings import Meeting
from models.messenger import ChatMember, Message
from tests.client import Api
from tests.meetings.helpers import create_meeting, join, join_ok, pk
from tests.messenger.helpers import group

START = "2026-12-07T09:00:00Z"
END = "2026-12-07T09:30:00Z"

MESSAGES = """query($c: ID!) { chat(id: $c) { messages { messages {
  text sender { id } meeting { id number status viewerParticipant { state } } } } } }"""


async def test_a_meeting_started_from_a_chat_posts_its_card(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    chat = await group(api, ada, [bob])
    meeting = await create_meeting(api, ada, topic="Design review", chatId=chat)
    row = await Meeting.get(id=pk(meeting["id"]))
    assert row.chat_id == pk(chat) and row.card_message_id is not None
    card = await Message.get(id=row.card_message_id)
    assert card.chat_id == pk(chat) and card.sender_id == pk(ada.user_id)
    # Bob reads the chat: the card is the live meeting, which he may see and join by ID.
    data = await api.gql(MESSAGES, {"c": chat}, token=bob.access_token)
    nodes = data["chat"]["messages"]["messages"]
    assert nodes[-1]["meeting"]["id"] == meeting["id"]
    assert nodes[-1]["meeting"]["status"] == "WAITING"
    assert "Design review" in nodes[-1]["text"]
    await join_ok(api, ada, meeting["id"])
    joined = await join(api, bob.access_token, meetingId=meeting["id"])
    assert joined["errors"] == [] and joined["participant"]["state"] == "JOINED"
    # Cat, not in the chat, cannot see it by ID (she would need the number).
    seen = await api.gql(
        "query($m: ID!) { meeting(id: $m) { id } }", {"m": meeting["id"]}, token=cat.access_token
    )
    assert seen["meeting"] is None
    refused = await join(api, cat.access_token, meetingId=meeting["id"])
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]


async def test_a_chat_one_is_not_in_starts_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    chat = await group(api, ada, [bob])
    before = await Meeting.all().count()
    data = await api.gql(
        """mutation($i: MeetingCreateInput!) { meetingCreate(input: $i) {
          meeting { id } errors { code field } } }""",
        {"i": {"chatId": chat}},
        token=cat.access_token,
    )
    assert data["meetingCreate"] == {
        "meeting": None,
        "errors": [{"code": "NOT_FOUND", "field": "chatId"}],
    }
    assert await Meeting.all().count() == before
    assert await Message.filter(chat_id=pk(chat)).count() == 0


async def test_an_event_created_with_a_meeting_carries_it(api: Api) -> None:
    from tests.calendar.helpers import event_ok

    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    event = await event_ok(
        api,
        ada,
        title="Planning",
        startAt=START,
        endAt=END,
        timeZone="UTC",
        attendees=[{"userId": bob.user_id}],
        withMeeting=True,
    )
    data = await api.gql(
        """query($e: ID!) { node(id: $e) { ... on Event { meeting {
          id kind topic status number eventId } } } }""",
        {"e": event["id"]},
        token=bob.access_token,
    )
    meeting = data["node"]["meeting"]
    assert meeting["kind"] == "SCHEDULED" and meeting["topic"] == "Planning"
    assert meeting["eventId"] == event["id"]
    # The attendee joins by ID; Cat, not invited, sees no meeting on the event or by ID.
    joined = await join(api, bob.access_token, meetingId=meeting["id"])
    assert joined["errors"] == [] and joined["participant"]["role"] == "ATTENDEE"
    seen = await api.gql(
        "query($m: ID!) { meeting(id: $m) { id } }", {"m": meeting["id"]}, token=cat.access_token
    )
    assert seen["meeting"] is None
    # The organizer is its host.
    hosted = await join_ok(api, ada, meeting["id"])
    assert hosted["participant"]["role"] == "HOST"


async def test_an_event_without_a_meeting_has_none(api: Api) -> None:
    from tests.calendar.helpers import event_ok

    ada = await api.sign_up()
    event = await event_ok(api, ada, title="Lunch", startAt=START, endAt=END, timeZone="UTC")
    data = await api.gql(
        "query($e: ID!) { node(id: $e) { ... on Event { meeting { id } } } }",
        {"e": event["id"]},
        token=ada.access_token,
    )
    assert data["node"]["meeting"] is None
    assert await Meeting.filter(event_id=pk(event["id"])).count() == 0


async def test_a_meeting_of_its_own_has_a_chat_of_those_who_joined(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    meeting = await create_meeting(api, ada, topic="Retro")
    row = await Meeting.get(id=pk(meeting["id"]))
    assert row.chat_id is not None and row.card_message_id is None
    assert await ChatMember.filter(chat_id=row.chat_id).values_list("user_id", flat=True) == [
        pk(ada.user_id)
    ]
    await join_ok(api, ada, meeting["id"])
    await join_ok(api, bob, None, number=meeting["number"])
    members = await ChatMember.filter(chat_id=row.chat_id).values_list("user_id", flat=True)
    assert sorted(members) == sorted([pk(ada.user_id), pk(bob.user_id)])
    data = await api.gql(
        "query($m: ID!) { meeting(id: $m) { chatId } }",
        {"m": meeting["id"]},
        token=bob.access_token,
    )
    chat = await api.gql(
        "query($c: ID!) { chat(id: $c) { name } }",
        {"c": data["meeting"]["chatId"]},
        token=bob.access_token,
    )
    assert chat["chat"]["name"] == "Meeting: Retro"
