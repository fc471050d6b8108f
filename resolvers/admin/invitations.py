"""Invitations: an admin invites an email address with a role; whoever holds the single-use
token may join the organization with it, once, within seven days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.admin import Department as DepartmentModel
from models.admin import DepartmentMember, Invitation
from models.identity import AuthSession, Organization, Role, User
from resolvers.admin.access import (
    access_departments,
    lock_organization,
    refuse_guest_in_departments,
    require_admin,
)
from resolvers.admin.audit import audit, snapshot
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.clock import now
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, NotFound, collect
from resolvers.core.idempotency import once, retry_safe_token
from resolvers.core.loaders import by_key
from resolvers.core.pagination import Page, paginate
from resolvers.core.tx import transaction
from resolvers.identity import events
from resolvers.identity.actions import SignedIn
from resolvers.identity.passwords import hash_password
from resolvers.identity.tokens import issue_pair, token_hash
from resolvers.identity.validation import (
    email_errors,
    name_errors,
    normalize_email,
    password_errors,
)

TOKEN_PREFIX = "hli_"
TTL = timedelta(days=7)
MAX_TOKEN = 128
AUDITED = ("email", "role", "department_ids", "expires_at")


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


def status_of(invitation: Invitation) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= now():
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def _status_filter(status: InvitationStatus) -> Q:
    if status == InvitationStatus.ACCEPTED:
        return Q(accepted_at__isnull=False)
    if status == InvitationStatus.REVOKED:
        return Q(revoked_at__isnull=False, accepted_at__isnull=True)
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    if status == InvitationStatus.EXPIRED:
        return open_ & Q(expires_at__lte=now())
    return open_ & Q(expires_at__gt=now())


def new_token(user_id: int, idempotency_key: str | None) -> str:
    """A random token, or for a retried ``invitationCreate`` the first call's (only an HMAC of
    the token is stored)."""
    return retry_safe_token(TOKEN_PREFIX, "hello-invitation-token", idempotency_key, user_id)


# --- reads -------------------------------------------------------------------------------


async def invitations_by_id(ids: list[int]) -> Sequence[Invitation | None]:
    return by_key(await Invitation.filter(id__in=ids), ids)


async def visible_invitations(ctx: Context, ids: list[int]) -> list[Invitation | None]:
    """Invitations as the viewer may see them: admins of the same organization only."""
    principal = ctx.principal
    if principal is None or principal.user.role not in (Role.OWNER, Role.ADMIN):
        return [None] * len(ids)
    found = await ctx.loaders.get(invitations_by_id).load_many(ids)
    return [
        i if i is not None and i.organization_id == principal.organization_id else None
        for i in found
    ]


async def invitations(
    ctx: Context, *, first: int | None, after: str | None, status: InvitationStatus | None
) -> Page[Invitation]:
    """The organization's invitations, newest first."""
    principal = require_admin(ctx)
    qs = Invitation.filter(organization_id=principal.organization_id)
    if status is not None:
        qs = qs.filter(_status_filter(status))
    # Ids grow with creation, so ordering by id alone is newest first and a unique keyset.
    return await paginate(qs, order=["-id"], first=first, after=after)


async def access_invitation(
    ctx: Context, invitation_id: int | None, *, field: str = "invitationId"
) -> Invitation:
    principal = require_admin(ctx)
    invitation = (
        await Invitation.get_or_none(id=invitation_id, organization_id=principal.organization_id)
        if invitation_id is not None
        else None
    )
    if invitation is None:
        raise NotFound(field=field)
    return invitation


# --- create ------------------------------------------------------------------------------


def _domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1]


async def check_invitation_create(
    ctx: Context,
    *,
    email: str,
    role: Role,
    department_ids: list[int | None],
    idempotency_key: str | None,
) -> tuple[Invitation, str]:
    """Validate and create an invitation; returns it with its token (the only time the token
    exists outside the invitee's hands)."""
    principal = require_admin(ctx)
    org_id = principal.organization_id
    token = new_token(principal.user_id, idempotency_key)

    async def create() -> Invitation:
        # Validation runs inside ``once``: a retry of a call that succeeded must get the first
        # invitation back even if the email has been taken since (by accepting it).
        address = normalize_email(email)
        errors = email_errors(address)
        if role == Role.OWNER:
            errors.append(
                DomainError(
                    "Nobody is invited as the owner; transfer ownership instead.",
                    field="role",
                    code=AdminErrorCode.INVALID_ROLE,
                )
            )
        collect(errors)
        refuse_guest_in_departments(role, [d for d in department_ids if d is not None])
        if None in department_ids:
            raise NotFound(field="departmentIds")
        departments = await access_departments(
            ctx, [d for d in department_ids if d is not None], field="departmentIds"
        )
        org = await Organization.get(id=org_id)
        allowed = [d.lower() for d in org.allowed_email_domains or []]
        if allowed and _domain_of(address) not in allowed:
            raise DomainError(
                "This organization invites only addresses of its allowed email domains.",
                field="email",
                code=AdminErrorCode.DOMAIN_NOT_ALLOWED,
            )
        if await User.filter(email=address).exists():
            raise DomainError(
                "An account with this email exists already.",
                field="email",
                code=AdminErrorCode.EMAIL_TAKEN,
            )
        return await do_invitation_create(
            ctx,
            email=address,
            role=role,
            department_ids=[d.id for d in departments],
            token=token,
        )

    async def load(pk: int) -> Invitation | None:
        return await Invitation.get_or_none(id=pk, organization_id=org_id)

    fields = {
        "email": normalize_email(email),
        "role": role,
        "departmentIds": {d or 0 for d in department_ids},
    }
    invitation = await once(
        principal.user_id, "invitationCreate", idempotency_key, create, load, input=fields
    )
    return invitation, token


async def do_invitation_create(
    ctx: Context, *, email: str, role: Role, department_ids: list[int], token: str
) -> Invitation:
    principal = require_admin(ctx)
    async with transaction():
        invitation = await Invitation.create(
            organization_id=principal.organization_id,
            email=email,
            role=role,
            department_ids=department_ids,
            token_hash=token_hash(token),
            invited_by_id=principal.user_id,
            expires_at=now() + TTL,
        )
        await audit(
            ctx,
            "invitation.create",
            "invitation",
            invitation.id,
            after=snapshot(invitation, AUDITED),
        )
    return invitation


# --- revoke ------------------------------------------------------------------------------


async def check_invitation_revoke(ctx: Context, invitation_id: int | None) -> Invitation:
    invitation = await access_invitation(ctx, invitation_id)
    if invitation.accepted_at is not None:
        raise DomainError(
            "This invitation was accepted already; deactivate the user instead.",
            field="invitationId",
            code=AdminErrorCode.ALREADY_ACCEPTED,
        )
    if invitation.revoked_at is not None:
        return invitation  # revoking twice changes nothing (and records nothing)
    return await do_invitation_revoke(ctx, invitation)


async def do_invitation_revoke(ctx: Context, invitation: Invitation) -> Invitation:
    async with transaction():
        # Conditional: an accept that commits first wins, and the revoke then reports it.
        revoked = await Invitation.filter(
            id=invitation.id, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now())
        fresh = await Invitation.get(id=invitation.id)
        if revoked:
            await audit(
                ctx,
                "invitation.revoke",
                "invitation",
                invitation.id,
                before={"revoked_at": None},
                after=snapshot(fresh, ["revoked_at"]),
            )
    if fresh.accepted_at is not None:
        raise DomainError(
            "This invitation was accepted already.",
            field="invitationId",
            code=AdminErrorCode.ALREADY_ACCEPTED,
        )
    return fresh


# --- accept ------------------------------------------------------------------------------

_UNUSABLE = {
    InvitationStatus.ACCEPTED: (
        AdminErrorCode.INVITATION_USED,
        "This invitation was used already.",
    ),
    InvitationStatus.REVOKED: (AdminErrorCode.INVITATION_REVOKED, "This invitation was revoked."),
    InvitationStatus.EXPIRED: (AdminErrorCode.INVITATION_EXPIRED, "This invitation has expired."),
}


def _unusable(invitation: Invitation | None) -> DomainError:
    if invitation is None:
        return DomainError(
            "This invitation token is not valid.",
            field="token",
            code=AdminErrorCode.INVALID_INVITATION,
        )
    code, message = _UNUSABLE.get(
        status_of(invitation),
        (AdminErrorCode.INVALID_INVITATION, "This invitation token is not valid."),
    )
    return DomainError(message, field="token", code=code)


async def _find(token: str) -> Invitation | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN:
        return None
    return await Invitation.get_or_none(token_hash=token_hash(token))


async def check_invitation_accept(
    ctx: Context, *, token: str, display_name: str, password: str
) -> SignedIn:
    """Join with an invitation token: needs no sign-in. The invitation's email becomes the
    account's email, so only its holder's mailbox can prove the address."""
    invitation = await _find(token)
    if invitation is None or status_of(invitation) != InvitationStatus.PENDING:
        raise _unusable(invitation)
    collect(
        name_errors(display_name, "displayName")
        + password_errors(password, invitation.email, "password")
    )
    if await User.filter(email=invitation.email).exists():
        raise DomainError(
            "An account with this email exists already; sign in instead.",
            field="token",
            code=AdminErrorCode.EMAIL_TAKEN,
        )
    password_hash = await hash_password(password)  # slow: outside the transaction
    return await do_invitation_accept(ctx, invitation, display_name.strip(), password_hash)


async def do_invitation_accept(
    ctx: Context, invitation: Invitation, display_name: str, password_hash: str
) -> SignedIn:
    org = await Organization.get(id=invitation.organization_id)
    try:
        async with transaction() as tx:
            # Single use: of two concurrent accepts exactly one claims the row; the other
            # updates nothing and creates nothing.
            claimed = await Invitation.filter(
                id=invitation.id,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now(),
            ).update(accepted_at=now())
            if not claimed:
                raise _unusable(await Invitation.get_or_none(id=invitation.id))
            user = await User.create(
                organization_id=org.id,
                email=invitation.email,
                display_name=display_name,
                password_hash=password_hash,
                role=invitation.role,
                time_zone=org.default_time_zone,
            )
            await Invitation.filter(id=invitation.id).update(accepted_user_id=user.id)
            # Departments deleted since the invitation was sent are skipped, not an error; the
            # lock keeps one from being deleted between this read and the insert.
            if invitation.department_ids:
                await lock_organization(org.id)
            departments = await DepartmentModel.filter(
                id__in=invitation.department_ids or [], organization_id=org.id
            ).values_list("id", flat=True)
            await DepartmentMember.bulk_create(
                [DepartmentMember(department_id=d, user_id=user.id) for d in departments]
            )
            await audit(
                ctx,
                "invitation.accept",
                "invitation",
                invitation.id,
                before={"accepted_at": None},
                after={
                    "accepted_user_id": user.id,
                    "email": user.email,
                    "role": user.role,
                    "department_ids": sorted(int(d) for d in departments),  # type: ignore[call-overload]
                },
                organization_id=org.id,
                actor_id=user.id,
            )
            session = await AuthSession.create(
                user=user, user_agent=ctx.meta.user_agent[:255], ip=ctx.meta.ip[:64]
            )
            tokens = await issue_pair(session)
            tx.publish(events.organization_channel(org.id), events.member_joined(user))
    except IntegrityError as e:  # the email was taken by a sign-up in the meantime
        raise DomainError(
            "An account with this email exists already; sign in instead.",
            field="token",
            code=AdminErrorCode.EMAIL_TAKEN,
        ) from e
    return SignedIn(user, org, tokens)
