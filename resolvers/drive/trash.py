"""The trash: deleting moves an item and everything below it to the trash, restoring brings it
back, emptying purges it for good.

An item deleted as such is a *trash root*: it leaves its folder's namespace
(``live_parent_id`` null, so its name is free again) and carries ``trash_root_id`` = itself;
what was below it keeps its place inside it and carries the same ``trash_root_id``. Something
already in the trash before its folder was deleted stays its own trash root. Purging deletes
rows children first (the parent key is RESTRICT), releases the blobs of every version (their
bytes are deleted after commit) and gives the bytes back to the quota.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

from tortoise.expressions import Q

from models.drive import (
    DriveItem,
    DrivePermission,
    DriveRole,
    FileVersion,
    MessageAttachment,
    ShareLink,
)
from models.identity import User
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.core.tx import Transaction, transaction
from resolvers.drive import access, events, names, placement, quota, storage
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.items import my_root, top_paths, trash_roots
from resolvers.drive.tree import (
    depth,
    name_in,
    no_new_version,
    not_root,
    reload,
    rewrite_paths,
    save_name,
)

MAX_IDS = 100
CHUNK = 500

T = TypeVar("T")


class NotInTrash(DomainError):
    code = DriveErrorCode.NOT_IN_TRASH
    default_message = "This item is not in the trash."


def chunks(values: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# -- fileDelete -----------------------------------------------------------------------------------


async def check_file_delete(ctx: Context, *, item_id: int) -> DriveItem:
    """Move an item and everything below it to the trash (editors may)."""
    principal = require_principal(ctx)
    item = (await access.access_item(ctx, item_id, DriveRole.EDITOR)).item
    not_root(item)
    async with transaction() as tx:
        await placement.lock_tree(item.organization_id)
        item = await reload(item.id)
        await do_file_delete(tx, item, principal.user_id)
    return item


async def do_file_delete(tx: Transaction, item: DriveItem, user_id: int) -> None:
    """Inside ``tx``, under the tree lock, on the item read again: it becomes a trash root."""
    now = datetime.now(UTC)
    await DriveItem.filter(
        organization_id=item.organization_id,
        path__startswith=item.path,
        trashed_at__isnull=True,
    ).update(trashed_at=now, trashed_by_id=user_id, trash_root_id=item.id)
    await DriveItem.filter(id=item.id).update(live_parent_id=None)
    item.trashed_at, item.trashed_by_id, item.trash_root_id = now, user_id, item.id
    item.live_parent_id = None
    await events.publish_change(tx, events.Change.DELETED, item, user_id)


# -- fileRestore ----------------------------------------------------------------------------------


async def check_file_restore(
    ctx: Context, *, item_id: int, on_conflict: names.OnConflict
) -> DriveItem:
    """Bring an item back from the trash with what went there with it, into its folder, or
    into its owner's root folder when that folder is itself in the trash. Restoring something
    that sits inside a deleted folder takes it (and what is below it) out to that root."""
    principal = require_principal(ctx)
    no_new_version(on_conflict)
    item = (await access.access_item(ctx, item_id, DriveRole.EDITOR, trashed=True)).item
    async with transaction() as tx:
        await placement.lock_tree(item.organization_id)
        found = await DriveItem.filter(id=item.id, trashed_at__isnull=False).first()
        if found is None:
            raise NotFound(field="fileId")
        item = found
        folder = (
            await DriveItem.filter(id=item.parent_id, trashed_at__isnull=True).first()
            if item.parent_id is not None
            else None
        )
        if folder is None:
            folder = await placement.root_folder(await User.get(id=item.owner_id))
        name = await name_in(folder.id, item.name, on_conflict, exclude=item.id)
        await do_file_restore(tx, item, folder, name, principal.user_id)
    return item


async def do_file_restore(
    tx: Transaction, item: DriveItem, folder: DriveItem, name: str, user_id: int
) -> None:
    """Inside ``tx``, under the tree lock: the trash root ``item`` and what went to the trash
    with it come back into ``folder`` as ``name``."""
    await DriveItem.filter(
        organization_id=item.organization_id,
        path__startswith=item.path,
        trash_root_id=item.trash_root_id,
    ).update(trashed_at=None, trashed_by_id=None, trash_root_id=None)
    moved = item.parent_id != folder.id
    item.name, item.name_key = name, names.name_key(name)
    item.parent_id = item.live_parent_id = folder.id
    item.trashed_at = item.trashed_by_id = item.trash_root_id = None
    item.modified_by_id = user_id
    await save_name(
        item,
        [
            "name",
            "name_key",
            "parent_id",
            "live_parent_id",
            "trashed_at",
            "trashed_by_id",
            "trash_root_id",
            "modified_by_id",
            "updated_at",
        ],
    )
    if moved:
        await rewrite_paths(item, f"{folder.path}{item.id}/")
    await events.publish_change(tx, events.Change.RESTORED, item, user_id)


# -- trashEmpty -----------------------------------------------------------------------------------


async def check_trash_empty(ctx: Context, *, ids: list[int] | None) -> int:
    """Purge the given items of the trash (with what is below them), or everything in the
    viewer's trash they own, for good. Only owners may purge; returns how many files and
    folders were deleted."""
    principal = require_principal(ctx)
    if ids is None:
        candidates = list(await trash_roots(ctx, await my_root(ctx)))
        roles = await access.roles_for(ctx, candidates)
        chosen = [c for c, r in zip(candidates, roles, strict=True) if r == DriveRole.OWNER]
    else:
        chosen = await _owned_in_trash(ctx, ids)
    if not chosen:
        return 0
    async with transaction() as tx:
        await placement.lock_tree(principal.organization_id)
        # Restored or purged by someone else meanwhile: nothing to do for those.
        still = {
            i.id: i
            for i in await DriveItem.filter(id__in=[c.id for c in chosen], trashed_at__isnull=False)
        }
        tops = set(top_paths([i.path for i in still.values()]))
        items = [i for i in still.values() if i.path in tops]
        return await do_trash_empty(tx, principal.organization_id, items, principal.user_id)


async def do_trash_empty(
    tx: Transaction, organization_id: int, items: list[DriveItem], user_id: int
) -> int:
    """Inside ``tx``, under the tree lock: tell, then purge, the trash roots ``items``."""
    for item in items:
        # Before the rows go: the audience is worked out from them.
        await events.publish_change(tx, events.Change.DELETED, item, user_id)
    return await purge(tx, organization_id, [i.path for i in items])


async def _owned_in_trash(ctx: Context, ids: list[int]) -> list[DriveItem]:
    principal = require_principal(ctx)
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"Name at most {MAX_IDS} items at once.", field="fileIds")
    wanted = list(dict.fromkeys(ids))
    rows = {
        r.id: r
        for r in await DriveItem.filter(id__in=wanted, organization_id=principal.organization_id)
    }
    found = [rows[i] for i in wanted if i in rows]
    roles = dict(zip([r.id for r in found], await access.roles_for(ctx, found), strict=True))
    for item_id in wanted:
        if roles.get(item_id) is None:
            raise NotFound(field="fileIds")
    for item_id in wanted:
        if rows[item_id].trashed_at is None:
            raise NotInTrash(field="fileIds")
        if roles[item_id] != DriveRole.OWNER:
            raise Forbidden("Only owners may delete for good.", field="fileIds")
    return found


async def purge(tx: Transaction, organization_id: int, paths: list[str]) -> int:
    """Delete the items at ``paths`` and everything below them, inside ``tx``."""
    rows: list[tuple[int, str]] = []
    for part in chunks(paths, 100):
        where = Q(*(Q(path__startswith=p) for p in part), join_type=Q.OR)
        rows.extend(
            await DriveItem.filter(organization_id=organization_id)
            .filter(where)
            .values_list("id", "path")
        )
    ids = [int(r[0]) for r in rows]
    blob_ids: list[int] = []
    freed = 0
    for id_part in chunks(ids):
        for blob_id, size in await FileVersion.filter(item_id__in=id_part).values_list(
            "blob_id", "size"
        ):
            blob_ids.append(int(blob_id))
            freed += int(size)
        for model in (FileVersion, DrivePermission, ShareLink, MessageAttachment):
            await model.filter(item_id__in=id_part).delete()
    levels: dict[int, list[int]] = {}
    for item_id, path in rows:
        levels.setdefault(depth(path), []).append(int(item_id))
    for level in sorted(levels, reverse=True):  # children first
        for level_part in chunks(levels[level]):
            await DriveItem.filter(id__in=level_part).delete()
    await storage.release_blobs(tx, blob_ids)
    await quota.uncharge(organization_id, freed)
    return len(ids)
