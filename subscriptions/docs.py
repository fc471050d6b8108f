"""docEvents: a doc's live edits, awareness and changes, from its channel.

The subscription is confirmed before anything is read, so a client that subscribes and then
calls ``docSync`` misses nothing: an update committed meanwhile is in the sync's answer, in the
stream, or both (applying a Yjs update twice changes nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

from resolvers.core.channels import doc_channel
from resolvers.core.context import Context
from resolvers.docs.access import access_doc
from resolvers.docs.events import DocChannelEvent, is_docs_event
from subscriptions.core import CatchUp, subscribed


async def doc_events(ctx: Context, doc_id: int | None) -> AsyncIterator[DocChannelEvent]:
    found = await access_doc(ctx, doc_id)
    async with subscribed(doc_channel(found.document.id)) as live:
        async for item in live:
            if isinstance(item, CatchUp) or not is_docs_event(item):
                continue
            yield cast(DocChannelEvent, item)
