"""Writes of user groups: create, update, delete, and membership.

Group names are unique per organization (any case), like sibling department names, so that
people can tell groups apart in pickers. No live event is published for groups: the
organization channel carries the directory tree and people, and group lists are fetched.
"""

from __future__ import annotations

from models.admin import Group, GroupMember
from models.identity import User
from resolvers.admin.access import access_group, access_users, lock_organization, require_admin
from resolvers.admin.audit import audit, changes, snapshot
from resolvers.admin.departments import clean_name, refuse_guests
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound
from resolvers.core.idempotency import once
from resolvers.core.tx import transaction

MAX_GROUPS = 500
"""Groups per organization. A module constant so tests can lower it."""
MAX_DESCRIPTION = 500
FIELDS = ("name", "description")


def clean_description(description: str | None) -> str | None:
    if description is None:
        return None
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            f"A description has at most {MAX_DESCRIPTION} characters.",
            field="description",
            code=AdminErrorCode.INVALID_DESCRIPTION,
        )
    return description


async def _check_name_free(org_id: int, name: str, *, exclude: int | None = None) -> None:
    qs = Group.filter(organization_id=org_id, name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(id=exclude)
    if await qs.exists():
        raise DomainError(
            "A group has this name already.", field="name", code=AdminErrorCode.NAME_TAKEN
        )


async def check_group_create(
    ctx: Context,
    *,
    name: str,
    description: str | None,
    member_ids: list[int],
    idempotency_key: str | None,
) -> Group:
    principal = require_admin(ctx)
    name = clean_name(name, "group")
    description = clean_description(description) or ""
    members = await access_users(ctx, member_ids, field="memberIds")
    refuse_guests(members, "memberIds")

    async def create() -> Group:
        return await do_group_create(ctx, principal.organization_id, name, description, members)

    async def load(pk: int) -> Group | None:
        return await Group.get_or_none(id=pk, organization_id=principal.organization_id)

    fields = {"name": name, "description": description, "memberIds": {m.id for m in members}}
    return await once(principal.user_id, "groupCreate", idempotency_key, create, load, input=fields)


async def do_group_create(
    ctx: Context, org_id: int, name: str, description: str, members: list[User]
) -> Group:
    async with transaction():
        # The count and the name are checked under the organization's lock, so two admins
        # creating at once can pass neither the limit nor each other's name.
        await lock_organization(org_id)
        if await Group.filter(organization_id=org_id).count() >= MAX_GROUPS:
            raise DomainError(
                f"An organization has at most {MAX_GROUPS} groups.",
                code=AdminErrorCode.GROUP_LIMIT_REACHED,
            )
        await _check_name_free(org_id, name)
        group = await Group.create(organization_id=org_id, name=name, description=description)
        ids = [u.id for u in members]
        await GroupMember.bulk_create([GroupMember(group_id=group.id, user_id=i) for i in ids])
        await audit(
            ctx,
            "group.create",
            "group",
            group.id,
            after={**snapshot(group, FIELDS), "memberIds": ids},
        )
    return group


async def check_group_update(
    ctx: Context, group_id: int | None, *, name: str | None, description: str | None
) -> Group:
    """None keeps a field as it is."""
    require_admin(ctx)
    group = await access_group(ctx, group_id)
    new_name = clean_name(name, "group") if name is not None else None
    return await do_group_update(ctx, group, new_name, clean_description(description))


async def do_group_update(
    ctx: Context, group: Group, name: str | None, description: str | None
) -> Group:
    async with transaction():
        await lock_organization(group.organization_id)
        group = await access_group(ctx, group.id)
        before = snapshot(group, FIELDS)
        if name is not None:
            await _check_name_free(group.organization_id, name, exclude=group.id)
            group.name = name
        if description is not None:
            group.description = description
        old, new = changes(before, snapshot(group, FIELDS))
        if not new:
            return group  # nothing changed: no write, no audit entry
        await group.save(update_fields=list(new))
        await audit(ctx, "group.update", "group", group.id, before=old, after=new)
    return group


async def check_group_delete(ctx: Context, group_id: int | None) -> int:
    require_admin(ctx)
    group = await access_group(ctx, group_id)
    return await do_group_delete(ctx, group)


async def do_group_delete(ctx: Context, group: Group) -> int:
    async with transaction():
        group = await _lock_group(group)
        count = await GroupMember.filter(group_id=group.id).count()
        before = {**snapshot(group, FIELDS), "memberCount": count}
        await GroupMember.filter(group_id=group.id).delete()
        await Group.filter(id=group.id).delete()
        await audit(ctx, "group.delete", "group", group.id, before=before)
    return group.id


async def _lock_group(group: Group) -> Group:
    """The group row, locked until commit on PostgreSQL (SQLite serializes writers), so
    concurrent member changes of one group read each other's results."""
    fresh = (
        await Group.select_for_update()
        .filter(id=group.id, organization_id=group.organization_id)
        .first()
    )
    if fresh is None:
        raise NotFound(field="groupId")
    return fresh


async def check_group_members(
    ctx: Context, group_id: int | None, user_ids: list[int], *, add: bool
) -> Group:
    require_admin(ctx)
    group = await access_group(ctx, group_id)
    users = await access_users(ctx, user_ids)
    if add:
        refuse_guests(users)
    return await do_group_members(ctx, group, [u.id for u in users], add=add)


async def do_group_members(ctx: Context, group: Group, user_ids: list[int], *, add: bool) -> Group:
    """Add or remove members; present (or absent) users are left alone, so retries and two
    admins adding the same people at once end with each user in the group once."""
    async with transaction():
        group = await _lock_group(group)
        present = set(
            await GroupMember.filter(group_id=group.id, user_id__in=user_ids).values_list(
                "user_id", flat=True
            )
        )
        ids = [i for i in user_ids if (i in present) != add]
        if not ids:
            return group
        if add:
            # The unique (group, user) constraint is the last word should a writer get past
            # the row lock (a group being created holds none): duplicates are ignored.
            await GroupMember.bulk_create(
                [GroupMember(group_id=group.id, user_id=i) for i in ids], ignore_conflicts=True
            )
            await audit(ctx, "group.members_add", "group", group.id, after={"userIds": ids})
        else:
            await GroupMember.filter(group_id=group.id, user_id__in=ids).delete()
            await audit(ctx, "group.members_remove", "group", group.id, before={"userIds": ids})
    return group
