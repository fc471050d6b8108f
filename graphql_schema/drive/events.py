"""Drive changes in ``viewerEvents``: a file or folder was created, changed, renamed, moved,
deleted, restored, shared or unshared. The bus carries a ``drive.changed`` payload on the user
channel of everyone who could see the item before or after (``core.publish_change``); each
subscriber gets the item as they see it when the event arrives, or null once they cannot."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from graphql_schema.core.node import global_id
from graphql_schema.drive.types import File
from graphql_schema.identity.types import User, visible_user
from resolvers.drive.events import DriveEvent, DriveEventKind
from resolvers.drive.items import find_item


@strawberry.enum(description="What happened to a file or folder.")
class DriveChange(Enum):
    CREATED = strawberry.enum_value("CREATED", description="Created: uploaded, made or copied.")
    UPDATED = strawberry.enum_value(
        "UPDATED", description="New content: a new version, or an old one restored."
    )
    RENAMED = strawberry.enum_value("RENAMED", description="Renamed.")
    MOVED = strawberry.enum_value(
        "MOVED", description="Moved to another folder (those who lost sight of it get `file` null)."
    )
    DELETED = strawberry.enum_value(
        "DELETED",
        description="Moved to the trash (`file` has `trashedAt` for those who may restore it), "
        "or deleted for good (`file` null).",
    )
    RESTORED = strawberry.enum_value("RESTORED", description="Brought back from the trash.")
    SHARED = strawberry.enum_value("SHARED", description="Shared with someone, or a role changed.")
    UNSHARED = strawberry.enum_value("UNSHARED", description="Someone's access was removed.")


@strawberry.type(description="A file or folder you can see (or could, until now) changed.")
class DriveChanged:
    change: DriveChange = strawberry.field(description="What happened.")
    file_id: strawberry.ID = strawberry.field(
        description="The global ID of the file or folder, also when `file` is null."
    )
    item_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]
    actor_id: strawberry.Private[int]

    @strawberry.field(
        description="The file or folder as you see it now; null if you no longer can (moved "
        "away, unshared, deleted for good, or in the trash and you may not restore it)."
    )
    async def file(self, info: Info) -> File | None:
        ctx = info.context
        if ctx.principal is None or ctx.principal.organization_id != self.organization_id:
            return None
        # A WebSocket context outlives events and grants change meanwhile: each event works
        # out the subscriber's departments and groups, and loads rows, afresh.
        ctx.cache.pop("drive.grantees", None)
        ctx.loaders.clear()
        found = await find_item(ctx, self.item_id)
        return File.from_model(found) if found is not None else None

    @strawberry.field(description="Who did it; null if not visible to you.")
    async def actor(self, info: Info) -> User | None:
        return await visible_user(info, self.actor_id)


def to_drive_event(event: DriveEvent) -> DriveChanged | None:
    """The ``viewerEvents`` member for a ``drive.changed`` bus payload."""
    if event["type"] != DriveEventKind.DRIVE_CHANGED:
        return None
    item = event["item"]
    return DriveChanged(
        change=DriveChange[event["change"]],
        file_id=global_id("File", item["id"]),
        item_id=int(item["id"]),
        organization_id=int(item["organizationId"]),
        actor_id=int(event["actorId"]),
    )
