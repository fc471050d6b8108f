"""Drive's storage quota per organization: bytes ``used`` by stored versions and bytes
``reserved`` for uploads in progress, both counted against ``drive_quota_bytes``. Each change
is one conditional UPDATE of the organization's ``drive_usage`` row, so concurrent uploads
cannot both squeeze under the limit.
"""

from __future__ import annotations

from typing import Literal

from adapters import runtime
from models.drive import DriveUsage
from resolvers.core.errors import DomainError
from resolvers.core.sql import execute
from resolvers.drive.errors import DriveErrorCode


class QuotaExceeded(DomainError):
    code = DriveErrorCode.QUOTA_EXCEEDED
    default_message = "Your organization's Drive storage is full."


async def _usage_row(organization_id: int) -> None:
    await execute(
        'INSERT INTO "drive_usage" ("organization_id", "used", "reserved") VALUES (?, 0, 0) '
        'ON CONFLICT ("organization_id") DO NOTHING',
        [organization_id],
    )


async def _count(
    organization_id: int, size: int, column: Literal["used", "reserved"], doing: str
) -> None:
    """Add ``size`` bytes to ``column`` if used + reserved stays within the quota, or
    QUOTA_EXCEEDED. One conditional UPDATE: concurrent uploads cannot both squeeze under the
    limit. Charging and reserving are the same rule on different columns."""
    quota = runtime.current().settings.drive_quota_bytes
    await _usage_row(organization_id)
    changed = await execute(
        f'UPDATE "drive_usage" SET "{column}" = "{column}" + ? '
        'WHERE "organization_id" = ? AND "used" + "reserved" + ? <= ?',
        [size, organization_id, size, quota],
    )
    if not changed:
        raise QuotaExceeded(
            f"{doing} {size} more bytes would pass your organization's quota of {quota} bytes."
        )


async def charge(organization_id: int, size: int) -> None:
    """Count ``size`` more bytes against the quota, or QUOTA_EXCEEDED."""
    await _count(organization_id, size, "used", "Storing")


async def reserve(organization_id: int, size: int) -> None:
    """Promise ``size`` bytes to an upload in progress, or QUOTA_EXCEEDED."""
    await _count(organization_id, size, "reserved", "Uploading")


async def settle(organization_id: int, size: int) -> None:
    """A reserved upload completed: its bytes move from reserved to used."""
    await execute(
        'UPDATE "drive_usage" SET "reserved" = "reserved" - ?, "used" = "used" + ? '
        'WHERE "organization_id" = ?',
        [size, size, organization_id],
    )


async def unreserve(organization_id: int, size: int) -> None:
    await execute(
        'UPDATE "drive_usage" SET "reserved" = "reserved" - ? WHERE "organization_id" = ?',
        [size, organization_id],
    )


async def uncharge(organization_id: int, size: int) -> None:
    await execute(
        'UPDATE "drive_usage" SET "used" = "used" - ? WHERE "organization_id" = ?',
        [size, organization_id],
    )


async def usage(organization_id: int) -> tuple[int, int]:
    """(used, reserved) bytes of the organization."""
    row = await DriveUsage.filter(organization_id=organization_id).first()
    return (row.used, row.reserved) if row else (0, 0)
