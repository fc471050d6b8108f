"""Trusted documents: the operations an app uploads (a manifest of id -> document), and the
settings that make its tokens run only those (issue 15, part 3).

| act                                                  | OWNER | ADMIN | MEMBER | GUEST |
|------------------------------------------------------|-------|-------|--------|-------|
| upload, list, delete an app's trusted documents      | yes   | yes   | no     | no    |
| set an app to trusted documents only                 | yes   | yes   | no     | no    |
| require trusted documents of every app of the org    | yes   | yes   | no     | no    |

Another organization's app is NOT_FOUND (``access_app``). A manifest is the JSON GraphQL
Codegen's client preset writes (``persisted-documents.json``: sha256 -> document), Relay's
``--persist-output`` (id -> text), or Apollo's persisted query manifest (``{"format":
"apollo-persisted-query-manifest", "operations": [{"id", "body"}]}``). Every document must parse
and validate against the schema and hold an operation; a key that is a 64-hex sha256 must be its
document's. Anything wrong is a typed error naming the entry, and nothing is stored.

The server (``server/persisted.py``) asks ``trusted_only`` and ``find_text`` on every request
made with an app's token; both are answered from memory for ``trusted_documents_policy_seconds``
(the database is the truth: a change made on another process is seen within that time, one made
here at once).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, validate
from tortoise.expressions import Q

from adapters import runtime
from models.apps import App
from models.identity import Organization
from models.persisted import TrustedDocument
from resolvers.apps.apps import access_app, require_app_admin
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.context import Context
from resolvers.core.errors import DomainError, DomainErrors, ValidationFailed
from resolvers.core.idempotency import once
from resolvers.core.pagination import Page, paginate
from resolvers.core.principal import require_principal
from resolvers.core.tx import transaction

MAX_KEY = 128
MAX_APP_DOCUMENTS = 10_000
MAX_REPORTED = 20
"""Errors one upload reports at most (a broken manifest of 1000 entries is one fix)."""
APOLLO_MANIFEST = "apollo-persisted-query-manifest"
_SHA256 = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")


@dataclass(frozen=True, slots=True)
class Entry:
    document_id: str
    text: str
    sha256: str
    operation_name: str | None


# -- checking a manifest ------------------------------------------------------------------------


def _pairs(manifest: Any) -> list[tuple[str, Any]]:
    """The (key, document) pairs of a manifest in any of the three formats."""
    if not isinstance(manifest, dict):
        raise ValidationFailed(
            "A manifest is a JSON object of document id -> document text.",
            field="manifest",
            code=AppsErrorCode.MANIFEST_INVALID,
        )
    if manifest.get("format") == APOLLO_MANIFEST:
        operations = manifest.get("operations")
        if not isinstance(operations, list) or not all(
            isinstance(o, dict) and isinstance(o.get("id"), str) for o in operations
        ):
            raise ValidationFailed(
                "An Apollo manifest has a list of operations, each with a string id and body.",
                field="manifest.operations",
                code=AppsErrorCode.MANIFEST_INVALID,
            )
        return [(o["id"], o.get("body")) for o in operations]
    return list(manifest.items())


def _operation_name(document: Any) -> str | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name is not None else None
    return None


def _check_entry(
    key: str, text: Any, schema: GraphQLSchema, max_bytes: int, max_tokens: int
) -> Entry | DomainError:
    where = f"manifest.{key[:MAX_KEY]}"
    if not 0 < len(key) <= MAX_KEY or not key.isprintable():
        return ValidationFailed(
            f"A document id has 1 to {MAX_KEY} printable characters.",
            field=where,
            code=AppsErrorCode.MANIFEST_INVALID,
        )
    if not isinstance(text, str) or not text.strip():
        return ValidationFailed(
            "Each entry's value is the document's text, a non-empty string.",
            field=where,
            code=AppsErrorCode.MANIFEST_INVALID,
        )
    if len(text.encode()) > max_bytes:
        return ValidationFailed(
            f"The document is longer than {max_bytes} bytes.",
            field=where,
            code=AppsErrorCode.DOCUMENT_TOO_LARGE,
        )
    digest = hashlib.sha256(text.encode()).hexdigest()
    keyed = _SHA256.fullmatch(key)
    if keyed is not None and keyed.group(1).lower() != digest:
        return ValidationFailed(
            "The id is a SHA-256 but not the document's (hash the exact text uploaded).",
            field=where,
            code=AppsErrorCode.DOCUMENT_HASH_MISMATCH,
        )
    try:
        document = parse(text, max_tokens=max_tokens)
    except GraphQLError as e:
        return ValidationFailed(
            f"The document does not parse: {e.message}",
            field=where,
            code=AppsErrorCode.DOCUMENT_INVALID,
        )
    if not any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
        return ValidationFailed(
            "The document holds no operation.", field=where, code=AppsErrorCode.DOCUMENT_INVALID
        )
    errors = validate(schema, document)
    if errors:
        return ValidationFailed(
            f"The document does not validate: {errors[0].message}",
            field=where,
            code=AppsErrorCode.DOCUMENT_INVALID,
        )
    return Entry(key, text, digest, _operation_name(document))


def check_manifest(manifest: Any, schema: GraphQLSchema) -> list[Entry]:
    """The entries of a manifest, every one checked; DomainErrors naming each bad entry (up to
    ``MAX_REPORTED``), so nothing is stored unless all of it is good."""
    settings = runtime.current().settings
    pairs = _pairs(manifest)
    if not pairs:
        raise ValidationFailed(
            "The manifest holds no documents.",
            field="manifest",
            code=AppsErrorCode.MANIFEST_INVALID,
        )
    limit = settings.trusted_documents_max_entries
    if len(pairs) > limit:
        raise ValidationFailed(
            f"A manifest holds at most {limit} documents; upload it in parts.",
            field="manifest",
            code=AppsErrorCode.TOO_MANY_DOCUMENTS,
        )
    entries: list[Entry] = []
    problems: list[DomainError] = []
    seen: set[str] = set()
    for key, text in pairs:
        if key in seen:
            problems.append(
                ValidationFailed(
                    "The id appears twice.",
                    field=f"manifest.{key[:MAX_KEY]}",
                    code=AppsErrorCode.MANIFEST_INVALID,
                )
            )
            continue
        seen.add(key)
        found = _check_entry(
            key, text, schema, settings.persisted_query_max_bytes, settings.max_tokens
        )
        if isinstance(found, DomainError):
            problems.append(found)
            if len(problems) >= MAX_REPORTED:
                break
        else:
            entries.append(found)
    if problems:
        raise DomainErrors(problems)
    return entries


# -- writes ---------------------------------------------------------------------------------


@dataclass
class Uploaded:
    app: App
    documents: list[TrustedDocument]
    """The manifest's documents as stored, by id."""


async def check_upload(
    ctx: Context,
    app_id: int,
    manifest: Any,
    schema: GraphQLSchema,
    idempotency_key: str | None,
) -> Uploaded:
    """Store every document of the manifest for the app, replacing documents of the same ids;
    all or nothing. Idempotent by key (the same key and manifest answer the first upload)."""
    principal = require_principal(ctx)
    app = await access_app(ctx, app_id, manage=True)
    entries = check_manifest(manifest, schema)
    ids = sorted(e.document_id for e in entries)

    async def create() -> App:
        await do_store_documents(app, entries)
        return app

    async def load(pk: int) -> App | None:
        return app if pk == app.id else None

    stored = await once(
        principal.user_id,
        "appTrustedDocumentsUpload",
        idempotency_key,
        create,
        load,
        input={"app_id": app.id, "manifest": manifest},
    )
    documents = await TrustedDocument.filter(app_id=app.id, document_id__in=ids).order_by(
        "document_id"
    )
    return Uploaded(stored, list(documents))


async def check_delete(ctx: Context, app_id: int, document_ids: list[str] | None) -> list[str]:
    """Delete the app's trusted documents of these ids (all of them when None); the ids that
    were deleted. Ids the app does not hold are left alone."""
    app = await access_app(ctx, app_id, manage=True)
    if document_ids is not None and len(document_ids) > 100:
        raise ValidationFailed("At most 100 ids at a time.", field="documentIds")
    gone = await do_delete_documents(app.id, document_ids)
    return gone


async def check_only_set(ctx: Context, app_id: int, only: bool) -> App:
    app = await access_app(ctx, app_id, manage=True)
    await do_set_only(app, only)
    return app


async def check_organization_require(ctx: Context, require: bool) -> Organization:
    principal = require_app_admin(ctx)
    await do_require(principal.organization_id, require)
    return await Organization.get(id=principal.organization_id)


async def do_store_documents(app: App, entries: list[Entry]) -> None:
    """Store checked entries for the app in one transaction, replacing those of the same ids."""
    ids = [e.document_id for e in entries]
    async with transaction() as tx:
        await TrustedDocument.filter(app_id=app.id, document_id__in=ids).delete()
        held = await TrustedDocument.filter(app_id=app.id).count()
        if held + len(entries) > MAX_APP_DOCUMENTS:
            raise ValidationFailed(
                f"An app holds at most {MAX_APP_DOCUMENTS} trusted documents; delete some.",
                field="manifest",
                code=AppsErrorCode.TOO_MANY_DOCUMENTS,
            )
        await TrustedDocument.bulk_create(
            [
                TrustedDocument(
                    app_id=app.id,
                    document_id=e.document_id,
                    sha256=e.sha256,
                    text=e.text,
                    operation_name=e.operation_name,
                )
                for e in entries
            ]
        )
        tx.after_commit(lambda: _forget(app.id))


async def do_delete_documents(app_id: int, document_ids: list[str] | None) -> list[str]:
    async with transaction() as tx:
        qs = TrustedDocument.filter(app_id=app_id)
        if document_ids is not None:
            qs = qs.filter(document_id__in=document_ids)
        gone = sorted(str(i) for i in await qs.values_list("document_id", flat=True))
        if gone:
            await TrustedDocument.filter(app_id=app_id, document_id__in=gone).delete()
        tx.after_commit(lambda: _forget(app_id))
    return gone


async def do_set_only(app: App, only: bool) -> None:
    async with transaction() as tx:
        await App.filter(id=app.id).update(trusted_documents_only=only)
        tx.after_commit(lambda: _forget(app.id))
    app.trusted_documents_only = only


async def do_require(organization_id: int, require: bool) -> None:
    async with transaction() as tx:
        await Organization.filter(id=organization_id).update(require_trusted_documents=require)
        tx.after_commit(_forget_all)


# -- reads ----------------------------------------------------------------------------------


async def trusted_documents(
    ctx: Context, app_id: int, *, first: int | None, after: str | None
) -> Page[TrustedDocument]:
    """The app's trusted documents, oldest first (admins only: they are the app's code)."""
    app = await access_app(ctx, app_id, manage=True)
    return await paginate(
        TrustedDocument.filter(app_id=app.id), order=["id"], first=first, after=after
    )


async def visible_trusted_documents(ctx: Context, ids: list[int]) -> list[TrustedDocument | None]:
    """For ``node(id:)``: the documents of apps of the viewer's organization, to its admins."""
    principal = ctx.principal
    if principal is None or not ids:
        return [None] * len(ids)
    try:
        require_app_admin(ctx)
    except DomainError:
        return [None] * len(ids)
    rows = await TrustedDocument.filter(id__in=ids, app__organization_id=principal.organization_id)
    by_id = {r.id: r for r in rows}
    return [by_id.get(i) for i in ids]


# -- what the server asks on every request of an app ------------------------------------------


class _Memo(OrderedDict[Any, tuple[float, Any]]):
    """A bounded memo with a freshness limit: (read at, value) by key."""

    def fresh(self, key: Any) -> tuple[bool, Any]:
        hit = self.get(key)
        if hit is None:
            return False, None
        read_at, value = hit
        if time.monotonic() - read_at > runtime.current().settings.trusted_documents_policy_seconds:
            return False, None
        self.move_to_end(key)
        return True, value

    def keep(self, key: Any, value: Any) -> Any:
        self[key] = (time.monotonic(), value)
        self.move_to_end(key)
        size = runtime.current().settings.persisted_query_cache_size
        while len(self) > size:
            self.popitem(last=False)
        return value


_policies = _Memo()  # app id -> trusted documents only (the app's setting or its org's)
_texts = _Memo()  # (app id, id sent) -> text


async def _forget(app_id: int) -> None:
    _policies.pop(app_id, None)
    for key in [k for k in _texts if k[0] == app_id]:
        del _texts[key]


async def _forget_all() -> None:
    _policies.clear()


def forget_everything() -> None:
    """For tests and settings changes: read everything afresh."""
    _policies.clear()
    _texts.clear()


async def trusted_only(app_id: int) -> bool:
    """Whether tokens of this app may run only its trusted documents."""
    known, value = _policies.fresh(app_id)
    if known:
        return bool(value)
    rows = await App.filter(id=app_id).values_list(
        "trusted_documents_only", "organization__require_trusted_documents"
    )
    only = bool(rows) and any(rows[0])
    return bool(_policies.keep(app_id, only))


async def find_text(app_id: int, key: str, *, sha256: str | None) -> str | None:
    """The text of the app's trusted document sent as ``key``: by its manifest id, or by the
    SHA-256 of its text (``sha256``, what APQ clients send whatever the manifest's keys)."""
    known, value = _texts.fresh((app_id, key))
    if known:
        return value
    condition = Q(document_id=key)
    if sha256 is not None:
        condition |= Q(sha256=sha256)
    rows = (
        await TrustedDocument.filter(condition, app_id=app_id)
        .limit(1)
        .values_list("text", flat=True)
    )
    if not rows:
        return None  # not remembered: an upload elsewhere is seen at the next request
    return str(_texts.keep((app_id, key), rows[0]))
