"""Trusted documents of apps, and the settings that restrict apps to them (issue 15, part 3).
The rules are in ``resolvers/apps/trusted_documents.py``; how requests name a document by id
is in ``server/persisted.py``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import VisibleNode, global_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.identity.types import Organization
from models.persisted import TrustedDocument as TrustedDocumentRow
from resolvers.apps import trusted_documents as actions
from resolvers.apps.errors import AppsErrorCode
from resolvers.core.errors import CoreErrorCode

APP_ID_DESCRIPTION = "The app's global ID (an `App`)."


def _app_pk(raw: str) -> int:
    # Anything that is not an App's global ID answers like an app that does not exist.
    return require_id(raw, "App", "appId")


@strawberry.type(
    description="One operation an app uploaded: its tokens may call it by id (`documentId`, "
    "or `extensions.persistedQuery.sha256Hash` with the SHA-256 of its text)."
)
class TrustedDocument(VisibleNode):
    id: relay.NodeID[int]
    document_id: str = strawberry.field(
        description="The id the manifest gave it: a SHA-256 (GraphQL Codegen) or the "
        "client's own id (Relay)."
    )
    sha256: str = strawberry.field(description="The SHA-256 of its text, lower-case hex.")
    text: str = strawberry.field(description="The document, as uploaded.")
    operation_name: str | None = strawberry.field(
        description="The name of its first operation, if it has one."
    )
    created_at: datetime = strawberry.field(description="When it was uploaded (UTC).")

    @classmethod
    def from_model(cls, row: TrustedDocumentRow) -> TrustedDocument:
        return cls(
            id=row.id,
            document_id=row.document_id,
            sha256=row.sha256,
            text=row.text,
            operation_name=row.operation_name,
            created_at=row.created_at,
        )

    fetch_visible = staticmethod(actions.visible_trusted_documents)


@strawberry.enum(description="Why a trusted-documents mutation failed.")
class TrustedDocumentsErrorCode(Enum):
    MANIFEST_INVALID = error_code(
        AppsErrorCode.MANIFEST_INVALID,
        "Upload: the manifest is not a JSON object of id -> document text (or an Apollo "
        "manifest), is empty, repeats an id, or an entry's value is not a string; `field` "
        "names the entry (`manifest.<id>`).",
    )
    DOCUMENT_INVALID = error_code(
        AppsErrorCode.DOCUMENT_INVALID,
        "Upload: the entry's document does not parse, does not validate against the schema, "
        "or holds no operation.",
    )
    DOCUMENT_HASH_MISMATCH = error_code(
        AppsErrorCode.DOCUMENT_HASH_MISMATCH,
        "Upload: the entry's id is a 64-hex SHA-256 but not that of its document.",
    )
    DOCUMENT_TOO_LARGE = error_code(
        AppsErrorCode.DOCUMENT_TOO_LARGE,
        "Upload: the entry's document is longer than the limit (64 KiB by default).",
    )
    TOO_MANY_DOCUMENTS = error_code(
        AppsErrorCode.TOO_MANY_DOCUMENTS,
        "Upload: more entries than one manifest (1000 by default) or one app (10000) holds.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins manage apps."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The app does not exist or is another organization's (the two answer alike).",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why a trusted-documents mutation changed nothing.")
class TrustedDocumentsError(MutationError):
    code: TrustedDocumentsErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.input(description="A manifest of operations for an app.")
class AppTrustedDocumentsUploadInput:
    app_id: strawberry.ID = strawberry.field(description=APP_ID_DESCRIPTION)
    manifest: JSON = strawberry.field(
        description="The manifest: an object of id -> document text, as GraphQL Codegen's "
        "client preset (`persisted-documents.json`, keys are SHA-256s) or Relay "
        "(`--persist-output`) write it, or Apollo's persisted query manifest. Documents of "
        "ids the app holds already are replaced."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key and manifest answers the first."
    )


@strawberry.type(description="The result of `appTrustedDocumentsUpload`.")
class AppTrustedDocumentsUploadPayload:
    app_id: strawberry.ID | None = strawberry.field(
        default=None, description="The app's global ID."
    )
    documents: list[TrustedDocument] | None = strawberry.field(
        default=None, description="The manifest's documents as stored, by `documentId`."
    )
    errors: list[TrustedDocumentsError] = strawberry.field(
        description="Why nothing was stored (every bad entry, up to 20)."
    )


@strawberry.input(description="Trusted documents to delete.")
class AppTrustedDocumentsDeleteInput:
    app_id: strawberry.ID = strawberry.field(description=APP_ID_DESCRIPTION)
    document_ids: list[str] | None = strawberry.field(
        default=None,
        description="At most 100 ids to delete; null deletes every trusted document of the app.",
    )


@strawberry.type(description="The result of `appTrustedDocumentsDelete`.")
class AppTrustedDocumentsDeletePayload:
    deleted_document_ids: list[str] | None = strawberry.field(
        default=None, description="The ids that were deleted (ids the app did not hold are not)."
    )
    errors: list[TrustedDocumentsError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="Whether an app's tokens run only its trusted documents.")
class AppTrustedDocumentsOnlySetInput:
    app_id: strawberry.ID = strawberry.field(description=APP_ID_DESCRIPTION)
    only: bool = strawberry.field(
        description="True: requests with the app's tokens run only its trusted documents, by "
        "id; any other document is refused with TRUSTED_DOCUMENT_REQUIRED."
    )


@strawberry.type(description="The result of `appTrustedDocumentsOnlySet`.")
class AppTrustedDocumentsOnlySetPayload:
    app_id: strawberry.ID | None = strawberry.field(
        default=None, description="The app's global ID."
    )
    only: bool | None = strawberry.field(default=None, description="The setting as it is now.")
    errors: list[TrustedDocumentsError] = strawberry.field(description="Why nothing changed.")


@strawberry.enum(description="Why `organizationTrustedDocumentsRequire` failed.")
class OrganizationTrustedDocumentsRequireErrorCode(Enum):
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner and admins change it."
    )


@strawberry.type(description="A reason why `organizationTrustedDocumentsRequire` failed.")
class OrganizationTrustedDocumentsRequireError(MutationError):
    code: OrganizationTrustedDocumentsRequireErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )


@strawberry.input(description="Whether every app of the organization runs only trusted documents.")
class OrganizationTrustedDocumentsRequireInput:
    require: bool = strawberry.field(
        description="True: requests with any app's token run only that app's trusted "
        "documents, whatever the app's own setting. People's sessions and personal access "
        "tokens are not apps: unaffected."
    )


@strawberry.type(description="The result of `organizationTrustedDocumentsRequire`.")
class OrganizationTrustedDocumentsRequirePayload:
    organization: Organization | None = strawberry.field(
        default=None, description="The organization; `settings.trustedDocumentsRequired`."
    )
    errors: list[OrganizationTrustedDocumentsRequireError] = strawberry.field(
        description="Why nothing changed."
    )


@strawberry.type
class TrustedDocumentsQuery:
    @strawberry.field(
        description="An app's trusted documents, oldest first. Owner and admins only.",
        directives=needs("apps:write"),
    )
    async def app_trusted_documents(
        self,
        info: Info,
        app_id: Annotated[strawberry.ID, strawberry.argument(description=APP_ID_DESCRIPTION)],
        first: First = None,
        after: After = None,
    ) -> Connection[TrustedDocument]:
        page = await actions.trusted_documents(
            info.context, _app_pk(app_id), first=first, after=after
        )
        return connection(page, TrustedDocument.from_model)


@strawberry.type
class TrustedDocumentsMutation:
    @strawberry.mutation(
        description="Upload an app's operations (owner and admins): every document must parse "
        "and validate, and a SHA-256 id must be its document's, or nothing is stored.",
        directives=needs("apps:write"),
    )
    async def app_trusted_documents_upload(
        self,
        info: Info,
        input: Annotated[
            AppTrustedDocumentsUploadInput, strawberry.argument(description="The manifest.")
        ],
    ) -> AppTrustedDocumentsUploadPayload:
        return await mutate(
            AppTrustedDocumentsUploadPayload,
            TrustedDocumentsError,
            actions.check_upload(
                info.context,
                _app_pk(input.app_id),
                input.manifest,
                info.schema._schema,
                input.idempotency_key,
            ),
            lambda done: {
                "app_id": global_id("App", done.app.id),
                "documents": [TrustedDocument.from_model(d) for d in done.documents],
            },
        )

    @strawberry.mutation(
        description="Delete trusted documents of an app (owner and admins).",
        directives=needs("apps:write"),
    )
    async def app_trusted_documents_delete(
        self,
        info: Info,
        input: Annotated[
            AppTrustedDocumentsDeleteInput, strawberry.argument(description="What to delete.")
        ],
    ) -> AppTrustedDocumentsDeletePayload:
        return await mutate(
            AppTrustedDocumentsDeletePayload,
            TrustedDocumentsError,
            actions.check_delete(info.context, _app_pk(input.app_id), input.document_ids),
            lambda gone: {"deleted_document_ids": gone},
        )

    @strawberry.mutation(
        description="Set whether an app's tokens run only its trusted documents (owner and "
        "admins).",
        directives=needs("apps:write"),
    )
    async def app_trusted_documents_only_set(
        self,
        info: Info,
        input: Annotated[
            AppTrustedDocumentsOnlySetInput, strawberry.argument(description="The setting.")
        ],
    ) -> AppTrustedDocumentsOnlySetPayload:
        return await mutate(
            AppTrustedDocumentsOnlySetPayload,
            TrustedDocumentsError,
            actions.check_only_set(info.context, _app_pk(input.app_id), input.only),
            lambda app: {
                "app_id": global_id("App", app.id),
                "only": app.trusted_documents_only,
            },
        )

    @strawberry.mutation(
        description="Require trusted documents of every app of the organization (owner and "
        "admins): for production, where no app should run arbitrary documents.",
        directives=needs("admin:write"),
    )
    async def organization_trusted_documents_require(
        self,
        info: Info,
        input: Annotated[
            OrganizationTrustedDocumentsRequireInput,
            strawberry.argument(description="The setting."),
        ],
    ) -> OrganizationTrustedDocumentsRequirePayload:
        return await mutate(
            OrganizationTrustedDocumentsRequirePayload,
            OrganizationTrustedDocumentsRequireError,
            actions.check_organization_require(info.context, input.require),
            lambda org: {"organization": Organization.from_model(org)},
        )
