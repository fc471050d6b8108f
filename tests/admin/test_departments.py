"""Departments: the tree, its rules, who may change it, its audit entries and its events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry.relay import GlobalID

from models.admin import AuditEntry, Department, DepartmentMember
from models.identity import Role, User
from resolvers.admin.events import AdminEventKind
from resolvers.identity.events import IdentityEventKind
from tests.client import Account, Api, count_queries
from tests.errors import refusal

FIELDS = "department { id name parent { id } leader { id } } errors { code field message }"
CREATE = f"mutation($i: DepartmentCreateInput!) {{ departmentCreate(input: $i) {{ {FIELDS} }} }}"
UPDATE = f"mutation($i: DepartmentUpdateInput!) {{ departmentUpdate(input: $i) {{ {FIELDS} }} }}"
MOVE = f"mutation($i: DepartmentMoveInput!) {{ departmentMove(input: $i) {{ {FIELDS} }} }}"
DELETE = """mutation($i: DepartmentDeleteInput!) { departmentDelete(input: $i) {
  deletedDepartmentId errors { code field } } }"""
ADD = (
    f"mutation($i: DepartmentMembersAddInput!) {{ departmentMembersAdd(input: $i) {{ {FIELDS} }} }}"
)
REMOVE = f"mutation($i: DepartmentMembersRemoveInput!) {{ departmentMembersRemove(input: $i) {{ {FIELDS} }} }}"
DEPT = """query($id: ID!) { department(id: $id) { id name parent { id name } leader { id }
  path { name } children { nodes { name } } members { nodes { id } } } }"""
LIST = """query($p: ID, $first: Int, $after: String) { departments(parentId: $p, first: $first,
  after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def gid(type_name: str, key: int) -> str:
    return str(GlobalID(type_name, str(key)))


async def run(api: Api, doc: str, inp: dict[str, Any], who: Account) -> dict[str, Any]:
    """A mutation's payload, asserting no top-level errors."""
    data = await api.gql(doc, {"i": inp}, token=who.access_token)
    return next(iter(data.values()))


async def refused(api: Api, doc: str, variables: dict[str, Any], who: Account) -> str:
    """The code of an operation that must fail: a mutation's in its payload, a query's in the
    top-level ``errors`` (``tests.errors.refusal``)."""
    body = (await api.post(doc, variables, token=who.access_token)).json()
    return refusal(doc, body)


async def entries(account: Account) -> list[AuditEntry]:
    return await AuditEntry.filter(organization_id=pk(account.organization_id)).order_by("id")


async def with_role(api: Api, owner: Account, role: Role, name: str = "Bob") -> Account:
    account = await api.add_member(owner, name=name)
    await User.filter(id=pk(account.user_id)).update(role=role)
    return account


async def make(api: Api, who: Account, name: str, parent: str | None = None, **kw: Any) -> str:
    p = await run(api, CREATE, {"name": name, "parentId": parent, **kw}, who)
    assert p["errors"] == [], p
    return str(p["department"]["id"])


async def test_admin_builds_a_tree_and_everyone_but_guests_reads_it(api: Api) -> None:
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN, "Ann")
    member = await api.add_member(owner, name="Max")
    eng = await make(api, admin, "Engineering", leaderId=member.user_id)
    backend = await make(api, admin, "Backend", eng)
    db = await make(api, owner, "Databases", backend)
    await make(api, admin, "Apps", eng)
    await make(api, admin, "Sales")

    got = (await api.gql(DEPT, {"id": backend}, token=member.access_token))["department"]
    assert got == {
        "id": backend,
        "name": "Backend",
        "parent": {"id": eng, "name": "Engineering"},
        "leader": None,
        "path": [{"name": "Engineering"}, {"name": "Backend"}],
        "children": {"nodes": [{"name": "Databases"}]},
        "members": {"nodes": []},
    }
    deep = (await api.gql(DEPT, {"id": db}, token=member.access_token))["department"]
    assert [p["name"] for p in deep["path"]] == ["Engineering", "Backend", "Databases"]
    top = (await api.gql(LIST, {}, token=member.access_token))["departments"]["nodes"]
    assert [d["name"] for d in top] == ["Engineering", "Sales"]
    under = (await api.gql(LIST, {"p": eng, "first": 1}, token=member.access_token))["departments"]
    assert [d["name"] for d in under["nodes"]] == ["Apps"] and under["pageInfo"]["hasNextPage"]
    rest = await api.gql(
        LIST, {"p": eng, "after": under["pageInfo"]["endCursor"]}, token=member.access_token
    )
    assert [d["name"] for d in rest["departments"]["nodes"]] == ["Backend"]
    leader = (await api.gql(DEPT, {"id": eng}, token=member.access_token))["department"]["leader"]
    assert leader == {"id": member.user_id}

    guest = await with_role(api, owner, Role.GUEST, "Gus")
    assert await refused(api, LIST, {}, guest) == "FORBIDDEN"
    assert (await api.gql(DEPT, {"id": eng}, token=guest.access_token))["department"] is None
    assert (await api.gql(NODE, {"id": eng}, token=guest.access_token))["node"] is None


async def test_a_retried_create_returns_the_first_department(api: Api) -> None:
    owner = await api.sign_up()
    first = await make(api, owner, "Ops", idempotencyKey="k-1")
    again = await make(api, owner, "Ops", idempotencyKey="k-1")
    assert again == first
    assert await Department.filter(organization_id=pk(owner.organization_id)).count() == 1


async def test_sibling_names_are_unique_in_any_case(api: Api) -> None:
    owner = await api.sign_up()
    eng = await make(api, owner, "Engineering")
    await make(api, owner, "Ops", eng)
    other = await make(api, owner, "Ops")  # same name, other parent: fine
    before = len(await entries(owner))

    p = await run(api, CREATE, {"name": "  ops ", "parentId": eng}, owner)
    assert p == {
        "department": None,
        "errors": [{"code": "NAME_TAKEN", "field": "name", "message": p["errors"][0]["message"]}],
    }
    qa = await make(api, owner, "QA", eng)
    p = await run(api, UPDATE, {"departmentId": qa, "name": "OPS"}, owner)
    assert p["errors"][0]["code"] == "NAME_TAKEN"
    p = await run(api, MOVE, {"departmentId": other, "parentId": eng}, owner)
    assert p["errors"][0]["code"] == "NAME_TAKEN"
    p = await run(api, CREATE, {"name": " "}, owner)
    assert p["errors"][0]["code"] == "INVALID_NAME"

    assert (await Department.get(id=pk(qa))).name == "QA"
    assert (await Department.get(id=pk(other))).parent_id is None
    assert await Department.filter(parent_id=pk(eng)).count() == 2
    assert [e.action for e in (await entries(owner))[before:]] == ["department.create"]  # QA


async def test_the_leader_must_be_an_active_member_and_can_be_cleared(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    gone = await api.add_member(owner, name="Gone")
    await User.filter(id=pk(gone.user_id)).update(is_active=False)
    stranger = await api.sign_up()
    dept = await make(api, owner, "Sales", leaderId=member.user_id)

    p = await run(api, UPDATE, {"departmentId": dept, "leaderId": gone.user_id}, owner)
    assert p["errors"][0]["code"] == "INVALID_LEADER"
    p = await run(api, CREATE, {"name": "X", "leaderId": gone.user_id}, owner)
    assert p["errors"][0]["code"] == "INVALID_LEADER"
    inp = {"departmentId": dept, "leaderId": stranger.user_id}
    assert await refused(api, UPDATE, {"i": inp}, owner) == "NOT_FOUND"
    assert (await Department.get(id=pk(dept))).leader_id == pk(member.user_id)

    p = await run(api, UPDATE, {"departmentId": dept, "name": "Sales EU"}, owner)
    assert p["department"]["leader"] == {"id": member.user_id}  # omitted: kept
    p = await run(api, UPDATE, {"departmentId": dept, "leaderId": None}, owner)
    assert p["department"]["leader"] is None
    assert (await Department.get(id=pk(dept))).leader_id is None


async def test_moving_under_itself_or_a_descendant_is_a_cycle(api: Api) -> None:
    owner = await api.sign_up()
    a = await make(api, owner, "A")
    b = await make(api, owner, "B", a)
    c = await make(api, owner, "C", b)
    d = await make(api, owner, "D", c)
    before = len(await entries(owner))
    for target in (a, b, d):  # itself, a child, a deep descendant
        p = await run(api, MOVE, {"departmentId": a, "parentId": target}, owner)
        assert p["errors"] == [
            {"code": "DEPARTMENT_CYCLE", "field": "parentId", "message": p["errors"][0]["message"]}
        ]
    assert (await Department.get(id=pk(a))).parent_id is None
    assert len(await entries(owner)) == before

    p = await run(api, MOVE, {"departmentId": c, "parentId": None}, owner)
    assert p["errors"] == [] and p["department"]["parent"] is None
    p = await run(api, MOVE, {"departmentId": a, "parentId": d}, owner)  # now allowed
    assert p["department"]["parent"] == {"id": d}
    path = (await api.gql(DEPT, {"id": b}, token=owner.access_token))["department"]["path"]
    assert [x["name"] for x in path] == ["C", "D", "A", "B"]


async def test_concurrent_opposite_moves_cannot_make_a_cycle(api: Api) -> None:
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN)
    a = await make(api, owner, "A")
    b = await make(api, owner, "B")
    results = await asyncio.gather(
        run(api, MOVE, {"departmentId": a, "parentId": b}, owner),
        run(api, MOVE, {"departmentId": b, "parentId": a}, admin),
    )
    codes = sorted(str([e["code"] for e in r["errors"]]) for r in results)
    assert codes == ["['DEPARTMENT_CYCLE']", "[]"]
    rows = {d.id: d.parent_id for d in await Department.filter(id__in=[pk(a), pk(b)])}
    assert None in rows.values()


async def test_the_tree_depth_is_bounded(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import resolvers.admin.departments as impl

    monkeypatch.setattr(impl, "MAX_DEPTH", 3)
    owner = await api.sign_up()
    a = await make(api, owner, "A")
    b = await make(api, owner, "B", a)
    c = await make(api, owner, "C", b)
    p = await run(api, CREATE, {"name": "D", "parentId": c}, owner)
    assert p["errors"][0]["code"] == "DEPARTMENT_TOO_DEEP"
    x = await make(api, owner, "X")
    await make(api, owner, "Y", x)
    p = await run(api, MOVE, {"departmentId": x, "parentId": b}, owner)  # 2 + 2 levels
    assert p["errors"][0]["code"] == "DEPARTMENT_TOO_DEEP"
    assert (await Department.get(id=pk(x))).parent_id is None


async def test_only_empty_departments_can_be_deleted(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    parent = await make(api, owner, "Parent")
    child = await make(api, owner, "Child", parent)
    await run(api, ADD, {"departmentId": child, "userIds": [member.user_id]}, owner)
    before = len(await entries(owner))
    for target in (parent, child):  # has a child; has a member
        p = await run(api, DELETE, {"departmentId": target}, owner)
        assert p == {
            "deletedDepartmentId": None,
            "errors": [{"code": "DEPARTMENT_NOT_EMPTY", "field": "departmentId"}],
        }
    assert await Department.filter(id__in=[pk(parent), pk(child)]).count() == 2
    assert len(await entries(owner)) == before

    await run(api, REMOVE, {"departmentId": child, "userIds": [member.user_id]}, owner)
    for target in (child, parent):
        p = await run(api, DELETE, {"departmentId": target}, owner)
        assert p == {"deletedDepartmentId": target, "errors": []}
    assert not await Department.filter(id__in=[pk(parent), pk(child)]).exists()
    assert (await api.gql(DEPT, {"id": child}, token=owner.access_token))["department"] is None


async def test_members_are_added_and_removed_idempotently(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    dept = await make(api, owner, "Team")
    org = pk(owner.organization_id)
    await run(api, ADD, {"departmentId": dept, "userIds": [bob.user_id]}, owner)
    await run(api, ADD, {"departmentId": dept, "userIds": [bob.user_id, cy.user_id]}, owner)
    got = (await api.gql(DEPT, {"id": dept}, token=bob.access_token))["department"]["members"]
    assert got == {"nodes": [{"id": bob.user_id}, {"id": cy.user_id}]}
    await run(api, REMOVE, {"departmentId": dept, "userIds": [cy.user_id]}, owner)
    await run(api, REMOVE, {"departmentId": dept, "userIds": [cy.user_id]}, owner)  # no-op
    rows = await DepartmentMember.filter(department_id=pk(dept)).values_list("user_id", flat=True)
    assert list(rows) == [pk(bob.user_id)]
    user_side = await api.gql("{ viewer { departments { id } } }", token=bob.access_token)
    assert user_side["viewer"]["departments"] == [{"id": dept}]

    log = [(e.action, e.before, e.after) for e in await entries(owner)][1:]
    assert log == [
        ("department.members_add", None, {"userIds": [pk(bob.user_id)]}),
        ("department.members_add", None, {"userIds": [pk(cy.user_id)]}),
        ("department.members_remove", {"userIds": [pk(cy.user_id)]}, None),
    ]
    assert all(e.organization_id == org for e in await entries(owner))

    guest = await with_role(api, owner, Role.GUEST, "Gus")
    p = await run(api, ADD, {"departmentId": dept, "userIds": [guest.user_id]}, owner)
    assert p["errors"][0]["code"] == "GUEST_NOT_ALLOWED"
    too_many = {"i": {"departmentId": dept, "userIds": [bob.user_id] * 101}}
    assert await refused(api, ADD, too_many, owner) == "BAD_USER_INPUT"
    assert len(await entries(owner)) == 4


async def test_members_and_guests_may_not_change_departments(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    guest = await with_role(api, owner, Role.GUEST, "Gus")
    dept = await make(api, owner, "Team")
    other = await make(api, owner, "Other")
    before = len(await entries(owner))
    calls = [
        (CREATE, {"name": "New"}),
        (UPDATE, {"departmentId": dept, "name": "Renamed"}),
        (MOVE, {"departmentId": dept, "parentId": other}),
        (DELETE, {"departmentId": dept}),
        (ADD, {"departmentId": dept, "userIds": [member.user_id]}),
        (REMOVE, {"departmentId": dept, "userIds": [member.user_id]}),
    ]
    for who in (member, guest):
        for doc, inp in calls:
            assert await refused(api, doc, {"i": inp}, who) == "FORBIDDEN", doc
    row = await Department.get(id=pk(dept))
    assert (row.name, row.parent_id) == ("Team", None)
    assert await Department.filter(organization_id=pk(owner.organization_id)).count() == 2
    assert not await DepartmentMember.filter(department_id=pk(dept)).exists()
    assert len(await entries(owner)) == before


async def test_another_organization_sees_and_changes_nothing(api: Api) -> None:
    owner = await api.sign_up()
    member = await api.add_member(owner)
    dept = await make(api, owner, "Team")
    child = await make(api, owner, "Child", dept)
    stranger = await api.sign_up()
    theirs = await make(api, stranger, "Theirs")
    before = len(await entries(owner))

    assert (await api.gql(DEPT, {"id": dept}, token=stranger.access_token))["department"] is None
    assert (await api.gql(NODE, {"id": dept}, token=stranger.access_token))["node"] is None
    got = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [dept, theirs]},
        token=stranger.access_token,
    )
    assert got["nodes"] == [None, {"id": theirs}]
    assert await refused(api, LIST, {"p": dept}, stranger) == "NOT_FOUND"
    calls = [
        (CREATE, {"name": "New", "parentId": dept}),
        (CREATE, {"name": "New", "leaderId": member.user_id}),
        (UPDATE, {"departmentId": dept, "name": "Renamed"}),
        (MOVE, {"departmentId": child, "parentId": None}),
        (MOVE, {"departmentId": theirs, "parentId": dept}),
        (DELETE, {"departmentId": child}),
        (ADD, {"departmentId": dept, "userIds": [stranger.user_id]}),
        (ADD, {"departmentId": theirs, "userIds": [member.user_id]}),
        (REMOVE, {"departmentId": dept, "userIds": [member.user_id]}),
        (UPDATE, {"departmentId": gid("User", pk(owner.user_id)), "name": "Wrong type"}),
        (DELETE, {"departmentId": "not a global id"}),
    ]
    for doc, inp in calls:
        assert await refused(api, doc, {"i": inp}, stranger) == "NOT_FOUND", inp
    rows = {d.id: (d.name, d.parent_id) for d in await Department.all()}
    assert rows[pk(dept)] == ("Team", None) and rows[pk(child)] == ("Child", pk(dept))
    assert rows[pk(theirs)] == ("Theirs", None)
    assert not await Department.filter(organization_id=pk(stranger.organization_id), name="New")
    assert not await DepartmentMember.filter(department_id__in=[pk(dept), pk(theirs)]).exists()
    assert len(await entries(owner)) == before
    assert [e.action for e in await entries(stranger)] == ["department.create"]


async def test_audit_entries_record_each_change_exactly(api: Api) -> None:
    owner = await api.sign_up()
    admin = await with_role(api, owner, Role.ADMIN)
    a = await make(api, admin, "A")
    b = await make(api, admin, "B", leaderId=owner.user_id)
    await run(api, UPDATE, {"departmentId": b, "name": "Bee", "leaderId": None}, admin)
    await run(api, UPDATE, {"departmentId": b, "name": "Bee"}, admin)  # no change: no entry
    await run(api, MOVE, {"departmentId": b, "parentId": a}, admin)
    await run(api, DELETE, {"departmentId": b}, admin)
    got = [
        (e.action, e.actor_id, e.target_type, e.target_id, e.before, e.after)
        for e in await entries(owner)
    ]
    actor, ida, idb, leader = pk(admin.user_id), pk(a), pk(b), pk(owner.user_id)
    assert got == [
        ("department.create", actor, "department", ida, None,
         {"name": "A", "parent_id": None, "leader_id": None}),
        ("department.create", actor, "department", idb, None,
         {"name": "B", "parent_id": None, "leader_id": leader}),
        ("department.update", actor, "department", idb,
         {"name": "B", "leader_id": leader}, {"name": "Bee", "leader_id": None}),
        ("department.move", actor, "department", idb, {"parent_id": None}, {"parent_id": ida}),
        ("department.delete", actor, "department", idb,
         {"name": "Bee", "parent_id": ida, "leader_id": None}, None),
    ]  # fmt: skip


async def next_event(sub: Any, timeout: float = 5) -> tuple[str, str | None, int]:
    e = await asyncio.wait_for(sub.__anext__(), timeout)
    return e["type"], e.get("kind"), (e.get("department") or e.get("user"))["id"]


async def test_committed_changes_publish_one_event_and_refused_ones_none(api: Api) -> None:
    from adapters import runtime
    from resolvers.identity.events import organization_channel

    owner = await api.sign_up()
    member = await api.add_member(owner)
    a = await make(api, owner, "A")
    bus = runtime.current().bus
    async with bus.subscribe(organization_channel(pk(owner.organization_id))) as sub:
        # Each refused call is followed by a committed one: the next event must be the latter's.
        assert (await run(api, CREATE, {"name": "a"}, owner))["errors"]
        b = await make(api, owner, "B")
        assert await next_event(sub) == (AdminEventKind.DEPARTMENT_CHANGED, "CREATED", pk(b))
        assert (await run(api, UPDATE, {"departmentId": a, "name": ""}, owner))["errors"]
        await run(api, UPDATE, {"departmentId": a, "name": "A2"}, owner)
        assert await next_event(sub) == (AdminEventKind.DEPARTMENT_CHANGED, "UPDATED", pk(a))
        assert (await run(api, MOVE, {"departmentId": a, "parentId": a}, owner))["errors"]
        await run(api, MOVE, {"departmentId": b, "parentId": a}, owner)
        assert await next_event(sub) == (AdminEventKind.DEPARTMENT_CHANGED, "MOVED", pk(b))
        assert (await run(api, DELETE, {"departmentId": a}, owner))["errors"]  # has a child
        await run(api, ADD, {"departmentId": a, "userIds": [member.user_id]}, owner)
        assert await next_event(sub) == (AdminEventKind.DEPARTMENT_CHANGED, "UPDATED", pk(a))
        assert await next_event(sub) == (IdentityEventKind.MEMBER_UPDATED, None, pk(member.user_id))
        await run(api, DELETE, {"departmentId": b}, owner)
        assert await next_event(sub) == (AdminEventKind.DEPARTMENT_CHANGED, "DELETED", pk(b))
        with pytest.raises(TimeoutError):
            await next_event(sub, timeout=0.3)


TREE = """query($first: Int) { departments(first: $first) { nodes { id name
  parent { id } leader { id displayName } path { name } } } }"""
CHILDREN = """query($id: ID!, $first: Int) { department(id: $id) {
  children(first: $first) { nodes { name leader { id } parent { name } path { id } } }
  members(first: $first) { nodes { id displayName departments { name } } } } }"""


async def test_query_count_does_not_grow_with_the_page_size(api: Api) -> None:
    owner = await api.sign_up()
    root = await make(api, owner, "Root")
    people = [await api.add_member(owner, name=f"P{i}") for i in range(6)]
    for i, person in enumerate(people):
        await make(api, owner, f"Top {i}", leaderId=person.user_id)
        await make(api, owner, f"Sub {i}", root, leaderId=person.user_id)
    await run(api, ADD, {"departmentId": root, "userIds": [p.user_id for p in people]}, owner)

    async def count(doc: str, variables: dict[str, Any]) -> int:
        with count_queries() as statements:
            await api.gql(doc, variables, token=owner.access_token)
        return len(statements)

    assert await count(TREE, {"first": 2}) == await count(TREE, {"first": 7})
    small = await count(CHILDREN, {"id": root, "first": 2})
    assert small == await count(CHILDREN, {"id": root, "first": 6})
