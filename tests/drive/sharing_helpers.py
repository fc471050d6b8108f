"""Shared steps of the sharing tests: folders, shares, links, reads as someone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from strawberry.relay import GlobalID

from models.drive import DrivePermission, ShareLink
from models.identity import Role, User
from resolvers.drive.events import DriveEventKind
from tests.client import Account, Api
from tests.drive.helpers import upload_ok
from tests.errors import refusal_at

FOLDER_CREATE = """mutation($i: FolderCreateInput!) { folderCreate(input: $i) {
  folder { id name } errors { code field message } } }"""
SHARE = """mutation($i: FileShareInput!) { fileShare(input: $i) {
  file { id } permission { id role granteeKind inherited grantee { __typename
  ... on User { id } ... on Department { id } ... on Group { id } } }
  errors { code field message } } }"""
UNSHARE = """mutation($i: FileUnshareInput!) { fileUnshare(input: $i) {
  file { id } errors { code field message } } }"""
LINK_CREATE = """mutation($i: ShareLinkCreateInput!) { shareLinkCreate(input: $i) {
  shareLink { id role scope hasPassword expiresAt } token errors { code field message } } }"""
LINK_REVOKE = """mutation($i: ShareLinkRevokeInput!) { shareLinkRevoke(input: $i) {
  shareLink { id revokedAt } errors { code field message } } }"""
OPEN = """query($t: String!, $p: String, $item: ID) { sharedLink(token: $t, password: $p,
  fileId: $item) { item { id kind name size downloadUrl children(first: 10) { nodes { id name downloadUrl } } }
  linkedItem { id } role errors { code field message } } }"""
FILE = """query($id: ID!) { file(id: $id) { id name viewerRole downloadUrl
  children(first: 50) { nodes { id name } } } }"""
PERMISSIONS = """query($id: ID!) { file(id: $id) {
  permissions(first: 100) { nodes { id role granteeKind inherited
  inheritedFrom { id } grantee { __typename ... on User { id } ... on Department { id }
  ... on Group { id } } } }
  shareLinks(first: 100) { nodes { id role scope } } } }"""
SHARED_WITH_ME = """query($first: Int, $after: String) { drive { sharedWithMe(first: $first,
  after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } } }"""
DEPT_CREATE = """mutation($i: DepartmentCreateInput!) { departmentCreate(input: $i) {
  department { id } errors { code } } }"""
DEPT_ADD = """mutation($i: DepartmentMembersAddInput!) { departmentMembersAdd(input: $i) {
  errors { code } } }"""
DELETE = """mutation($i: FileDeleteInput!) { fileDelete(input: $i) { errors { code } } }"""
GROUP_CREATE = """mutation($i: GroupCreateInput!) { groupCreate(input: $i) {
  group { id } errors { code } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


def gid(type_name: str, key: int) -> str:
    return str(GlobalID(type_name, str(key)))


async def payload(api: Api, doc: str, inp: dict[str, Any], who: Account) -> dict[str, Any]:
    """A mutation's payload, asserting no top-level errors."""
    data = await api.gql(doc, {"i": inp}, token=who.access_token)
    return next(iter(data.values()))


async def refusal_of(
    api: Api, doc: str, variables: dict[str, Any], who: Account | None
) -> tuple[str, Any]:
    """(code, field) of an operation that must fail, from where it must arrive: a mutation's
    payload, a query's top-level ``errors`` (``tests.errors.refusal_at``)."""
    body = (await api.post(doc, variables, token=who.access_token if who else None)).json()
    return refusal_at(doc, body)


async def folder(api: Api, who: Account, name: str, parent: str | None = None) -> str:
    inp: dict[str, Any] = {"name": name}
    if parent is not None:
        inp["parentId"] = parent
    p = await payload(api, FOLDER_CREATE, inp, who)
    assert p["errors"] == [], p
    return str(p["folder"]["id"])


async def file(
    api: Api, who: Account, name: str, parent: str | None = None, data: bytes = b"x"
) -> str:
    fields: dict[str, Any] = {"name": name}
    if parent is not None:
        fields["folderId"] = parent
    return str((await upload_ok(api, who, data, **fields))["id"])


async def trash(api: Api, who: Account, item: str) -> None:
    p = await payload(api, DELETE, {"fileId": item}, who)
    assert p["errors"] == [], p


async def share(
    api: Api, who: Account, item: str, role: str, *, user: Account | None = None, **grantee: str
) -> dict[str, Any]:
    inp: dict[str, Any] = {"fileId": item, "role": role, **grantee}
    if user is not None:
        inp["userId"] = user.user_id
    return await payload(api, SHARE, inp, who)


async def share_ok(api: Api, who: Account, item: str, role: str, **kw: Any) -> dict[str, Any]:
    p = await share(api, who, item, role, **kw)
    assert p["errors"] == [], p
    return dict(p["permission"])


async def see(api: Api, who: Account, item: str) -> dict[str, Any] | None:
    """The file as ``who`` sees it (null if not visible)."""
    return (await api.gql(FILE, {"id": item}, token=who.access_token))["file"]


async def grants(item: str) -> list[tuple[str, int, str]]:
    """Every grant on an item, straight from the database (to assert nothing changed)."""
    rows = await DrivePermission.filter(item_id=pk(item)).order_by("id")
    return [(str(r.grantee_kind), r.grantee_id, str(r.role)) for r in rows]


async def links(item: str) -> list[tuple[int, Any]]:
    rows = await ShareLink.filter(item_id=pk(item)).order_by("id")
    return [(r.id, r.revoked_at) for r in rows]


async def with_role(api: Api, owner: Account, role: Role, name: str) -> Account:
    account = await api.add_member(owner, name=name)
    await User.filter(id=pk(account.user_id)).update(role=role)
    return account


async def department(
    api: Api, admin: Account, name: str, members: list[Account], parent: str | None = None
) -> str:
    p = await payload(api, DEPT_CREATE, {"name": name, "parentId": parent}, admin)
    assert p["errors"] == [], p
    dept = str(p["department"]["id"])
    if members:
        added = await payload(
            api, DEPT_ADD, {"departmentId": dept, "userIds": [m.user_id for m in members]}, admin
        )
        assert added["errors"] == [], added
    return dept


async def group(api: Api, admin: Account, name: str, members: list[Account]) -> str:
    p = await payload(
        api, GROUP_CREATE, {"name": name, "memberIds": [m.user_id for m in members]}, admin
    )
    assert p["errors"] == [], p
    return str(p["group"]["id"])


@asynccontextmanager
async def drive_events(account: Account) -> AsyncIterator[list[dict[str, Any]]]:
    """Collect the ``drive.changed`` events published to a user's channel while the block
    runs (the server runs in the test's process, so its bus can be asked directly)."""
    from adapters import runtime
    from resolvers.messenger.events import user_channel

    seen: list[dict[str, Any]] = []
    async with runtime.current().bus.subscribe(user_channel(pk(account.user_id))) as sub:

        async def collect() -> None:
            async for event in sub:
                if event.get("type") == DriveEventKind.DRIVE_CHANGED:
                    seen.append(event)

        task = asyncio.create_task(collect())
        try:
            yield seen
        finally:
            task.cancel()


async def wait_for(seen: list[dict[str, Any]], change: str, timeout: float = 5) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            for event in seen:
                if event["change"] == change:
                    return event
            await asyncio.sleep(0.01)
