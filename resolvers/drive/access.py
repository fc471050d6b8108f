"""Who may do what with a Drive item.

A user's role on an item is the strongest of:

- OWNER if they own the item or any folder above it (``path`` lists them);
- each permission on the item or a folder above it granted to them, to a department they sit in
  or one above it (a department grant reaches its sub-departments), or to a group they are in;
- VIEWER on a file attached to a message (not recalled) of a chat they are a member of.

Items of another organization, items nobody gave you and trashed items you cannot edit are all
NOT_FOUND, exactly like ids that do not exist. Organization admins get no access to other
people's files by being admins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from models.admin import DepartmentMember, GroupMember
from models.drive import ROLE_RANK, DriveItem, DrivePermission, DriveRole, GranteeKind
from models.drive import MessageAttachment as Attachment
from models.messenger import ChatMember, Message
from resolvers.admin.loaders import department_paths
from resolvers.core.context import Context, Principal
from resolvers.core.errors import Forbidden, NotFound
from resolvers.core.principal import require_principal
from resolvers.core.sql import raw


def path_ids(item: DriveItem) -> list[int]:
    """The ids from the root down to the item itself."""
    return [int(p) for p in item.path.strip("/").split("/") if p]


def stronger(a: DriveRole | None, b: DriveRole | None) -> DriveRole | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if ROLE_RANK[a] >= ROLE_RANK[b] else b


def at_least(role: DriveRole | None, need: DriveRole) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[need]


@dataclass(frozen=True)
class Grantees:
    """The grantees that reach a user: themselves, their departments and those above them,
    their groups."""

    user_id: int
    department_ids: frozenset[int]
    group_ids: frozenset[int]

    def matches(self, kind: GranteeKind, grantee_id: int) -> bool:
        if kind == GranteeKind.USER:
            return grantee_id == self.user_id
        if kind == GranteeKind.DEPARTMENT:
            return grantee_id in self.department_ids
        return grantee_id in self.group_ids


async def grantees_of(ctx: Context) -> Grantees:
    """The viewer's grantees, computed once per request (or per WebSocket event)."""
    principal = require_principal(ctx)
    cached = ctx.cache.get("drive.grantees")
    if isinstance(cached, Grantees):
        return cached
    grantees = await grantees_for_user(principal.user_id)
    ctx.cache["drive.grantees"] = grantees
    return grantees


async def grantees_for_user(user_id: int) -> Grantees:
    direct: list[Any] = await DepartmentMember.filter(user_id=user_id).values_list(
        "department_id", flat=True
    )
    departments: set[int] = set()
    if direct:
        for chain in await department_paths([int(d) for d in direct]):
            departments.update(d.id for d in chain)
    groups: list[Any] = await GroupMember.filter(user_id=user_id).values_list("group_id", flat=True)
    return Grantees(user_id, frozenset(departments), frozenset(int(g) for g in groups))


async def roles_for(ctx: Context, items: Sequence[DriveItem]) -> list[DriveRole | None]:
    """The viewer's role on each item (None: no access), in a constant number of queries."""
    principal = require_principal(ctx)
    mine = [i for i in items if i.organization_id == principal.organization_id]
    if not mine:
        return [None] * len(items)
    grantees = await grantees_of(ctx)
    ancestor_ids = {a for i in mine for a in path_ids(i)}
    owner_rows: list[Any] = await DriveItem.filter(id__in=ancestor_ids).values_list(
        "id", "owner_id"
    )
    owners = {int(i): int(o) for i, o in owner_rows}
    grants: dict[int, DriveRole] = {}
    grant_rows: list[Any] = await DrivePermission.filter(item_id__in=ancestor_ids).values_list(
        "item_id", "grantee_kind", "grantee_id", "role"
    )
    for item_id, kind, grantee_id, granted in grant_rows:
        if grantees.matches(GranteeKind(kind), int(grantee_id)):
            grants[int(item_id)] = stronger(grants.get(int(item_id)), DriveRole(granted)) or granted
    attached = await attached_visible(principal, [i.id for i in mine])
    out: list[DriveRole | None] = []
    for item in items:
        if item.organization_id != principal.organization_id:
            out.append(None)
            continue
        role: DriveRole | None = None
        for a in path_ids(item):
            if owners.get(a) == principal.user_id:
                role = DriveRole.OWNER
                break
            role = stronger(role, grants.get(a))
        if item.id in attached:
            role = stronger(role, DriveRole.VIEWER)
        if item.trashed_at is not None and not at_least(role, DriveRole.EDITOR):
            role = None  # the trash is only for those who can restore
        out.append(role)
    return out


def role_loader(ctx: Context) -> DataLoader[DriveItem, DriveRole | None]:
    """The viewer's role per item, batched per request: a page of files costs one set of
    queries, whichever fields (``viewerRole``, ``downloadUrl``, ``permissions``) ask."""
    fn = ctx.cache.get("drive.roles_fn")
    if fn is None:

        async def load(items: list[DriveItem]) -> list[DriveRole | None]:
            return await roles_for(ctx, items)

        fn = ctx.cache["drive.roles_fn"] = load
    return ctx.loaders.get(fn)


async def attached_visible(principal: Principal, item_ids: list[int]) -> set[int]:
    """Those of ``item_ids`` attached to a live message of a chat the user is in."""
    if not item_ids:
        return set()
    rows = await Attachment.filter(item_id__in=item_ids).values_list(
        "item_id", "chat_id", "message_id"
    )
    if not rows:
        return set()
    chats = set(
        await ChatMember.filter(
            user_id=principal.user_id, chat_id__in={int(r[1]) for r in rows}
        ).values_list("chat_id", flat=True)
    )
    candidates = [r for r in rows if r[1] in chats]
    if not candidates:
        return set()
    live = set(
        await Message.filter(
            id__in={int(r[2]) for r in candidates}, recalled_at__isnull=True
        ).values_list("id", flat=True)
    )
    return {int(r[0]) for r in candidates if r[2] in live}


@dataclass
class ItemAccess:
    item: DriveItem
    role: DriveRole


async def access_item(
    ctx: Context,
    item_id: int | None,
    need: DriveRole = DriveRole.VIEWER,
    *,
    field: str = "fileId",
    trashed: bool = False,
) -> ItemAccess:
    """The item and the viewer's role on it. NOT_FOUND if they cannot see it (or it is in the
    trash and ``trashed`` is False); FORBIDDEN if they see it but their role is below ``need``."""
    principal = require_principal(ctx)
    item = (
        await DriveItem.filter(id=item_id, organization_id=principal.organization_id).first()
        if item_id is not None
        else None
    )
    if item is None or (item.trashed_at is not None) != trashed:
        raise NotFound(field=field)
    role = (await roles_for(ctx, [item]))[0]
    if role is None:
        raise NotFound(field=field)
    if not at_least(role, need):
        raise Forbidden(
            f"This needs the {need.value.lower()} role; you are a {role.value.lower()}.",
            field=field,
        )
    return ItemAccess(item, role)


async def visible_items(ctx: Context, ids: Iterable[int]) -> list[DriveItem | None]:
    """Items by id, in order, None where missing, trashed or not visible (for ``node``)."""
    principal = require_principal(ctx)
    wanted = list(ids)
    rows = await DriveItem.filter(
        id__in=wanted, organization_id=principal.organization_id, trashed_at__isnull=True
    )
    roles = await roles_for(ctx, rows)
    by_id = {r.id: r for r, role in zip(rows, roles, strict=True) if role is not None}
    return [by_id.get(i) for i in wanted]


async def reachable_roots(ctx: Context) -> list[DriveItem]:
    """The tops of what the viewer can see besides their own drive: items granted to them
    (directly, through a department or a group). Everything below these is visible too."""
    principal = require_principal(ctx)
    grantees = await grantees_of(ctx)
    rows: list[Any] = (
        await DrivePermission.filter(organization_id=principal.organization_id)
        .filter(grantee_kind=GranteeKind.USER, grantee_id=principal.user_id)
        .values_list("item_id", flat=True)
    )
    ids: set[int] = {int(r) for r in rows}
    for kind, grantee_ids in (
        (GranteeKind.DEPARTMENT, grantees.department_ids),
        (GranteeKind.GROUP, grantees.group_ids),
    ):
        if grantee_ids:
            more: list[Any] = await DrivePermission.filter(
                grantee_kind=kind, grantee_id__in=grantee_ids
            ).values_list("item_id", flat=True)
            ids.update(int(i) for i in more)
    return await DriveItem.filter(
        id__in=ids, organization_id=principal.organization_id, trashed_at__isnull=True
    )


_DEPARTMENT_SUBTREE = """
WITH RECURSIVE down(id, depth) AS (
    SELECT id, 0 FROM department WHERE id IN ({marks})
    UNION ALL
    SELECT d.id, down.depth + 1 FROM department d JOIN down ON d.parent_id = down.id
    WHERE down.depth < 32
)
SELECT DISTINCT dm.user_id FROM department_member dm JOIN down ON dm.department_id = down.id
"""


async def audience(item: DriveItem) -> set[int]:
    """Everyone who can see ``item`` through ownership or permissions (not through message
    attachments: chats have their own events). For live events."""
    ancestors = path_ids(item)
    owner_ids: list[Any] = await DriveItem.filter(id__in=ancestors).values_list(
        "owner_id", flat=True
    )
    users = {int(u) for u in owner_ids}
    departments: list[int] = []
    groups: list[int] = []
    permission_rows: list[Any] = await DrivePermission.filter(item_id__in=ancestors).values_list(
        "grantee_kind", "grantee_id"
    )
    for kind, grantee_id in permission_rows:
        if kind == GranteeKind.USER:
            users.add(int(grantee_id))
        elif kind == GranteeKind.DEPARTMENT:
            departments.append(int(grantee_id))
        else:
            groups.append(int(grantee_id))
    if departments:
        sql = _DEPARTMENT_SUBTREE.format(marks=", ".join("?" * len(departments)))
        users.update(int(r["user_id"]) for r in await raw(sql, departments))
    if groups:
        members: list[Any] = await GroupMember.filter(group_id__in=groups).values_list(
            "user_id", flat=True
        )
        users.update(int(u) for u in members)
    return {int(u) for u in users}
