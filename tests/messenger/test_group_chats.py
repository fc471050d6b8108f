"""Group chat management: settings, members, roles, leaving, disbanding, mute and pin; every
denied case changes nothing; another organization sees nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import Role, User
from models.messenger import Chat, ChatMember, ChatPolicy, ChatRole, Message
from resolvers.core.errors import DomainError
from resolvers.messenger.events import (
    MessengerEventKind,
    chat_channel,
    members_changed,
    user_channel,
)
from resolvers.messenger.group_chats import check_can_send
from subscriptions.core import subscribed
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.errors import payload_code
from tests.messenger.helpers import CHAT_CREATE, group, send

OUT = "chat { id name announcement sendPolicy addPolicy disbandedAt } errors { code field }"
UPDATE = f"mutation($i: ChatUpdateInput!) {{ chatUpdate(input: $i) {{ {OUT} }} }}"
ADD = f"mutation($i: ChatMembersAddInput!) {{ chatMembersAdd(input: $i) {{ {OUT} }} }}"
REMOVE = f"mutation($i: ChatMembersRemoveInput!) {{ chatMembersRemove(input: $i) {{ {OUT} }} }}"
LEAVE = f"mutation($i: ChatLeaveInput!) {{ chatLeave(input: $i) {{ {OUT} }} }}"
DISBAND = f"mutation($i: ChatDisbandInput!) {{ chatDisband(input: $i) {{ {OUT} }} }}"
ROLE = """mutation($i: ChatMemberRoleSetInput!) { chatMemberRoleSet(input: $i) {
  member { role user { id } } errors { code field } } }"""
SETTINGS = """mutation($i: ChatMemberSettingsUpdateInput!) { chatMemberSettingsUpdate(input: $i) {
  chat { id muted pinnedToTop viewerRole } errors { code field } } }"""
CHAT = """query($id: ID!) { chat(id: $id) { name viewerRole
  members(first: 10) { edges { node { role user { id } } } pageInfo { hasNextPage } } } }"""

LIST = """query($after: String) { viewer { chats(first: 1, after: $after) {
  edges { node { name pinnedToTop } } pageInfo { hasNextPage endCursor } } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def state(chat_id: str) -> tuple[Any, ...]:
    """Everything a group mutation may change, to assert that a refused one changed nothing."""
    c = await Chat.get(id=pk(chat_id))
    members = sorted(
        (m.user_id, m.role.value, m.muted, m.pinned_at)
        for m in await ChatMember.filter(chat_id=c.id)
    )
    fields = (c.name, c.description, c.announcement, c.send_policy, c.add_policy, c.disbanded_at)
    return fields, c.last_seq, members, await Message.filter(chat_id=c.id).count()


TEXTS = """query($id: ID!) { chat(id: $id) { messages(last: 50) { messages { seq text } } } }"""


async def texts(api: Api, who: Account, chat_id: str) -> dict[int, str]:
    """Each message's text by seq, as ``who`` reads it (system messages are per reader)."""
    data = await api.gql(TEXTS, {"id": chat_id}, token=who.access_token)
    return {m["seq"]: m["text"] for m in data["chat"]["messages"]["messages"]}


async def run(api: Api, who: Account, op: str, i: dict[str, Any]) -> dict[str, Any]:
    """The mutation's payload, or the top-level error code as {"top": code}."""
    body = (await api.post(op, {"i": i}, token=who.access_token)).json()
    if body.get("errors"):
        return {"top": body["errors"][0]["extensions"]["code"]}
    return next(iter(body["data"].values()))


def code(payload: dict[str, Any]) -> str:
    """The code of a mutation's first payload error: where every expected failure arrives."""
    assert "top" not in payload, payload
    return str(payload["errors"][0]["code"])


async def make_admin(api: Api, owner: Account, chat: str, who: Account) -> None:
    p = await run(api, owner, ROLE, {"chatId": chat, "userId": who.user_id, "role": "ADMIN"})
    assert p["errors"] == [], p


async def team(api: Api) -> tuple[Account, Account, Account, str]:
    """Ada owns a group with Bob (admin) and Carl (member)."""
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    carl = await api.add_member(ada, name="Carl")
    chat = await group(api, ada, [bob, carl])
    await make_admin(api, ada, chat, bob)
    return ada, bob, carl, chat


async def no_audit(account: Account) -> None:
    org = pk(account.organization_id)
    assert await AuditEntry.filter(organization_id=org, action__startswith="chat").count() == 0


async def test_owner_and_admins_change_settings_members_cannot(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    before = await state(chat)
    denied = await run(api, carl, UPDATE, {"chatId": chat, "name": "Mine now"})
    assert code(denied) == "FORBIDDEN"
    assert await state(chat) == before
    bad = await run(api, bob, UPDATE, {"chatId": chat, "name": " ", "announcement": "x"})
    assert bad["errors"] == [{"code": "INVALID_NAME", "field": "name"}]
    long = await run(api, bob, UPDATE, {"chatId": chat, "announcement": "x" * 5001})
    assert long["errors"] == [{"code": "TOO_LONG", "field": "announcement"}]
    assert await state(chat) == before

    async with subscribed(chat_channel(pk(chat))) as live:
        ok = await run(
            api,
            bob,
            UPDATE,
            {
                "chatId": chat,
                "name": "Launch",
                "announcement": "Ship Friday",
                "sendPolicy": "ADMINS",
            },
        )
        event = await asyncio.wait_for(anext(live), 5)
    assert ok["errors"] == []
    assert ok["chat"]["name"] == "Launch" and ok["chat"]["sendPolicy"] == "ADMINS"
    assert (
        event["type"] == MessengerEventKind.CHAT_UPDATED
        and event["chat"]["announcement"] == "Ship Friday"
    )
    stored = await Chat.get(id=pk(chat))
    assert (stored.name, stored.send_policy) == ("Launch", ChatPolicy.ADMINS)
    # Settings are not membership: no system message.
    assert await Message.filter(chat_id=pk(chat)).count() == 0
    await no_audit(ada)


async def test_membership_changes_post_system_messages_in_the_seq(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    dan = await api.add_member(ada, name="Dan")
    eve = await api.add_member(ada, name="Eve")
    await send(api, carl, chat, "hello")
    added = await run(api, ada, ADD, {"chatId": chat, "userIds": [dan.user_id, eve.user_id]})
    assert added["errors"] == []
    await send(api, dan, chat, "hi all")
    # Adding someone who is in already changes nothing and posts nothing.
    assert (await run(api, bob, ADD, {"chatId": chat, "userIds": [dan.user_id]}))["errors"] == []
    removed = await run(api, bob, REMOVE, {"chatId": chat, "userIds": [eve.user_id]})
    assert removed["errors"] == []
    await send(api, ada, chat, "bye Eve")
    rows = await Message.filter(chat_id=pk(chat)).order_by("seq")
    read = await texts(api, bob, chat)
    assert [(m.seq, m.kind.value, m.sender_id, read[m.seq]) for m in rows] == [
        (1, "TEXT", pk(carl.user_id), "hello"),
        (2, "SYSTEM", None, "Ada added Dan and Eve"),
        (3, "TEXT", pk(dan.user_id), "hi all"),
        (4, "SYSTEM", None, "Bob removed Eve"),
        (5, "TEXT", pk(ada.user_id), "bye Eve"),
    ]
    assert (await Chat.get(id=pk(chat))).last_seq == 5
    await no_audit(ada)


async def test_members_changed_reaches_the_chat_and_each_user_channel(api: Api) -> None:
    ada, _bob, _carl, chat = await team(api)
    dan = await api.add_member(ada, name="Dan")
    async with (
        subscribed(chat_channel(pk(chat))) as on_chat,
        subscribed(user_channel(pk(dan.user_id))) as on_dan,
    ):
        assert (await run(api, ada, ADD, {"chatId": chat, "userIds": [dan.user_id]}))[
            "errors"
        ] == []
        expected = members_changed(pk(chat), [pk(dan.user_id)], [], pk(ada.user_id))
        system_message = await asyncio.wait_for(anext(on_chat), 5)
        assert system_message["type"] == MessengerEventKind.MESSAGE_ADDED
        assert await asyncio.wait_for(anext(on_chat), 5) == expected
        assert await asyncio.wait_for(anext(on_dan), 5) == expected


async def test_add_policy_and_remove_rules(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    dan = await api.add_member(ada, name="Dan")
    # EVERYONE by default: a member may add.
    assert (await run(api, carl, ADD, {"chatId": chat, "userIds": [dan.user_id]}))["errors"] == []
    await run(api, ada, UPDATE, {"chatId": chat, "addPolicy": "ADMINS"})
    eve = await api.add_member(ada, name="Eve")
    before = await state(chat)
    assert (
        code(await run(api, carl, ADD, {"chatId": chat, "userIds": [eve.user_id]})) == "FORBIDDEN"
    )
    # Members never remove; admins do not remove admins; nobody removes the owner.
    assert (
        code(await run(api, carl, REMOVE, {"chatId": chat, "userIds": [dan.user_id]}))
        == "FORBIDDEN"
    )
    await make_admin(api, ada, chat, dan)
    before = await state(chat)
    assert (
        code(await run(api, bob, REMOVE, {"chatId": chat, "userIds": [dan.user_id]})) == "FORBIDDEN"
    )
    owner = await run(api, bob, REMOVE, {"chatId": chat, "userIds": [carl.user_id, ada.user_id]})
    assert owner["errors"] == [{"code": "OWNER_CANNOT_BE_REMOVED", "field": "userIds"}]
    assert await state(chat) == before
    # The owner removes an admin.
    assert (await run(api, ada, REMOVE, {"chatId": chat, "userIds": [dan.user_id]}))["errors"] == []
    assert not await ChatMember.exists(chat_id=pk(chat), user_id=pk(dan.user_id))


async def test_a_removed_member_can_no_longer_read_or_write(api: Api) -> None:
    ada, _bob, carl, chat = await team(api)
    await send(api, ada, chat, "secret plan")
    await run(api, ada, REMOVE, {"chatId": chat, "userIds": [carl.user_id]})
    assert (await api.gql(CHAT, {"id": chat}, token=carl.access_token))["chat"] is None
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": chat}, token=carl.access_token
    )
    assert node["node"] is None
    before = await state(chat)
    assert code(await run(api, carl, UPDATE, {"chatId": chat, "name": "x"})) == "NOT_FOUND"
    assert code(await run(api, carl, LEAVE, {"chatId": chat})) == "NOT_FOUND"
    r = await api.post(
        "mutation($i: MessageSendInput!) { messageSend(input: $i) { errors { code } } }",
        {"i": {"chatId": chat, "text": "still here?"}},
        token=carl.access_token,
    )
    assert payload_code(r.json(), "messageSend") == "NOT_FOUND"
    assert await state(chat) == before


async def test_at_most_100_ids_and_only_people_of_the_organization(api: Api) -> None:
    ada, _bob, carl, chat = await team(api)
    stranger = await api.sign_up()
    before = await state(chat)
    many = [carl.user_id] * 101
    assert code(await run(api, ada, ADD, {"chatId": chat, "userIds": many})) == "BAD_USER_INPUT"
    outsider = await run(api, ada, ADD, {"chatId": chat, "userIds": [stranger.user_id]})
    assert code(outsider) == "NOT_FOUND"
    assert code(await run(api, ada, ADD, {"chatId": chat, "userIds": [chat]})) == "NOT_FOUND"
    assert await state(chat) == before


async def test_deactivated_people_can_still_be_removed_but_not_added(api: Api) -> None:
    ada, _bob, carl, chat = await team(api)
    dan = await api.add_member(ada, name="Dan")
    await User.filter(id__in=[pk(carl.user_id), pk(dan.user_id)]).update(is_active=False)
    before = await state(chat)
    assert code(await run(api, ada, ADD, {"chatId": chat, "userIds": [dan.user_id]})) == "NOT_FOUND"
    assert await state(chat) == before
    gone = await run(api, ada, REMOVE, {"chatId": chat, "userIds": [carl.user_id]})
    assert gone["errors"] == []
    assert not await ChatMember.exists(chat_id=pk(chat), user_id=pk(carl.user_id))


async def test_guests_can_be_added_explicitly(api: Api) -> None:
    ada, _bob, _carl, chat = await team(api)
    gus = await api.add_member(ada, name="Gus")
    await User.filter(id=pk(gus.user_id)).update(role=Role.GUEST)
    assert (await run(api, ada, ADD, {"chatId": chat, "userIds": [gus.user_id]}))["errors"] == []
    seen = await api.gql(CHAT, {"id": chat}, token=gus.access_token)
    assert seen["chat"]["viewerRole"] == "MEMBER"


async def test_two_admins_adding_the_same_people_at_once_add_each_once(api: Api) -> None:
    ada, bob, _carl, chat = await team(api)
    people = [await api.add_member(ada, name=f"P{i}") for i in range(6)]
    ids = [p.user_id for p in people]
    results = await asyncio.gather(
        run(api, ada, ADD, {"chatId": chat, "userIds": ids[:4]}),
        run(api, bob, ADD, {"chatId": chat, "userIds": ids[2:]}),
        run(api, ada, ADD, {"chatId": chat, "userIds": ids[1:5]}),
    )
    assert all(r["errors"] == [] for r in results), results
    rows = await ChatMember.filter(chat_id=pk(chat), user_id__in=[pk(i) for i in ids])
    assert sorted(m.user_id for m in rows) == sorted(pk(i) for i in ids)
    system = await Message.filter(chat_id=pk(chat)).order_by("seq")
    assert [m.seq for m in system] == list(range(1, len(system) + 1))
    announced = [u for m in system for u in m.content["system"]["userIds"]]
    assert sorted(announced) == sorted(pk(i) for i in ids)


async def test_leaving_and_handing_over(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    before = await state(chat)
    assert (await run(api, ada, LEAVE, {"chatId": chat}))["errors"] == [
        {"code": "OWNER_MUST_HAND_OVER", "field": None}
    ]
    assert await state(chat) == before
    assert (await run(api, carl, LEAVE, {"chatId": chat}))["errors"] == []
    last = await Message.filter(chat_id=pk(chat)).order_by("-seq").first()
    assert last is not None and (await texts(api, ada, chat))[last.seq] == "Carl left"
    handed = await run(api, ada, ROLE, {"chatId": chat, "userId": bob.user_id, "role": "OWNER"})
    assert handed["member"]["role"] == "OWNER"
    assert (await run(api, ada, LEAVE, {"chatId": chat}))["errors"] == []
    roles = {m.user_id: m.role for m in await ChatMember.filter(chat_id=pk(chat))}
    assert roles == {pk(bob.user_id): ChatRole.OWNER}


async def test_only_the_owner_sets_roles(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    dan = await api.add_member(ada, name="Dan")
    before = await state(chat)
    i = {"chatId": chat, "userId": carl.user_id, "role": "ADMIN"}
    assert code(await run(api, bob, ROLE, i)) == "FORBIDDEN"
    assert code(await run(api, carl, ROLE, i)) == "FORBIDDEN"
    outside = await run(api, ada, ROLE, {**i, "userId": dan.user_id})
    assert outside["errors"] == [{"code": "NOT_A_MEMBER", "field": "userId"}]
    assert (await run(api, ada, ROLE, {**i, "userId": ada.user_id}))["errors"][0][
        "code"
    ] == "OWNER_ROLE"
    assert await state(chat) == before
    demoted = await run(api, ada, ROLE, {**i, "userId": bob.user_id, "role": "MEMBER"})
    assert demoted["member"] == {"role": "MEMBER", "user": {"id": bob.user_id}}
    members = (await api.gql(CHAT, {"id": chat}, token=carl.access_token))["chat"]["members"]
    assert [(e["node"]["role"], e["node"]["user"]["id"]) for e in members["edges"]] == [
        ("OWNER", ada.user_id),
        ("MEMBER", bob.user_id),
        ("MEMBER", carl.user_id),
    ]


async def test_disbanding_makes_the_group_read_only(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    await send(api, carl, chat, "before")
    before = await state(chat)
    assert code(await run(api, bob, DISBAND, {"chatId": chat})) == "FORBIDDEN"
    assert await state(chat) == before
    done = await run(api, ada, DISBAND, {"chatId": chat})
    assert done["errors"] == [] and done["chat"]["disbandedAt"] is not None
    last = await Message.filter(chat_id=pk(chat)).order_by("-seq").first()
    assert last is not None and last.seq == 2
    assert (await texts(api, carl, chat))[2] == "Ada disbanded the group"
    after = await state(chat)
    assert (await run(api, bob, UPDATE, {"chatId": chat, "name": "Back"}))["errors"][0][
        "code"
    ] == "CHAT_DISBANDED"
    assert (await run(api, ada, ADD, {"chatId": chat, "userIds": [carl.user_id]}))["errors"][0][
        "code"
    ] == "CHAT_DISBANDED"
    assert await state(chat) == after
    member = await ChatMember.get(chat_id=pk(chat), user_id=pk(carl.user_id))
    with pytest.raises(DomainError) as refused:
        check_can_send(await Chat.get(id=pk(chat)), member)
    assert refused.value.code == "CHAT_DISBANDED"
    # Still readable; members may leave (the owner too), with no new message.
    assert (await api.gql(CHAT, {"id": chat}, token=carl.access_token))["chat"]["name"] == "Team"
    assert (await run(api, ada, LEAVE, {"chatId": chat}))["errors"] == []
    assert (await Chat.get(id=pk(chat))).last_seq == 2


async def test_send_policy_admins_lets_only_admins_send(api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    await run(api, ada, UPDATE, {"chatId": chat, "sendPolicy": "ADMINS"})
    c = await Chat.get(id=pk(chat))
    by = {m.user_id: m for m in await ChatMember.filter(chat_id=c.id)}
    check_can_send(c, by[pk(ada.user_id)])
    check_can_send(c, by[pk(bob.user_id)])
    with pytest.raises(DomainError) as refused:
        check_can_send(c, by[pk(carl.user_id)])
    assert refused.value.code == "ADMINS_ONLY"


async def test_mute_and_pin_are_per_member(api: Api) -> None:
    ada, _bob, carl, chat = await team(api)
    p = await run(api, carl, SETTINGS, {"chatId": chat, "muted": True, "pinnedToTop": True})
    assert p["chat"] == {"id": chat, "muted": True, "pinnedToTop": True, "viewerRole": "MEMBER"}
    mine = await ChatMember.get(chat_id=pk(chat), user_id=pk(carl.user_id))
    assert mine.muted and mine.pinned_at is not None
    theirs = await ChatMember.get(chat_id=pk(chat), user_id=pk(ada.user_id))
    assert not theirs.muted and theirs.pinned_at is None
    p = await run(api, carl, SETTINGS, {"chatId": chat, "pinnedToTop": False})
    assert p["chat"]["muted"] is True and p["chat"]["pinnedToTop"] is False


async def test_pinned_chats_lead_the_chat_list_across_pages(api: Api) -> None:
    ada = await api.sign_up()
    chats = [await group(api, ada, [], name=f"G{i}") for i in range(5)]
    for c in (chats[1], chats[3]):  # pinned: G1, then G3 (the latest pin first)
        await run(api, ada, SETTINGS, {"chatId": c, "pinnedToTop": True})
    await send(api, ada, chats[0], "activity")
    names: list[str] = []
    after = None
    while True:
        page = (await api.gql(LIST, {"after": after}, token=ada.access_token))["viewer"]["chats"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["G3", "G1", "G0", "G4", "G2"]


async def test_direct_chats_have_no_group_management(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    data = await api.gql(
        CHAT_CREATE, {"i": {"kind": "DIRECT", "memberIds": [bob.user_id]}}, token=ada.access_token
    )
    chat = data["chatCreate"]["chat"]["id"]
    before = await state(chat)
    assert (await run(api, ada, UPDATE, {"chatId": chat, "name": "x"}))["errors"][0][
        "code"
    ] == "NOT_A_GROUP"
    assert (await run(api, ada, LEAVE, {"chatId": chat}))["errors"][0]["code"] == "NOT_A_GROUP"
    assert await state(chat) == before


async def test_another_organization_sees_and_changes_nothing(api: Api) -> None:
    _ada, _bob, carl, chat = await team(api)
    eve = await api.sign_up(organization="Other", name="Eve")
    before = await state(chat)
    assert (await api.gql(CHAT, {"id": chat}, token=eve.access_token))["chat"] is None
    nodes = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [chat]}, token=eve.access_token
    )
    assert nodes["nodes"] == [None]
    for op, i in [
        (UPDATE, {"chatId": chat, "name": "Mine"}),
        (ADD, {"chatId": chat, "userIds": [eve.user_id]}),
        (REMOVE, {"chatId": chat, "userIds": [carl.user_id]}),
        (LEAVE, {"chatId": chat}),
        (DISBAND, {"chatId": chat}),
        (ROLE, {"chatId": chat, "userId": carl.user_id, "role": "ADMIN"}),
        (SETTINGS, {"chatId": chat, "muted": True}),
    ]:
        assert code(await run(api, eve, op, i)) == "NOT_FOUND", op
    assert await state(chat) == before
    await no_audit(eve)


async def test_a_removed_members_event_stream_ends(server: str, api: Api) -> None:
    ada, bob, carl, chat = await team(api)
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {carl.access_token}"}))[
            "type"
        ] == "connection_ack"
        op = await ws.subscribe(
            "subscription($id: ID!) { chatEvents(chatId: $id) { __typename } }", {"id": chat}
        )
        await wait_subscribed(chat_channel(pk(chat)))
        await run(api, bob, REMOVE, {"chatId": chat, "userIds": [carl.user_id]})
        got = []
        while True:
            msg = await ws.receive(timeout=5)
            if msg["type"] == "complete":
                assert msg["id"] == op
                break
            got.append(msg["payload"]["data"]["chatEvents"]["__typename"])
        assert got == ["MessageAdded"]  # "Bob removed Carl", then the stream ends
        await send(api, ada, chat, "after Carl left")
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.5)
    finally:
        await ws.close()


async def test_a_refused_send_writes_nothing_and_the_next_takes_the_next_seq(api: Api) -> None:
    # On PostgreSQL a plain message's access checks run in the statement that writes it, and
    # a refusal rolls that write back (resolvers/messenger/message_rows.py): the same answers
    # and the same state as checking first.
    ada, bob, carl, chat = await team(api)
    outsider = await api.add_member(ada, name="Olga")
    stranger = await api.sign_up()
    await send(api, carl, chat, "one")
    await run(api, ada, UPDATE, {"chatId": chat, "sendPolicy": "ADMINS"})
    before = await state(chat)
    assert code(await send(api, carl, chat, "not an admin")) == "ADMINS_ONLY"
    assert code(await send(api, outsider, chat, "not a member")) == "NOT_FOUND"
    assert code(await send(api, stranger, chat, "another organization")) == "NOT_FOUND"
    assert await state(chat) == before
    sent = await send(api, bob, chat, "an admin")
    assert sent["errors"] == [] and sent["message"]["seq"] == before[1] + 1
    assert (await ChatMember.get(chat_id=pk(chat), user_id=pk(bob.user_id))).read_seq == (
        before[1] + 1
    )
    await run(api, ada, DISBAND, {"chatId": chat})
    after = await state(chat)
    assert code(await send(api, ada, chat, "read-only now")) == "CHAT_DISBANDED"
    assert await state(chat) == after
