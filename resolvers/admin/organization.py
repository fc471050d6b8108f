"""The organization itself: reading it, and the settings admins change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.identity import Organization
from resolvers.admin.access import require_admin
from resolvers.admin.audit import audit, changes, snapshot
from resolvers.admin.errors import AdminErrorCode
from resolvers.admin.events import organization_updated
from resolvers.core.channels import organization_channel
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, collect
from resolvers.core.tx import transaction
from resolvers.identity.queries import organizations_by_id
from resolvers.identity.validation import name_errors

MAX_DOMAINS = 100
MAX_WINDOW = 7 * 24 * 60  # a week, in minutes
MAX_ZONE = 64
# A DNS name: labels of letters, digits and inner hyphens, at least one dot, <= 253 characters.
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SETTINGS = (
    "name",
    "domain",
    "allowed_email_domains",
    "default_time_zone",
    "message_edit_window_minutes",
    "message_recall_window_minutes",
)


async def viewer_organization(ctx: Context) -> Organization | None:
    """The viewer's organization (any role, guests too), or None when signed out."""
    if ctx.principal is None:
        return None
    org: Organization | None = await ctx.loaders.get(organizations_by_id).load(
        ctx.principal.organization_id
    )
    return org


@dataclass
class OrganizationChanges:
    """What ``organizationUpdate`` was asked to change: only the fields that are set."""

    values: dict[str, Any] = field(default_factory=dict)


def _domain(value: str) -> str:
    return value.strip().lower()


def _validate(c: OrganizationChanges) -> dict[str, Any]:
    """Normalized values, or every validation error at once."""
    v = dict(c.values)
    errors: list[DomainError] = []
    if "name" in v:
        errors += name_errors(v["name"] or "", "name")
        v["name"] = (v["name"] or "").strip()
    if "domain" in v:
        # Null or empty clears the domain.
        v["domain"] = _domain(v["domain"]) if v["domain"] else None
        if v["domain"] is not None and not _DOMAIN.match(v["domain"]):
            errors.append(
                DomainError(
                    "Enter a domain like `acme.com`.",
                    field="domain",
                    code=AdminErrorCode.INVALID_DOMAIN,
                )
            )
    if "allowed_email_domains" in v:
        domains = list(dict.fromkeys(_domain(d) for d in v["allowed_email_domains"] or []))
        v["allowed_email_domains"] = domains
        if len(domains) > MAX_DOMAINS:
            errors.append(
                DomainError(
                    f"At most {MAX_DOMAINS} domains.",
                    field="allowedEmailDomains",
                    code=AdminErrorCode.TOO_MANY_DOMAINS,
                )
            )
        errors += [
            DomainError(
                f"`{d[:60]}` is not a domain like `acme.com`.",
                field=f"allowedEmailDomains.{i}",
                code=AdminErrorCode.INVALID_DOMAIN,
            )
            for i, d in enumerate(domains[:MAX_DOMAINS])
            if not _DOMAIN.match(d)
        ]
    if "default_time_zone" in v:
        zone = (v["default_time_zone"] or "").strip()
        v["default_time_zone"] = zone
        if not _is_zone(zone):
            errors.append(
                DomainError(
                    "Enter an IANA time zone name such as `Europe/Berlin`.",
                    field="defaultTimeZone",
                    code=AdminErrorCode.INVALID_TIME_ZONE,
                )
            )
    for key, name in (
        ("message_edit_window_minutes", "messageEditWindowMinutes"),
        ("message_recall_window_minutes", "messageRecallWindowMinutes"),
    ):
        if key in v and not (v[key] is not None and 0 <= v[key] <= MAX_WINDOW):
            errors.append(
                DomainError(
                    f"Between 0 and {MAX_WINDOW} minutes (a week).",
                    field=name,
                    code=AdminErrorCode.INVALID_WINDOW,
                )
            )
    collect(errors)
    return v


def _is_zone(name: str) -> bool:
    if not name or len(name) > MAX_ZONE:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: paths like `../x`
        return False
    return True


async def check_organization_update(ctx: Context, requested: OrganizationChanges) -> Organization:
    principal = require_admin(ctx)
    values = _validate(requested)
    return await do_organization_update(ctx, principal.organization_id, values)


async def do_organization_update(
    ctx: Context, organization_id: int, values: dict[str, Any]
) -> Organization:
    async with transaction() as tx:
        # Locked for update on PostgreSQL so two concurrent updates audit true before-values.
        org = await Organization.select_for_update().get(id=organization_id)
        before, after = changes(snapshot(org, SETTINGS), {**snapshot(org, SETTINGS), **values})
        if not after:
            return org  # nothing changes: no write, no audit entry, no event
        for key, value in after.items():
            setattr(org, key, value)
        await org.save(update_fields=[*after.keys(), "updated_at"])
        await audit(ctx, "organization.update", "organization", org.id, before=before, after=after)
        tx.publish(organization_channel(org.id), organization_updated(org))
    return org
