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

import strawberry
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
    "Session": "profile:read",
    "PersonalAccessToken": "profile:read",
    "Invitation": "admin:read",
    "AuditEntry": "admin:read",
    "BackgroundJob": "jobs:read",
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
    }
)
"""Root fields that need no scope, as ``"Type.field"``."""
