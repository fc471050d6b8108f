"""Docs' live events on the bus: their kinds and payloads. A doc's own channel
(``channels.doc_channel``) carries its edits, awareness, comment changes and access changes,
for ``docEvents``; user channels carry what concerns one person (a mention).

Binary Yjs data travels base64-encoded, as in the GraphQL API."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard


class DocsEventKind(StrEnum):
    """The ``type`` of Docs' events, as it travels on the bus."""

    UPDATE = "docs.update"
    AWARENESS = "docs.awareness"
    ACCESS = "docs.access"
    COMMENT_CHANGED = "docs.comment.changed"
    MENTIONED = "docs.mentioned"


class DocUpdated(TypedDict):
    """A stored update, on the doc's channel after commit."""

    type: Literal[DocsEventKind.UPDATE]
    docId: int
    organizationId: int
    revision: int
    update: str
    """The Yjs update (v1), base64."""
    authorId: int | None
    origin: str  # an UpdateOrigin
    clientTag: str | None
    """What the sender passed as ``clientTag`` (so it can skip its own echo)."""


class DocAwareness(TypedDict):
    """A y-protocols awareness update (cursors, selections, who is here): relayed, never
    stored."""

    type: Literal[DocsEventKind.AWARENESS]
    docId: int
    organizationId: int
    userId: int
    update: str
    """The y-protocols awareness update, base64."""
    clientTag: str | None


class DocAccessChanged(TypedDict):
    """Someone's access to the doc may have changed (shared, unshared, moved, trashed):
    subscribers check their own role again and end when they lost it."""

    type: Literal[DocsEventKind.ACCESS]
    docId: int
    organizationId: int


class DocCommentChanged(TypedDict):
    type: Literal[DocsEventKind.COMMENT_CHANGED]
    docId: int
    organizationId: int
    commentId: int
    threadId: int | None
    change: str  # CREATED, UPDATED, RESOLVED, REOPENED, DELETED
    actorId: int


class DocMentioned(TypedDict):
    """On the mentioned person's user channel."""

    type: Literal[DocsEventKind.MENTIONED]
    docId: int
    organizationId: int
    commentId: int | None
    actorId: int


DocChannelEvent = DocUpdated | DocAwareness | DocAccessChanged | DocCommentChanged
"""What a doc's channel carries."""
DocsEvent = DocChannelEvent | DocMentioned
"""Every event of Docs."""

_KINDS = frozenset(DocsEventKind)


def is_docs_event(event: Mapping[str, Any]) -> TypeGuard[DocsEvent]:
    return event.get("type") in _KINDS
