"""``fileCopy``: a file (its current version, as version 1 of the copy) or a folder with what is
in it, into a folder the viewer edits.

Copies share the bytes of the original (one more reference to each blob, as ``storage.take_ref``
gives) but count against the quota again, as every version does. A folder's copy is written
in batches, a few statements per copied folder and per distinct content rather than per item,
because a copy may hold up to ``MAX_COPY`` items in one transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from models.drive import DriveItem, DriveRole, FileVersion, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, Forbidden, NotFound
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.sql import execute
from resolvers.core.tx import Transaction, transaction
from resolvers.drive import events, hooks, names, placement, quota
from resolvers.drive.access import access_item
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.tree import depth, editable_folder, no_new_version, not_root, reload, too_deep

MAX_COPY = 1000
"""A copy of a folder holds at most this many files and folders (the folder included)."""
BATCH = 200


class TooMany(DomainError):
    code = DriveErrorCode.TOO_MANY_ITEMS
    default_message = f"A copy holds at most {MAX_COPY} files and folders."


async def check_file_copy(
    ctx: Context,
    *,
    item_id: int,
    folder_id: int | None,
    name: str | None,
    on_conflict: names.OnConflict,
    idempotency_key: str | None,
) -> DriveItem:
    """Copy a file or a folder (not what of it is in the trash). Viewers may copy; the copies
    are theirs."""
    principal = require_principal(ctx)
    no_new_version(on_conflict)
    source = (await access_item(ctx, item_id, DriveRole.VIEWER)).item
    not_root(source)
    clean = names.check_name(name) if name is not None else source.name
    if folder_id is not None:
        target = await editable_folder(ctx, folder_id, "folderId")
    else:
        target = await default_copy_folder(ctx, source)

    async def create() -> DriveItem:
        return await do_file_copy(source, target, clean, on_conflict, principal.user_id)

    async def load(pk: int) -> DriveItem | None:
        return await DriveItem.filter(id=pk, organization_id=principal.organization_id).first()

    # The name as asked (None: the source's, which may change before a retry).
    fields = {
        "itemId": item_id,
        "folderId": folder_id,
        "name": clean if name is not None else None,
        "onConflict": on_conflict,
    }
    return await once(principal.user_id, "fileCopy", idempotency_key, create, load, input=fields)


async def do_file_copy(
    source: DriveItem,
    target: DriveItem,
    name: str,
    on_conflict: names.OnConflict,
    user_id: int,
) -> DriveItem:
    """The copy of ``source`` as it is committed now (read again under the shared tree lock) and
    the CREATED event."""
    async with transaction() as tx:
        await placement.lock_tree(source.organization_id, shared=True)
        copy = await copy_tree(tx, user_id, await reload(source.id), target, name, on_conflict)
        await events.publish_change(tx, events.Change.CREATED, copy, user_id)
    return copy


async def default_copy_folder(ctx: Context, source: DriveItem) -> DriveItem:
    """Where a copy goes when no folder is named: next to the original if the viewer may edit
    that folder (a "make a copy" in place), else their root folder (a copy of something
    shared with them)."""
    try:
        return await editable_folder(ctx, source.parent_id, "folderId")
    except (NotFound, Forbidden):
        return await placement.root_folder(require_principal(ctx).user)


def _copy_of(row: DriveItem, parent: DriveItem, user_id: int) -> DriveItem:
    return DriveItem(
        organization_id=row.organization_id,
        kind=row.kind,
        name=row.name,
        name_key=row.name_key,
        parent_id=parent.id,
        live_parent_id=parent.id,
        path=parent.path,  # completed with the id once it is known
        owner_id=user_id,
        modified_by_id=user_id,
        size=row.size,
        content_type=row.content_type,
        sha256=row.sha256,
    )


_COMPLETE_PATHS = (
    'UPDATE "drive_item" SET "path" = "path" || CAST("id" AS VARCHAR(20)) || \'/\' '
    'WHERE "live_parent_id" = ?'
)
_ADD_REFS = (
    'UPDATE "drive_blob" SET "ref_count" = "ref_count" + ? WHERE "id" = ? AND "ref_count" > 0'
)
_CURRENT_VERSIONS = (
    'UPDATE "drive_item" SET "current_version_id" = (SELECT "v"."id" FROM "drive_file_version" '
    'AS "v" WHERE "v"."item_id" = "drive_item"."id" AND "v"."number" = 1) WHERE "id" IN ({marks})'
)


async def copy_tree(
    tx: Transaction,
    user_id: int,
    source: DriveItem,
    target: DriveItem,
    name: str,
    on_conflict: names.OnConflict,
) -> DriveItem:
    """Inside ``tx``: the copy of ``source`` (and its live subtree) in ``target``. Items of
    other modules' kinds (docs) get their content copied by those modules (``hooks``)."""
    rows = list(
        await DriveItem.filter(
            organization_id=source.organization_id,
            path__startswith=source.path,
            trashed_at__isnull=True,
        ).limit(MAX_COPY + 1)
    )
    if len(rows) > MAX_COPY:
        raise TooMany(field="fileId")
    height = max(depth(r.path) for r in rows) - depth(source.path) + 1
    if depth(target.path) + height > placement.MAX_DEPTH:
        raise too_deep()
    files = [r for r in rows if r.kind == ItemKind.FILE and r.current_version_id is not None]
    # One charge for the whole copy: all of it fits under the quota or none of it is made.
    await quota.charge(source.organization_id, sum(r.size for r in files))
    top = await placement.insert_item(
        parent=target,
        name=name,
        kind=source.kind,
        owner_id=user_id,
        on_conflict=on_conflict,
        size=source.size,
        content_type=source.content_type,
        sha256=source.sha256,
    )
    copies = {source.id: top}
    children: defaultdict[int, list[DriveItem]] = defaultdict(list)
    for row in rows:
        if row.id != source.id and row.parent_id is not None:
            children[row.parent_id].append(row)
    # Folder by folder, top down: names were unique in each original folder, so they are in its
    # fresh copy, and the copies are found again by name.
    for row in sorted(rows, key=lambda r: depth(r.path)):
        kids = children.get(row.id)
        if not kids:
            continue
        parent = copies[row.id]
        await DriveItem.bulk_create([_copy_of(k, parent, user_id) for k in kids], BATCH)
        await execute(_COMPLETE_PATHS, [parent.id])
        made = {c.name_key: c for c in await DriveItem.filter(live_parent_id=parent.id)}
        for kid in kids:
            copies[kid.id] = made[kid.name_key]
    await _copy_versions(user_id, files, copies)
    others = [r for r in rows if r.kind not in (ItemKind.FILE, ItemKind.FOLDER)]
    if others:
        await hooks.items_copied(tx, [(r, copies[r.id]) for r in others], user_id)
    return await DriveItem.get(id=top.id)


async def _copy_versions(
    user_id: int, files: list[DriveItem], copies: dict[int, DriveItem]
) -> None:
    """Version 1 of each copied file: the original's current version, its blob referenced once
    more per copy (as ``storage.take_ref`` does, never reviving a blob being deleted)."""
    if not files:
        return
    current: dict[int, FileVersion] = {}
    for i in range(0, len(files), BATCH):
        ids = [f.current_version_id for f in files[i : i + BATCH]]
        current.update({v.item_id: v for v in await FileVersion.filter(id__in=ids)})
    for blob_id, n in Counter(v.blob_id for v in current.values()).items():
        if not await execute(_ADD_REFS, [n, blob_id]):  # cannot happen while originals use it
            raise NotFound(field="fileId")
    await FileVersion.bulk_create(
        [
            FileVersion(
                item_id=copies[f.id].id,
                number=1,
                blob_id=current[f.id].blob_id,
                size=current[f.id].size,
                sha256=current[f.id].sha256,
                content_type=current[f.id].content_type,
                created_by_id=user_id,
            )
            for f in files
        ],
        BATCH,
    )
    new_ids = [copies[f.id].id for f in files]
    for i in range(0, len(new_ids), BATCH):
        part = new_ids[i : i + BATCH]
        await execute(_CURRENT_VERSIONS.format(marks=", ".join("?" * len(part))), part)
