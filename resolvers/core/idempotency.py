"""One idempotency rule for every mutation that takes an ``idempotencyKey``.

- The same key with the same input returns the object the first call created: no second
  object, no second event.
- The same key with other input is IDEMPOTENCY_KEY_REUSED, a payload error of the mutation.
- Keys are scoped to the principal and the operation: one person's ``messageSend`` key never
  meets another person's, nor their own ``folderCreate`` key.
- A record stores an HMAC of the normalized input (the resolver's arguments after defaults,
  ids as database ids, sets sorted), keyed by the server secret: some inputs hold passwords,
  and a copy of the database must not let anyone test guesses against them.
- Concurrent retries with one key make one object. The key is claimed first, in the
  transaction that creates the object: a second claimant waits on the unique index (PostgreSQL)
  or on the transaction lock (SQLite) and, once the first commits, gets the constraint error
  before running its own creation, then answers from the record.
- Keys are kept for ``KEEP`` (7 days), then swept (``sweep_forever``). Clients retry within
  seconds, but a phone's outbox may hold a message over a long weekend offline and must not
  post it twice when it comes back; past a week a retry is a new request. A key older than
  that answers nothing even before the sweep has run, so the rule does not depend on its timing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Protocol, TypeVar

from tortoise.exceptions import IntegrityError

from adapters.settings import get_settings
from models.core import IdempotencyRecord
from resolvers.core.errors import CoreErrorCode, DomainError, ValidationFailed
from resolvers.core.tx import transaction

log = logging.getLogger("hello.idempotency")

MAX_KEY = 128
KEEP = timedelta(days=7)
SWEEP_INTERVAL_SECONDS = 3600.0
# Put in every error enum of a mutation that takes a key (graphql_schema/core/idempotency.py).
KEY_REUSED_DESCRIPTION = (
    "This `idempotencyKey` was used before with other input, or for an object that no longer "
    "exists; a new request needs a new key."
)


class HasId(Protocol):
    id: int


M = TypeVar("M", bound=HasId)


class KeyReused(DomainError):
    code = CoreErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = "This idempotencyKey was used with other input; use a new key."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, field="idempotencyKey")


def _plain(value: object) -> object:
    """JSON for the values resolvers take besides JSON's own."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"no canonical form for {type(value).__name__} in an idempotent input")


def fingerprint(operation: str, input: Mapping[str, object]) -> str:
    """An HMAC of the operation and its normalized input: canonical JSON, keys sorted, so the
    same request always gives the same fingerprint, on any process."""
    canonical = json.dumps(
        input, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    secret = get_settings().resolved_secret_key().encode()
    return hmac.new(secret, f"{operation}\0{canonical}".encode(), hashlib.sha256).hexdigest()


def _cutoff() -> datetime:
    return datetime.now(UTC) - KEEP


async def once(
    user_id: int,
    operation: str,
    key: str | None,
    create: Callable[[], Awaitable[M]],
    load: Callable[[int], Awaitable[M | None]],
    *,
    input: Mapping[str, object],
) -> M:
    """Run ``create`` once per (user, operation, key) and ``input``. ``create`` runs inside the
    transaction that records the key, so the object and its record commit together or not at
    all. ``input`` is what makes two calls the same request: every argument that shapes the
    result, normalized (defaults applied, ids as database ids, unordered lists sorted)."""
    if key is None:
        return await create()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(f"Keys have 1 to {MAX_KEY} characters.", field="idempotencyKey")
    digest = fingerprint(operation, input)
    previous = await _replay(user_id, operation, key, digest, load)
    if previous is not None:
        return previous
    try:
        async with transaction():
            # An expired record answers nothing; it gives its key up here, before the sweep.
            await IdempotencyRecord.filter(
                user_id=user_id, operation=operation, key=key, created_at__lt=_cutoff()
            ).delete()
            # Claimed before the work: a concurrent claimant stops here (see the docstring).
            record = await IdempotencyRecord.create(
                user_id=user_id, operation=operation, key=key, result_id=0, fingerprint=digest
            )
            obj = await create()
            record.result_id = obj.id
            await record.save(update_fields=["result_id"])
        return obj
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as a retry would.
        previous = await _replay(user_id, operation, key, digest, load)
        if previous is None:
            raise  # another constraint of the creation itself
        return previous


async def _replay(
    user_id: int,
    operation: str,
    key: str,
    digest: str,
    load: Callable[[int], Awaitable[M | None]],
) -> M | None:
    """The first result for this key, None if the key is free; KeyReused for other input."""
    record = await IdempotencyRecord.get_or_none(
        user_id=user_id, operation=operation, key=key, created_at__gte=_cutoff()
    )
    if record is None:
        return None
    if record.fingerprint and not hmac.compare_digest(record.fingerprint, digest):
        raise KeyReused()
    obj = await load(record.result_id)
    if obj is None:
        # Deleted since, or no longer yours to see: the first result cannot be given again, and
        # making a second object would break the rule.
        raise KeyReused("This idempotencyKey made an object that is gone; use a new key.")
    return obj


async def sweep_expired() -> int:
    """Delete the records older than ``KEEP``; returns how many went. Safe on every process at
    once (a plain DELETE by the indexed ``created_at``)."""
    return await IdempotencyRecord.filter(created_at__lt=_cutoff()).delete()


async def sweep_forever(interval: float = SWEEP_INTERVAL_SECONDS) -> None:
    """Sweep at start-up, then every ``interval`` seconds (from the app's lifespan)."""
    while True:
        try:
            if swept := await sweep_expired():
                log.info("swept expired idempotency keys", extra={"count": swept})
        except Exception:
            log.exception("sweeping expired idempotency keys failed")
        await asyncio.sleep(interval)


def retry_safe_token(prefix: str, purpose: str, idempotency_key: str | None, *scope: object) -> str:
    """A random token; with an idempotency key, one derived from the key (and ``scope``) under
    the server secret. Only a hash of such tokens is stored, so a retried creation could not
    return the first call's token otherwise: deriving it lets the retry answer with the same
    token without keeping it anywhere. It stays unguessable without the server secret."""
    if idempotency_key is None:
        return prefix + secrets.token_urlsafe(32)
    secret = get_settings().resolved_secret_key().encode()
    message = "\0".join([purpose, *map(str, scope), idempotency_key]).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")
