"""Persisted documents: Apollo's automatic persisted queries (APQ) and apps' trusted documents.

A request names its document by id in ``extensions.persistedQuery.sha256Hash`` (APQ, Apollo's
``PersistedQueryLink``) or in ``documentId`` (the GraphQL-over-HTTP trusted-documents
convention; ``sha256:<hex>`` or an app's own manifest key). ``resolve`` turns the request
into the text to run, before anything else reads it, on every transport (the lean HTTP path,
strawberry's view for streams and uploads, WebSocket ``subscribe`` payloads):

- **APQ.** A hash alone that nobody registered answers ``PERSISTED_QUERY_NOT_FOUND`` (message
  ``PersistedQueryNotFound``: Apollo's link recognises either, and retries with the document);
  a hash that comes with its document is checked against it, and the document is registered
  for every process (``models.persisted.PersistedQuery``; the database is the truth, each
  process keeps an LRU in front). A hit returns the very ``str`` the LRU holds, so the parse,
  plan and validation caches of ``server/limits.py`` find it by identity: no hashing, parsing
  or validating again.
- **Who may register.** Anyone who may run the document, anonymous clients included (Apollo
  hashes ``signIn`` too), but only a document that parses and validates against the schema, is
  at most ``persisted_query_max_bytes`` long, and only after the registrant's rate-limit
  bucket paid ``persisted_query_register_cost`` points on top of the operation: the table
  grows no faster than a client may run new operations, and only with operations that could
  run. A document that is not registered still runs (or fails) as it would without the hash.
- **Trusted documents.** A request made with an app's token (``principal.app_id``), when the
  app is set to trusted documents only or its organization requires them, runs only that
  app's uploaded documents, by id: anything else is ``TRUSTED_DOCUMENT_REQUIRED`` (no id) or
  ``PERSISTED_QUERY_NOT_FOUND`` (an id the app did not upload), before execution. Sign-in
  sessions and personal access tokens are not apps: unaffected. An app not so restricted may
  still call its trusted documents by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from tortoise.exceptions import IntegrityError

from adapters import runtime
from adapters.kv import StoreUnavailable
from models.persisted import PersistedQuery
from resolvers.apps import trusted_documents as trusted
from server.limits import bucket_key, parse_document, validation_errors
from server.rejections import RequestRejected

log = logging.getLogger("hello.persisted")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
TRUSTED_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
MAX_ID = 128
TOUCH_SECONDS = 3600.0
"""``last_used_at`` is written at most this often per document and process."""
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(slots=True)
class Resolved:
    query: str | None
    """The text to run (None: none was sent nor named; the caller answers as before)."""
    by_id: bool = False
    """The text came from the store, not from the request: a GET of it carries an ETag."""


_PLAIN = Resolved(None)


class _Store:
    """The per-process LRU in front of ``persisted_query``: sha256 -> text, and when each
    document's ``last_used_at`` was last written from here."""

    def __init__(self) -> None:
        self.texts: OrderedDict[str, str] = OrderedDict()
        self.touched: dict[str, float] = {}

    def get(self, digest: str) -> str | None:
        text = self.texts.get(digest)
        if text is not None:
            self.texts.move_to_end(digest)
        return text

    def put(self, digest: str, text: str) -> str:
        self.texts[digest] = text
        self.texts.move_to_end(digest)
        size = runtime.current().settings.persisted_query_cache_size
        while len(self.texts) > size:
            gone, _ = self.texts.popitem(last=False)
            self.touched.pop(gone, None)
        return text

    def clear(self) -> None:
        self.texts.clear()
        self.touched.clear()


store = _Store()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def not_found() -> RequestRejected:
    # The message is the one Apollo's links also recognise by itself. 404, as Apollo Server
    # answers it; never cached (it changes once the document is registered).
    return RequestRejected(404, "PersistedQueryNotFound", NOT_FOUND, {"Cache-Control": "no-store"})


def _hash_of(extensions: Any) -> str | None:
    """The sha256Hash an APQ extension names (lower case), None without one; BAD_REQUEST for
    a malformed extension."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(digest, str):
        raise RequestRejected(
            400,
            "extensions.persistedQuery must be an object with a sha256Hash string.",
            "BAD_REQUEST",
        )
    version = persisted.get("version", 1)
    if version != 1:
        raise RequestRejected(
            400, "extensions.persistedQuery.version must be 1.", "PERSISTED_QUERY_NOT_SUPPORTED"
        )
    return digest.lower()


def _check_document_id(document_id: Any) -> str | None:
    if document_id is None:
        return None
    if not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_ID:
        raise RequestRejected(
            400, f"documentId must be a string of 1 to {MAX_ID} characters.", "BAD_REQUEST"
        )
    return document_id


def _sha_of_id(document_id: str) -> str | None:
    """The sha256 a ``documentId`` names, if it names one (``sha256:<hex>`` or bare hex)."""
    raw = document_id.removeprefix("sha256:")
    return raw.lower() if _HEX64.fullmatch(raw) else None


async def resolve(
    query: Any,
    extensions: Any,
    document_id: Any,
    context: Any,
    schema: GraphQLSchema,
) -> Resolved:
    """The document a request runs, as the module docstring says; RequestRejected for a
    request that must not run. A request naming no id, not made by an app, passes untouched."""
    digest = _hash_of(extensions)
    named = _check_document_id(document_id)
    principal = getattr(context, "principal", None)
    app_id = principal.app_id if principal is not None else None
    if digest is None and named is None and app_id is None:
        return _PLAIN
    sent = query if isinstance(query, str) and query else None
    if app_id is not None:
        found = await _trusted(app_id, named, digest, sent)
        if found is not None:
            return found
    if named is not None and digest is None:
        digest = _sha_of_id(named)
        if digest is None:
            raise not_found()  # no app of this token uploaded a document by that id
    if digest is None:
        return Resolved(sent)
    if sent is not None:
        if store.get(digest) != sent:  # a known pair needs no hashing
            if sha256_hex(sent) != digest:
                raise RequestRejected(
                    400,
                    "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.",
                    HASH_MISMATCH,
                )
            await _register(digest, sent, context, schema)
        return Resolved(sent)
    text = await lookup(digest)
    if text is None:
        raise not_found()
    return Resolved(text, by_id=True)


async def _trusted(
    app_id: int, named: str | None, digest: str | None, sent: str | None
) -> Resolved | None:
    """An app's request: its trusted document by id, or the refusal when the app may run
    nothing else; None to go on as any other request."""
    enforced = await trusted.trusted_only(app_id)
    key = named if named is not None else digest
    if key is None:
        if enforced:
            raise RequestRejected(
                400,
                "This app runs only its trusted documents: send a document's id "
                "(documentId, or extensions.persistedQuery.sha256Hash), not its text.",
                TRUSTED_REQUIRED,
            )
        return None
    text = await trusted.find_text(app_id, key, sha256=_sha_of_id(key))
    if text is None:
        if enforced:
            raise not_found()
        return None
    if sent is not None and sent != text:
        raise RequestRejected(
            400, "The document sent is not the trusted document of that id.", HASH_MISMATCH
        )
    return Resolved(text, by_id=sent is None)


async def lookup(digest: str) -> str | None:
    """The registered text of ``digest``: from this process's LRU, else the database."""
    text = store.get(digest)
    if text is None:
        row = await PersistedQuery.filter(sha256=digest).values_list("text", flat=True)
        if not row:
            return None
        text = store.put(digest, str(row[0]))
        store.touched[digest] = time.monotonic()  # read just now: as good as touched
        return text
    now = time.monotonic()
    if now - store.touched.get(digest, 0.0) > TOUCH_SECONDS:
        store.touched[digest] = now
        await PersistedQuery.filter(sha256=digest).update(last_used_at=datetime.now(UTC))
    return text


async def _register(digest: str, text: str, context: Any, schema: GraphQLSchema) -> None:
    """Register ``text`` under ``digest`` for every process, if it may be (module docstring)."""
    services = runtime.current()
    settings = services.settings
    if len(text.encode()) > settings.persisted_query_max_bytes:
        return
    try:
        document = parse_document(text)
    except GraphQLError:
        return  # the operation answers the syntax error itself
    if validation_errors(schema, document, text):
        return
    if await lookup(digest) is not None:
        return  # another client or process registered it already
    cost = settings.persisted_query_register_cost
    if cost:
        try:
            paid = await services.store.take(
                bucket_key(context),
                cost,
                settings.rate_limit_capacity,
                settings.rate_limit_refill_per_second,
            )
        except StoreUnavailable:
            return  # registering can wait for the store; running cannot
        if not paid.allowed:
            return
    # Registered meanwhile by another request: the same text, by its hash.
    with contextlib.suppress(IntegrityError):
        await PersistedQuery.create(sha256=digest, text=text)
    store.put(digest, text)
    store.touched[digest] = time.monotonic()


SWEEP_SECONDS = 3600.0


async def sweep_unused() -> int:
    """Delete APQ documents unused for ``persisted_query_keep_days``; how many went. Safe on
    every process at once. ``last_used_at`` lags by up to ``TOUCH_SECONDS``: far below a day."""
    days = runtime.current().settings.persisted_query_keep_days
    if not days:
        return 0
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await PersistedQuery.filter(last_used_at__lt=cutoff).delete()


async def sweep_forever(interval: float = SWEEP_SECONDS) -> None:
    """Sweep at start-up, then every ``interval`` seconds (from the app's lifespan)."""
    while True:
        try:
            if swept := await sweep_unused():
                log.info("swept unused persisted queries", extra={"count": swept})
        except Exception:
            log.exception("sweeping unused persisted queries failed")
        await asyncio.sleep(interval)
