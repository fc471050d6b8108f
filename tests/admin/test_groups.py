"""Groups: reads, the limits (500 per organization, 100 ids per call), concurrency, who may
change them, and their audit entries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from models.admin import Group, GroupMember
from models.identity import Role, User
from tests.admin.test_departments import entries, gid, pk, refused, run, with_role
from tests.client import Account, Api, count_queries

FIELDS = "group { id name description memberCount } errors { code field message }"
CREATE = f"mutation($i: GroupCreateInput!) {{ groupCreate(input: $i) {{ {FIELDS} }} }}"
UPDATE = f"mutation($i: GroupUpdateInput!) {{ groupUpdate(input: $i) {{ {FIELDS} }} }}"
DELETE = """mutation($i: GroupDeleteInput!) { groupDelete(input: $i) {
  deletedGroupId errors { code } } }"""
ADD = f"mutation($i: GroupMembersAddInput!) {{ groupMembersAdd(input: $i) {{ {FIELDS} }} }}"
REMOVE = (
    f"mutation($i: GroupMembersRemoveInput!) {{ groupMembersRemove(input: $i) {{ {FIELDS} }} }}"
)
GROUP = """query($id: ID!) { group(id: $id) { id name description memberCount
  members { nodes { id } } } }"""
LIST = """query($first: Int, $after: String, $search: String) { groups(first: $first,
  after: $after, search: $search) { nodes { name memberCount } pageInfo { hasNextPage } } }"""
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Group { name } } }"


async def make(api: Api, who: Account, name: str, **kw: Any) -> str:
    p = await run(api, CREATE, {"name": name, **kw}, who)
    assert p["errors"] == [], p
    return str(p["group"]["id"])


async def test_admins_create_groups_members_read_them(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    design = await make(
        api, owner, "Design", description="Pixels", memberIds=[cy.user_id, bob.user_id]
    )
    await make(api, owner, "Backend guild")
    got = (await api.gql(GROUP, {"id": design}, token=bob.access_token))["group"]
    assert got == {
        "id": design,
        "name": "Design",
        "description": "Pixels",
        "memberCount": 2,
        "members": {"nodes": [{"id": bob.user_id}, {"id": cy.user_id}]},
    }
    node = (await api.gql(NODE, {"id": design}, token=bob.access_token))["node"]
    assert node == {"__typename": "Group", "id": design, "name": "Design"}
    listed = (await api.gql(LIST, {}, token=bob.access_token))["groups"]["nodes"]
    assert listed == [
        {"name": "Backend guild", "memberCount": 0},
        {"name": "Design", "memberCount": 2},
    ]
    found = await api.gql(LIST, {"search": "SIG"}, token=bob.access_token)
    assert found["groups"]["nodes"] == [{"name": "Design", "memberCount": 2}]

    guest = await with_role(api, owner, Role.GUEST, "Gus")
    assert await refused(api, LIST, {}, guest) == "FORBIDDEN"
    assert (await api.gql(GROUP, {"id": design}, token=guest.access_token))["group"] is None
    assert (await api.gql(NODE, {"id": design}, token=guest.access_token))["node"] is None
    got = await api.gql(GROUP, {"id": "garbage"}, token=bob.access_token)
    assert got["group"] is None


async def test_create_is_idempotent_and_names_are_unique(api: Api) -> None:
    owner = await api.sign_up()
    first = await make(api, owner, "Ops", idempotencyKey="g-1")
    assert await make(api, owner, "Ops", idempotencyKey="g-1") == first
    p = await run(api, CREATE, {"name": "OPS"}, owner)
    assert p["errors"][0]["code"] == "NAME_TAKEN"
    p = await run(api, CREATE, {"name": "x" * 101}, owner)
    assert p["errors"][0]["code"] == "INVALID_NAME"
    p = await run(api, CREATE, {"name": "Long", "description": "x" * 501}, owner)
    assert p["errors"][0]["code"] == "INVALID_DESCRIPTION"
    other = await make(api, owner, "Other")
    p = await run(api, UPDATE, {"groupId": other, "name": "ops"}, owner)
    assert p["errors"][0]["code"] == "NAME_TAKEN"
    assert sorted(await Group.filter(organization_id=pk(owner.organization_id)).values_list(
        "name", flat=True
    )) == ["Ops", "Other"]  # fmt: skip
    assert [e.action for e in await entries(owner)] == ["group.create", "group.create"]


async def test_the_501st_group_is_refused(api: Api) -> None:
    owner = await api.sign_up()
    org = pk(owner.organization_id)
    await Group.bulk_create([Group(organization_id=org, name=f"G{i}") for i in range(500)])
    p = await run(api, CREATE, {"name": "One too many"}, owner)
    assert p["errors"][0]["code"] == "GROUP_LIMIT_REACHED"
    assert await Group.filter(organization_id=org).count() == 500
    assert await entries(owner) == []


async def test_the_limit_holds_under_concurrent_creates(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resolvers.admin.groups as impl

    monkeypatch.setattr(impl, "MAX_GROUPS", 3)
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN)
    results = await asyncio.gather(
        *(run(api, CREATE, {"name": f"G{i}"}, owner if i % 2 else admin) for i in range(6))
    )
    codes = sorted(r["errors"][0]["code"] if r["errors"] else "OK" for r in results)
    assert codes == ["GROUP_LIMIT_REACHED"] * 3 + ["OK"] * 3
    assert await Group.filter(organization_id=pk(owner.organization_id)).count() == 3
    assert len(await entries(owner)) == 3


async def test_at_most_100_ids_per_call(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner)
    group = await make(api, owner, "G")
    ids = [bob.user_id] * 101
    assert await refused(api, ADD, {"i": {"groupId": group, "userIds": ids}}, owner) == (
        "BAD_USER_INPUT"
    )
    assert await refused(api, CREATE, {"i": {"name": "H", "memberIds": ids}}, owner) == (
        "BAD_USER_INPUT"
    )
    p = await run(api, ADD, {"groupId": group, "userIds": [bob.user_id] * 100}, owner)
    assert p["group"]["memberCount"] == 1
    assert await Group.filter(organization_id=pk(owner.organization_id)).count() == 1


async def test_concurrent_adds_with_overlapping_ids_add_each_user_once(api: Api) -> None:
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN)
    people = [await api.add_member(owner, name=f"P{i}") for i in range(6)]
    ids = [p.user_id for p in people]
    group = await make(api, owner, "G")
    await asyncio.gather(
        run(api, ADD, {"groupId": group, "userIds": ids[:4]}, owner),
        run(api, ADD, {"groupId": group, "userIds": ids[2:]}, admin),
        run(api, ADD, {"groupId": group, "userIds": ids[1:5]}, admin),
    )
    rows = await GroupMember.filter(group_id=pk(group)).values_list("user_id", flat=True)
    assert sorted(rows) == sorted(pk(i) for i in ids)
    added = [u for e in await entries(owner) if e.after and "userIds" in e.after
             for u in e.after["userIds"]]  # type: ignore[union-attr]  # fmt: skip
    assert sorted(added) == sorted(pk(i) for i in ids)  # each recorded as added once


async def test_guests_are_no_group_members_and_inactive_users_not_found(api: Api) -> None:
    owner = await api.sign_up()
    guest = await with_role(api, owner, Role.GUEST, "Gus")
    gone = await api.add_member(owner, name="Gone")
    await User.filter(id=pk(gone.user_id)).update(is_active=False)
    group = await make(api, owner, "G")
    p = await run(api, ADD, {"groupId": group, "userIds": [guest.user_id]}, owner)
    assert p["errors"][0]["code"] == "GUEST_NOT_ALLOWED"
    p = await run(api, CREATE, {"name": "H", "memberIds": [guest.user_id]}, owner)
    assert p["errors"][0]["code"] == "GUEST_NOT_ALLOWED"
    inp = {"i": {"groupId": group, "userIds": [gone.user_id]}}
    assert await refused(api, ADD, inp, owner) == "NOT_FOUND"
    assert not await GroupMember.filter(group_id=pk(group)).exists()
    assert len(await entries(owner)) == 1


async def test_members_and_guests_may_not_change_groups(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    guest = await with_role(api, owner, Role.GUEST, "Gus")
    group = await make(api, owner, "G", memberIds=[member.user_id])
    before = len(await entries(owner))
    calls = [
        (CREATE, {"name": "New"}),
        (UPDATE, {"groupId": group, "name": "Renamed"}),
        (DELETE, {"groupId": group}),
        (ADD, {"groupId": group, "userIds": [owner.user_id]}),
        (REMOVE, {"groupId": group, "userIds": [member.user_id]}),
    ]
    for who in (member, guest):
        for doc, inp in calls:
            assert await refused(api, doc, {"i": inp}, who) == "FORBIDDEN", doc
    assert [g.name for g in await Group.filter(organization_id=pk(owner.organization_id))] == ["G"]
    rows = await GroupMember.filter(group_id=pk(group)).values_list("user_id", flat=True)
    assert list(rows) == [pk(member.user_id)]
    assert len(await entries(owner)) == before


async def test_another_organization_sees_and_changes_nothing(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    group = await make(api, owner, "Ours", memberIds=[member.user_id])
    stranger = await api.sign_up()
    theirs = await make(api, stranger, "Theirs")
    before = len(await entries(owner))
    assert (await api.gql(GROUP, {"id": group}, token=stranger.access_token))["group"] is None
    assert (await api.gql(NODE, {"id": group}, token=stranger.access_token))["node"] is None
    listed = (await api.gql(LIST, {}, token=stranger.access_token))["groups"]["nodes"]
    assert listed == [{"name": "Theirs", "memberCount": 0}]
    calls = [
        (CREATE, {"name": "New", "memberIds": [member.user_id]}),
        (UPDATE, {"groupId": group, "name": "Renamed"}),
        (DELETE, {"groupId": group}),
        (ADD, {"groupId": group, "userIds": [stranger.user_id]}),
        (ADD, {"groupId": theirs, "userIds": [member.user_id]}),
        (REMOVE, {"groupId": group, "userIds": [member.user_id]}),
        (DELETE, {"groupId": gid("Department", pk(group))}),
    ]
    for doc, inp in calls:
        assert await refused(api, doc, {"i": inp}, stranger) == "NOT_FOUND", inp
    assert (await Group.get(id=pk(group))).name == "Ours"
    assert await GroupMember.filter(user_id=pk(member.user_id)).count() == 1
    assert not await GroupMember.filter(group_id=pk(theirs)).exists()
    assert len(await entries(owner)) == before
    assert [e.action for e in await entries(stranger)] == ["group.create"]


async def test_audit_entries_record_each_change_exactly(api: Api) -> None:
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN)
    bob = await api.add_member(owner, name="Bob")
    g = await make(api, admin, "G", description="d", memberIds=[bob.user_id])
    await run(api, UPDATE, {"groupId": g, "description": "new"}, admin)
    await run(api, UPDATE, {"groupId": g, "description": "new"}, admin)  # no change
    await run(api, REMOVE, {"groupId": g, "userIds": [bob.user_id, admin.user_id]}, admin)
    await run(api, ADD, {"groupId": g, "userIds": [admin.user_id]}, admin)
    p = await run(api, DELETE, {"groupId": g}, admin)
    assert p == {"deletedGroupId": g, "errors": []}
    assert not await Group.filter(id=pk(g)).exists()
    assert not await GroupMember.filter(group_id=pk(g)).exists()
    got = [
        (e.action, e.actor_id, e.target_type, e.target_id, e.before, e.after)
        for e in await entries(owner)
    ]
    a, i, b = pk(admin.user_id), pk(g), pk(bob.user_id)
    assert got == [
        ("group.create", a, "group", i, None,
         {"name": "G", "description": "d", "memberIds": [b]}),
        ("group.update", a, "group", i, {"description": "d"}, {"description": "new"}),
        ("group.members_remove", a, "group", i, {"userIds": [b]}, None),
        ("group.members_add", a, "group", i, None, {"userIds": [a]}),
        ("group.delete", a, "group", i, {"name": "G", "description": "new", "memberCount": 1},
         None),
    ]  # fmt: skip


async def test_query_count_does_not_grow_with_the_page_size(api: Api) -> None:
    owner = await api.sign_up()
    people = [await api.add_member(owner, name=f"P{i}") for i in range(6)]
    ids = [p.user_id for p in people]
    for i in range(6):
        await make(api, owner, f"G{i}", memberIds=ids[: i + 1])
    members = """query($id: ID!, $first: Int) { group(id: $id) { memberCount
      members(first: $first) { nodes { id departments { id } manager { id } } } } }"""

    async def count(doc: str, variables: dict[str, Any]) -> int:
        with count_queries() as statements:
            await api.gql(doc, variables, token=owner.access_token)
        return len(statements)

    assert await count(LIST, {"first": 2}) == await count(LIST, {"first": 6})
    everyone = await make(api, owner, "All", memberIds=ids)
    small = await count(members, {"id": everyone, "first": 2})
    assert small == await count(members, {"id": everyone, "first": 6})
