"""Live directory events of the viewer's organization."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from resolvers.identity import events
from resolvers.identity.queries import require_principal
from server.context import Context
from subscriptions.core import listen


async def organization_events(ctx: Context) -> AsyncIterator[dict[str, Any]]:
    """Events of the viewer's own organization, and only that one: the channel is chosen from
    the principal, never from client input."""
    principal = require_principal(ctx)
    channel = events.organization_channel(principal.organization_id)
    async for event in listen(channel):
        # The channel is per organization; checked again so that a mis-published event can
        # never cross tenants.
        if event.get("organizationId") == principal.organization_id:
            yield event
