"""The permission matrix: for each role, granted on a folder two levels up, what its holder
reads and which acts are refused with nothing changed; department grants reaching
sub-departments, group grants, guests, and another organization (NOT_FOUND everywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from models.drive import DriveItem, DrivePermission, ShareLink
from models.identity import Role
from tests.client import Account, Api
from tests.drive.helpers import upload_raw
from tests.drive.sharing_helpers import (
    FOLDER_CREATE,
    LINK_CREATE,
    LINK_REVOKE,
    OPEN,
    SHARE,
    SHARED_WITH_ME,
    UNSHARE,
    department,
    file,
    folder,
    group,
    payload,
    pk,
    refusal_of,
    see,
    share_ok,
    with_role,
)
from tests.errors import payload_code

RENAME = """mutation($i: FileRenameInput!) { fileRename(input: $i) {
  file { name } errors { code } } }"""
MOVE = """mutation($i: FileMoveInput!) { fileMove(input: $i) { file { id } errors { code } } }"""
DELETE = (
    """mutation($i: FileDeleteInput!) { fileDelete(input: $i) { file { id } errors { code } } }"""
)
NODE = "query($id: ID!) { node(id: $id) { id } }"


@dataclass
class World:
    """Olga's folder Team/Sub/doc.txt, and Team/keep.txt; Max has an owner grant on Team."""

    olga: Account
    max: Account
    team: str
    sub: str
    doc: str
    keep: str
    max_grant: str


async def world(api: Api) -> World:
    olga = await api.sign_up()
    mx = await api.add_member(olga, name="Max")
    team = await folder(api, olga, "Team")
    sub = await folder(api, olga, "Sub", team)
    doc = await file(api, olga, "doc.txt", sub, data=b"the doc")
    keep = await file(api, olga, "keep.txt", team)
    grant = await share_ok(api, olga, team, "OWNER", user=mx)
    return World(olga, mx, team, sub, doc, keep, grant["id"])


async def snapshot(w: World) -> tuple[Any, ...]:
    """Everything a denied act could have changed."""
    org = pk(w.olga.organization_id)
    items = (
        await DriveItem.filter(organization_id=org)
        .order_by("id")
        .values_list("id", "name", "parent_id", "trashed_at", "current_version_id")
    )
    grants = (
        await DrivePermission.filter(organization_id=org)
        .order_by("id")
        .values_list("item_id", "grantee_kind", "grantee_id", "role")
    )
    links = (
        await ShareLink.filter(organization_id=org).order_by("id").values_list("id", "revoked_at")
    )
    return tuple(items), tuple(grants), tuple(links)


async def reads(api: Api, w: World, who: Account) -> dict[str, Any]:
    """What ``who`` reads of the doc and the folders above it."""
    doc = await see(api, who, w.doc)
    team = await see(api, who, w.team)
    sub = await see(api, who, w.sub)
    r = await api.http.get(f"/files/{w.doc}", headers=who.headers)
    return {
        "role": doc["viewerRole"] if doc else None,
        "team": [c["name"] for c in team["children"]["nodes"]] if team else None,
        "sub": [c["name"] for c in sub["children"]["nodes"]] if sub else None,
        "url": bool(doc and doc["downloadUrl"]),
        "get": (r.status_code, r.content if r.status_code == 200 else None),
    }


async def refused(api: Api, w: World, who: Account, code: str) -> None:
    """Every write ``who`` tries is refused with ``code`` and changes nothing."""
    other = await api.add_member(w.olga, name="Other")
    link = await payload(api, LINK_CREATE, {"fileId": w.team}, w.olga)
    before = await snapshot(w)
    acts: list[tuple[str, dict[str, Any]]] = [
        (RENAME, {"fileId": w.doc, "name": "renamed.txt"}),
        (MOVE, {"fileId": w.doc, "folderId": w.team}),
        (DELETE, {"fileId": w.doc}),
        (FOLDER_CREATE, {"name": "New", "parentId": w.sub}),
        (SHARE, {"fileId": w.doc, "role": "VIEWER", "userId": other.user_id}),
        (UNSHARE, {"fileId": w.team, "permissionId": w.max_grant}),
        (LINK_CREATE, {"fileId": w.doc}),
        (LINK_REVOKE, {"shareLinkId": link["shareLink"]["id"]}),
    ]
    for doc, inp in acts:
        got = await refusal_of(api, doc, {"i": inp}, who)
        assert got[0] == code, (doc, got)
    r = await upload_raw(api, who, b"sneaky", name="sneaky.txt", folderId=w.sub)
    assert payload_code(r.json(), "fileUpload") == code
    assert await snapshot(w) == before


DOC_ONLY = {"team": ["Sub", "keep.txt"], "sub": ["doc.txt"], "url": True}


@pytest.mark.parametrize("role", ["VIEWER", "COMMENTER"])
async def test_viewers_and_commenters_read_the_tree_below_and_change_nothing(
    api: Api, role: str
) -> None:
    w = await world(api)
    bob = await api.add_member(w.olga, name="Bob")
    await share_ok(api, w.olga, w.team, role, user=bob)
    assert await reads(api, w, bob) == {"role": role, **DOC_ONLY, "get": (200, b"the doc")}
    await refused(api, w, bob, "FORBIDDEN")


async def test_editors_change_the_tree_and_share_below_owner(api: Api) -> None:
    w = await world(api)
    ed = await api.add_member(w.olga, name="Ed")
    vi = await api.add_member(w.olga, name="Vi")
    await share_ok(api, w.olga, w.team, "EDITOR", user=ed)
    assert await reads(api, w, ed) == {"role": "EDITOR", **DOC_ONLY, "get": (200, b"the doc")}
    before = await snapshot(w)
    variables = {"i": {"fileId": w.doc, "role": "OWNER", "userId": vi.user_id}}
    assert await refusal_of(api, SHARE, variables, ed) == ("FORBIDDEN", "role")
    variables = {"i": {"fileId": w.team, "permissionId": w.max_grant}}
    assert await refusal_of(api, UNSHARE, variables, ed) == ("FORBIDDEN", "permissionId")
    assert await snapshot(w) == before

    assert (await payload(api, RENAME, {"fileId": w.doc, "name": "doc2.txt"}, ed))["errors"] == []
    r = await upload_raw(api, ed, b"new", name="new.txt", folderId=w.sub)
    assert r.json()["data"]["fileUpload"]["errors"] == []
    await share_ok(api, ed, w.doc, "EDITOR", user=vi)
    assert (await payload(api, LINK_CREATE, {"fileId": w.doc}, ed))["errors"] == []
    assert (await payload(api, DELETE, {"fileId": w.doc}, ed))["errors"] == []


async def test_an_owner_grant_gives_everything(api: Api) -> None:
    w = await world(api)
    vi = await api.add_member(w.olga, name="Vi")
    got = await reads(api, w, w.max)
    assert got == {"role": "OWNER", **DOC_ONLY, "get": (200, b"the doc")}
    assert (await share_ok(api, w.max, w.doc, "OWNER", user=vi))["role"] == "OWNER"
    p = await payload(api, UNSHARE, {"fileId": w.doc, "userId": vi.user_id}, w.max)
    assert p["errors"] == []


async def test_department_grants_reach_sub_departments_and_group_grants_members(
    api: Api,
) -> None:
    w = await world(api)
    ana = await api.add_member(w.olga, name="Ana")
    gus = await api.add_member(w.olga, name="Gus")
    nobody = await api.add_member(w.olga, name="Nobody")
    eng = await department(api, w.olga, "Engineering", [])
    await department(api, w.olga, "Backend", [ana], eng)
    await department(api, w.olga, "Sales", [nobody])
    guild = await group(api, w.olga, "Guild", [gus])
    await share_ok(api, w.olga, w.team, "VIEWER", departmentId=eng)
    await share_ok(api, w.olga, w.sub, "EDITOR", groupId=guild)

    assert await reads(api, w, ana) == {"role": "VIEWER", **DOC_ONLY, "get": (200, b"the doc")}
    await refused(api, w, ana, "FORBIDDEN")
    # Gus reaches Sub and below, not Team.
    got = await reads(api, w, gus)
    assert got == {"role": "EDITOR", "team": None, "sub": ["doc.txt"], "url": True,
                   "get": (200, b"the doc")}  # fmt: skip
    assert (await payload(api, RENAME, {"fileId": w.doc, "name": "by-gus.txt"}, gus))[
        "errors"
    ] == []
    got = await reads(api, w, nobody)
    assert got == {"role": None, "team": None, "sub": None, "url": False, "get": (404, None)}


async def test_guests_see_only_what_is_shared_with_them_and_share_nothing(api: Api) -> None:
    w = await world(api)
    guest = await with_role(api, w.olga, Role.GUEST, "Gwen")
    other = await api.add_member(w.olga, name="Other")
    nothing = await reads(api, w, guest)
    assert nothing == {"role": None, "team": None, "sub": None, "url": False, "get": (404, None)}
    assert (await api.gql(SHARED_WITH_ME, {}, token=guest.access_token))["drive"]["sharedWithMe"][
        "nodes"
    ] == []

    await share_ok(api, w.olga, w.sub, "EDITOR", user=guest)
    got = await reads(api, w, guest)
    assert got == {"role": "EDITOR", "team": None, "sub": ["doc.txt"], "url": True,
                   "get": (200, b"the doc")}  # fmt: skip
    before = await snapshot(w)
    variables = {"i": {"fileId": w.doc, "role": "VIEWER", "userId": other.user_id}}
    assert (await refusal_of(api, SHARE, variables, guest))[0] == "FORBIDDEN"
    assert (await refusal_of(api, LINK_CREATE, {"i": {"fileId": w.doc}}, guest))[0] == "FORBIDDEN"
    assert await snapshot(w) == before
    assert (await payload(api, RENAME, {"fileId": w.doc, "name": "g.txt"}, guest))["errors"] == []


async def test_another_organization_finds_nothing(api: Api) -> None:
    w = await world(api)
    stranger = await api.sign_up(organization="Elsewhere")
    org_link = await payload(api, LINK_CREATE, {"fileId": w.doc}, w.olga)
    for item in (w.team, w.sub, w.doc):
        assert await see(api, stranger, item) is None
        assert (await api.gql(NODE, {"id": item}, token=stranger.access_token))["node"] is None
    got = await reads(api, w, stranger)
    assert got == {"role": None, "team": None, "sub": None, "url": False, "get": (404, None)}
    await refused(api, w, stranger, "NOT_FOUND")
    assert await refusal_of(api, OPEN, {"t": org_link["token"]}, stranger) == (
        "NOT_FOUND",
        "token",
    )
    # Granting to them is impossible too: they are not of Olga's organization.
    variables = {"i": {"fileId": w.doc, "role": "VIEWER", "userId": stranger.user_id}}
    assert await refusal_of(api, SHARE, variables, w.olga) == ("NOT_FOUND", "userId")
