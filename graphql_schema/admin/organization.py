"""Admin: the organization and its settings, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.node import VisibleNode, decode_id
from graphql_schema.core.payload import MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import Organization, User
from models import admin as ma
from models import identity as m
from resolvers.admin import audit_log as log
from resolvers.admin import organization as actions
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.errors import CoreErrorCode
from resolvers.identity import queries


@strawberry.type(description="Organization-wide settings.")
class OrganizationSettings:
    allowed_email_domains: list[str] = strawberry.field(
        description="Invitations may only go to these email domains; empty allows any."
    )
    default_time_zone: str = strawberry.field(
        description="IANA zone name for new members, e.g. `Europe/Berlin`."
    )
    message_edit_window_minutes: int = strawberry.field(
        description="How long after sending a message its sender may edit it."
    )
    message_recall_window_minutes: int = strawberry.field(
        description="How long after sending a message its sender may recall it."
    )
    trusted_documents_required: bool = strawberry.field(
        description="Every app of the organization runs only its trusted documents "
        "(`organizationTrustedDocumentsRequire`)."
    )

    @classmethod
    def from_model(cls, org: m.Organization) -> OrganizationSettings:
        return cls(
            allowed_email_domains=list(org.allowed_email_domains or []),
            default_time_zone=org.default_time_zone,
            message_edit_window_minutes=org.message_edit_window_minutes,
            message_recall_window_minutes=org.message_recall_window_minutes,
            trusted_documents_required=org.require_trusted_documents,
        )


# --- the audit log -----------------------------------------------------------------------

# Entries store target types in lower case (`department`). Those that are GraphQL Node types
# are shown under the type's name, with global IDs that `node(id:)` resolves.
NODE_TARGETS = {
    name.lower(): name
    for name in (
        "User",
        "Department",
        "Group",
        "Invitation",
        "Organization",
        "BackgroundJob",
        "App",
    )
}


@strawberry.type(
    description="One administrative act, recorded in the same transaction as the act. "
    "Append-only: entries are never changed or deleted."
)
class AuditEntry(VisibleNode):
    id: relay.NodeID[int]
    action: str = strawberry.field(
        description="What was done, dotted: e.g. `invitation.create`, `organization.update`."
    )
    target_type: str = strawberry.field(
        description="The kind of object acted on: the GraphQL type name where it is one "
        "(`User`, `Department`, `Group`, `Invitation`, `Organization`)."
    )
    target_id: strawberry.ID | None = strawberry.field(
        description="The object acted on: a global ID when `targetType` is a Node type "
        "(`node(id:)` finds it), else the raw id."
    )
    before: JSON | None = strawberry.field(
        description="The changed fields before the act (null for creations)."
    )
    after: JSON | None = strawberry.field(
        description="The changed fields after the act (null for deletions)."
    )
    request_id: str = strawberry.field(description="The request that did it, for the logs.")
    ip: str = strawberry.field(description="The client's address.")
    user_agent: str = strawberry.field(description="The client's User-Agent.")
    created_at: datetime = strawberry.field(description="When it was done (UTC).")
    actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Who did it; null for the system or a user no longer visible.")
    async def actor(self, info: Info) -> User | None:
        if self.actor_id is None:
            return None
        found = await queries.visible_users(info.context, [self.actor_id])
        return User.from_model(found[0]) if found[0] is not None else None

    @classmethod
    def from_model(cls, e: ma.AuditEntry) -> AuditEntry:
        node_type = NODE_TARGETS.get(e.target_type.lower())
        target: str | None = None
        if e.target_id is not None:
            target = (
                str(relay.GlobalID(node_type, str(e.target_id))) if node_type else str(e.target_id)
            )
        return cls(
            id=e.id,
            action=e.action,
            target_type=node_type or e.target_type,
            target_id=strawberry.ID(target) if target is not None else None,
            before=cast(JSON, e.before),
            after=cast(JSON, e.after),
            request_id=e.request_id,
            ip=e.ip,
            user_agent=e.user_agent,
            created_at=e.created_at,
            actor_id=e.actor_id,
        )

    fetch_visible = staticmethod(log.visible_audit_entries)


# --- organizationUpdate ------------------------------------------------------------------


@strawberry.enum(description="Why `organizationUpdate` failed.")
class OrganizationUpdateErrorCode(Enum):
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The name is empty or longer than 100 characters."
    )
    INVALID_DOMAIN = error_code(AdminErrorCode.INVALID_DOMAIN, "Not a domain name like `acme.com`.")
    TOO_MANY_DOMAINS = error_code(
        AdminErrorCode.TOO_MANY_DOMAINS, "More than 100 allowed email domains."
    )
    INVALID_TIME_ZONE = error_code(AdminErrorCode.INVALID_TIME_ZONE, "Not an IANA time zone name.")
    INVALID_WINDOW = error_code(
        AdminErrorCode.INVALID_WINDOW, "Not between 0 and 10080 minutes (a week)."
    )
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins change its settings."
    )


@strawberry.type(description="A reason why `organizationUpdate` failed.")
class OrganizationUpdateError(MutationError):
    code: OrganizationUpdateErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="The settings to change; fields left out stay as they are.")
class OrganizationUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 100 characters."
    )
    domain: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The primary email domain, e.g. `acme.com`; null or empty clears it.",
    )
    allowed_email_domains: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="At most 100 domains invitations may go to (exact match, any case); "
        "empty allows any.",
    )
    default_time_zone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA zone name for new members."
    )
    message_edit_window_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 10080 (a week)."
    )
    message_recall_window_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 10080 (a week)."
    )


@strawberry.type(description="The result of `organizationUpdate`.")
class OrganizationUpdatePayload:
    organization: Organization | None = strawberry.field(
        default=None, description="The organization as it is now."
    )
    errors: list[OrganizationUpdateError] = strawberry.field(
        description="Why nothing was changed, if so."
    )


_INPUT_FIELDS = (
    "name",
    "domain",
    "allowed_email_domains",
    "default_time_zone",
    "message_edit_window_minutes",
    "message_recall_window_minutes",
)


@strawberry.type
class OrganizationQuery:
    @strawberry.field(
        description="Your organization, or null when signed out.",
        directives=needs("directory:read"),
    )
    async def organization(self, info: Info) -> Organization | None:
        org = await actions.viewer_organization(info.context)
        return Organization.from_model(org) if org is not None else None

    @strawberry.field(
        description="The organization's audit log, newest first. Owner and admins only.",
        directives=needs("admin:read"),
    )
    async def audit_log(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        actor_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only entries by this user (a global ID)."),
        ] = None,
        action: Annotated[
            str | None,
            strawberry.argument(description="Only entries of this action, e.g. `user.create`."),
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Only entries at or after this time (inclusive)."),
        ] = None,
        until: Annotated[
            datetime | None,
            strawberry.argument(description="Only entries before this time (exclusive)."),
        ] = None,
    ) -> Connection[AuditEntry]:
        page = await log.audit_log(
            info.context,
            first=first,
            after=after,
            actor_id=decode_id(actor_id, "User") if actor_id is not None else None,
            filter_actor=actor_id is not None,
            action=action,
            since=since,
            until=until,
        )
        return connection(page, AuditEntry.from_model)


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(
        description="Change the organization's name, domain or settings (owner and admins). "
        "Recorded in the audit log with the values before and after.",
        directives=needs("admin:write"),
    )
    async def organization_update(
        self,
        info: Info,
        input: Annotated[
            OrganizationUpdateInput, strawberry.argument(description="What to change.")
        ],
    ) -> OrganizationUpdatePayload:
        values: dict[str, Any] = {
            name: getattr(input, name)
            for name in _INPUT_FIELDS
            if getattr(input, name) is not strawberry.UNSET
        }
        return await mutate(
            OrganizationUpdatePayload,
            OrganizationUpdateError,
            actions.check_organization_update(info.context, actions.OrganizationChanges(values)),
            lambda org: {"organization": Organization.from_model(org)},
        )
