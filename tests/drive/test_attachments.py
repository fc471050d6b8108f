"""Drive files sent with messages: who may attach what, what members see, and that recalling
the message ends their access."""

from __future__ import annotations

from typing import Any

import httpx

from models.drive import MessageAttachment
from models.messenger import Chat
from resolvers.messenger.events import chat_channel
from tests.client import Account, Api, WSClient, count_queries, wait_subscribed
from tests.drive.sharing_helpers import file, folder, pk, refusal_of, see, share_ok
from tests.messenger.helpers import group

SEND = """mutation($i: MessageSendInput!) { messageSend(input: $i) { message { id text
  attachments { name size contentType downloadUrl file { id viewerRole } } }
  errors { code field message } } }"""
RECALL = """mutation($i: MessageRecallInput!) { messageRecall(input: $i) {
  errors { code } } }"""
EVENTS = """subscription($id: ID!) { chatEvents(chatId: $id) { __typename
  ... on MessageAdded { message { attachments { name downloadUrl } } } } }"""
HISTORY = """query($id: ID!) { chat(id: $id) { messages(last: 50) { messages { id
  attachments { name size downloadUrl } } } } }"""


async def send(
    api: Api, who: Account, chat: str, files: list[str], text: str = ""
) -> dict[str, Any]:
    data = await api.gql(
        SEND, {"i": {"chatId": chat, "text": text, "fileIds": files}}, token=who.access_token
    )
    return data["messageSend"]


async def last_seq(chat: str) -> int:
    return (await Chat.get(id=pk(chat))).last_seq


async def test_members_view_attached_files_until_the_message_is_recalled(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    outsider = await api.add_member(owner, name="Out")
    chat = await group(api, owner, [bob])
    a = await file(api, owner, "a.txt", data=b"alpha")
    b = await file(api, owner, "b.png", data=b"\x89PNG beta")
    assert await see(api, bob, a) is None

    sent = await send(api, owner, chat, [a, b, a])  # empty text is fine with files
    assert sent["errors"] == []
    message = sent["message"]
    assert message["text"] == ""
    assert [(x["name"], x["size"]) for x in message["attachments"]] == [
        ("a.txt", 5),
        ("b.png", 9),
    ]
    assert await MessageAttachment.filter(message_id=pk(message["id"])).count() == 2

    got = (await api.gql(HISTORY, {"id": chat}, token=bob.access_token))["chat"]
    attached = got["messages"]["messages"][-1]["attachments"]
    assert [x["name"] for x in attached] == ["a.txt", "b.png"]
    async with httpx.AsyncClient(base_url=api.base_url) as http:
        r = await http.get(attached[0]["downloadUrl"])
    assert r.status_code == 200 and r.content == b"alpha"
    seen = await see(api, bob, a)
    assert seen is not None and seen["viewerRole"] == "VIEWER"
    # Someone outside the chat sees nothing.
    assert await see(api, outsider, a) is None

    recalled = await api.gql(RECALL, {"i": {"messageId": message["id"]}}, token=owner.access_token)
    assert recalled["messageRecall"]["errors"] == []
    assert await see(api, bob, a) is None
    got = (await api.gql(HISTORY, {"id": chat}, token=bob.access_token))["chat"]
    assert got["messages"]["messages"][-1]["attachments"] == []
    # The owner still has the file, of course.
    assert await see(api, owner, a) is not None


async def test_only_files_you_can_edit_go_with_a_message(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    stranger = await api.sign_up(organization="Other")
    chat = await group(api, owner, [bob])
    mine = await file(api, bob, "mine.txt")
    viewed = await file(api, owner, "viewed.txt")
    edited = await file(api, owner, "edited.txt")
    theirs = await file(api, stranger, "theirs.txt")
    a_folder = await folder(api, bob, "Folder")
    await share_ok(api, owner, viewed, "COMMENTER", user=bob)
    await share_ok(api, owner, edited, "EDITOR", user=bob)
    before = await last_seq(chat)

    for files, code in (
        ([viewed], "CANNOT_ATTACH"),
        ([a_folder], "NOT_A_FILE"),
        ([mine, edited] + [await file(api, bob, f"{n}.txt") for n in range(9)], None),
    ):
        p = await send(api, bob, chat, files, text="hi")
        if code is None:
            assert [(e["code"], e["field"]) for e in p["errors"]] == [("TOO_MANY_FILES", "fileIds")]
        else:
            assert [(e["code"], e["field"]) for e in p["errors"]] == [(code, "fileIds")]
    variables = {"i": {"chatId": chat, "text": "hi", "fileIds": [theirs]}}
    assert await refusal_of(api, SEND, variables, bob) == ("NOT_FOUND", "fileIds")
    empty = await send(api, bob, chat, [], text=" ")
    assert [e["code"] for e in empty["errors"]] == ["EMPTY_MESSAGE"]
    assert await last_seq(chat) == before
    assert await MessageAttachment.filter(chat_id=pk(chat)).count() == 0

    ok = await send(api, bob, chat, [mine, edited], text="both")
    assert [x["file"]["id"] for x in ok["message"]["attachments"]] == [mine, edited]


async def test_attachments_of_a_page_of_messages_cost_the_same_queries(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    small = await group(api, owner, [bob], name="Small")
    large = await group(api, owner, [bob], name="Large")
    for chat, n in ((small, 2), (large, 8)):
        for i in range(n):
            files = [await file(api, owner, f"{chat[-4:]}-{i}-{j}.txt") for j in range(2)]
            assert (await send(api, owner, chat, files))["errors"] == []

    counts = []
    for chat in (small, large):
        with count_queries() as statements:
            got = (await api.gql(HISTORY, {"id": chat}, token=bob.access_token))["chat"]
        assert all(len(m["attachments"]) == 2 for m in got["messages"]["messages"])
        assert all(a["downloadUrl"] for m in got["messages"]["messages"] for a in m["attachments"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_members_get_the_files_with_the_live_message(server: str, api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    chat = await group(api, owner, [bob])
    doc = await file(api, owner, "live.txt", data=b"live")
    ws = await WSClient.connect(server)
    try:
        init = await ws.init({"authorization": f"Bearer {bob.access_token}"})
        assert init["type"] == "connection_ack"
        await ws.subscribe(EVENTS, {"id": chat})
        await wait_subscribed(chat_channel(pk(chat)))
        assert (await send(api, owner, chat, [doc], text="see"))["errors"] == []
        msg = await ws.receive(timeout=10)
        event = msg["payload"]["data"]["chatEvents"]
        assert event["message"]["attachments"][0]["name"] == "live.txt"
        assert event["message"]["attachments"][0]["downloadUrl"]
    finally:
        await ws.close()
