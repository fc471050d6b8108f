"""docUpdate and docSync: the Yjs sync protocol over GraphQL.

``docSync`` is Yjs sync step 2 from the server's side: given the client's state vector it
answers the update the client lacks, and the server's state vector, so the client can send
(``docUpdate``) what the server lacks. ``docUpdate`` stores a client's update durably before it
answers (``store.do_doc_write``) and publishes it to the doc's other editors."""

from __future__ import annotations

from dataclasses import dataclass

from models.docs import UpdateOrigin
from models.drive import DriveRole
from resolvers.core.context import Context
from resolvers.core.errors import ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.docs.access import access_doc
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.store import (
    apply_client_update,
    b64decode,
    check_update_size,
    do_doc_write,
    load,
)

MAX_CLIENT_TAG = 64


@dataclass
class Synced:
    update: bytes
    state_vector: bytes
    revision: int


@dataclass
class Applied:
    doc_id: int
    revision: int
    changed: bool


def check_client_tag(tag: str | None) -> str | None:
    if tag is not None and not 1 <= len(tag) <= MAX_CLIENT_TAG:
        raise ValidationFailed(
            f"A client tag has 1 to {MAX_CLIENT_TAG} characters.", field="clientTag"
        )
    return tag


async def check_doc_update(
    ctx: Context, *, doc_id: int | None, update: str, client_tag: str | None
) -> Applied:
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id, DriveRole.EDITOR)
    data = check_update_size(b64decode(update, "update"))
    tag = check_client_tag(client_tag)
    written = await do_doc_write(
        found.document,
        principal.user_id,
        apply_client_update(data),
        origin=UpdateOrigin.CLIENT,
        client_tag=tag,
    )
    return Applied(found.document.id, written.revision, written.changed)


async def doc_sync(ctx: Context, *, doc_id: int | None, state_vector: str | None) -> Synced:
    found = await access_doc(ctx, doc_id)
    vector = b64decode(state_vector, "stateVector") if state_vector else None
    live = await load(found.document)
    try:
        update = live.ydoc.get_update(vector) if vector else live.ydoc.get_update()
    except ValueError as e:
        raise ValidationFailed(
            "Not a valid Yjs state vector.", field="stateVector", code=DocsErrorCode.INVALID_UPDATE
        ) from e
    return Synced(update, live.ydoc.get_state(), live.revision)
