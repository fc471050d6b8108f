"""One schema from every module's Query, Mutation and Subscription parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import strawberry
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import Info

from graphql_schema.admin.departments import Department, DepartmentMutation, DepartmentQuery
from graphql_schema.admin.groups import Group, GroupsMutation, GroupsQuery
from graphql_schema.admin.invitations import InvitationsMutation, InvitationsQuery
from graphql_schema.admin.jobs import (
    BackgroundJobsMutation,
    BackgroundJobsQuery,
    BackgroundJobsSubscription,
)
from graphql_schema.admin.organization import OrganizationMutation, OrganizationQuery
from graphql_schema.admin.people import PeopleMutation, PeopleQuery
from graphql_schema.apps.apps import AppsMutation, AppsQuery
from graphql_schema.apps.incoming_webhooks import IncomingWebhooksMutation, IncomingWebhooksQuery
from graphql_schema.apps.personal_tokens import (
    PersonalAccessToken,
    PersonalTokensMutation,
    PersonalTokensQuery,
)
from graphql_schema.apps.trusted_documents import TrustedDocumentsMutation, TrustedDocumentsQuery
from graphql_schema.apps.types import App
from graphql_schema.apps.webhooks import WebhooksMutation, WebhooksQuery
from graphql_schema.calendar.calendars import CalendarsMutation
from graphql_schema.calendar.event_mutations import CalendarEventMutations
from graphql_schema.calendar.events import CalendarEventsMutation, CalendarEventsQuery
from graphql_schema.calendar.ics import CalendarIcsMutation, CalendarIcsQuery
from graphql_schema.calendar.occurrences import CalendarOccurrencesQuery, EventOccurrence
from graphql_schema.calendar.reminders import CalendarRemindersMutation
from graphql_schema.calendar.room_mutations import CalendarRoomsMutation
from graphql_schema.calendar.rooms import Building, CalendarRoomsQuery, Room
from graphql_schema.calendar.rsvp import CalendarRsvpMutation
from graphql_schema.calendar.scheduling import CalendarSchedulingQuery
from graphql_schema.calendar.settings import CalendarSettingsMutation, CalendarSettingsQuery
from graphql_schema.calendar.sharing import CalendarSharingMutation
from graphql_schema.calendar.types import Calendar, Event
from graphql_schema.core.node import NodeQuery, resolve_entities
from graphql_schema.core.payload import add_payload_errors
from graphql_schema.core.scopes import describe_scopes
from graphql_schema.docs.blocks import DocBlocksMutation
from graphql_schema.docs.comments import DocCommentsMutation
from graphql_schema.docs.docs import DocsMutation, DocsQuery, DocsSubscription
from graphql_schema.docs.formats import DocsFormatsMutation
from graphql_schema.docs.search import DocSearchQuery
from graphql_schema.docs.types import Doc
from graphql_schema.docs.versions import DocVersionsMutation
from graphql_schema.drive.items import DriveQuery, ItemsMutation
from graphql_schema.drive.links import ShareLinkMutation, ShareLinkQuery
from graphql_schema.drive.sharing import SharingMutation
from graphql_schema.drive.types import BYTE_COUNT, ByteCount, File
from graphql_schema.drive.upload_sessions import UploadSessionMutation, UploadSessionQuery
from graphql_schema.drive.uploads import UploadMutation
from graphql_schema.identity.mutations import IdentityMutation
from graphql_schema.identity.queries import IdentityQuery, IdentitySubscription
from graphql_schema.identity.types import Organization, User
from graphql_schema.meetings.controls import MeetingsControlsMutation
from graphql_schema.meetings.host import MeetingsHostMutation
from graphql_schema.meetings.meetings import (
    MeetingsMutation,
    MeetingsQuery,
    MeetingsSubscription,
)
from graphql_schema.meetings.recordings import (
    MeetingRecordingsMutation,
    MeetingRecordingsQuery,
)
from graphql_schema.meetings.self_state import MeetingsSelfMutation
from graphql_schema.meetings.types import Meeting, MeetingParticipant, MeetingRecording
from graphql_schema.messenger.chats import MessengerMutation, MessengerQuery, MessengerSubscription
from graphql_schema.messenger.group_chats import GroupChatsMutation
from graphql_schema.messenger.live import LiveMutation, LiveQuery, LiveSubscription
from graphql_schema.messenger.message_ops import MessageOpsMutation, MessageOpsQuery
from graphql_schema.messenger.messages import MessagesMutation
from graphql_schema.messenger.search import SearchQuery
from graphql_schema.messenger.types import Chat, Message

QUERIES: tuple[type, ...] = (
    NodeQuery,
    IdentityQuery,
    PeopleQuery,
    DepartmentQuery,
    GroupsQuery,
    InvitationsQuery,
    OrganizationQuery,
    BackgroundJobsQuery,
    MessengerQuery,
    MessageOpsQuery,
    SearchQuery,
    LiveQuery,
    DriveQuery,
    ShareLinkQuery,
    UploadSessionQuery,
    AppsQuery,
    TrustedDocumentsQuery,
    PersonalTokensQuery,
    WebhooksQuery,
    IncomingWebhooksQuery,
    CalendarEventsQuery,
    CalendarSchedulingQuery,
    CalendarSettingsQuery,
    CalendarOccurrencesQuery,
    CalendarRoomsQuery,
    CalendarIcsQuery,
    DocsQuery,
    DocSearchQuery,
    MeetingsQuery,
    MeetingRecordingsQuery,
)
MUTATIONS: tuple[type, ...] = (
    IdentityMutation,
    PeopleMutation,
    DepartmentMutation,
    GroupsMutation,
    InvitationsMutation,
    OrganizationMutation,
    BackgroundJobsMutation,
    MessengerMutation,
    MessagesMutation,
    GroupChatsMutation,
    MessageOpsMutation,
    LiveMutation,
    UploadMutation,
    ItemsMutation,
    SharingMutation,
    ShareLinkMutation,
    UploadSessionMutation,
    AppsMutation,
    TrustedDocumentsMutation,
    PersonalTokensMutation,
    WebhooksMutation,
    IncomingWebhooksMutation,
    CalendarEventsMutation,
    CalendarSettingsMutation,
    CalendarEventMutations,
    CalendarRsvpMutation,
    CalendarRoomsMutation,
    CalendarRemindersMutation,
    CalendarsMutation,
    CalendarSharingMutation,
    CalendarIcsMutation,
    DocsMutation,
    DocBlocksMutation,
    DocCommentsMutation,
    DocVersionsMutation,
    DocsFormatsMutation,
    MeetingsMutation,
    MeetingsControlsMutation,
    MeetingsHostMutation,
    MeetingsSelfMutation,
    MeetingRecordingsMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    IdentitySubscription,
    MessengerSubscription,
    LiveSubscription,
    BackgroundJobsSubscription,
    DocsSubscription,
    MeetingsSubscription,
)
NODE_TYPES: tuple[type, ...] = (
    User,
    Organization,
    Department,
    Group,
    Chat,
    Message,
    File,
    App,
    PersonalAccessToken,
    Calendar,
    Event,
    EventOccurrence,
    Building,
    Room,
    Doc,
    Meeting,
    MeetingParticipant,
    MeetingRecording,
)
FEDERATION_VERSION: Literal["2.9"] = "2.9"
"""The Apollo Federation version the SDL links (``@link(url: .../federation/v2.9)``)."""


class HelloSchema(strawberry.federation.Schema):
    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Entities resolve like ``node(id:)``: null when missing or hidden (strawberry's own
        resolver raised an internal error for types without ``resolve_reference``)."""
        return await resolve_entities(info, list(representations))

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Expected errors (bad input, limits, permissions) are not worth a traceback; the
        server's guard logs unexpected ones once, with the request id."""


def _root(name: str, parts: tuple[type, ...], description: str) -> type:
    merged: Any = merge_types(name, parts)
    merged.__strawberry_definition__.description = description
    return merged


def create_schema(*, production: bool = False, extensions: Sequence[Any] = ()) -> strawberry.Schema:
    """The Hello schema, an Apollo Federation 2 subgraph. In production, "did you mean"
    suggestions are off so that field names do not leak to probing clients."""
    query = _root("Query", QUERIES, "Reads. Start from `viewer` or `node`.")
    mutation = _root(
        "Mutation", MUTATIONS, "Writes. Each takes one `input` and returns a payload with `errors`."
    )
    # Expected failures land in the payload wherever the resolver raises them; an undeclared
    # code fails loudly outside production (graphql_schema/core/payload.py).
    add_payload_errors(mutation, strict=not production)
    subscription = _root(
        "Subscription",
        SUBSCRIPTIONS,
        "Live streams: over a WebSocket (graphql-transport-ws), or over HTTP with "
        "`Accept: text/event-stream` (GraphQL over SSE, graphql-sse) or "
        "`Accept: multipart/mixed;subscriptionSpec=1.0` (Apollo multipart subscriptions).",
    )
    schema = HelloSchema(
        # The highest version both the MIT composer (@theguild/federation-composition 0.27) and
        # Hive Gateway 2.15 know; strawberry's default, 2.11, is UNKNOWN_FEDERATION_LINK_VERSION
        # to them. Hello imports only @key, which every 2.x has, so nothing is lost.
        federation_version=FEDERATION_VERSION,
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(NODE_TYPES),
        config=StrawberryConfig(
            disable_field_suggestions=production, scalar_map={ByteCount: BYTE_COUNT}
        ),
        extensions=list(extensions),
    )
    describe_scopes(schema._schema)
    return schema
