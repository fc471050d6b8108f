"""Comments: a range anchor follows its text while people type before and inside it and is
detached when its text is deleted (emoji and CJK counted in UTF-16 units); whole-doc threads,
replies, edits, resolve and reopen; who may do what (a viewer reads but cannot comment, a
refused call writes nothing); mentions notify people who can see the doc and refuse the
others; comment changes stream on docEvents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from models.docs import DocComment
from models.drive import DriveItem, DrivePermission, DriveRole, GranteeKind
from resolvers.core.channels import user_channel
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.docs.helpers import PyClient, doc_ok, pk

COMMENT = """id body createdAt editedAt resolvedAt threadId author { id }
  mentionedUsers { id } anchor { blockId start end quote detached }"""
CREATE = f"""mutation($i: DocCommentCreateInput!) {{ docCommentCreate(input: $i) {{
  comment {{ {COMMENT} }} errors {{ code field message }} }} }}"""
REPLY = f"""mutation($i: DocCommentReplyInput!) {{ docCommentReply(input: $i) {{
  comment {{ {COMMENT} }} errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($i: DocCommentUpdateInput!) {{ docCommentUpdate(input: $i) {{
  comment {{ {COMMENT} }} errors {{ code field message }} }} }}"""
DELETE = """mutation($i: DocCommentDeleteInput!) { docCommentDelete(input: $i) {
  deletedCommentId errors { code field message } } }"""
RESOLVE = f"""mutation($i: DocCommentResolveInput!) {{ docCommentResolve(input: $i) {{
  comment {{ {COMMENT} }} errors {{ code field }} }} }}"""
REOPEN = f"""mutation($i: DocCommentReopenInput!) {{ docCommentReopen(input: $i) {{
  comment {{ {COMMENT} }} errors {{ code field }} }} }}"""
THREADS = f"""query($d: ID!, $r: Boolean) {{ doc(id: $d) {{ comments(includeResolved: $r) {{
  edges {{ node {{ {COMMENT} replies {{ {COMMENT} }} }} }} }} }} }}"""


async def share(doc_id: str, user: Account, role: DriveRole) -> None:
    item = await DriveItem.get(id=pk(doc_id))
    await DrivePermission.create(
        organization_id=item.organization_id,
        item_id=item.id,
        grantee_kind=GranteeKind.USER,
        grantee_id=pk(user.user_id),
        role=role,
    )


async def call(api: Api, who: Account, query: str, **fields: Any) -> dict[str, Any]:
    data = await api.gql(query, {"i": fields}, token=who.access_token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def ok(api: Api, who: Account, query: str, **fields: Any) -> dict[str, Any]:
    payload = await call(api, who, query, **fields)
    assert payload["errors"] == [], payload
    return payload


async def threads(api: Api, who: Account, doc_id: str, resolved: bool = False) -> list[Any]:
    data = await api.gql(THREADS, {"d": doc_id, "r": resolved}, token=who.access_token)
    return [e["node"] for e in data["doc"]["comments"]["edges"]]


async def written_doc(api: Api, who: Account, text: str) -> tuple[dict[str, Any], PyClient]:
    doc = await doc_ok(api, who, title="Comments")
    client = PyClient(api, who, doc["id"])
    await client.sync()
    result = await client.edit(lambda d: client.paragraph().insert(0, text))
    assert result["errors"] == [], result
    return doc, client


def block_id(client: PyClient) -> str:
    return str(client.blocks[0]["id"])


def at(client: PyClient, units: int) -> int:
    """pycrdt's offset (UTF-8 bytes) of a UTF-16 offset in the paragraph."""
    text = str(client.paragraph())
    encoded = text.encode("utf-16-le")[: units * 2].decode("utf-16-le")
    return len(encoded.encode())


async def test_an_anchor_follows_its_text_and_detaches_when_it_is_deleted(api: Api) -> None:
    ada = await api.sign_up()
    doc, client = await written_doc(api, ada, "hello brave world")
    anchor = {"blockId": block_id(client), "start": 6, "end": 11}
    made = (await ok(api, ada, CREATE, docId=doc["id"], body="Bold?", anchor=anchor))["comment"]
    assert made["anchor"] == {**anchor, "quote": "brave", "detached": False}
    # Typing before the range moves it; typing inside widens it; at its edges stays outside.
    await client.edit(lambda d: client.paragraph().insert(0, "Oh, "))
    await client.edit(lambda d: client.paragraph().insert(12, "-"))  # brave -> br-ave
    await client.edit(lambda d: client.paragraph().insert(10, "["))  # at the start edge
    await client.edit(lambda d: client.paragraph().insert(17, "]"))  # at the end edge
    assert str(client.paragraph()) == "Oh, hello [br-ave] world"
    [thread] = await threads(api, ada, doc["id"])
    assert thread["anchor"] == {
        "blockId": anchor["blockId"],
        "start": 11,
        "end": 17,
        "quote": "br-ave",
        "detached": False,
    }
    # The commented text is deleted: detached, with the text it had.
    await client.edit(lambda d: client.paragraph().__delitem__(slice(10, 18)))
    assert str(client.paragraph()) == "Oh, hello  world"
    [thread] = await threads(api, ada, doc["id"])
    assert thread["anchor"]["detached"] is True
    assert thread["anchor"]["quote"] == "brave" and thread["anchor"]["start"] == 10


async def test_offsets_are_utf16_units_and_survive_emoji_and_cjk_edits(api: Api) -> None:
    ada = await api.sign_up()
    doc, client = await written_doc(api, ada, "😀 会議の議事録 end")
    # 😀 is two UTF-16 units: 会議 starts at 3.
    anchor = {"blockId": block_id(client), "start": 3, "end": 5}
    made = (await ok(api, ada, CREATE, docId=doc["id"], body="?", anchor=anchor))["comment"]
    assert made["anchor"]["quote"] == "会議"
    await client.edit(lambda d: client.paragraph().insert(at(client, 4), "🎉"))  # inside
    await client.edit(lambda d: client.paragraph().insert(0, "中文"))
    [thread] = await threads(api, ada, doc["id"])
    assert thread["anchor"]["quote"] == "会🎉議"
    assert (thread["anchor"]["start"], thread["anchor"]["end"]) == (5, 9)
    inside_pair = await call(
        api, ada, CREATE, docId=doc["id"], body="x", anchor={**anchor, "start": 1, "end": 3}
    )
    assert inside_pair["errors"][0]["code"] == "BAD_USER_INPUT"
    unknown = await call(
        api, ada, CREATE, docId=doc["id"], body="x", anchor={**anchor, "blockId": "nope"}
    )
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [
        ("BLOCK_NOT_FOUND", "anchor.blockId")
    ]


async def test_threads_replies_resolve_reopen_edit_and_delete(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc = await doc_ok(api, ada, title="Plan")
    await share(doc["id"], bob, DriveRole.COMMENTER)
    thread = (await ok(api, bob, CREATE, docId=doc["id"], body="  Looks good  "))["comment"]
    assert thread["body"] == "Looks good" and thread["anchor"] is None
    reply = (await ok(api, ada, REPLY, commentId=thread["id"], body="Thanks"))["comment"]
    assert reply["threadId"] == thread["id"]
    # A reply to a reply goes to the thread.
    again = (await ok(api, bob, REPLY, commentId=reply["id"], body="np"))["comment"]
    assert again["threadId"] == thread["id"]
    [listed] = await threads(api, ada, doc["id"])
    assert [r["body"] for r in listed["replies"]] == ["Thanks", "np"]
    # Only the author edits.
    refused = await call(api, ada, UPDATE, commentId=thread["id"], body="hijack")
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    edited = (await ok(api, bob, UPDATE, commentId=thread["id"], body="Looks great"))["comment"]
    assert edited["body"] == "Looks great" and edited["editedAt"] is not None
    # Resolving (through a reply) hides the thread unless asked; reopening brings it back.
    resolved = (await ok(api, bob, RESOLVE, commentId=reply["id"]))["comment"]
    assert resolved["id"] == thread["id"] and resolved["resolvedAt"] is not None
    assert await threads(api, ada, doc["id"]) == []
    assert len(await threads(api, ada, doc["id"], resolved=True)) == 1
    await ok(api, ada, REOPEN, commentId=thread["id"])
    assert len(await threads(api, ada, doc["id"])) == 1
    # A commenter cannot delete another's reply; the doc's owner can delete anyone's.
    denied = await call(api, bob, DELETE, commentId=reply["id"])
    assert denied["errors"][0]["code"] == "FORBIDDEN"
    assert (await DocComment.get(id=pk(reply["id"]))).deleted_at is None
    await ok(api, ada, DELETE, commentId=reply["id"])
    [listed] = await threads(api, ada, doc["id"])
    assert [r["body"] for r in listed["replies"]] == ["np"]
    await ok(api, bob, DELETE, commentId=thread["id"])
    assert await threads(api, ada, doc["id"], resolved=True) == []
    gone = await call(api, bob, REPLY, commentId=again["id"], body="hello?")
    assert gone["errors"][0]["code"] == "NOT_FOUND"


async def test_viewers_read_but_cannot_comment_and_strangers_see_nothing(api: Api) -> None:
    ada = await api.sign_up()
    vic = await api.add_member(ada, name="Vic")
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Read only")
    await share(doc["id"], vic, DriveRole.VIEWER)
    thread = (await ok(api, ada, CREATE, docId=doc["id"], body="Mine"))["comment"]
    before = await DocComment.filter(document_id=pk(doc["id"])).count()
    for query, fields in (
        (CREATE, {"docId": doc["id"], "body": "no"}),
        (REPLY, {"commentId": thread["id"], "body": "no"}),
        (RESOLVE, {"commentId": thread["id"]}),
    ):
        assert (await call(api, vic, query, **fields))["errors"][0]["code"] == "FORBIDDEN"
        assert (await call(api, eve, query, **fields))["errors"][0]["code"] == "NOT_FOUND"
    assert await DocComment.filter(document_id=pk(doc["id"])).count() == before
    assert (await DocComment.get(id=pk(thread["id"]))).resolved_at is None
    assert [t["body"] for t in await threads(api, vic, doc["id"])] == ["Mine"]


VIEWER = """subscription { viewerEvents { __typename
  ... on DocMentionedEvent { docId commentId doc { id } comment { body } actor { id } } } }"""


@asynccontextmanager
async def viewer_stream(server: str, who: Account) -> AsyncIterator[WSClient]:
    ws = await WSClient.connect(server)
    try:
        ack = await ws.init({"authorization": f"Bearer {who.access_token}"})
        assert ack["type"] == "connection_ack"
        await ws.subscribe(VIEWER)
        await wait_subscribed(user_channel(pk(who.user_id)))
        yield ws
    finally:
        await ws.close()


async def test_mentions_notify_people_who_see_the_doc_and_refuse_others(
    api: Api, server: str
) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    cat = await api.add_member(ada, name="Cat")
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Mentions")
    await share(doc["id"], bob, DriveRole.VIEWER)
    # Cat cannot see the doc: refused, naming her, and nothing written.
    refused = await call(
        api, ada, CREATE, docId=doc["id"], body="hi", mentionedUserIds=[bob.user_id, cat.user_id]
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("MENTION_WITHOUT_ACCESS", "mentionedUserIds.1")
    ]
    stranger = await call(
        api, ada, CREATE, docId=doc["id"], body="hi", mentionedUserIds=[eve.user_id]
    )
    assert [(e["code"], e["field"]) for e in stranger["errors"]] == [
        ("NOT_FOUND", "mentionedUserIds.0")
    ]
    assert await DocComment.filter(document_id=pk(doc["id"])).count() == 0
    async with viewer_stream(server, bob) as ws:
        made = await ok(
            api, ada, CREATE, docId=doc["id"], body="@Bob look", mentionedUserIds=[bob.user_id]
        )
        msg = await ws.receive(timeout=10)
    event = msg["payload"]["data"]["viewerEvents"]
    assert event == {
        "__typename": "DocMentionedEvent",
        "docId": doc["id"],
        "commentId": made["comment"]["id"],
        "doc": {"id": doc["id"]},
        "comment": {"body": "@Bob look"},
        "actor": {"id": ada.user_id},
    }
    assert made["comment"]["mentionedUsers"] == [{"id": bob.user_id}]


async def test_comment_changes_stream_on_doc_events(api: Api, server: str) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Stream")
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {ada.access_token}"}))["type"] == (
            "connection_ack"
        )
        from resolvers.core.channels import doc_channel

        await ws.subscribe(
            """subscription($d: ID!) { docEvents(docId: $d) { __typename
              ... on DocCommentEvent { change commentId threadId comment { body } actor { id } }
            } }""",
            {"d": doc["id"]},
        )
        await wait_subscribed(doc_channel(pk(doc["id"])))
        thread = (await ok(api, ada, CREATE, docId=doc["id"], body="First"))["comment"]
        await ok(api, ada, RESOLVE, commentId=thread["id"])
        await ok(api, ada, DELETE, commentId=thread["id"])
        got = [(await ws.receive(timeout=10))["payload"]["data"]["docEvents"] for _ in range(3)]
    finally:
        await ws.close()
    assert [(e["change"], e["commentId"]) for e in got] == [
        ("CREATED", thread["id"]),
        ("RESOLVED", thread["id"]),
        ("DELETED", thread["id"]),
    ]
    assert got[0]["comment"] == {"body": "First"} and got[2]["comment"] is None
    assert got[0]["actor"] == {"id": ada.user_id} and got[0]["__typename"] == "DocCommentEvent"


async def test_a_page_of_threads_costs_the_same_statements_for_more_threads(api: Api) -> None:
    from tests.client import count_queries

    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc, client = await written_doc(api, ada, "some text to comment on")
    await share(doc["id"], bob, DriveRole.COMMENTER)
    anchor = {"blockId": block_id(client), "start": 0, "end": 4}

    async def add_thread() -> None:
        made = await ok(
            api,
            ada,
            CREATE,
            docId=doc["id"],
            body="t",
            anchor=anchor,
            mentionedUserIds=[bob.user_id],
        )
        await ok(api, bob, REPLY, commentId=made["comment"]["id"], body="r")

    async def count() -> int:
        with count_queries() as statements:
            assert await threads(api, ada, doc["id"])
        return len(statements)

    await add_thread()
    few = await count()
    for _ in range(6):
        await add_thread()
    assert await count() == few
