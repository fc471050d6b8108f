"""Root fields of Docs: a doc by ID, the Yjs sync protocol (``docSync``, ``docUpdate``,
``docEvents``) and ``docCreate``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.node import decode_id, require_id
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code, mutate
from graphql_schema.core.scopes import needs
from graphql_schema.core.shared_events import shared_event
from graphql_schema.docs.comments import DocCommentEvent, to_comment_event
from graphql_schema.docs.types import Doc
from graphql_schema.drive.error_values import NOT_A_FOLDER
from graphql_schema.drive.types import DriveRoleEnum
from graphql_schema.identity.types import User, visible_user
from resolvers.core.errors import CoreErrorCode
from resolvers.docs import compaction as _compaction  # noqa: F401  (registers the hook, job)
from resolvers.docs import copies as _copies  # noqa: F401  (registers Drive's copy hook)
from resolvers.docs import queries, sync
from resolvers.docs.awareness import check_doc_awareness
from resolvers.docs.create import check_doc_create
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocChannelEvent, DocsEventKind
from resolvers.docs.store import b64encode
from resolvers.drive.errors import DriveErrorCode
from subscriptions.docs import DocRoleChanged, doc_events

INPUT = strawberry.argument(description="What to do.")
DOC_ID = strawberry.argument(description="The doc (its global ID).")

INVALID_UPDATE = error_code(
    DocsErrorCode.INVALID_UPDATE,
    "`update` is not base64 or not a Yjs update (v1 encoding); nothing was stored.",
)
UPDATE_TOO_LARGE = error_code(
    DocsErrorCode.UPDATE_TOO_LARGE,
    "`update` is larger than the server allows (`message` says how large); send it in parts.",
)
DOC_NOT_FOUND = error_code(
    CoreErrorCode.NOT_FOUND,
    "The doc does not exist or you cannot see it (the two answer alike).",
)
DOC_FORBIDDEN = error_code(
    CoreErrorCode.FORBIDDEN, "You can see the doc but your role does not allow this."
)


async def _doc(info: Info, pk: int) -> Doc | None:
    found = (await queries.visible_docs(info.context, [pk]))[0]
    return Doc.from_model(found) if found is not None else None


@strawberry.type(description="What the client lacks, and what the server has (Yjs sync).")
class DocSyncResult:
    update: str = strawberry.field(
        description="A Yjs update (v1, base64) with everything the server has that your state "
        "vector does not: apply it."
    )
    state_vector: str = strawberry.field(
        description="The server's state vector (base64): send what it lacks with `docUpdate` "
        "(`Y.encodeStateAsUpdate(doc, stateVector)`)."
    )
    revision: int = strawberry.field(description="The doc's revision this answer is of.")


@strawberry.input(description="A new doc.")
class DocCreateInput:
    title: str = strawberry.field(
        default="", description="At most 255 characters; also its Drive name (made unique)."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder you can edit; your root folder if omitted."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first doc."
    )


@strawberry.enum(description="Why `docCreate` failed.")
class DocCreateErrorCode(Enum):
    INVALID_NAME = error_code(
        CoreErrorCode.INVALID_NAME, "The title cannot be a Drive name (blank characters, . or ..)."
    )
    NAME_TAKEN = error_code(
        DriveErrorCode.NAME_TAKEN, "Another item took the name at the same moment: try again."
    )
    NOT_A_FOLDER = NOT_A_FOLDER
    TOO_DEEP = error_code(DriveErrorCode.TOO_DEEP, "The folder is nested too deep for more.")
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(CoreErrorCode.FORBIDDEN, "You can see the folder but not edit it.")
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND, "The folder does not exist or you cannot see it."
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.type(description="A reason why `docCreate` failed.")
class DocCreateError(MutationError):
    code: DocCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docCreate`.")
class DocCreatePayload:
    doc: Doc | None = strawberry.field(default=None, description="The new doc.")
    errors: list[DocCreateError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="A Yjs update to a doc.")
class DocUpdateInput:
    doc_id: strawberry.ID = strawberry.field(description="A doc you may edit.")
    update: str = strawberry.field(
        description="A Yjs update (v1 encoding, as `Y.encodeStateAsUpdate` or a doc's "
        "`update` event gives it), base64."
    )
    client_tag: str | None = strawberry.field(
        default=None,
        description="1 to 64 characters of yours, echoed in the `DocUpdateEvent` this update "
        "makes, so your client can skip its own.",
    )


@strawberry.enum(description="Why `docUpdate` failed.")
class DocUpdateErrorCode(Enum):
    INVALID_UPDATE = INVALID_UPDATE
    UPDATE_TOO_LARGE = UPDATE_TOO_LARGE
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = DOC_FORBIDDEN
    NOT_FOUND = DOC_NOT_FOUND


@strawberry.type(description="A reason why `docUpdate` failed.")
class DocUpdateError(MutationError):
    code: DocUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docUpdate`: answered once the update is stored.")
class DocUpdatePayload:
    revision: int | None = strawberry.field(
        default=None,
        description="The doc's revision with your update (unchanged if it held it already).",
    )
    changed: bool | None = strawberry.field(
        default=None,
        description="False when the doc held everything in the update already (a retry).",
    )
    doc_id: strawberry.Private[int | None] = None
    errors: list[DocUpdateError] = strawberry.field(description="Why nothing was stored.")

    @strawberry.field(description="The doc.")
    async def doc(self, info: Info) -> Doc | None:
        return await _doc(info, self.doc_id) if self.doc_id is not None else None


@strawberry.type(description="Someone changed the doc: apply `update` to your Yjs document.")
class DocUpdateEvent:
    update: str = strawberry.field(description="The Yjs update (v1), base64.")
    revision: int = strawberry.field(description="The doc's revision with it.")
    client_tag: str | None = strawberry.field(description="The sender's `clientTag`, if any.")
    origin: str = strawberry.field(
        description="CLIENT (a Yjs client), BLOCKS (a block mutation), RESTORE or IMPORT."
    )
    author_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made it; null if unknown or not visible to you.")
    async def author(self, info: Info) -> User | None:
        return await visible_user(info, self.author_id)


@strawberry.type(
    description="Someone's awareness changed (cursor, selection, presence): apply `update` "
    "with y-protocols' `applyAwarenessUpdate`. Never stored."
)
class DocAwarenessEvent:
    update: str = strawberry.field(description="The y-protocols awareness update, base64.")
    client_tag: str | None = strawberry.field(description="The sender's `clientTag`, if any.")
    user_id: strawberry.Private[int]

    @strawberry.field(description="Whose it is.")
    async def user(self, info: Info) -> User | None:
        return await visible_user(info, self.user_id)


@strawberry.type(
    description="Your role on the doc changed (say, editor to viewer): a viewer's `docUpdate` "
    "is refused, so stop sending. Losing access altogether ends the stream with NOT_FOUND."
)
class DocAccessEvent:
    role: DriveRoleEnum = strawberry.field(description="Your role on the doc now.")


DocEvent = Annotated[
    DocUpdateEvent | DocAwarenessEvent | DocAccessEvent | DocCommentEvent,
    strawberry.union("DocEvent", description="What `docEvents` streams."),
]


def to_doc_event(event: DocChannelEvent) -> Any:
    if event["type"] == DocsEventKind.UPDATE:
        return DocUpdateEvent(
            update=event["update"],
            revision=event["revision"],
            client_tag=event["clientTag"],
            origin=event["origin"],
            author_id=event["authorId"],
        )
    if event["type"] == DocsEventKind.AWARENESS:
        return DocAwarenessEvent(
            update=event["update"], client_tag=event["clientTag"], user_id=event["userId"]
        )
    if event["type"] == DocsEventKind.COMMENT_CHANGED:
        return to_comment_event(event)
    return None


@strawberry.input(description="An awareness update to relay to a doc's other viewers.")
class DocAwarenessInput:
    doc_id: strawberry.ID = strawberry.field(description="A doc you can see.")
    update: str = strawberry.field(
        description="A y-protocols awareness update (`encodeAwarenessUpdate`), base64, at most "
        "32 KiB decoded."
    )
    client_tag: str | None = strawberry.field(
        default=None,
        description="1 to 64 characters of yours, echoed in the `DocAwarenessEvent`, so your "
        "client can skip its own.",
    )


@strawberry.enum(description="Why `docAwareness` failed.")
class DocAwarenessErrorCode(Enum):
    INVALID_UPDATE = error_code(
        DocsErrorCode.INVALID_UPDATE,
        "`update` is not base64 or not a y-protocols awareness update; nothing was relayed.",
    )
    UPDATE_TOO_LARGE = error_code(
        DocsErrorCode.UPDATE_TOO_LARGE, "`update` is larger than 32 KiB; nothing was relayed."
    )
    THROTTLED = error_code(
        CoreErrorCode.THROTTLED,
        "More than 30 awareness updates per second for this doc; wait a second.",
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = DOC_FORBIDDEN
    NOT_FOUND = DOC_NOT_FOUND


@strawberry.type(description="A reason why `docAwareness` failed.")
class DocAwarenessError(MutationError):
    code: DocAwarenessErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="The result of `docAwareness`.")
class DocAwarenessPayload:
    sent: bool | None = strawberry.field(
        default=None,
        description="True when relayed; false when live events are unavailable right now "
        "(awareness is not kept: send your state again later).",
    )
    errors: list[DocAwarenessError] = strawberry.field(description="Why nothing was relayed.")


@strawberry.type
class DocsQuery:
    @strawberry.field(
        description="A doc you can see, by global ID; null otherwise.",
        directives=needs("docs:read"),
    )
    async def doc(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Doc | None:
        pk = decode_id(id, "Doc")
        return await _doc(info, pk) if pk is not None else None

    @strawberry.field(
        description="Yjs sync step 2: the update your state vector lacks and the server's "
        "state vector. Subscribe to `docEvents` first, then sync: nothing falls between.",
        directives=needs("docs:read"),
    )
    async def doc_sync(
        self,
        info: Info,
        doc_id: Annotated[strawberry.ID, DOC_ID],
        state_vector: Annotated[
            str | None,
            strawberry.argument(
                description="Your Yjs state vector (base64, `Y.encodeStateVector`); omit for "
                "the whole doc."
            ),
        ] = None,
    ) -> DocSyncResult:
        found = await sync.doc_sync(
            info.context, doc_id=require_id(doc_id, "Doc", "docId"), state_vector=state_vector
        )
        return DocSyncResult(
            update=b64encode(found.update),
            state_vector=b64encode(found.state_vector),
            revision=found.revision,
        )


@strawberry.type
class DocsMutation:
    @strawberry.mutation(
        description="Create a doc (a title and one empty paragraph) in a folder.",
        directives=needs("docs:write"),
    )
    async def doc_create(
        self, info: Info, input: Annotated[DocCreateInput, INPUT]
    ) -> DocCreatePayload:
        action = check_doc_create(
            info.context,
            folder_id=require_id(input.folder_id, "File", "folderId"),
            title=input.title,
            idempotency_key=input.idempotency_key,
        )

        async def created() -> Any:
            item = await action
            return await _doc(info, item.id)

        return await mutate(DocCreatePayload, DocCreateError, created(), lambda d: {"doc": d})

    @strawberry.mutation(
        description="Apply a Yjs update to a doc (editors may). Answered once it is stored; "
        "then everyone following the doc receives it.",
        directives=needs("docs:write"),
    )
    async def doc_update(
        self, info: Info, input: Annotated[DocUpdateInput, INPUT]
    ) -> DocUpdatePayload:
        action = sync.check_doc_update(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            update=input.update,
            client_tag=input.client_tag,
        )
        return await mutate(
            DocUpdatePayload,
            DocUpdateError,
            action,
            lambda a: {"revision": a.revision, "changed": a.changed, "doc_id": a.doc_id},
        )

    @strawberry.mutation(
        description="Relay an awareness update (cursor, selection, presence) to everyone "
        "following the doc. Viewers may: people reading show presence too. Never stored.",
        directives=needs("docs:read"),
    )
    async def doc_awareness(
        self, info: Info, input: Annotated[DocAwarenessInput, INPUT]
    ) -> DocAwarenessPayload:
        action = check_doc_awareness(
            info.context,
            doc_id=require_id(input.doc_id, "Doc", "docId"),
            update=input.update,
            client_tag=input.client_tag,
        )
        return await mutate(
            DocAwarenessPayload, DocAwarenessError, action, lambda r: {"sent": r.sent}
        )


@strawberry.type
class DocsSubscription:
    @strawberry.subscription(
        description="A doc's live events: others' updates, awareness (cursors, who is here) "
        "and changes. Subscribe, then `docSync`.",
        directives=needs("docs:read"),
    )
    async def doc_events(
        self,
        info: Info,
        doc_id: Annotated[strawberry.ID, DOC_ID],
        after_revision: Annotated[
            int | None,
            strawberry.argument(
                description="Replay every update after this revision first (the one your "
                "document holds, from `docSync` or the last `DocUpdateEvent`), then go live "
                "with no gap. If the log was compacted past it, the first event holds the "
                "whole doc. Omit to start live."
            ),
        ] = None,
    ) -> AsyncGenerator[DocEvent, None]:
        async for event in doc_events(
            info.context, require_id(doc_id, "Doc", "docId"), after_revision
        ):
            if isinstance(event, DocRoleChanged):
                yield DocAccessEvent(role=DriveRoleEnum[event.role.value])
                continue
            converted = shared_event(info, event, to_doc_event)
            if converted is not None:
                yield converted
