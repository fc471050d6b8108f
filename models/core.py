"""What every module's models share: idempotency records for retried creations (README,
"Idempotency"; resolvers/core/idempotency.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.identity import User


class IdempotencyRecord(Model):
    """The object a creating mutation made for an idempotency key, so a retry returns it."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idempotency_records", on_delete=fields.CASCADE
    )
    user_id: int
    operation = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128)
    result_id = fields.BigIntField()
    # An HMAC of the normalized input (resolvers/core/idempotency.py): the same key with other
    # input is refused. Empty for records written before it existed; those match any input.
    fingerprint = fields.CharField(max_length=64, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("user_id", "operation", "key"),)
        # For the sweep of expired keys.
        indexes = (("created_at",),)
