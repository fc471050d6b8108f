"""Sharing: permissions for users, departments and groups, what others share with the viewer,
and Drive files attached to messages (share links are in ``links``).

Who may share: owners grant any role; editors grant viewer, commenter or editor and remove
grants that are not owner grants. Guests share nothing and make no links: they cannot see the
directory, and files passed on by outsiders are what organizations fear most about guests. They
may still attach files they can edit to messages of their chats. A grant reaches everything
below the item (see ``access``); a user's own root folder is never shared (share what is in it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.exceptions import IntegrityError

from models.drive import (
    DriveItem,
    DrivePermission,
    DriveRole,
    GranteeKind,
    ItemKind,
)
from models.drive import MessageAttachment as Attachment
from models.identity import Role
from resolvers.core.context import Context, Principal
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.grantees import check_grantee
from resolvers.core.pagination import Page, decode_cursor, encode_cursor, page_size
from resolvers.core.principal import require_principal
from resolvers.core.sql import raw
from resolvers.core.tx import transaction
from resolvers.drive import events
from resolvers.drive.access import access_item, at_least, attached_visible, audience, grantees_of
from resolvers.drive.errors import DriveErrorCode

MAX_ATTACHMENTS = 10


class RootNotShareable(DomainError):
    code = DriveErrorCode.ROOT_NOT_SHAREABLE
    default_message = "My Drive itself cannot be shared; share the folders and files in it."


def no_guests(principal: Principal) -> None:
    if principal.user.role == Role.GUEST:
        raise Forbidden("Guests cannot share files or folders.")


def shareable(item: DriveItem) -> None:
    if item.root_of_id is not None:
        raise RootNotShareable(field="fileId")


# -- permissions --------------------------------------------------------------------------------


_GRANTEE_FIELDS = {
    GranteeKind.USER: "userId",
    GranteeKind.DEPARTMENT: "departmentId",
    GranteeKind.GROUP: "groupId",
}


async def _grantee(
    principal: Principal, user_id: int | None, department_id: int | None, group_id: int | None
) -> tuple[GranteeKind, int]:
    kind, pk = await check_grantee(
        principal, user_id, department_id, group_id, invalid=DriveErrorCode.INVALID_GRANTEE
    )
    return GranteeKind(kind), pk


async def check_file_share(
    ctx: Context,
    *,
    item_id: int | None,
    user_id: int | None,
    department_id: int | None,
    group_id: int | None,
    role: DriveRole,
) -> tuple[DriveItem, DrivePermission]:
    """Grant ``role`` on an item, or change the role of an existing grant to the same grantee."""
    principal = require_principal(ctx)
    no_guests(principal)  # before any lookup: one answer for every id a guest may try
    access = await access_item(ctx, item_id, DriveRole.EDITOR)
    shareable(access.item)
    if role == DriveRole.OWNER and access.role != DriveRole.OWNER:
        raise Forbidden("Only owners make others owners.", field="role")
    kind, grantee_id = await _grantee(principal, user_id, department_id, group_id)
    if (
        kind == GranteeKind.USER
        and await DriveItem.filter(id__in=_path(access.item), owner_id=grantee_id).exists()
    ):
        raise DomainError(
            "They own it (or a folder above it) already.",
            field="userId",
            code=DriveErrorCode.ALREADY_OWNER,
        )
    existing = await DrivePermission.filter(
        item_id=access.item.id, grantee_kind=kind, grantee_id=grantee_id
    ).first()
    if existing is not None and existing.role == DriveRole.OWNER and access.role != DriveRole.OWNER:
        raise Forbidden("Only owners change an owner's grant.", field="role")
    permission = await do_file_share(access.item, kind, grantee_id, role, principal.user_id)
    return access.item, permission


def _path(item: DriveItem) -> list[int]:
    return [int(p) for p in item.path.strip("/").split("/") if p]


def permission_order(item: DriveItem) -> Callable[[DrivePermission], tuple[int, int]]:
    """The sort key of ``permissions_for``'s list for ``item``, descending: the depth of the
    folder the grant is on (nearest first), then the grant's id (newest first)."""
    depth = {a: i for i, a in enumerate(_path(item))}
    return lambda p: (depth.get(p.item_id, -1), p.id)


async def do_file_share(
    item: DriveItem, kind: GranteeKind, grantee_id: int, role: DriveRole, actor_id: int
) -> DrivePermission:
    """One grant per grantee and item: a second share changes the role of the first."""
    async with transaction() as tx:
        permission = await DrivePermission.filter(
            item_id=item.id, grantee_kind=kind, grantee_id=grantee_id
        ).first()
        created = False
        if permission is None:
            try:
                async with transaction():
                    permission = await DrivePermission.create(
                        organization_id=item.organization_id,
                        item_id=item.id,
                        grantee_kind=kind,
                        grantee_id=grantee_id,
                        role=role,
                        created_by_id=actor_id,
                    )
                created = True
            except IntegrityError:
                # The same grantee was shared with at the same moment: update that grant.
                permission = await DrivePermission.get(
                    item_id=item.id, grantee_kind=kind, grantee_id=grantee_id
                )
        changed = created or permission.role != role
        if not created and changed:
            await DrivePermission.filter(id=permission.id).update(role=role)
            permission.role = role
        if changed:
            await events.publish_change(tx, events.Change.SHARED, item, actor_id)
    return permission


async def check_file_unshare(
    ctx: Context,
    *,
    item_id: int | None,
    permission_id: int | None,
    user_id: int | None = None,
    department_id: int | None = None,
    group_id: int | None = None,
) -> DriveItem:
    """Remove a grant on the item itself (an inherited one is removed where it was made).
    Owners remove any, editors those that are not owner grants, and anyone may remove their
    own user grant (to leave something shared with them)."""
    principal = require_principal(ctx)
    access = await access_item(ctx, item_id)
    if permission_id is not None:
        if any(x is not None for x in (user_id, department_id, group_id)):
            raise ValidationFailed(
                "Name the grant either by permissionId or by its grantee.",
                field="permissionId",
                code=DriveErrorCode.INVALID_GRANTEE,
            )
        permission = await DrivePermission.filter(
            id=permission_id, item_id__in=_path(access.item)
        ).first()
        if permission is None:
            raise NotFound(field="permissionId")
        if permission.item_id != access.item.id:
            raise DomainError(
                "This grant is made on a folder above; remove it there.",
                field="permissionId",
                code=DriveErrorCode.INHERITED,
            )
    else:
        kind, grantee_id = await _grantee(principal, user_id, department_id, group_id)
        permission = await DrivePermission.filter(
            item_id=access.item.id, grantee_kind=kind, grantee_id=grantee_id
        ).first()
        if permission is None:
            # The grantee's field, as when the grantee does not exist: "nobody by that id" and
            # "somebody without a grant here" must not be told apart.
            raise NotFound(field=_GRANTEE_FIELDS[kind])
    own = permission.grantee_kind == GranteeKind.USER and permission.grantee_id == principal.user_id
    if not own:
        if not at_least(access.role, DriveRole.EDITOR):
            raise Forbidden(
                f"This needs the editor role; you are a {access.role.value.lower()}.",
                field="fileId",
            )
        no_guests(principal)
        if permission.role == DriveRole.OWNER and access.role != DriveRole.OWNER:
            raise Forbidden("Only owners remove an owner's grant.", field="permissionId")
    await do_file_unshare(access.item, permission, principal.user_id)
    return access.item


async def do_file_unshare(item: DriveItem, permission: DrivePermission, actor_id: int) -> None:
    async with transaction() as tx:
        # Everyone who could see it before the delete hears of it, those who lose access too.
        before = await audience(item)
        if await DrivePermission.filter(id=permission.id).delete():
            await events.publish_change(tx, events.Change.UNSHARED, item, actor_id, also=before)


async def permissions_for(
    ctx: Context, items: list[DriveItem], roles: list[DriveRole | None]
) -> list[list[DrivePermission]]:
    """Grants on each item and the folders above it, nearest first, newest first within an
    item; empty for items where the viewer is below editor. One query for all items."""
    wanted = [i for i, r in zip(items, roles, strict=True) if at_least(r, DriveRole.EDITOR)]
    ancestor_ids = {a for i in wanted for a in _path(i)}
    by_item: dict[int, list[DrivePermission]] = {}
    if ancestor_ids:
        for p in await DrivePermission.filter(item_id__in=ancestor_ids).order_by("-id"):
            by_item.setdefault(p.item_id, []).append(p)
    out: list[list[DrivePermission]] = []
    for item, role in zip(items, roles, strict=True):
        if not at_least(role, DriveRole.EDITOR):
            out.append([])
            continue
        out.append([p for a in reversed(_path(item)) for p in by_item.get(a, [])])
    return out


async def items_by_id(ids: list[int]) -> list[DriveItem | None]:
    rows = {r.id: r for r in await DriveItem.filter(id__in=ids)}
    return [rows.get(i) for i in ids]


# -- shared with me -----------------------------------------------------------------------------


async def shared_with_me(ctx: Context, *, first: int | None, after: str | None) -> Page[DriveItem]:
    """Items granted to the viewer (directly, through a department or a group), not their own
    and not in the trash, newest grant first. The cursor is the newest grant's id: grants only
    grow, so pages stay stable while new shares arrive."""
    principal = require_principal(ctx)
    grantees = await grantees_of(ctx)
    size, _ = page_size(first, None)
    clauses = ["(p.grantee_kind = ? AND p.grantee_id = ?)"]
    values: list[Any] = [GranteeKind.USER.value, principal.user_id]
    for kind, ids in (
        (GranteeKind.DEPARTMENT, sorted(grantees.department_ids)),
        (GranteeKind.GROUP, sorted(grantees.group_ids)),
    ):
        if ids:
            clauses.append(
                f"(p.grantee_kind = ? AND p.grantee_id IN ({', '.join('?' * len(ids))}))"
            )
            values += [kind.value, *ids]
    having = ""
    if after is not None:
        (last_grant,) = decode_cursor(after, 1, "after")
        if not isinstance(last_grant, int):
            raise ValidationFailed("This cursor is not valid for this list.", field="after")
        having = "HAVING MAX(p.id) < ?"
    sql = f"""
        SELECT p.item_id AS item_id, MAX(p.id) AS grant_id
        FROM drive_permission p JOIN drive_item i ON i.id = p.item_id
        WHERE p.organization_id = ? AND i.organization_id = ? AND i.trashed_at IS NULL
          AND i.owner_id <> ? AND ({" OR ".join(clauses)})
        GROUP BY p.item_id {having}
        ORDER BY grant_id DESC LIMIT ?
    """
    params = [principal.organization_id, principal.organization_id, principal.user_id, *values]
    if after is not None:
        params.append(last_grant)
    rows = await raw(sql, [*params, size + 1]) if size else []
    more = len(rows) > size
    rows = rows[:size]
    found = await items_by_id([int(r["item_id"]) for r in rows])
    items = [i for i in found if i is not None]
    cursors = [encode_cursor((int(r["grant_id"]),)) for r, i in zip(rows, found, strict=True) if i]
    return Page(items=items, cursors=cursors, has_next=more, has_previous=after is not None)


# -- message attachments ------------------------------------------------------------------------


async def check_attachments(ctx: Context, file_ids: list[int]) -> list[int]:
    """The files a message may carry: at most ten, each a file (not a folder) the sender can
    edit, since attaching shares it with the chat. Returns the ids in order, once each."""
    unique = list(dict.fromkeys(file_ids))
    if len(unique) > MAX_ATTACHMENTS:
        raise DomainError(
            f"At most {MAX_ATTACHMENTS} files per message.",
            field="fileIds",
            code=DriveErrorCode.TOO_MANY_FILES,
        )
    for file_id in unique:
        access = await access_item(ctx, file_id, field="fileIds")
        if access.item.kind != ItemKind.FILE:
            raise DomainError(
                f"{access.item.name} is a folder; attach files.",
                field="fileIds",
                code=DriveErrorCode.NOT_A_FILE,
            )
        if not at_least(access.role, DriveRole.EDITOR):
            raise DomainError(
                f"Attaching shares {access.item.name} with the chat: that needs the editor role.",
                field="fileIds",
                code=DriveErrorCode.CANNOT_ATTACH,
            )
    return unique


async def do_attach(message_id: int, chat_id: int, file_ids: list[int]) -> None:
    """Inside the message's transaction."""
    if file_ids:
        await Attachment.bulk_create(
            [
                Attachment(message_id=message_id, chat_id=chat_id, item_id=f, position=n)
                for n, f in enumerate(file_ids)
            ]
        )


async def attachments_for(
    principal: Principal | None, message_ids: list[int]
) -> list[list[DriveItem]]:
    """Per message, its files the viewer may see through it (not in the trash), in order. A
    constant number of queries for any number of messages."""
    if principal is None or not message_ids:
        return [[] for _ in message_ids]
    rows = await Attachment.filter(
        message_id__in=message_ids,
        item__trashed_at__isnull=True,
        item__organization_id=principal.organization_id,
    ).order_by("message_id", "position")
    if not rows:
        return [[] for _ in message_ids]
    items = {i.id: i for i in await DriveItem.filter(id__in={r.item_id for r in rows})}
    visible = await attached_visible(principal, list(items))
    grouped: dict[int, list[DriveItem]] = {}
    for r in rows:
        if r.item_id in visible:
            grouped.setdefault(r.message_id, []).append(items[r.item_id])
    return [grouped.get(m, []) for m in message_ids]
