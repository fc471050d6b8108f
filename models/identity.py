"""Organizations, users and their sign-in sessions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    GUEST = "GUEST"


class SessionKind(StrEnum):
    """How a session's tokens were obtained: what its ``scopes`` and ``app`` mean."""

    SIGN_IN = "SIGN_IN"
    """signIn, signUp, an invitation: the person themselves, every scope their role allows."""
    OAUTH = "OAUTH"
    """The authorization code grant: an app acting for the person, within ``scopes``."""
    CLIENT = "CLIENT"
    """The client credentials grant: an app's tenant token, acting as its bot user."""
    PERSONAL = "PERSONAL"
    """A personal access token for scripts, named, scoped and expiring."""


class TokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class Organization(Model):
    """A tenant: every other object belongs to exactly one."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    domain = fields.CharField(max_length=253, null=True)
    """The primary email domain of the organization, shown in the directory."""
    allowed_email_domains: list[str] = fields.JSONField(default=list)
    """Invitations may only go to these domains; empty allows any."""
    default_time_zone = fields.CharField(max_length=64, default="UTC")
    message_edit_window_minutes = fields.IntField(default=24 * 60)
    message_recall_window_minutes = fields.IntField(default=24 * 60)
    require_trusted_documents = fields.BooleanField(default=False, db_default=False)
    """Every app of the organization runs only its trusted documents (issue 15)."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organization"


class User(Model):
    """A person in one organization. Emails are unique across Hello (stored lower-cased) so that
    signing in by email finds exactly one account."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="users", on_delete=fields.RESTRICT
    )
    organization_id: int
    email = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MEMBER)
    is_active = fields.BooleanField(default=True)
    deactivated_at = fields.DatetimeField(null=True)
    is_bot = fields.BooleanField(default=False, db_default=False)
    """An app's bot user (``models.apps.App.bot_user``): never signs in with a password."""
    must_change_password = fields.BooleanField(default=False)
    """Set when an admin resets the password: the user must choose a new one to go on."""
    time_zone = fields.CharField(max_length=64, default="UTC")
    """IANA zone name."""
    locale = fields.CharField(max_length=16, default="en")
    avatar_file_id = fields.BigIntField(null=True)
    """A Drive file, once Drive exists."""
    manager: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reports", null=True, on_delete=fields.SET_NULL
    )
    manager_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        indexes = (("organization_id", "id"), ("organization_id", "display_name", "id"))


class AuthSession(Model):
    """One sign-in on one device: the family of tokens that rotate from it. Revoking it revokes
    every token it ever issued."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=255, default="")
    ip = fields.CharField(max_length=64, default="")
    kind = fields.CharEnumField(
        SessionKind, max_length=12, default=SessionKind.SIGN_IN, db_default=SessionKind.SIGN_IN
    )
    app: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.App", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    app_id: int | None
    """The app the tokens were issued to (OAUTH, CLIENT), else None."""
    scopes: list[str] | None = fields.JSONField(null=True)
    """What the tokens may do (``resolvers.core.scopes``); None for SIGN_IN: the role decides."""
    name = fields.CharField(max_length=100, default="", db_default="")
    """A personal access token's label."""

    class Meta:
        table = "auth_session"


class AuthToken(Model):
    """An opaque bearer token, stored only as an HMAC of its value."""

    id = fields.BigIntField(primary_key=True)
    session: fields.ForeignKeyRelation[AuthSession] = fields.ForeignKeyField(
        "models.AuthSession", related_name="tokens", on_delete=fields.CASCADE, db_index=True
    )
    session_id: int
    kind = fields.CharEnumField(TokenKind, max_length=8)
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    """Set when a refresh token is exchanged; presenting it again revokes the session."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "auth_token"
