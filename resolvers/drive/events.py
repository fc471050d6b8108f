"""Drive's live events: what changed (``Change``), the snapshot of the item an event carries
(so delivering it costs no SQL), and ``publish_change``, which tells everyone who can see the
item, on their user channels, after commit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from models.drive import DriveItem
from resolvers.core.channels import user_channel
from resolvers.core.tx import Transaction
from resolvers.drive.access import audience


class Change(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RENAMED = "RENAMED"
    MOVED = "MOVED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    SHARED = "SHARED"
    UNSHARED = "UNSHARED"


def item_snapshot(item: DriveItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "organizationId": item.organization_id,
        "kind": item.kind.value if hasattr(item.kind, "value") else str(item.kind),
        "name": item.name,
        "parentId": item.parent_id,
        "ownerId": item.owner_id,
        "size": item.size,
        "contentType": item.content_type,
        "sha256": item.sha256,
        "trashedAt": item.trashed_at.isoformat() if item.trashed_at else None,
        "updatedAt": (item.updated_at or datetime.now()).isoformat(),
    }


async def publish_change(
    tx: Transaction,
    change: Change,
    item: DriveItem,
    actor_id: int,
    *,
    also: set[int] | None = None,
) -> None:
    """Tell everyone who can see ``item`` (and ``also``: people who just lost access) about a
    change, on their user channels, after commit. Call it while the item's permissions still
    reach its audience (before an unshare or a purge)."""
    event = {
        "type": "drive.changed",
        "change": change.value,
        "item": item_snapshot(item),
        "actorId": actor_id,
    }
    for user_id in (await audience(item)) | (also or set()):
        tx.publish(user_channel(user_id), event)
