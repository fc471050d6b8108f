"""The tree, write side: new folders, renaming, moving, and restoring an old version (copies are
in ``copying``).

Each write checks access first (``access_item``: NOT_FOUND for what the viewer cannot see,
FORBIDDEN below the editor role), then reads the rows again inside its transaction, under the
organization's tree lock (``placement.lock_tree``), so a check such as "not into its own subtree"
still holds when the write lands. Moves rewrite the ``path`` of a whole subtree in one UPDATE.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models.drive import DriveItem, DriveRole, FileVersion, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.principal import require_principal
from resolvers.core.sql import execute, raw
from resolvers.core.tx import Transaction, transaction
from resolvers.drive import events, names, placement, storage
from resolvers.drive.access import access_item, audience
from resolvers.drive.errors import DriveErrorCode


class RootFolder(DomainError):
    code = DriveErrorCode.ROOT_FOLDER
    default_message = "A root folder (My Drive) cannot be renamed, moved, copied or deleted."


class IntoItself(DomainError):
    code = DriveErrorCode.INTO_ITSELF
    default_message = "A folder cannot be moved into itself or a folder inside it."


def too_deep(field: str = "folderId") -> ValidationFailed:
    return ValidationFailed(
        f"Folders nest at most {placement.MAX_DEPTH} levels deep.",
        field=field,
        code=DriveErrorCode.TOO_DEEP,
    )


def no_new_version(on_conflict: names.OnConflict) -> None:
    if on_conflict == names.OnConflict.NEW_VERSION:
        raise ValidationFailed("NEW_VERSION applies to uploads only.", field="onConflict")


def depth(path: str) -> int:
    """How many items a path names (a root folder is 1)."""
    return path.count("/") - 1


def not_root(item: DriveItem) -> None:
    if item.root_of_id is not None:
        raise RootFolder(field="fileId")


async def reload(item_id: int, field: str = "fileId") -> DriveItem:
    """The item as committed now, locked for this transaction; NOT_FOUND if it went to the
    trash (or away) since the access check."""
    found = await DriveItem.filter(id=item_id, trashed_at__isnull=True).select_for_update().first()
    if found is None:
        raise NotFound(field=field)
    return found


async def editable_folder(ctx: Context, folder_id: int | None, field: str) -> DriveItem:
    """A folder the viewer may put things in (their root if ``folder_id`` is None)."""
    if folder_id is None:
        return await placement.root_folder(require_principal(ctx).user)
    folder = (await access_item(ctx, folder_id, DriveRole.EDITOR, field=field)).item
    if folder.kind != ItemKind.FOLDER:
        raise ValidationFailed(
            "That is a file, not a folder.", field=field, code=DriveErrorCode.NOT_A_FOLDER
        )
    return folder


async def name_in(folder_id: int, name: str, on_conflict: names.OnConflict, *, exclude: int) -> str:
    """``name`` if free in the folder, the first free ``name (n)`` with RENAME, else NAME_TAKEN."""
    if on_conflict == names.OnConflict.RENAME:
        return await names.free_name(folder_id, name, exclude_id=exclude)
    taken = (
        await DriveItem.filter(live_parent_id=folder_id, name_key=names.name_key(name))
        .exclude(id=exclude)
        .exists()
    )
    if taken:
        raise names.NameTaken(f"The folder already has an item named {name!r}.", field="name")
    return name


async def save_name(item: DriveItem, fields: list[str]) -> None:
    """Save a change that may collide with a sibling's name (the unique index decides)."""
    try:
        async with transaction():
            await item.save(update_fields=fields)
    except IntegrityError as e:
        raise names.NameTaken(
            f"The folder already has an item named {item.name!r}.", field="name"
        ) from e


# -- folderCreate ---------------------------------------------------------------------------------


async def check_folder_create(
    ctx: Context,
    *,
    name: str,
    parent_id: int | None,
    on_conflict: names.OnConflict,
    idempotency_key: str | None,
) -> DriveItem:
    """A new folder in ``parent_id`` (an editable folder; the viewer's root if None), owned by
    the viewer."""
    principal = require_principal(ctx)
    clean = names.check_name(name)
    no_new_version(on_conflict)
    parent = await editable_folder(ctx, parent_id, "parentId")

    async def create() -> DriveItem:
        return await do_folder_create(parent, clean, on_conflict, principal.user_id)

    async def load(pk: int) -> DriveItem | None:
        return await DriveItem.filter(id=pk, organization_id=principal.organization_id).first()

    fields = {"name": clean, "parentId": parent_id, "onConflict": on_conflict}
    return await once(
        principal.user_id, "folderCreate", idempotency_key, create, load, input=fields
    )


async def do_folder_create(
    parent: DriveItem, name: str, on_conflict: names.OnConflict, user_id: int
) -> DriveItem:
    """The folder's row in ``parent`` (read again under the shared tree lock by ``insert_item``)
    and the CREATED event."""
    async with transaction() as tx:
        try:
            folder = await placement.insert_item(
                parent=parent,
                name=name,
                kind=ItemKind.FOLDER,
                owner_id=user_id,
                on_conflict=on_conflict,
            )
        except DomainError as e:
            if e.field == "folderId":  # insert_item speaks of the parent as folderId
                e.field = "parentId"
            raise
        await events.publish_change(tx, events.Change.CREATED, folder, user_id)
    return folder


# -- fileRename -----------------------------------------------------------------------------------


async def check_file_rename(
    ctx: Context, *, item_id: int, name: str, on_conflict: names.OnConflict
) -> DriveItem:
    principal = require_principal(ctx)
    clean = names.check_name(name)
    no_new_version(on_conflict)
    item = (await access_item(ctx, item_id, DriveRole.EDITOR)).item
    not_root(item)
    if clean == item.name:
        return item
    async with transaction() as tx:
        item = await reload(item.id)
        if names.name_key(clean) != item.name_key:
            assert item.live_parent_id is not None
            clean = await name_in(item.live_parent_id, clean, on_conflict, exclude=item.id)
        await do_file_rename(tx, item, clean, principal.user_id)
    return item


async def do_file_rename(tx: Transaction, item: DriveItem, name: str, user_id: int) -> None:
    """Inside ``tx``, on the item read again under lock."""
    item.name, item.name_key = name, names.name_key(name)
    item.modified_by_id = user_id
    await save_name(item, ["name", "name_key", "modified_by_id", "updated_at"])
    await events.publish_change(tx, events.Change.RENAMED, item, user_id)


# -- fileMove -------------------------------------------------------------------------------------

_HEIGHT = (
    'SELECT MAX(LENGTH("path") - LENGTH(REPLACE("path", \'/\', \'\'))) AS "slashes" '
    'FROM "drive_item" WHERE "organization_id" = ? AND "path" LIKE ?'
)
# Strings only in parameters, so both databases run the same statement; CASTs tell PostgreSQL
# the parameter types.
_REWRITE = (
    'UPDATE "drive_item" '
    'SET "path" = CAST(? AS VARCHAR(1000)) || SUBSTR("path", CAST(? AS INTEGER)) '
    'WHERE "organization_id" = ? AND "path" LIKE ?'
)


async def subtree_depth(item: DriveItem) -> int:
    """How many levels the item and what is below it span (1 for a file)."""
    rows = await raw(_HEIGHT, [item.organization_id, f"{item.path}%"])
    deepest = int(rows[0]["slashes"] or item.path.count("/")) - 1
    return deepest - depth(item.path) + 1


async def rewrite_paths(item: DriveItem, new_path: str) -> None:
    """Give the item ``new_path`` and everything below it the same new prefix, in one UPDATE."""
    await execute(_REWRITE, [new_path, len(item.path) + 1, item.organization_id, f"{item.path}%"])
    item.path = new_path


async def check_file_move(
    ctx: Context, *, item_id: int, folder_id: int, on_conflict: names.OnConflict
) -> DriveItem:
    """Move an item (and what is below it) into another folder. Editors of both may; the
    owner of the item stays its owner. Those who could see it only through the old place get
    the MOVED event too (their ``file`` is null)."""
    principal = require_principal(ctx)
    no_new_version(on_conflict)
    item = (await access_item(ctx, item_id, DriveRole.EDITOR)).item
    not_root(item)
    target = await editable_folder(ctx, folder_id, "folderId")
    async with transaction() as tx:
        await placement.lock_tree(item.organization_id)
        item = await reload(item.id)
        target = await reload(target.id, "folderId")
        if target.path.startswith(item.path):
            raise IntoItself(field="folderId")
        if item.parent_id == target.id:
            return item  # already there
        if depth(target.path) + await subtree_depth(item) > placement.MAX_DEPTH:
            raise too_deep()
        name = await name_in(target.id, item.name, on_conflict, exclude=item.id)
        await do_file_move(tx, item, target, name, principal.user_id)
    return item


async def do_file_move(
    tx: Transaction, item: DriveItem, target: DriveItem, name: str, user_id: int
) -> None:
    """Inside ``tx``, under the tree lock, on the item and the target read again."""
    before = await audience(item)
    item.name, item.name_key = name, names.name_key(name)
    item.parent_id = item.live_parent_id = target.id
    item.modified_by_id = user_id
    await save_name(
        item,
        ["name", "name_key", "parent_id", "live_parent_id", "modified_by_id", "updated_at"],
    )
    await rewrite_paths(item, f"{target.path}{item.id}/")
    await events.publish_change(tx, events.Change.MOVED, item, user_id, also=before)


# -- fileVersionRestore ---------------------------------------------------------------------------


async def check_version_restore(
    ctx: Context, *, item_id: int, version_id: int, idempotency_key: str | None = None
) -> tuple[DriveItem, FileVersion]:
    """Make an old version current again by adding it as the newest version (same bytes, one
    more reference; the quota is charged again), so no history is lost. Restoring the current
    version changes nothing; a retry with the same ``idempotency_key`` returns the version the
    first call added."""
    principal = require_principal(ctx)
    file = (await access_item(ctx, item_id, DriveRole.EDITOR)).item
    version = await FileVersion.filter(id=version_id, item_id=file.id).first()
    if version is None:
        raise NotFound(field="versionId")
    if version.id == file.current_version_id:
        return file, version
    old = version

    async def create() -> FileVersion:
        return await do_version_restore(file.id, old, principal.user_id)

    async def load(pk: int) -> FileVersion | None:
        return await FileVersion.filter(id=pk, item_id=file.id).first()

    fields = {"itemId": item_id, "versionId": version_id}
    new = await once(
        principal.user_id, "fileVersionRestore", idempotency_key, create, load, input=fields
    )
    return await DriveItem.get(id=file.id), new


async def do_version_restore(file_id: int, old: FileVersion, user_id: int) -> FileVersion:
    """``old`` as the newest version of the file (its blob referenced once more)."""
    async with transaction() as tx:
        current = await reload(file_id)
        blob = await storage.take_ref(current.organization_id, old.sha256)
        if blob is None:  # cannot happen while the version refers to it
            raise NotFound(field="versionId")
        new = await storage.add_version(
            current, blob, content_type=old.content_type, user_id=user_id
        )
        await events.publish_change(tx, events.Change.UPDATED, current, user_id)
    return new
