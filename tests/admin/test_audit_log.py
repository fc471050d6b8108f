"""The audit log query: admins only, newest first, filters, keyset pages, tenancy, and no
query per entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import Role, User
from tests.client import Account, Api, count_queries

LOG = """query($first: Int, $after: String, $actorId: ID, $action: String, $since: DateTime,
  $until: DateTime) {
  auditLog(first: $first, after: $after, actorId: $actorId, action: $action, since: $since,
    until: $until) {
    edges { cursor node { id action targetType targetId before after requestId ip userAgent
      createdAt actor { id displayName } } }
    pageInfo { hasNextPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on AuditEntry { action } } }"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


async def entry(who: Account, action: str, *, minutes: int = 0, **fields: Any) -> AuditEntry:
    """An entry as another module's mutation would write it, at T0 + ``minutes``."""
    values: dict[str, Any] = {
        "organization_id": pk(who.organization_id),
        "actor_id": pk(who.user_id),
        "action": action,
        "target_type": "User",
        "target_id": pk(who.user_id),
    }
    values.update(fields)
    e = await AuditEntry.create(**values)
    await AuditEntry.filter(id=e.id).update(created_at=T0 + timedelta(minutes=minutes))
    return e


async def log(api: Api, who: Account, **variables: Any) -> dict[str, Any]:
    return (await api.gql(LOG, variables, token=who.access_token))["auditLog"]


def actions(page: dict[str, Any]) -> list[str]:
    return [e["node"]["action"] for e in page["edges"]]


async def test_admins_read_entries_newest_first_with_every_field(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha", name="Olga")
    await entry(owner, "user.create", minutes=1, after={"role": "MEMBER"})
    await entry(
        owner,
        "department.move",
        minutes=2,
        target_type="department",  # stored lower-case; shown as the GraphQL type
        target_id=42,
        before={"parent_id": 1},
        after={"parent_id": 2},
        request_id="req-1",
        ip="10.0.0.1",
        user_agent="pytest",
    )
    await entry(owner, "system.sweep", minutes=3, actor_id=None, target_type="job", target_id=7)

    page = await log(api, owner)

    assert actions(page) == ["system.sweep", "department.move", "user.create"]
    sweep, move, create = (e["node"] for e in page["edges"])
    assert sweep["actor"] is None and sweep["targetId"] == "7" and sweep["targetType"] == "job"
    assert move == {
        "id": move["id"],
        "action": "department.move",
        "targetType": "Department",
        "targetId": str(GlobalID("Department", "42")),
        "before": {"parent_id": 1},
        "after": {"parent_id": 2},
        "requestId": "req-1",
        "ip": "10.0.0.1",
        "userAgent": "pytest",
        "createdAt": (T0 + timedelta(minutes=2)).isoformat(),
        "actor": {"id": owner.user_id, "displayName": "Olga"},
    }
    assert create["targetId"] == owner.user_id and create["before"] is None
    # Entries are nodes too, for admins.
    found = await api.gql(NODE, {"id": move["id"]}, token=owner.access_token)
    assert found["node"] == {
        "__typename": "AuditEntry",
        "id": move["id"],
        "action": "department.move",
    }


async def test_entries_of_a_real_mutation_carry_the_request(api: Api) -> None:
    owner = await api.sign_up()
    await api.gql(
        'mutation { organizationUpdate(input: {name: "Renamed"}) { errors { code } } }',
        token=owner.access_token,
    )
    node = (await log(api, owner))["edges"][0]["node"]
    assert node["action"] == "organization.update"
    assert node["targetId"] == owner.organization_id
    assert node["actor"]["id"] == owner.user_id
    assert node["requestId"] and node["ip"] == "127.0.0.1"
    assert node["userAgent"].startswith("python-httpx")


async def test_filters(api: Api) -> None:
    owner = await api.sign_up()
    admin = await api.add_member(owner, name="Admin")
    await User.filter(id=pk(admin.user_id)).update(role=Role.ADMIN)
    await entry(owner, "user.create", minutes=0)
    await entry(admin, "user.update", minutes=10)
    await entry(owner, "user.update", minutes=20)
    await entry(admin, "group.create", minutes=30)

    by_admin = await log(api, owner, actorId=admin.user_id)
    assert actions(by_admin) == ["group.create", "user.update"]
    assert {e["node"]["actor"]["id"] for e in by_admin["edges"]} == {admin.user_id}
    assert actions(await log(api, owner, action="user.update")) == ["user.update"] * 2
    assert actions(await log(api, owner, action="user.update", actorId=owner.user_id)) == [
        "user.update"
    ]
    window = await log(
        api,
        owner,
        since=(T0 + timedelta(minutes=10)).isoformat(),
        until=(T0 + timedelta(minutes=30)).isoformat(),
    )
    assert actions(window) == ["user.update", "user.update"]  # since inclusive, until exclusive
    assert actions(await log(api, owner, since=(T0 + timedelta(minutes=25)).isoformat())) == [
        "group.create"
    ]
    assert actions(await log(api, owner, action="nothing.like.this")) == []


async def test_bad_filters(api: Api) -> None:
    a = await api.sign_up()
    b = await api.sign_up()
    for actor in (b.user_id, "garbage", a.organization_id):
        body = (await api.post(LOG, {"actorId": actor}, token=a.access_token)).json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", actor
    for variables in ({"action": "x" * 65}, {"first": 101}, {"after": "not-a-cursor"}):
        body = (await api.post(LOG, variables, token=a.access_token)).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables


async def test_keyset_pages_cover_everything_once_with_equal_times(api: Api) -> None:
    owner = await api.sign_up()
    for i in range(7):
        # Pairs share a timestamp: the id breaks the tie in the keyset.
        await entry(owner, f"act.{i}", minutes=i // 2)
    seen: list[str] = []
    after = None
    while True:
        page = await log(api, owner, first=3, after=after)
        seen += actions(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"act.{i}" for i in range(6, -1, -1)]


async def test_queries_do_not_grow_with_the_page(api: Api) -> None:
    owner = await api.sign_up()
    others = [await api.add_member(owner, name=f"M{i}") for i in range(3)]
    for i in range(12):
        await entry(others[i % 3], f"act.{i}", minutes=i)
    counts = []
    for n in (2, 12):
        with count_queries() as statements:
            page = await log(api, owner, first=n)
        assert len(page["edges"]) == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_members_and_guests_are_forbidden(api: Api) -> None:
    owner = await api.sign_up()
    e = await entry(owner, "user.create")
    member = await api.add_member(owner, name="Member")
    guest = await api.add_member(owner, name="Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    gid = str(GlobalID("AuditEntry", str(e.id)))
    for who, code in ((member, "FORBIDDEN"), (guest, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        token = who.access_token if who else None
        body = (await api.post(LOG, {}, token=token)).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code
        assert (await api.gql(NODE, {"id": gid}, token=token))["node"] is None


async def test_another_organizations_entries_never_appear(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    mine = await entry(b, "user.create")
    theirs = await entry(a, "user.create")
    page = await log(api, b)
    assert [e["node"]["id"] for e in page["edges"]] == [str(GlobalID("AuditEntry", str(mine.id)))]
    gid = str(GlobalID("AuditEntry", str(theirs.id)))
    assert (await api.gql(NODE, {"id": gid}, token=b.access_token))["node"] is None
    assert (await api.gql(NODE, {"id": gid}, token=a.access_token))["node"]["id"] == gid
