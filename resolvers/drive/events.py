"""Drive's live events: what changed (``Change``), the snapshot of the item an event carries
(so delivering it costs no SQL), and ``publish_change``, which tells everyone who can see the
item, on their user channels, after commit. Drive's kinds are declared once, in
``DriveEventKind``, each payload a ``TypedDict`` built here; ``is_drive_event`` tells them from
other modules' on a user channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard

from models.drive import DriveItem
from resolvers.core.channels import user_channel
from resolvers.core.tx import Transaction
from resolvers.core.webhook_events import WebhookAudience, register_webhook_event
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


class DriveEventKind(StrEnum):
    """The ``type`` of Drive's events, as it travels on the bus."""

    DRIVE_CHANGED = "drive.changed"


class ItemSnapshot(TypedDict):
    id: int
    organizationId: int
    kind: str
    name: str
    parentId: int | None
    ownerId: int
    size: int
    contentType: str
    sha256: str
    trashedAt: str | None
    updatedAt: str


class DriveChanged(TypedDict):
    type: Literal[DriveEventKind.DRIVE_CHANGED]
    change: str  # a Change
    item: ItemSnapshot
    actorId: int


DriveEvent = DriveChanged
"""Every event of Drive: one ``TypedDict`` per ``DriveEventKind`` member, on user channels
(``viewerEvents``)."""

_KINDS = frozenset(DriveEventKind)


def is_drive_event(event: Mapping[str, Any]) -> TypeGuard[DriveEvent]:
    """True for a payload of one of Drive's kinds (from the bus, a plain str equal to it)."""
    return event.get("type") in _KINDS


def item_snapshot(item: DriveItem) -> ItemSnapshot:
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


def drive_changed(change: Change, item: DriveItem, actor_id: int) -> DriveChanged:
    return {
        "type": DriveEventKind.DRIVE_CHANGED,
        "change": change.value,
        "item": item_snapshot(item),
        "actorId": actor_id,
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
    event = drive_changed(change, item, actor_id)
    for user_id in (await audience(item)) | (also or set()):
        tx.publish(user_channel(user_id), event)


# Webhooks (resolvers/core/webhook_events.py): only for items the app's bot may see (it is
# then one of the users whose channels the event goes on).
register_webhook_event(
    DriveEventKind.DRIVE_CHANGED,
    "A Drive item the app's bot can see was created, changed, moved, shared or deleted.",
    module="drive",
    audience=WebhookAudience.USERS,
)
