"""The codes Messenger raises beyond ``CoreErrorCode``: one name from the ``raise`` in
``resolvers/messenger`` to the values of each mutation's error enum in
``graphql_schema/messenger``."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class MessengerErrorCode(ErrorCode):
    # A group's send policy lets only its owner and admins send.
    ADMINS_ONLY = auto()
    CHAT_DISBANDED = auto()
    # An edit raced another edit of the same message.
    CONFLICT = auto()
    EDIT_WINDOW_PASSED = auto()
    EMPTY_MESSAGE = auto()
    GUEST_NOT_ALLOWED = auto()
    # Rich content not in the documented format.
    INVALID_CONTENT = auto()
    INVALID_EMOJI = auto()
    # A direct chat names exactly one other member.
    INVALID_MEMBERS = auto()
    # A mention names no user of your organization.
    INVALID_MENTION = auto()
    # Recall or pin by someone whose chat role does not allow it.
    NOT_ALLOWED = auto()
    NOT_A_GROUP = auto()
    NOT_A_MEMBER = auto()
    NOT_SENDER = auto()
    OWNER_CANNOT_BE_REMOVED = auto()
    OWNER_MUST_HAND_OVER = auto()
    # The owner cannot set their own role: they hand over.
    OWNER_ROLE = auto()
    RECALLED = auto()
    RECALL_WINDOW_PASSED = auto()
    TOO_LONG = auto()
    # A forward names 0 or over 100 chats.
    TOO_MANY_CHATS = auto()
    TOO_MANY_EDITS = auto()
    TOO_MANY_MENTIONS = auto()
    # Pinned to the top of your own chat list.
    TOO_MANY_PINNED = auto()
    # Messages pinned in one chat.
    TOO_MANY_PINS = auto()
    # Different emoji on one message.
    TOO_MANY_REACTIONS = auto()
