"""docAwareness: relaying y-protocols awareness updates (cursors, selections, who is here).

Awareness is ephemeral: relayed on the doc's channel to its ``docEvents`` subscribers, never
stored. Anyone who can see the doc may send (viewers show presence too).

Decision: the server decodes the update before relaying it, as y-protocols'
``encodeAwarenessUpdate`` writes it (a count, then per client its id, its clock and its state
as a JSON string, ``null`` for a client that left), and refuses anything else as
INVALID_UPDATE. It does not judge the states' contents (editors put what they like there); it
only keeps garbage and oversized payloads off every subscriber's socket. A sender is limited to
``AWARENESS_PER_SECOND`` updates per doc per second (THROTTLED beyond): y-protocols clients
send on every cursor move, a burst well under that, and renew their state every 15 s."""

from __future__ import annotations

import json
from dataclasses import dataclass

from adapters import runtime
from adapters.kv import StoreUnavailable
from models.docs import Document
from resolvers.core.channels import doc_channel
from resolvers.core.context import Context
from resolvers.core.errors import Throttled, ValidationFailed
from resolvers.core.principal import require_principal
from resolvers.docs.access import access_doc
from resolvers.docs.errors import DocsErrorCode
from resolvers.docs.events import DocAwareness, DocsEventKind
from resolvers.docs.store import b64decode, b64encode
from resolvers.docs.sync import check_client_tag

MAX_AWARENESS_BYTES = 32 * 1024
MAX_AWARENESS_CLIENTS = 100
AWARENESS_PER_SECOND = 30


@dataclass
class Relayed:
    doc_id: int
    sent: bool
    """False when it was dropped because live events are unavailable right now."""


def _varuint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated or overlong number")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def check_awareness_update(data: bytes) -> bytes:
    """``data`` if it is a y-protocols awareness update (v1), else INVALID_UPDATE."""
    if len(data) > MAX_AWARENESS_BYTES:
        raise ValidationFailed(
            f"An awareness update may have at most {MAX_AWARENESS_BYTES} bytes.",
            field="update",
            code=DocsErrorCode.UPDATE_TOO_LARGE,
        )
    try:
        count, at = _varuint(data, 0)
        if not 1 <= count <= MAX_AWARENESS_CLIENTS:
            raise ValueError(f"{count} clients (1 to {MAX_AWARENESS_CLIENTS})")
        for _ in range(count):
            _, at = _varuint(data, at)  # client id
            _, at = _varuint(data, at)  # clock
            size, at = _varuint(data, at)
            if at + size > len(data):
                raise ValueError("truncated state")
            state = json.loads(data[at : at + size].decode("utf-8"))
            if state is not None and not isinstance(state, dict):
                raise ValueError("a state is a JSON object or null")
            at += size
        if at != len(data):
            raise ValueError("trailing bytes")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed(
            f"Not a y-protocols awareness update: {e}",
            field="update",
            code=DocsErrorCode.INVALID_UPDATE,
        ) from e
    return data


async def check_doc_awareness(
    ctx: Context, *, doc_id: int | None, update: str, client_tag: str | None
) -> Relayed:
    principal = require_principal(ctx)
    found = await access_doc(ctx, doc_id)
    data = check_awareness_update(b64decode(update, "update"))
    tag = check_client_tag(client_tag)
    services = runtime.current()
    key = f"docs.awareness:{found.document.id}:{principal.user_id}"
    try:
        hits = await services.store.hit(key, 1)
    except StoreUnavailable:
        # Redis is away, and with it live delivery: awareness is a courtesy, drop it.
        return Relayed(found.document.id, False)
    if hits > AWARENESS_PER_SECOND:
        raise Throttled(
            f"At most {AWARENESS_PER_SECOND} awareness updates per second per doc.",
            retry_after=1.0,
            field="update",
        )
    await do_doc_awareness(found.document, principal.user_id, data, tag)
    return Relayed(found.document.id, True)


async def do_doc_awareness(
    document: Document, user_id: int, data: bytes, client_tag: str | None
) -> None:
    """Relay it to the doc's subscribers at once (nothing is written, so no transaction)."""
    event: DocAwareness = {
        "type": DocsEventKind.AWARENESS,
        "docId": document.id,
        "organizationId": document.organization_id,
        "userId": user_id,
        "update": b64encode(data),
        "clientTag": client_tag,
    }
    await runtime.current().bus.publish(doc_channel(document.id), dict(event))
