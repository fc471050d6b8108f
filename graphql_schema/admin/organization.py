"""Admin: the organization settings, and the audit log. (Scaffold: the settings type is real;
replace the placeholder fields with the real API.)"""

from __future__ import annotations

import strawberry

from models import identity as m


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

    @classmethod
    def from_model(cls, org: m.Organization) -> OrganizationSettings:
        return cls(
            allowed_email_domains=list(org.allowed_email_domains or []),
            default_time_zone=org.default_time_zone,
            message_edit_window_minutes=org.message_edit_window_minutes,
            message_recall_window_minutes=org.message_recall_window_minutes,
        )


@strawberry.type
class OrganizationQuery:
    @strawberry.field(description="Placeholder until the organization API lands.")
    def placeholder_organization_query(self) -> bool:
        return False


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(description="Placeholder until the organization API lands.")
    def placeholder_organization_mutation(self) -> bool:
        return False
