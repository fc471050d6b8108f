"""Where Drive items go: each user's root folder (made on first use), the organization's
tree lock, and the one way a new item enters a folder (``insert_item``: the parent read again
under the shared lock, depth at most ``MAX_DEPTH``, a taken name renamed or refused).
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from models.drive import DriveItem, ItemKind
from models.identity import User
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.sql import dialect, raw
from resolvers.core.tx import transaction
from resolvers.drive.errors import DriveErrorCode
from resolvers.drive.names import NameTaken, OnConflict, free_name, name_key

MAX_DEPTH = 32
ROOT_NAME = "My Drive"


async def root_folder(user: User) -> DriveItem:
    """The user's root folder, made on first use (once, even when asked twice at once).

    Read paths ask for it too (the ``drive`` query, ``trashEmpty`` listing the viewer's trash),
    so this is the read part, and the one write, on the first use of a user's Drive whichever
    path comes first, is ``do_root_folder_create``'s."""
    found = await DriveItem.filter(root_of_id=user.id).first()
    if found is not None:
        return found
    return await do_root_folder_create(user)


async def do_root_folder_create(user: User) -> DriveItem:
    """Make the user's root folder; if someone made it at the same moment, theirs."""
    try:
        async with transaction():
            root = await DriveItem.create(
                organization_id=user.organization_id,
                kind=ItemKind.FOLDER,
                name=ROOT_NAME,
                name_key=name_key(ROOT_NAME),
                root_of_id=user.id,
                owner_id=user.id,
                modified_by_id=user.id,
            )
            root.path = f"/{root.id}/"
            await root.save(update_fields=["path"])
        return root
    except IntegrityError:
        return await DriveItem.get(root_of_id=user.id)


_TREE_LOCK_CLASS = 0x44525645  # "DRVE": the first key of the advisory locks of Drive trees


async def lock_tree(organization_id: int, *, shared: bool = False) -> None:
    """Hold the organization's Drive tree lock until the transaction ends. Writes that change
    the shape of the tree for many rows at once (moving a subtree, trashing, restoring,
    purging) hold it exclusively; inserts hold it shared, so they never interleave with a
    subtree rewrite whose ``path`` prefix UPDATE would miss them. PostgreSQL takes an advisory
    lock; SQLite runs one writing transaction at a time anyway."""
    if dialect() != "postgres":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await raw(f"SELECT {fn}(?, ?)", [_TREE_LOCK_CLASS, organization_id % 2**31])


async def insert_item(
    *,
    parent: DriveItem,
    name: str,
    kind: ItemKind,
    owner_id: int,
    on_conflict: OnConflict = OnConflict.FAIL,
    **values: Any,
) -> DriveItem:
    """A new item in ``parent`` (inside the caller's transaction). With RENAME a taken name gets
    a suffix; otherwise NAME_TAKEN. Depth is limited to ``MAX_DEPTH`` levels.

    The parent is read again under the shared tree lock: a move or a delete that committed
    since the caller looked at it would otherwise leave the new item with a stale ``path`` (or
    alive in a trashed folder)."""
    await lock_tree(parent.organization_id, shared=True)
    fresh = await DriveItem.filter(id=parent.id, trashed_at__isnull=True).first()
    if fresh is None:
        raise NotFound(field="folderId")
    parent = fresh
    if parent.path.count("/") - 1 >= MAX_DEPTH:
        raise ValidationFailed(
            f"Folders nest at most {MAX_DEPTH} levels deep.",
            field="folderId",
            code=DriveErrorCode.TOO_DEEP,
        )
    if on_conflict == OnConflict.RENAME:
        name = await free_name(parent.id, name)
    elif await DriveItem.filter(live_parent_id=parent.id, name_key=name_key(name)).exists():
        raise NameTaken(f"{parent.name} already has an item named {name!r}.", field="name")
    try:
        async with transaction():
            item = await DriveItem.create(
                organization_id=parent.organization_id,
                kind=kind,
                name=name,
                name_key=name_key(name),
                parent_id=parent.id,
                live_parent_id=parent.id,
                owner_id=owner_id,
                modified_by_id=owner_id,
                **values,
            )
            item.path = f"{parent.path}{item.id}/"
            await item.save(update_fields=["path"])
    except IntegrityError as e:
        # Someone took the name between our check and our insert.
        raise NameTaken(f"{parent.name} already has an item named {name!r}.", field="name") from e
    return item
