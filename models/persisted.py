"""Persisted documents: the automatic persisted queries every client may register (Apollo's
APQ), and the trusted documents an app uploads (issue 15, part 3). The database is the truth;
each process keeps a small LRU in front (``server/persisted.py``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PersistedQuery(Model):
    """One GraphQL document registered by its SHA-256 (lower-case hex), shared by every client
    and every process: the text depends on nobody, only what runs it does."""

    id = fields.BigIntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, unique=True)
    """Lower-case hex. Unique rather than the primary key: SQLite and PostgreSQL then index it
    alike (tests/test_migrations.py compares their schemas)."""
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(auto_now_add=True)
    """Touched at most once an hour per process, for a sweep of documents nobody uses."""

    class Meta:
        table = "persisted_query"


class TrustedDocument(Model):
    """One operation of a manifest uploaded by an app: the id the app sends (a sha256 from
    the client preset of GraphQL Codegen, or the id Relay made) and its text."""

    id = fields.BigIntField(primary_key=True)
    app: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.App", related_name="trusted_documents", on_delete=fields.CASCADE
    )
    app_id: int
    document_id = fields.CharField(max_length=128)
    """The key in the manifest, as clients send it (``documentId`` or the persisted-query hash)."""
    sha256 = fields.CharField(max_length=64)
    """The SHA-256 of ``text``: APQ clients send this whatever the keys of the manifest are."""
    text = fields.TextField()
    operation_name = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_document"
        unique_together = (("app_id", "document_id"),)
        indexes = (("app_id", "sha256"),)
