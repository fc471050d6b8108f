"""``@requiresScope``: which scopes a token needs for a field, declared where the field is.

The directive is printed in the SDL (and so shown by GraphiQL), and ``server/scope_check.py``
reads it from the schema to work out, once per document, the scopes an operation needs: the
union of the directives of every field it selects (through fragments), and, for ``node`` and
``nodes``, the read scope of each object type the document selects on (``NODE_SCOPES``). A
token lacking one is refused before any resolver runs. A person's own sign-in is never stopped
by it: its role is checked by the resolvers (``resolvers.core.scopes.missing_scopes``).

Annotate a field with ``directives=needs("messenger:read")``. A root field without one must
be listed in ``PUBLIC_ROOT_FIELDS`` (``tests/apps/test_scopes.py`` fails otherwise)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

import strawberry
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema
from strawberry.federation.schema_directive import schema_directive
from strawberry.schema_directive import Location

from resolvers.core.scopes import SCOPES

SCOPES_SPEC = "https://specs.hello.dev/scopes/v1.0"
"""The ``@link`` URL the federation SDL imports ``@requiresScope`` from (``@composeDirective``
keeps it in the supergraph, so a gateway's users see it too)."""


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresScope",
    description="A token (an app's or a personal access token) needs every one of these "
    "scopes to select this field; an operation selecting it without them is refused with "
    "FORBIDDEN (`extensions.missingScopes`) before anything runs. A person's own sign-in has "
    "every scope of their role.",
    compose=True,
    import_url=SCOPES_SPEC,
)
class RequiresScope:
    scopes: list[str] = strawberry.field(
        description="The scopes needed, each `<area>:<read|write>`."
    )


def needs(*scopes: str) -> list[Any]:
    """The ``directives=`` of a field that needs these scopes."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"not scopes: {unknown or 'none given'}")
    return [RequiresScope(scopes=list(scopes))]


NODE_SCOPES: Mapping[str, str] = {
    "User": "directory:read",
    "Organization": "directory:read",
    "Department": "directory:read",
    "Group": "directory:read",
    "Chat": "messenger:read",
    "Message": "messenger:read",
    "File": "drive:read",
    "Doc": "docs:read",
    "Meeting": "meetings:read",
    "MeetingParticipant": "meetings:read",
    "MeetingRecording": "meetings:read",
    "Calendar": "calendar:read",
    "Event": "calendar:read",
    "EventOccurrence": "calendar:read",
    "Building": "calendar:read",
    "Room": "calendar:read",
    "Session": "profile:read",
    "PersonalAccessToken": "profile:read",
    "Invitation": "admin:read",
    "AuditEntry": "admin:read",
    "BackgroundJob": "jobs:read",
    # An app is a directory entry (its name, scopes and bot); what only admins manage of it is
    # behind apps:write.
    "App": "directory:read",
    "TrustedDocument": "apps:write",
    "WebhookSubscription": "apps:write",
    "WebhookDelivery": "apps:write",
}
"""The scope a token needs to read an object of each Node type through ``node``, ``nodes`` or
``_entities``, which reach any type. Checked twice: before execution, for every type the
document selects on inside ``node``/``nodes`` (FORBIDDEN); and when they resolve, where an
object of a type whose scope the token lacks is null, as if hidden (so that ``node(id:) {
__typename }`` tells nothing either). A Node type missing here is null for every token;
``tests/apps/test_scopes.py`` fails until it is listed."""

PUBLIC_ROOT_FIELDS: frozenset[str] = frozenset(
    {
        # Introspection and the federation gateway's fields (``_entities`` is checked per type
        # as it resolves, ``_service`` is the SDL).
        "Query._service",
        "Query._entities",
        # Whom a token acts as: every token may ask (as GitHub's ``viewer``). What is private
        # of the viewer needs its own scope (``User.sessions`` profile:read, ``User.chats``
        # messenger:read, ``Organization.members`` directory:read).
        "Query.viewer",
        # Reach any type: checked per type (``NODE_SCOPES``).
        "Query.node",
        "Query.nodes",
        # Before one has a token, or to get one.
        "Mutation.signIn",
        "Mutation.signUp",
        "Mutation.tokenRefresh",
        "Mutation.invitationAccept",
        # A guest from outside has no token before this (a meeting link lets them in).
        "Mutation.meetingJoinAsGuest",
        # The catalogue of scopes itself, for a consent screen or a script choosing its own.
        "Query.scopes",
        # The catalogue of webhook event types.
        "Query.webhookEventTypes",
    }
)
"""Root fields that need no scope, as ``"Type.field"``."""


FieldScopes = dict[tuple[str, str], frozenset[str]]
_by_schema: WeakKeyDictionary[GraphQLSchema, FieldScopes] = WeakKeyDictionary()


def field_scopes(schema: GraphQLSchema) -> FieldScopes:
    """``(type name, field name) -> scopes`` of every field carrying ``@requiresScope``, read
    once per schema from the strawberry fields behind it."""
    found = _by_schema.get(schema)
    if found is not None:
        return found
    found = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            scopes: set[str] = set()
            for directive in getattr(definition, "directives", None) or ():
                if isinstance(directive, RequiresScope):
                    scopes.update(directive.scopes)
            if scopes:
                found[(type_.name, name)] = frozenset(scopes)
    _by_schema[schema] = found
    return found


def describe_scopes(schema: GraphQLSchema) -> None:
    """Name each field's scopes at the end of its description too: introspection does not
    carry applied directives, so GraphiQL and generated clients learn them only from there."""
    for (type_name, name), scopes in field_scopes(schema).items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType))
        field = type_.fields[name]
        needed = ", ".join(f"`{s}`" for s in sorted(scopes))
        note = f"A token needs the scope{'s' if len(scopes) > 1 else ''} {needed}."
        if note not in (field.description or ""):
            field.description = f"{field.description}\n\n{note}" if field.description else note
