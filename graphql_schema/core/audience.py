"""Whom a field's value depends on, so that a live event is executed once for many subscribers.

An event of a channel is executed once per (event, document, variables, visibility class) and
its encoded payload sent to every subscriber of that class (``server/live_events.py``). That
is exact only if every field the document selects answers alike for everyone in the class.
Most fields depend on their object alone; the others are declared here, in one place:

* ``CLASS``: depends on the viewer only through ``identity.visibility_class``: the
  organization, and what the role lets one see of people (``identity.can_see_user``), such as
  ``Message.sender``;
* ``VIEWER``: depends on who exactly looks (``MessageReaction.viewerReacted``,
  ``ViewerChatEvent.mentionsYou``, read state, the ``viewer*`` fields): a document selecting
  one is executed per viewer (still once per event for that viewer's subscriptions).

``tests/test_audience.py`` finds every resolver reachable from a subscription that reads the
principal (itself or through the functions it uses) and fails unless it is declared here; an
attribute computed from the principal by its parent (``viewerReacted``) is declared by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)


class Audience(IntEnum):
    """Ordered: a document's audience is the widest of its fields'."""

    ANYONE = 0
    CLASS = 1
    VIEWER = 2


C, V = Audience.CLASS, Audience.VIEWER

# (GraphQL type, field) -> whom it depends on. Everything not named is ANYONE.
DECLARED: dict[tuple[str, str], Audience] = {
    # People, chats and messages as the viewer's organization and role let them be seen.
    ("Message", "sender"): C,
    ("Message", "text"): C,  # system messages name only the people the reader may see
    ("Message", "readBy"): C,
    ("Message", "reactions"): C,  # its viewerReacted is VIEWER
    ("MessageReaction", "users"): C,
    ("ReactionSummary", "users"): C,
    ("MembersChanged", "added"): C,
    ("MembersChanged", "removed"): C,
    ("Typing", "user"): C,
    ("ReadUpTo", "user"): C,
    ("User", "manager"): C,
    ("User", "organization"): C,
    ("Organization", "members"): C,
    ("UserPresence", "user"): C,
    ("ChatMembership", "user"): C,
    ("PresenceChanged", "user"): C,
    ("PasswordResetByAdmin", "resetBy"): C,
    ("Department", "leader"): C,
    ("DriveChanged", "actor"): C,
    ("File", "owner"): C,
    ("File", "modifiedBy"): C,
    ("FileVersion", "createdBy"): C,
    ("FilePermission", "grantee"): C,
    ("FilePermission", "createdBy"): C,
    ("ShareLink", "createdBy"): C,
    # The viewer's own: read state, membership, role, sessions, mentions.
    ("MessageReaction", "viewerReacted"): V,
    ("Chat", "title"): V,
    ("Chat", "peer"): V,
    ("Chat", "unreadCount"): V,
    ("Chat", "mentionCount"): V,
    ("Chat", "readSeq"): V,
    ("Chat", "viewerRole"): V,
    ("Chat", "muted"): V,
    ("Chat", "pinnedToTop"): V,
    ("Chat", "members"): V,
    ("Chat", "messages"): V,
    ("Chat", "lastMessage"): V,
    ("Message", "thread"): V,
    ("Message", "attachments"): V,
    ("Message", "editHistory"): V,
    ("Message", "readCount"): V,
    ("User", "mustChangePassword"): V,
    ("User", "sessions"): V,
    ("User", "chats"): V,
    ("Session", "current"): V,
    ("ViewerChatEvent", "mentionsYou"): V,
    ("ViewerChatEvent", "chat"): V,
    # Drive's and the directory's own rules (roles on files, departments, groups): what one
    # may see there depends on more than the class, so they are taken per viewer.
    ("User", "departments"): V,
    ("Department", "parent"): V,
    ("Department", "path"): V,
    ("Department", "children"): V,
    ("Department", "members"): V,
    ("Group", "members"): V,
    ("DriveChanged", "file"): V,
    ("MessageAttachment", "downloadUrl"): V,
    ("File", "viewerRole"): V,
    ("Doc", "viewerRole"): V,
    ("File", "parent"): V,
    ("File", "path"): V,
    ("File", "children"): V,
    ("File", "downloadUrl"): V,
    ("FilePermission", "inheritedFrom"): V,
    ("BackgroundJob", "resultFile"): V,
    # Calendar: roles on calendars (grants to people, departments, groups) and being a party
    # to an event decide what one sees of it, so events are taken per viewer.
    ("Calendar", "owner"): C,
    ("EventAttendee", "user"): C,
    ("CalendarEventChanged", "actor"): C,
    ("CalendarEventChanged", "event"): V,
    ("EventRsvpChanged", "event"): V,
    ("EventRsvpChanged", "note"): V,
    ("EventRsvpChanged", "user"): V,
    ("DocUpdateEvent", "author"): V,
    ("DocAwarenessEvent", "user"): V,
    # Docs' comments and versions: people as the viewer's class sees them; a comment or a doc
    # looked up again per viewer (their role on the doc decides).
    ("DocComment", "author"): C,
    ("DocComment", "resolvedBy"): C,
    ("DocComment", "mentionedUsers"): C,
    ("DocCommentEvent", "actor"): C,
    ("DocCommentEvent", "comment"): V,
    ("DocMentionedEvent", "actor"): C,
    ("DocMentionedEvent", "doc"): V,
    ("DocMentionedEvent", "comment"): V,
    ("DocVersion", "createdBy"): C,
    ("DocVersion", "editors"): C,
    ("Event", "calendar"): V,
    ("Event", "organizer"): V,
    ("Event", "series"): V,
    ("Event", "attendees"): V,
    ("Event", "responseTally"): V,
    ("Event", "viewerConflicts"): V,
    ("Calendar", "hidden"): V,
    ("Calendar", "listColor"): V,
    ("CalendarGrant", "grantee"): C,
    # Video meetings: what a guest sees of the organization (nothing) differs from what a
    # member sees, and the lobby only hosts see.
    ("MeetingChangedEvent", "meeting"): V,
    ("Meeting", "host"): V,
    ("Meeting", "passcode"): V,
    ("Meeting", "joinUrl"): V,
    ("Meeting", "participants"): V,
    ("Meeting", "viewerParticipant"): V,
    ("Meeting", "attendance"): V,
    ("Meeting", "recordings"): V,
    ("MeetingRecording", "file"): V,
    ("MeetingAttendance", "participant"): V,
    ("MeetingParticipant", "user"): V,
    ("Message", "meeting"): V,
    ("Meeting", "chatId"): V,
    ("Meeting", "eventId"): V,
    ("Event", "meeting"): V,
}


def field_audience(schema: GraphQLSchema, type_name: str, field_name: str) -> Audience:
    """A field's audience; on an interface or union, the widest of its possible types'."""
    found = DECLARED.get((type_name, field_name))
    if found is not None:
        return found
    named = schema.get_type(type_name)
    if named is not None and is_abstract_type(named):
        return max(
            (
                DECLARED.get((t.name, field_name), Audience.ANYONE)
                for t in schema.get_possible_types(named)
            ),
            default=Audience.ANYONE,
        )
    return Audience.ANYONE


def document_audience(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
) -> Audience:
    """The widest audience of the fields the operation selects (through its fragments; a
    directive that would skip a field is ignored: at worst the operation runs per viewer)."""
    root = schema.subscription_type if operation.operation.value == "subscription" else None
    if root is None:
        return Audience.VIEWER
    widest = Audience.ANYONE
    seen: set[tuple[str, int]] = set()

    def walk(parent: Any, selection_set: SelectionSetNode | None) -> None:
        nonlocal widest
        if selection_set is None or widest is Audience.VIEWER:
            return
        if (parent.name, id(selection_set)) in seen:
            return
        seen.add((parent.name, id(selection_set)))
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__"):
                    continue
                widest = max(widest, field_audience(schema, parent.name, name))
                fields = getattr(parent, "fields", None) or {}
                if name in fields:
                    walk(get_named_type(fields[name].type), sel.selection_set)
                elif is_abstract_type(parent):  # a field of the interface's implementations
                    for t in schema.get_possible_types(parent):
                        if name in t.fields:
                            walk(get_named_type(t.fields[name].type), sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                walk(schema.get_type(cond.name.value) if cond else parent, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    walk(schema.get_type(frag.type_condition.name.value), frag.selection_set)
                else:
                    widest = Audience.VIEWER  # cannot tell: no sharing

    walk(root, operation.selection_set)
    return widest


__all__ = ["DECLARED", "Audience", "document_audience", "field_audience"]
