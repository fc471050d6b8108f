"""Issue 10, item 4: a guest adds nobody to a chat, and system messages name nobody the reader
may not see.

A guest could add any id to a group it was in, and the system message ("Gus added Bob") told
it the name behind the id: with sequential ids, a name oracle. Now guests may not add members
at all (they see only themselves, so "only people visible to it" would be nobody anyway), and
a system message is rendered per reader: the people the reader may see are named, the others
counted.
"""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.identity import Role
from models.messenger import ChatMember, Message
from tests.client import Api
from tests.drive.sharing_helpers import pk, with_role
from tests.messenger.helpers import group, send

ADD = """mutation($i: ChatMembersAddInput!) { chatMembersAdd(input: $i) {
  chat { id } errors { code field message } } }"""
MESSAGES = """query($id: ID!) { chat(id: $id) {
  lastMessage { text content }
  messages(last: 20) { messages { seq text content sender { id } } } } }"""
SEARCH = """query($q: String!) { messageSearch(query: $q) { edges { node { snippet
  message { text } } } } }"""


async def chat_state(chat: str) -> tuple[Any, ...]:
    members = sorted(await ChatMember.filter(chat_id=pk(chat)).values_list("user_id", flat=True))
    return tuple(members), await Message.filter(chat_id=pk(chat)).count()


async def test_a_guest_adds_nobody_whatever_the_id(api: Api) -> None:
    # Given a group where anyone may add people, with the guest Gus in it; Bob outside it; and
    # someone of another organization
    ada = await api.sign_up(name="Ada")
    bob = await api.add_member(ada, name="Bob")
    gus = await with_role(api, ada, Role.GUEST, "Gus")
    chat = await group(api, ada, [gus], name="Open")
    zed = await api.sign_up(organization="Other", name="Zed")
    before = await chat_state(chat)

    # When the guest adds Bob, the foreigner, and an id that never existed
    answers = set()
    for user_id in (bob.user_id, zed.user_id, str(GlobalID("User", "987654321"))):
        r = await api.post(
            ADD, {"i": {"chatId": chat, "userIds": [user_id]}}, token=gus.access_token
        )
        answers.add(r.content)

    # Then each is the same typed refusal, which names nobody
    assert len(answers) == 1
    (answer,) = answers
    assert b'"GUEST_NOT_ALLOWED"' in answer and b"Bob" not in answer
    # and nobody was added, nothing was posted
    assert await chat_state(chat) == before


async def test_system_messages_name_only_people_the_reader_may_see(api: Api) -> None:
    # Given Ada's group with Carl, to which she adds Bob and the guest Gus
    ada = await api.sign_up(name="Ada Admin")
    bob = await api.add_member(ada, name="Bob Builder")
    carl = await api.add_member(ada, name="Carl Member")
    gus = await with_role(api, ada, Role.GUEST, "Gus Guest")
    chat = await group(api, ada, [carl], name="Team")
    await send(api, carl, chat, "welcome everyone")
    p = await api.gql(
        ADD, {"i": {"chatId": chat, "userIds": [bob.user_id, gus.user_id]}}, token=ada.access_token
    )
    assert p["chatMembersAdd"]["errors"] == []

    # When a member and the guest read the chat
    as_member = (await api.gql(MESSAGES, {"id": chat}, token=carl.access_token))["chat"]
    as_guest = (await api.gql(MESSAGES, {"id": chat}, token=gus.access_token))["chat"]

    # Then the member reads every name, the guest only its own and counts for the rest
    assert as_member["lastMessage"]["text"] == "Ada Admin added Bob Builder and Gus Guest"
    assert as_guest["lastMessage"]["text"] == "Someone added Gus Guest and 1 other"
    guest_texts = [m["text"] for m in as_guest["messages"]["messages"]]
    assert guest_texts == ["welcome everyone", "Someone added Gus Guest and 1 other"]
    # and the ids behind the text are nobody's to read
    assert all(m["content"] is None for m in as_guest["messages"]["messages"])
    # nor does search find a name in a system message
    found = await api.gql(SEARCH, {"q": "Bob"}, token=gus.access_token)
    assert found["messageSearch"]["edges"] == []
    stored = await Message.filter(chat_id=pk(chat)).order_by("-seq").first()
    assert stored is not None and "Bob" not in stored.text and "Ada" not in stored.text
