"""The Open Platform: apps that act in an organization through tokens, as their bot user or
on behalf of the people who granted them access (issue 15)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class App(Model):
    """An app registered by an admin of one organization.

    Its OAuth client id is public; its client secret is shown once and stored only as an HMAC
    (``resolvers.identity.tokens.token_hash``), like every other secret of Hello. Its bot user
    is a ``User`` with ``is_bot`` set: it can be added to chats like a person, and the tenant
    token of the client-credentials grant signs in as it."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Organization", related_name="apps", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    avatar_file_id = fields.BigIntField(null=True)
    """A Drive file shown as the app's and its bot's picture."""
    scopes: list[str] = fields.JSONField(default=list)
    """What the app may ask for (``resolvers.core.scopes.SCOPES`` names). A token issued to
    the app never carries more."""
    redirect_uris: list[str] = fields.JSONField(default=list)
    """Exact redirect URIs of the authorization code grant (no wildcards, compared as strings)."""
    client_id = fields.CharField(max_length=64, unique=True)
    client_secret_hash = fields.CharField(max_length=64)
    bot_user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="bot_apps", on_delete=fields.RESTRICT
    )
    bot_user_id: int
    created_by_id = fields.BigIntField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    """A disabled app's tokens are refused and its grants fail; deleting is disabling."""
    trusted_documents_only = fields.BooleanField(default=False, db_default=False)
    """When set, tokens of this app run only its trusted documents, by id."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "app"
        indexes = (("organization_id", "id"),)
