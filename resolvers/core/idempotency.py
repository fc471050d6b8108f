"""Idempotent creation: a retried request with the same ``idempotencyKey`` returns the object
the first one created, never a second one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from tortoise.exceptions import IntegrityError

from models.admin import IdempotencyRecord
from resolvers.core.errors import ValidationFailed
from resolvers.core.tx import transaction

MAX_KEY = 128


class HasId(Protocol):
    id: int


M = TypeVar("M", bound=HasId)


async def once(
    user_id: int,
    operation: str,
    key: str | None,
    create: Callable[[], Awaitable[M]],
    load: Callable[[int], Awaitable[M | None]],
) -> M:
    """Run ``create`` once per (user, operation, key). ``create`` runs inside the transaction
    that records the key, so the object and its record commit together or not at all."""
    if key is None:
        return await create()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(f"Keys have 1 to {MAX_KEY} characters.", field="idempotencyKey")
    previous = await _previous(user_id, operation, key, load)
    if previous is not None:
        return previous
    try:
        async with transaction():
            obj = await create()
            await IdempotencyRecord.create(
                user_id=user_id, operation=operation, key=key, result_id=obj.id
            )
        return obj
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its object.
        previous = await _previous(user_id, operation, key, load)
        if previous is None:
            raise
        return previous


async def _previous(
    user_id: int, operation: str, key: str, load: Callable[[int], Awaitable[M | None]]
) -> M | None:
    record = await IdempotencyRecord.get_or_none(user_id=user_id, operation=operation, key=key)
    return await load(record.result_id) if record is not None else None
