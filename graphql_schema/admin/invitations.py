"""Admin: invitations to join the organization, and accepting one."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.admin.departments import Department
from graphql_schema.admin.error_values import EMAIL_TAKEN, GUEST_NOT_ALLOWED
from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, decode_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.error_values import DISPLAY_INVALID_NAME, INVALID_EMAIL, WEAK_PASSWORD
from graphql_schema.identity.mutations import AuthPayloadFields, signed_in_fields
from graphql_schema.identity.types import RoleEnum, User
from models import admin as m
from models.identity import Role
from resolvers.admin import invitations as actions
from resolvers.admin.access import check_id_count
from resolvers.admin.errors import AdminErrorCode
from resolvers.admin.loaders import departments_by_id
from resolvers.core.errors import CoreErrorCode
from resolvers.identity import queries


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not used yet and still valid.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Someone joined with it.")
    REVOKED = strawberry.enum_value("REVOKED", description="An admin revoked it before use.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not used within seven days.")


@strawberry.type(description="An invitation to join the organization with a role.")
class Invitation(VisibleNode):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The invited address; the account gets this email.")
    role: RoleEnum = strawberry.field(description="The role the new member gets.")
    status: InvitationStatus = strawberry.field(description="Where the invitation stands now.")
    expires_at: datetime = strawberry.field(description="Unusable from this time on (UTC).")
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")
    organization_id: strawberry.Private[int]
    invited_by_id: strawberry.Private[int | None]
    department_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The admin who sent it, if still visible to you.")
    async def invited_by(self, info: Info) -> User | None:
        if self.invited_by_id is None:
            return None
        found = await queries.visible_users(info.context, [self.invited_by_id])
        return User.from_model(found[0]) if found[0] is not None else None

    @strawberry.field(
        description="Departments the new member will sit in (deleted ones are left out)."
    )
    async def departments(self, info: Info) -> list[Department]:
        rows = await info.context.loaders.get(departments_by_id).load_many(self.department_ids)
        return [
            Department.from_model(d)
            for d in rows
            if d is not None and d.organization_id == self.organization_id
        ]

    @classmethod
    def from_model(cls, inv: m.Invitation) -> Invitation:
        return cls(
            id=inv.id,
            email=inv.email,
            role=RoleEnum(inv.role.value if isinstance(inv.role, Role) else inv.role),
            status=InvitationStatus(actions.status_of(inv).value),
            expires_at=inv.expires_at,
            created_at=inv.created_at,
            organization_id=inv.organization_id,
            invited_by_id=inv.invited_by_id,
            department_ids=list(inv.department_ids or []),
        )

    fetch_visible = staticmethod(actions.visible_invitations)


# --- errors --------------------------------------------------------------------------------


@strawberry.enum(description="Why `invitationCreate` failed.")
class InvitationCreateErrorCode(Enum):
    GUEST_NOT_ALLOWED = GUEST_NOT_ALLOWED
    INVALID_EMAIL = INVALID_EMAIL
    EMAIL_TAKEN = EMAIL_TAKEN
    DOMAIN_NOT_ALLOWED = error_code(
        AdminErrorCode.DOMAIN_NOT_ALLOWED,
        "The organization allows only some email domains, and not this one.",
    )
    INVALID_ROLE = error_code(
        AdminErrorCode.INVALID_ROLE, "Nobody is invited as OWNER; transfer ownership instead."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "Your role may not invite, or not with this role; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "A department named does not exist or you cannot see it (the two answer "
        "alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `invitationCreate` failed.")
class InvitationCreateError(MutationError):
    code: InvitationCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `invitationRevoke` failed.")
class InvitationRevokeErrorCode(Enum):
    ALREADY_ACCEPTED = error_code(
        AdminErrorCode.ALREADY_ACCEPTED, "Someone joined with it already; deactivate them instead."
    )
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins revoke invitations."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The invitation does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.type(description="A reason why `invitationRevoke` failed.")
class InvitationRevokeError(MutationError):
    code: InvitationRevokeErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.enum(description="Why `invitationAccept` failed.")
class InvitationAcceptErrorCode(Enum):
    INVALID_INVITATION = error_code(
        AdminErrorCode.INVALID_INVITATION, "No invitation has this token."
    )
    INVITATION_EXPIRED = error_code(
        AdminErrorCode.INVITATION_EXPIRED, "The invitation was not used within seven days."
    )
    INVITATION_REVOKED = error_code(
        AdminErrorCode.INVITATION_REVOKED, "An admin revoked the invitation."
    )
    INVITATION_USED = error_code(
        AdminErrorCode.INVITATION_USED, "Someone joined with this invitation already."
    )
    EMAIL_TAKEN = error_code(
        AdminErrorCode.EMAIL_TAKEN, "An account with the invited email exists already."
    )
    WEAK_PASSWORD = WEAK_PASSWORD
    INVALID_NAME = DISPLAY_INVALID_NAME


@strawberry.type(description="A reason why `invitationAccept` failed.")
class InvitationAcceptError(MutationError):
    code: InvitationAcceptErrorCode = strawberry.field(description="What went wrong, for programs.")


# --- inputs and payloads -----------------------------------------------------------------


@strawberry.input(description="Whom to invite, and as what.")
class InvitationCreateInput:
    email: str = strawberry.field(description="The address to invite, at most 254 characters.")
    role: RoleEnum = strawberry.field(description="ADMIN, MEMBER or GUEST (not OWNER).")
    department_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Departments the new member will sit in; at most 100."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key (1 to 128 characters) returns the first "
        "invitation and its token instead of sending a second one.",
    )


@strawberry.input(description="The invitation to revoke.")
class InvitationRevokeInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation's global ID.")


@strawberry.input(description="An invitation token and the new account's details.")
class InvitationAcceptInput:
    token: str = strawberry.field(description="The token from the invitation.")
    display_name: str = strawberry.field(description="Your name, 1 to 100 characters.")
    password: str = strawberry.field(
        description="At least 10 characters (at most 1024), not equal to the email."
    )


@strawberry.type(description="The result of `invitationCreate`.")
class InvitationCreatePayload:
    invitation: Invitation | None = strawberry.field(
        default=None, description="The new invitation."
    )
    token: str | None = strawberry.field(
        default=None,
        description="The secret to hand to the invitee; shown only here (Hello keeps only a "
        "hash). Whoever holds it may join once with `invitationAccept`.",
    )
    errors: list[InvitationCreateError] = strawberry.field(description="Why nothing was sent.")


@strawberry.type(description="The result of `invitationRevoke`.")
class InvitationRevokePayload:
    invitation: Invitation | None = strawberry.field(
        default=None, description="The invitation, now REVOKED."
    )
    errors: list[InvitationRevokeError] = strawberry.field(description="Why it was not revoked.")


@strawberry.type(description="The result of `invitationAccept`: the new member, signed in.")
class InvitationAcceptPayload(AuthPayloadFields):
    errors: list[InvitationAcceptError] = strawberry.field(description="Why nobody joined, if so.")


def _role(value: RoleEnum) -> Role:
    return Role(value.name)  # the GraphQL enum mirrors the model's by name


@strawberry.type
class InvitationsQuery:
    @strawberry.field(
        description="The organization's invitations, newest first. Owner and admins only.",
        directives=needs("admin:read"),
    )
    async def invitations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        status: Annotated[
            InvitationStatus | None,
            strawberry.argument(description="Only invitations in this state."),
        ] = None,
    ) -> Connection[Invitation]:
        page = await actions.invitations(
            info.context,
            first=first,
            after=after,
            status=actions.InvitationStatus(status.name) if status else None,
        )
        return connection(page, Invitation.from_model)


@strawberry.type
class InvitationsMutation:
    @strawberry.mutation(
        description="Invite an email address with a role (owner and admins). The token in the "
        "payload is valid once, for seven days.",
        directives=needs("admin:write"),
    )
    async def invitation_create(
        self,
        info: Info,
        input: Annotated[InvitationCreateInput, strawberry.argument(description="Whom and how.")],
    ) -> InvitationCreatePayload:
        ids = input.department_ids or []
        check_id_count(ids, "departmentIds")
        department_ids = [decode_id(d, "Department") for d in ids]

        def build(result: tuple[m.Invitation, str]) -> dict[str, Any]:
            return {"invitation": Invitation.from_model(result[0]), "token": result[1]}

        return await mutate(
            InvitationCreatePayload,
            InvitationCreateError,
            actions.check_invitation_create(
                info.context,
                email=input.email,
                role=_role(input.role),
                department_ids=department_ids,
                idempotency_key=input.idempotency_key,
            ),
            build,
        )

    @strawberry.mutation(
        description="Revoke an invitation (owner and admins): its token stops working. Revoking "
        "a revoked invitation changes nothing.",
        directives=needs("admin:write"),
    )
    async def invitation_revoke(
        self,
        info: Info,
        input: Annotated[InvitationRevokeInput, strawberry.argument(description="Which one.")],
    ) -> InvitationRevokePayload:
        invitation_id = decode_id(input.invitation_id, "Invitation")
        return await mutate(
            InvitationRevokePayload,
            InvitationRevokeError,
            actions.check_invitation_revoke(info.context, invitation_id),
            lambda inv: {"invitation": Invitation.from_model(inv)},
        )

    @strawberry.mutation(
        description="Join the organization with an invitation token, and sign in. Needs no "
        "access token. Each invitation works once."
    )
    async def invitation_accept(
        self,
        info: Info,
        input: Annotated[
            InvitationAcceptInput, strawberry.argument(description="Token and account details.")
        ],
    ) -> InvitationAcceptPayload:
        return await mutate(
            InvitationAcceptPayload,
            InvitationAcceptError,
            actions.check_invitation_accept(
                info.context,
                token=input.token,
                display_name=input.display_name,
                password=input.password,
            ),
            signed_in_fields,
        )
