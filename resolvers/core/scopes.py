"""Scopes: what a token may do, named ``<area>:<read|write>``.

A person's own sign-in may do everything their role allows (``role_scopes``). A token issued
to an app or a personal access token carries the scopes it was granted, and may do what both
the grant and the role of its user allow (``effective_scopes``): a member's token never gains
an admin scope by asking for it. The schema declares which fields need which scopes (the
``@requiresScope`` directive), and the view checks them before execution.
"""

from __future__ import annotations

from models.identity import Role
from resolvers.core.context import Principal

SCOPES: dict[str, str] = {
    "profile:read": "Read your own profile, settings and sessions.",
    "profile:write": "Change your own profile and settings, and sign out.",
    "directory:read": "Read the organization's people, departments and groups.",
    "messenger:read": "Read chats and messages, and receive their live events.",
    "messenger:write": "Send, edit and react to messages; create and manage chats.",
    "drive:read": "Read files and folders, and download files.",
    "drive:write": "Upload, change, share, move and delete files and folders.",
    "calendar:read": "Read calendars, events, free/busy and rooms, and receive their live events.",
    "calendar:write": "Create and change events, answer invitations, manage calendars, book rooms.",
    "docs:read": "Read docs, their comments and versions, and follow their live edits.",
    "docs:write": "Create, edit, comment on, import and restore docs.",
    "meetings:read": "See meetings and their history, recordings and live state.",
    "meetings:write": "Start, join and run meetings: signaling, host controls, recording.",
    "jobs:read": "Watch the background jobs you started.",
    "admin:read": "Read the admin console: audit log, everyone's sessions, background jobs.",
    "admin:write": "Manage people, departments, groups, invitations and settings.",
    "apps:write": "Create and manage apps, their tokens, webhooks and trusted documents.",
}
"""Every scope, with the sentence the consent page and the SDL show."""

ADMIN_ONLY = frozenset({"admin:read", "admin:write", "apps:write"})

_ALL = frozenset(SCOPES)
_MEMBER = _ALL - ADMIN_ONLY


def role_scopes(role: Role | str) -> frozenset[str]:
    """Every scope a person of this role may use; their own sign-in has exactly these."""
    return _ALL if role in (Role.OWNER, Role.ADMIN) else _MEMBER


def effective_scopes(principal: Principal) -> frozenset[str]:
    """What this principal may do: its grant within its user's role."""
    allowed = role_scopes(principal.user.role)
    return allowed if principal.scopes is None else allowed & principal.scopes


def missing_scopes(principal: Principal, needed: frozenset[str] | set[str]) -> list[str]:
    """The scopes of ``needed`` this token lacks, sorted (empty when it may go on).

    A person's own sign-in lacks none: it has every scope of its role, and what the role does
    not allow the resolvers refuse as they always have (a member's ``userCreate`` is the
    mutation's FORBIDDEN payload error, not a request-level one)."""
    if principal.scopes is None:
        return []
    return sorted(needed - effective_scopes(principal))


def unknown_scopes(names: list[str] | set[str]) -> list[str]:
    """The names that are not scopes, for input validation."""
    return sorted(set(names) - _ALL)
