"""fileShare and fileUnshare: who may grant what, one grant per grantee, the permission list,
what others share with you, and the live events."""

from __future__ import annotations

import asyncio

from tests.client import Api, count_queries
from tests.drive.sharing_helpers import (
    LINK_CREATE,
    PERMISSIONS,
    SHARE,
    SHARED_WITH_ME,
    UNSHARE,
    department,
    drive_events,
    file,
    folder,
    gid,
    grants,
    group,
    payload,
    pk,
    refusal_of,
    see,
    share,
    share_ok,
    trash,
    wait_for,
)

ROOT = "query { drive { root { id } } }"


async def test_share_a_file_then_change_the_role_one_grant_per_grantee(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    doc = await file(api, owner, "plan.txt")
    assert await see(api, bob, doc) is None

    first = await share_ok(api, owner, doc, "VIEWER", user=bob)
    assert first["role"] == "VIEWER"
    assert first["granteeKind"] == "USER"
    assert first["inherited"] is False
    assert first["grantee"] == {"__typename": "User", "id": bob.user_id}
    seen = await see(api, bob, doc)
    assert seen is not None and seen["viewerRole"] == "VIEWER"

    again = await share_ok(api, owner, doc, "EDITOR", user=bob)
    assert again["id"] == first["id"]
    assert again["role"] == "EDITOR"
    assert await grants(doc) == [("USER", pk(bob.user_id), "EDITOR")]
    seen = await see(api, bob, doc)
    assert seen is not None and seen["viewerRole"] == "EDITOR"

    await share_ok(api, owner, doc, "COMMENTER", user=cy)
    # Owners and editors see who has it; a commenter sees an empty list.
    for who in (owner, bob):
        got = (await api.gql(PERMISSIONS, {"id": doc}, token=who.access_token))["file"]
        assert [(p["grantee"]["id"], p["role"]) for p in got["permissions"]["nodes"]] == [
            (cy.user_id, "COMMENTER"),
            (bob.user_id, "EDITOR"),
        ]
    got = (await api.gql(PERMISSIONS, {"id": doc}, token=cy.access_token))["file"]
    assert got["permissions"]["nodes"] == got["shareLinks"]["nodes"] == []


async def test_grantees_must_be_one_and_of_your_organization(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    stranger = await api.sign_up(organization="Other")
    other_dept = await department(api, stranger, "Theirs", [])
    doc = await file(api, owner, "a.txt")

    none = await share(api, owner, doc, "VIEWER")
    assert [(e["code"], e["field"]) for e in none["errors"]] == [("INVALID_GRANTEE", "userId")]
    two = await share(api, owner, doc, "VIEWER", user=bob, groupId=gid("Group", 1))
    assert [e["code"] for e in two["errors"]] == ["INVALID_GRANTEE"]
    for grantee, field in (
        ({"userId": stranger.user_id}, "userId"),
        ({"departmentId": other_dept}, "departmentId"),
        ({"groupId": gid("Group", 987654321)}, "groupId"),
        ({"userId": gid("Chat", pk(bob.user_id))}, "userId"),
    ):
        variables = {"i": {"fileId": doc, "role": "VIEWER", **grantee}}
        assert await refusal_of(api, SHARE, variables, owner) == ("NOT_FOUND", field)
    mine = await share(api, owner, doc, "VIEWER", user=owner)
    assert [e["code"] for e in mine["errors"]] == ["ALREADY_OWNER"]
    assert await grants(doc) == []


async def test_my_drive_itself_cannot_be_shared(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    root = (await api.gql(ROOT, token=owner.access_token))["drive"]["root"]["id"]
    p = await share(api, owner, root, "VIEWER", user=bob)
    assert [(e["code"], e["field"]) for e in p["errors"]] == [("ROOT_NOT_SHAREABLE", "fileId")]
    assert await grants(root) == []


async def test_editors_share_up_to_editor_and_remove_only_grants_below_owner(api: Api) -> None:
    owner = await api.sign_up()
    ed = await api.add_member(owner, name="Ed")
    co = await api.add_member(owner, name="Co")
    vi = await api.add_member(owner, name="Vi")
    doc = await file(api, owner, "a.txt")
    await share_ok(api, owner, doc, "EDITOR", user=ed)
    co_grant = await share_ok(api, owner, doc, "OWNER", user=co)
    before = await grants(doc)

    variables = {"i": {"fileId": doc, "role": "OWNER", "userId": vi.user_id}}
    assert await refusal_of(api, SHARE, variables, ed) == ("FORBIDDEN", "role")
    # Nor may an editor demote an owner by sharing again.
    variables = {"i": {"fileId": doc, "role": "VIEWER", "userId": co.user_id}}
    assert await refusal_of(api, SHARE, variables, ed) == ("FORBIDDEN", "role")
    variables = {"i": {"fileId": doc, "permissionId": co_grant["id"]}}
    assert await refusal_of(api, UNSHARE, variables, ed) == ("FORBIDDEN", "permissionId")
    assert await grants(doc) == before

    for role in ("VIEWER", "COMMENTER", "EDITOR"):
        assert (await share_ok(api, ed, doc, role, user=vi))["role"] == role
    p = await payload(api, UNSHARE, {"fileId": doc, "userId": vi.user_id}, ed)
    assert p["errors"] == []
    assert await see(api, vi, doc) is None

    # The co-owner, being an owner, removes the editor.
    p = await payload(api, UNSHARE, {"fileId": doc, "userId": ed.user_id}, co)
    assert p["errors"] == []
    assert await grants(doc) == [("USER", pk(co.user_id), "OWNER")]


async def test_anyone_may_leave_what_is_shared_with_them(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    doc = await file(api, owner, "a.txt")
    bobs = await share_ok(api, owner, doc, "VIEWER", user=bob)
    await share_ok(api, owner, doc, "VIEWER", user=cy)

    variables = {"i": {"fileId": doc, "userId": cy.user_id}}
    assert await refusal_of(api, UNSHARE, variables, bob) == ("FORBIDDEN", "fileId")
    p = await payload(api, UNSHARE, {"fileId": doc, "permissionId": bobs["id"]}, bob)
    assert p["errors"] == []
    assert await see(api, bob, doc) is None
    assert await grants(doc) == [("USER", pk(cy.user_id), "VIEWER")]
    # Gone is gone: the same id again is NOT_FOUND.
    variables = {"i": {"fileId": doc, "permissionId": bobs["id"]}}
    assert await refusal_of(api, UNSHARE, variables, owner) == ("NOT_FOUND", "permissionId")


async def test_inherited_grants_are_listed_and_removed_where_they_were_made(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    top = await folder(api, owner, "Projects")
    inner = await folder(api, owner, "Apollo", top)
    doc = await file(api, owner, "spec.txt", inner)
    on_top = await share_ok(api, owner, top, "EDITOR", user=bob)

    got = (await api.gql(PERMISSIONS, {"id": doc}, token=bob.access_token))["file"]
    assert [(p["id"], p["inherited"], p["inheritedFrom"]) for p in got["permissions"]["nodes"]] == [
        (on_top["id"], True, {"id": top})
    ]
    p = await payload(api, UNSHARE, {"fileId": doc, "permissionId": on_top["id"]}, owner)
    assert [(e["code"], e["field"]) for e in p["errors"]] == [("INHERITED", "permissionId")]
    assert await grants(top) == [("USER", pk(bob.user_id), "EDITOR")]
    assert (await payload(api, UNSHARE, {"fileId": top, "permissionId": on_top["id"]}, owner))[
        "errors"
    ] == []
    assert await see(api, bob, doc) is None


PAGE = """query($id: ID!, $after: String) { file(id: $id) {
  %s(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }"""


async def test_permissions_and_links_page_nearest_folder_first_then_newest(api: Api) -> None:
    # Given a file with two grants of its own, one on its folder, and three share links
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    di = await api.add_member(owner, name="Di")
    top = await folder(api, owner, "Projects")
    doc = await file(api, owner, "spec.txt", top)
    on_top = await share_ok(api, owner, top, "VIEWER", user=bob)
    first_grant = await share_ok(api, owner, doc, "VIEWER", user=cy)
    second_grant = await share_ok(api, owner, doc, "EDITOR", user=di)
    links = []
    for _ in range(3):
        made = await payload(api, LINK_CREATE, {"fileId": doc}, owner)
        links.append(made["shareLink"]["id"])

    # When the owner pages through both, two at a time
    async def pages(field: str) -> list[list[str]]:
        doc_ = PAGE % field
        seen: list[list[str]] = []
        after = None
        while True:
            got = (await api.gql(doc_, {"id": doc, "after": after}, token=owner.access_token))[
                "file"
            ][field]
            seen.append([n["id"] for n in got["nodes"]])
            if not got["pageInfo"]["hasNextPage"]:
                return seen
            after = got["pageInfo"]["endCursor"]

    # Then the file's own grants come first (newest first), then its folder's; links newest first
    assert await pages("permissions") == [[second_grant["id"], first_grant["id"]], [on_top["id"]]]
    assert await pages("shareLinks") == [[links[2], links[1]], [links[0]]]
    bad = {"id": doc, "after": "bm9wZQ"}
    r = await api.post(PAGE % "permissions", bad, token=owner.access_token)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_shared_with_me_newest_share_first_through_departments_and_groups(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    cy = await api.add_member(owner, name="Cy")
    eng = await department(api, owner, "Engineering", [])
    backend = await department(api, owner, "Backend", [bob], eng)
    guild = await group(api, owner, "Guild", [bob])

    direct = await file(api, owner, "direct.txt")
    via_dept = await file(api, cy, "dept.txt")
    via_group = await file(api, owner, "group.txt")
    twice = await file(api, owner, "twice.txt")
    trashed = await file(api, owner, "trashed.txt")
    await share_ok(api, owner, twice, "VIEWER", user=bob)
    await share_ok(api, owner, direct, "VIEWER", user=bob)
    await share_ok(api, cy, via_dept, "VIEWER", departmentId=eng)
    await share_ok(api, owner, via_group, "COMMENTER", groupId=guild)
    await share_ok(api, owner, trashed, "VIEWER", user=bob)
    await share_ok(api, owner, twice, "VIEWER", groupId=guild)  # newest grant: first again
    mine = await file(api, bob, "mine.txt")
    await share_ok(api, bob, mine, "VIEWER", user=cy)
    await trash(api, owner, trashed)

    pages, after = [], None
    while True:
        data = await api.gql(SHARED_WITH_ME, {"first": 2, "after": after}, token=bob.access_token)
        conn = data["drive"]["sharedWithMe"]
        pages.append([n["name"] for n in conn["nodes"]])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == [["twice.txt", "group.txt"], ["dept.txt", "direct.txt"]]
    assert backend  # Bob is in Backend, below Engineering: the department grant reaches him.
    # Cy sees what Bob shared, not her own file shared with Engineering.
    data = await api.gql(SHARED_WITH_ME, {}, token=cy.access_token)
    assert [n["name"] for n in data["drive"]["sharedWithMe"]["nodes"]] == ["mine.txt"]


async def test_share_and_unshare_reach_the_audience_and_those_who_lose_access(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    doc = await file(api, owner, "a.txt")
    async with drive_events(bob) as bob_seen, drive_events(owner) as owner_seen:
        grant = await share_ok(api, owner, doc, "VIEWER", user=bob)
        shared = await wait_for(bob_seen, "SHARED")
        assert shared["item"]["id"] == pk(doc)
        assert shared["actorId"] == pk(owner.user_id)
        await wait_for(owner_seen, "SHARED")
        p = await payload(api, UNSHARE, {"fileId": doc, "permissionId": grant["id"]}, owner)
        assert p["errors"] == []
        unshared = await wait_for(bob_seen, "UNSHARED")
        assert unshared["item"]["id"] == pk(doc)


async def test_shared_with_me_and_permissions_cost_the_same_queries_at_any_size(api: Api) -> None:
    owner = await api.sign_up()
    few = await api.add_member(owner, name="Few")
    many = await api.add_member(owner, name="Many")
    for who, n in ((few, 2), (many, 7)):
        for i in range(n):
            doc = await file(api, owner, f"{who.user_id[-6:]}-{i}.txt")
            await share_ok(api, owner, doc, "EDITOR", user=who)
    # (connections cost their `first` times their items: small pages keep this under the limit)
    doc = """query { drive { sharedWithMe(first: 10) { nodes { id viewerRole downloadUrl
      permissions(first: 5) { nodes { role grantee { __typename } } }
      shareLinks(first: 5) { nodes { id } } } } } }"""
    counts = []
    for who, n in ((few, 2), (many, 7)):
        with count_queries() as statements:
            nodes = (await api.gql(doc, token=who.access_token))["drive"]["sharedWithMe"]["nodes"]
        assert len(nodes) == n
        assert all(
            x["viewerRole"] == "EDITOR" and len(x["permissions"]["nodes"]) == 1 for x in nodes
        )
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_sharing_with_one_grantee_at_once_keeps_one_grant(api: Api) -> None:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    doc = await file(api, owner, "a.txt")
    roles = ["VIEWER", "COMMENTER", "EDITOR", "VIEWER", "EDITOR", "COMMENTER"]
    results = await asyncio.gather(*(share(api, owner, doc, r, user=bob) for r in roles))
    assert all(p["errors"] == [] for p in results)
    assert len({p["permission"]["id"] for p in results}) == 1
    assert len(await grants(doc)) == 1
