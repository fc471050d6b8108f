"""OAuth 2.1 authorization codes: what the consent page granted, until the app exchanges it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuthorizationCode(Model):
    """A code of the authorization code grant, stored only as an HMAC of its value.

    It lives ``resolvers.apps.oauth.CODE_TTL`` (10 minutes) and works once: ``used_at`` is set
    in the transaction that issues the session, and ``session`` remembers that session so that
    a second use revokes every token issued from the first (RFC 6749 §4.1.2)."""

    id = fields.BigIntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    app: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.App", related_name="authorization_codes", on_delete=fields.CASCADE
    )
    app_id: int
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="authorization_codes", on_delete=fields.CASCADE
    )
    user_id: int
    redirect_uri = fields.CharField(max_length=2000)
    scopes: list[str] = fields.JSONField(default=list)
    """What the person granted: requested, within the app's scopes and their role's."""
    code_challenge = fields.CharField(max_length=128)
    code_challenge_method = fields.CharField(max_length=8, default="S256")
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    session: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.AuthSession",
        related_name="authorization_codes",
        null=True,
        on_delete=fields.SET_NULL,
    )
    session_id: int | None
    """The session issued from this code, once it was exchanged."""
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_authorization_code"
