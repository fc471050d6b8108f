"""Live directory events of the viewer's organization.

Redis down: directory events published during the outage are not recovered (nothing in the
database lists them in order; clients refetch the directory after an outage, README, Failure
modes). What a ``CATCH_UP`` does recover is the rule that matters for access: the subscriber's
own role and state are read again, so someone made a guest or deactivated meanwhile stops
receiving the directory even though that event was lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

from models.identity import Role, User
from resolvers.admin.access import require_member
from resolvers.admin.events import AdminEventKind, OrganizationEvent, is_admin_event
from resolvers.core.context import Context
from resolvers.core.errors import Forbidden
from resolvers.identity import events
from resolvers.identity.events import IdentityEventKind, UserSnapshot, is_identity_event
from subscriptions.core import CatchUp, listen


async def organization_events(ctx: Context) -> AsyncIterator[OrganizationEvent]:
    """Events of the viewer's own organization, and only that one: the channel is chosen from
    the principal, never from client input. Guests see no directory, so they are refused."""
    principal = require_member(ctx)
    channel = events.organization_channel(principal.organization_id)
    async for item in listen(channel):
        if isinstance(item, CatchUp):
            me = await User.filter(id=principal.user_id).values("role", "is_active")
            if not me or Role(me[0]["role"]) == Role.GUEST or not me[0]["is_active"]:
                raise Forbidden("You no longer see the organization's directory.")
            continue
        event = cast(OrganizationEvent, item)  # what the organization channel carries
        # The channel is per organization; checked again so that a mis-published event can
        # never cross tenants.
        if event.get("organizationId") != principal.organization_id:
            continue
        # Membership can change while the stream is open. A change of the subscriber's own role
        # arrives on this very channel (with the new state), so it is checked here without a
        # query per event. Deactivation also revokes the sessions, which closes the socket.
        user = member_of(event)
        if (
            user is not None
            and user["id"] == principal.user_id
            and (user["role"] == Role.GUEST.value or not user["isActive"])
        ):
            raise Forbidden("You no longer see the organization's directory.")
        yield event


def member_of(event: OrganizationEvent) -> UserSnapshot | None:
    """The member a directory event is about (joined, updated or deactivated), if any."""
    if is_identity_event(event) and event["type"] in (
        IdentityEventKind.MEMBER_JOINED,
        IdentityEventKind.MEMBER_UPDATED,
    ):
        return event["user"]
    if is_admin_event(event) and event["type"] == AdminEventKind.MEMBER_DEACTIVATED:
        return event["user"]
    return None
