"""The tree, read side: a file by id, parents and paths, a folder's children, versions, the
recent list, the trash and search by name. The writes are in ``tree`` (folders, rename, move,
copy, versions) and ``trash`` (delete, restore, purge).

Every list is one keyset page (``paginate``) plus a constant number of queries for roles, so
the number of SQL queries does not grow with the page size. Rows a list might hold but the viewer
may not see (a file they changed before losing access, a folder visible only through a message
attachment) are dropped from the page after the role check: such a page can be shorter than
asked, its cursors stay right.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from adapters import runtime
from models.drive import DriveItem, FileVersion, ItemKind
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.pagination import Page, decode_cursor, encode_cursor, page_size, paginate
from resolvers.core.principal import require_principal
from resolvers.core.sql import raw
from resolvers.drive import access, names, placement, quota

MAX_QUERY = 100
MAX_SEARCH_ROOTS = 500
"""Search looks under at most this many of the tops others shared with the viewer (the most
recently created ones); a person with more grants finds the rest by browsing."""

ORDER_FIELDS = {
    "NAME": "name_key",
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "SIZE": "size",
}


async def my_root(ctx: Context) -> DriveItem:
    principal = require_principal(ctx)
    return await placement.root_folder(principal.user)


async def drive_usage(ctx: Context) -> tuple[int, int, int]:
    """(used, reserved, quota) bytes of the viewer's organization."""
    principal = require_principal(ctx)
    used, reserved = await quota.usage(principal.organization_id)
    return used, reserved, runtime.current().settings.drive_quota_bytes


# -- one item, its parent and its path ------------------------------------------------------------


async def find_item(ctx: Context, item_id: int | None) -> DriveItem | None:
    """``file(id)``: the item if the viewer can see it. Unlike ``node(id)`` this includes items in
    the trash for those who may restore them (editors and owners), so a client can show and
    restore what ``drive.trash`` lists; viewers of a trashed item get null, as if it were gone."""
    principal = require_principal(ctx)
    if item_id is None:
        return None
    item = await DriveItem.filter(id=item_id, organization_id=principal.organization_id).first()
    if item is None:
        return None
    return item if (await access.roles_for(ctx, [item]))[0] is not None else None


def _visible_loader(ctx: Context) -> Callable[[list[int]], Awaitable[Sequence[Any]]]:
    def make() -> Callable[[list[int]], Awaitable[Sequence[Any]]]:
        async def load(ids: list[int]) -> list[DriveItem | None]:
            return await access.visible_items(ctx, ids)

        return load

    return ctx.per_request("drive.visible_fn", make)


async def parent_of(ctx: Context, item: DriveItem) -> DriveItem | None:
    """The folder the item is in, if the viewer can see it (batched per request)."""
    if item.parent_id is None:
        return None
    return await ctx.loaders.get(_visible_loader(ctx)).load(item.parent_id)


async def visible_path(ctx: Context, item: DriveItem) -> list[DriveItem]:
    """The folders above the item that the viewer can see, top down (batched per request)."""
    above = access.path_ids(item)[:-1]
    if not above:
        return []
    found = await ctx.loaders.get(_visible_loader(ctx)).load_many(above)
    return [f for f in found if f is not None]


# -- lists ----------------------------------------------------------------------------------------


async def _visible_page(ctx: Context, page: Page[DriveItem]) -> Page[DriveItem]:
    """The page without the rows the viewer may not see (one batch of role queries)."""
    roles = await access.roles_for(ctx, page.items)
    keep = [i for i, role in enumerate(roles) if role is not None]
    if len(keep) == len(page.items):
        return page
    return Page(
        items=[page.items[i] for i in keep],
        cursors=[page.cursors[i] for i in keep],
        has_next=page.has_next,
        has_previous=page.has_previous,
    )


async def children_page(
    ctx: Context,
    folder: DriveItem,
    *,
    first: int | None,
    after: str | None,
    order: str,
    descending: bool,
) -> Page[DriveItem]:
    """A folder's items, folders first, then by ``order`` (NAME, UPDATED_AT, CREATED_AT or SIZE)
    with the id breaking ties. A folder in the trash lists what went to the trash with it."""
    if folder.kind != ItemKind.FOLDER:
        page_size(first, None)  # still refuse a bad page size
        return Page(items=[], cursors=[], has_next=False, has_previous=False)
    sign = "-" if descending else ""
    # "FOLDER" sorts after "FILE": descending kind puts folders first in either direction.
    keys = ["-kind", f"{sign}{ORDER_FIELDS[order]}", f"{sign}id"]
    qs = DriveItem.filter(live_parent_id=folder.id)
    return await _visible_page(ctx, await paginate(qs, order=keys, first=first, after=after))


async def recent_files(ctx: Context, *, first: int | None, after: str | None) -> Page[DriveItem]:
    """Files (not folders) the viewer owns or changed last, not in the trash, newest change
    first."""
    principal = require_principal(ctx)
    me = principal.user_id
    qs = DriveItem.filter(
        organization_id=principal.organization_id, kind=ItemKind.FILE, trashed_at__isnull=True
    ).filter(Q(owner_id=me) | Q(modified_by_id=me))
    page = await paginate(qs, order=["-updated_at", "-id"], first=first, after=after)
    return await _visible_page(ctx, page)


def trash_roots(ctx: Context, root: DriveItem) -> QuerySet[DriveItem]:
    """Items deleted as such (not what was in deleted folders) that the viewer owns, deleted, or
    that were in their drive."""
    principal = require_principal(ctx)
    me = principal.user_id
    return DriveItem.filter(
        organization_id=principal.organization_id,
        trashed_at__isnull=False,
        live_parent_id__isnull=True,  # in the trash, only the item deleted left its folder
    ).filter(Q(owner_id=me) | Q(trashed_by_id=me) | Q(path__startswith=root.path))


async def trash_page(ctx: Context, *, first: int | None, after: str | None) -> Page[DriveItem]:
    """The viewer's trash, most recently deleted first; only what they may restore (editors and
    owners: someone who deleted a file and lost access since no longer sees it)."""
    root = await my_root(ctx)
    page = await paginate(
        trash_roots(ctx, root), order=["-trashed_at", "-id"], first=first, after=after
    )
    return await _visible_page(ctx, page)


# -- versions -------------------------------------------------------------------------------------

_NEWEST_VERSIONS = """
SELECT "id" FROM (
    SELECT "id", ROW_NUMBER() OVER (PARTITION BY "item_id" ORDER BY "number" DESC) AS "rn"
    FROM "drive_file_version" WHERE "item_id" IN ({marks}){below}
) AS "v" WHERE "rn" <= ?
"""


async def _versions_batch(keys: list[tuple[int, int, int | None]]) -> list[list[FileVersion]]:
    """The newest ``n`` versions of each file below version number ``below`` (None: from the
    newest), for keys ``(item_id, n, below)``: two queries per distinct ``(n, below)`` (one
    window query for the ids, one for the rows), so a page of files costs two in all."""
    groups: dict[tuple[int, int | None], set[int]] = {}
    for item_id, n, below in keys:
        groups.setdefault((n, below), set()).add(item_id)
    found: dict[tuple[int, int, int | None], list[FileVersion]] = {}
    for (n, below), item_ids in groups.items():
        rows: list[FileVersion] = []
        if n > 0:
            sql = _NEWEST_VERSIONS.format(
                marks=", ".join("?" * len(item_ids)),
                below=' AND "number" < ?' if below is not None else "",
            )
            params = [*item_ids, *([below] if below is not None else []), n]
            ids = [int(r["id"]) for r in await raw(sql, params)]
            rows = await FileVersion.filter(id__in=ids).order_by("-number") if ids else []
        for item_id in item_ids:
            found[(item_id, n, below)] = [v for v in rows if v.item_id == item_id]
    return [found[k] for k in keys]


async def versions_page(
    ctx: Context, item: DriveItem, *, first: int | None, after: str | None
) -> Page[FileVersion]:
    """A file's versions, newest first, keyset-paged by version number (anyone who sees the
    file sees its history); a folder has none."""
    n, _ = page_size(first, None)
    below = None
    if after is not None:
        (below,) = decode_cursor(after, 1, "after")
        if not isinstance(below, int):
            raise ValidationFailed("This cursor is not valid for this list.", field="after")
    if item.kind != ItemKind.FILE:
        return Page(items=[], cursors=[], has_next=False, has_previous=after is not None)
    # One more than asked: whether another page follows, in the same query.
    loaded = await ctx.loaders.get(_versions_batch).load((item.id, n + 1, below))
    rows = loaded[:n]
    return Page(
        items=rows,
        cursors=[encode_cursor((v.number,)) for v in rows],
        has_next=len(loaded) > n,
        has_previous=below is not None,
    )


# -- search ---------------------------------------------------------------------------------------


def check_query(query: str) -> str:
    clean = unicodedata.normalize("NFC", query.strip())
    if not clean or len(clean) > MAX_QUERY:
        raise ValidationFailed(f"Search for 1 to {MAX_QUERY} characters.", field="query")
    return names.name_key(clean)


def top_paths(paths: list[str]) -> list[str]:
    """The paths not below another one of them."""
    kept: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


async def search_files(
    ctx: Context, query: str, *, first: int | None, after: str | None
) -> Page[DriveItem]:
    """Files and folders whose name contains ``query`` (any case; ``%`` and ``_`` are plain
    characters), not in the trash, among what the viewer can see: their own drive, what they
    own anywhere, and everything below what was shared with them (see ``MAX_SEARCH_ROOTS``).
    Files seen only as message attachments are found in the chat, not here. Ordered by name."""
    principal = require_principal(ctx)
    key = check_query(query)
    root = await my_root(ctx)
    shared = sorted(await access.reachable_roots(ctx), key=lambda i: -i.id)[:MAX_SEARCH_ROOTS]
    where = Q(owner_id=principal.user_id)
    for prefix in top_paths([root.path, *(i.path for i in shared)]):
        where |= Q(path__startswith=prefix)
    qs = DriveItem.filter(
        organization_id=principal.organization_id,
        trashed_at__isnull=True,
        root_of_id__isnull=True,
        name_key__contains=key,
    ).filter(where)
    return await paginate(qs, order=["name_key", "id"], first=first, after=after)
