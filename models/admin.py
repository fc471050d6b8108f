"""The directory around users: departments, groups, invitations and the audit log."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.identity import Organization, Role, User


class Department(Model):
    """A node of the department tree of an organization."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="departments", on_delete=fields.RESTRICT
    )
    organization_id: int
    parent: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    name = fields.CharField(max_length=100)
    leader: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="led_departments", null=True, on_delete=fields.SET_NULL
    )
    leader_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "department"
        indexes = (("organization_id", "parent_id", "name"),)


class DepartmentMember(Model):
    """A user sits in a department (a user may sit in several)."""

    id = fields.BigIntField(primary_key=True)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="memberships", on_delete=fields.CASCADE
    )
    department_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="department_memberships",
        on_delete=fields.CASCADE,
        db_index=True,
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "department_member"
        unique_together = (("department_id", "user_id"),)


class Group(Model):
    """A user group independent of the department tree."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="groups", on_delete=fields.RESTRICT
    )
    organization_id: int
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_group"
        indexes = (("organization_id", "name"),)


class GroupMember(Model):
    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "models.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="group_memberships", on_delete=fields.CASCADE, db_index=True
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_group_member"
        unique_together = (("group_id", "user_id"),)


class Invitation(Model):
    """A single-use invitation to join an organization. The token is stored as an HMAC only."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="invitations", on_delete=fields.RESTRICT
    )
    organization_id: int
    email = fields.CharField(max_length=254)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MEMBER)
    department_ids: list[int] = fields.JSONField(default=list)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    invited_by_id: int | None
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="accepted_invitation", null=True, on_delete=fields.SET_NULL
    )
    accepted_user_id: int | None
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitation"
        indexes = (("organization_id", "email"),)


class AuditEntry(Model):
    """One administrative act. Append-only: nothing in Hello updates or deletes these rows."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="audit_entries", on_delete=fields.RESTRICT
    )
    organization_id: int
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=64)
    """Dotted, e.g. ``user.create``, ``department.move``."""
    target_type = fields.CharField(max_length=32)
    target_id = fields.BigIntField(null=True)
    before: dict[str, object] | None = fields.JSONField(null=True)
    after: dict[str, object] | None = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, default="")
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
        indexes = (("organization_id", "created_at", "id"), ("organization_id", "action"))
