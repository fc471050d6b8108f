"""Version history mutations: save a named version, restore one as a new edit
(``resolvers.docs.versions`` has the rules)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.docs.types import Doc, DocVersion
from resolvers.core.errors import CoreErrorCode
from resolvers.docs import queries, versions

INPUT = strawberry.argument(description="What to do.")
NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The doc (or version) does not exist or you cannot see it (the two answer alike).",
)
FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "You can see the doc but not edit it.")


@strawberry.input(description="A named version of a doc as it is now.")
class DocVersionCreateInput:
    doc_id: strawberry.ID = strawberry.field(description="A doc you may edit.")
    name: str = strawberry.field(description="1 to 200 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first version."
    )


@strawberry.enum(description="Why `docVersionCreate` failed.")
class DocVersionCreateErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN
    BAD_USER_INPUT = BAD_USER_INPUT
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docVersionCreate` failed.")
class DocVersionCreateError(MutationError):
    code: DocVersionCreateErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docVersionCreate`.")
class DocVersionCreatePayload:
    version: DocVersion | None = strawberry.field(default=None, description="The new version.")
    errors: list[DocVersionCreateError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A version to restore.")
class DocVersionRestoreInput:
    version_id: strawberry.ID = strawberry.field(description="A version of a doc you may edit.")


@strawberry.enum(description="Why `docVersionRestore` failed.")
class DocVersionRestoreErrorCode(Enum):
    NOT_FOUND = NOT_FOUND
    FORBIDDEN = FORBIDDEN


@strawberry.type(description="A reason why `docVersionRestore` failed.")
class DocVersionRestoreError(MutationError):
    code: DocVersionRestoreErrorCode = strawberry.field(description="What went wrong.")


@strawberry.type(description="The result of `docVersionRestore`.")
class DocVersionRestorePayload:
    revision: int | None = strawberry.field(
        default=None, description="The doc's revision with the restore."
    )
    saved_version: DocVersion | None = strawberry.field(
        default=None,
        description="The doc as it was right before (kind RESTORE): restore it to undo. Null "
        "when the doc already equalled the version (nothing changed).",
    )
    doc_id: strawberry.Private[int | None] = None
    errors: list[DocVersionRestoreError] = strawberry.field(description="Why nothing changed.")

    @strawberry.field(description="The doc.")
    async def doc(self, info: Info) -> Doc | None:
        if self.doc_id is None:
            return None
        found = (await queries.visible_docs(info.context, [self.doc_id]))[0]
        return Doc.from_model(found) if found is not None else None


@strawberry.type
class DocVersionsMutation:
    @strawberry.mutation(
        description="Save the doc as it is now as a named version (editors).",
        directives=needs("docs:write"),
    )
    async def doc_version_create(
        self, info: Info, input: Annotated[DocVersionCreateInput, INPUT]
    ) -> DocVersionCreatePayload:
        action = versions.check_version_create(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            name=input.name,
            idempotency_key=input.idempotency_key,
        )
        return await mutate(
            DocVersionCreatePayload,
            DocVersionCreateError,
            action,
            lambda v: {"version": DocVersion.of(v)},
        )

    @strawberry.mutation(
        description="Restore a version (editors): its title and blocks replace the doc's as a "
        "new edit, which everyone editing sees at once. The doc as it was is saved first as a "
        "version of kind RESTORE, so nothing is lost and the restore can be undone.",
        directives=needs("docs:write"),
    )
    async def doc_version_restore(
        self, info: Info, input: Annotated[DocVersionRestoreInput, INPUT]
    ) -> DocVersionRestorePayload:
        action = versions.check_version_restore(
            info.context, version_id=require_id(input.version_id, "DocVersion", "versionId")
        )

        def build(r: versions.Restored) -> dict[str, Any]:
            saved = DocVersion.of(r.saved) if r.saved is not None else None
            return {"revision": r.revision, "saved_version": saved, "doc_id": r.doc_id}

        return await mutate(DocVersionRestorePayload, DocVersionRestoreError, action, build)
