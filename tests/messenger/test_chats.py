"""Chats: creation, direct-chat uniqueness, membership and tenancy, the chat list."""

from __future__ import annotations

import asyncio

from strawberry.relay import GlobalID

from models.identity import Role, User
from models.messenger import Chat, ChatMember
from tests.client import Api, count_queries
from tests.errors import payload_code
from tests.messenger.helpers import CHAT_CREATE, group, send

CHATS = """query($first: Int, $after: String) { viewer { chats(first: $first, after: $after) {
  edges { cursor node { id name lastSeq unreadCount mentionCount readSeq lastMessage { seq text sender { id } } } }
  pageInfo { hasNextPage endCursor } } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def test_group_chat_has_its_creator_as_owner(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    chat_id = await group(api, owner, [bob], name="Launch")
    roles = {m.user_id: m.role for m in await ChatMember.filter(chat_id=pk(chat_id))}
    assert roles == {pk(owner.user_id): "OWNER", pk(bob.user_id): "MEMBER"}
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Chat { name kind } } }",
        {"id": chat_id},
        token=bob.access_token,
    )
    assert node["node"] == {"name": "Launch", "kind": "GROUP"}


async def test_direct_chat_is_unique_per_pair_even_when_both_open_it_at_once(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    attempts = [
        api.gql(
            CHAT_CREATE,
            {"i": {"kind": "DIRECT", "memberIds": [bob.user_id]}},
            token=ada.access_token,
        ),
        api.gql(
            CHAT_CREATE,
            {"i": {"kind": "DIRECT", "memberIds": [ada.user_id]}},
            token=bob.access_token,
        ),
        api.gql(
            CHAT_CREATE,
            {"i": {"kind": "DIRECT", "memberIds": [bob.user_id]}},
            token=ada.access_token,
        ),
    ]
    ids = {r["chatCreate"]["chat"]["id"] for r in await asyncio.gather(*attempts)}
    assert len(ids) == 1
    assert (
        await Chat.filter(direct_key__isnull=False, members__user_id=pk(bob.user_id)).count() == 1
    )


async def test_invalid_chats_are_refused_and_nothing_is_created(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    carl = await api.add_member(ada)
    stranger = await api.sign_up()
    before = await Chat.all().count()
    direct_three = await api.gql(
        CHAT_CREATE,
        {"i": {"kind": "DIRECT", "memberIds": [bob.user_id, carl.user_id]}},
        token=ada.access_token,
    )
    assert direct_three["chatCreate"]["errors"][0]["code"] == "INVALID_MEMBERS"
    nameless = await api.gql(
        CHAT_CREATE, {"i": {"kind": "GROUP", "memberIds": [bob.user_id]}}, token=ada.access_token
    )
    assert nameless["chatCreate"]["errors"][0]["code"] == "INVALID_NAME"
    # Someone of another organization is exactly like someone who does not exist.
    r = await api.post(
        CHAT_CREATE,
        {"i": {"kind": "GROUP", "name": "X", "memberIds": [stranger.user_id]}},
        token=ada.access_token,
    )
    assert payload_code(r.json(), "chatCreate") == "NOT_FOUND"
    guest = await api.add_member(ada, name="Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    refused = await api.gql(
        CHAT_CREATE,
        {"i": {"kind": "GROUP", "name": "G", "memberIds": []}},
        token=guest.access_token,
    )
    assert refused["chatCreate"]["errors"][0]["code"] == "GUEST_NOT_ALLOWED"
    assert await Chat.all().count() == before


async def test_chat_create_is_idempotent(api: Api) -> None:
    ada = await api.sign_up()
    variables = {"i": {"kind": "GROUP", "name": "Once", "memberIds": [], "idempotencyKey": "k-1"}}
    first, second = [
        (await api.gql(CHAT_CREATE, variables, token=ada.access_token))["chatCreate"]["chat"]["id"]
        for _ in range(2)
    ]
    assert first == second
    assert await Chat.filter(name="Once", created_by_id=pk(ada.user_id)).count() == 1


async def test_non_members_and_other_organizations_see_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    outsider = await api.add_member(ada, name="Outsider")
    stranger = await api.sign_up()
    chat_id = await group(api, ada, [bob])
    for who in (outsider, stranger):
        got = await api.gql(
            "query($id: ID!) { chat(id: $id) { id } node(id: $id) { id } }",
            {"id": chat_id},
            token=who.access_token,
        )
        assert got == {"chat": None, "node": None}
        refused = await api.post(
            "mutation($i: MessageSendInput!) { messageSend(input: $i) { message { id } "
            "errors { code } } }",
            {"i": {"chatId": chat_id, "text": "let me in"}},
            token=who.access_token,
        )
        assert payload_code(refused.json(), "messageSend") == "NOT_FOUND"
    assert (await Chat.get(id=pk(chat_id))).last_seq == 0


async def test_chat_list_orders_by_activity_and_counts_unread_and_mentions(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    quiet = await group(api, ada, [bob], name="Quiet")
    busy = await group(api, ada, [bob], name="Busy")
    await send(api, ada, busy, "hello")
    await send(api, ada, busy, "@bob look", mentionedUserIds=[bob.user_id])
    await send(api, ada, quiet, "newest")
    chats = (await api.gql(CHATS, token=bob.access_token))["viewer"]["chats"]["edges"]
    by_name = {e["node"]["name"]: e["node"] for e in chats}
    assert [e["node"]["name"] for e in chats][:2] == ["Quiet", "Busy"]
    assert by_name["Busy"]["unreadCount"] == 2 and by_name["Busy"]["mentionCount"] == 1
    assert by_name["Busy"]["lastMessage"] == {
        "seq": 2,
        "text": "@bob look",
        "sender": {"id": ada.user_id},
    }
    # The sender has read their own messages.
    mine = {
        e["node"]["name"]: e["node"]
        for e in (await api.gql(CHATS, token=ada.access_token))["viewer"]["chats"]["edges"]
    }
    assert mine["Busy"]["unreadCount"] == 0
    marked = await api.gql(
        "mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) { readSeq chat { unreadCount mentionCount } } }",
        {"i": {"chatId": busy, "seq": 2}},
        token=bob.access_token,
    )
    assert marked["chatMarkRead"] == {"readSeq": 2, "chat": {"unreadCount": 0, "mentionCount": 0}}
    # Read positions never move back.
    back = await api.gql(
        "mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) { readSeq } }",
        {"i": {"chatId": busy, "seq": 1}},
        token=bob.access_token,
    )
    assert back["chatMarkRead"]["readSeq"] == 2


async def test_chat_list_query_count_does_not_grow_with_its_length(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    for i in range(8):
        chat = await group(api, ada, [bob], name=f"Room {i}")
        await send(api, ada, chat, f"message {i}", mentionedUserIds=[bob.user_id])
    counts = []
    for first in (2, 8):
        with count_queries() as statements:
            data = await api.gql(CHATS, {"first": first}, token=bob.access_token)
        assert len(data["viewer"]["chats"]["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[0] > 0, counts


async def test_only_the_viewer_lists_their_chats(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    r = await api.post(
        "query($id: ID!) { node(id: $id) { ... on User { chats { edges { cursor } } } } }",
        {"id": bob.user_id},
        token=ada.access_token,
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
