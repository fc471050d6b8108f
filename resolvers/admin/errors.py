"""The error codes Admin raises beyond ``CoreErrorCode``: people, departments, groups,
invitations and the organization's settings."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class AdminErrorCode(ErrorCode):
    # The invitation was accepted already (it cannot be revoked).
    ALREADY_ACCEPTED = auto()
    # ownershipTransfer to the owner.
    ALREADY_OWNER = auto()
    DEPARTMENT_CYCLE = auto()
    # Sub-departments or active members remain.
    DEPARTMENT_NOT_EMPTY = auto()
    DEPARTMENT_TOO_DEEP = auto()
    # The email's domain is not among the organization's allowed email domains.
    DOMAIN_NOT_ALLOWED = auto()
    EMAIL_TAKEN = auto()
    GROUP_LIMIT_REACHED = auto()
    # Guests sit in no department or group, and own nothing.
    GUEST_NOT_ALLOWED = auto()
    INVALID_DESCRIPTION = auto()
    INVALID_DOMAIN = auto()
    INVALID_INVITATION = auto()
    # A department's leader must be an active member.
    INVALID_LEADER = auto()
    # Nobody is invited as the owner.
    INVALID_ROLE = auto()
    INVALID_TIME_ZONE = auto()
    # A message edit or recall window outside 0 to a week.
    INVALID_WINDOW = auto()
    INVITATION_EXPIRED = auto()
    INVITATION_REVOKED = auto()
    INVITATION_USED = auto()
    # backgroundJobRetry on a job that is not DEAD.
    JOB_NOT_DEAD = auto()
    # No active owner or admin would remain.
    LAST_ADMIN = auto()
    MANAGER_CYCLE = auto()
    MANAGER_INACTIVE = auto()
    NAME_TAKEN = auto()
    # Only the owner acts on the owner, and the owner keeps their role.
    OWNER_PROTECTED = auto()
    # OWNER is given only by ownershipTransfer.
    ROLE_NOT_ALLOWED = auto()
    # An act on yourself that goes another way (deactivating, resetting your own password).
    SELF = auto()
    TOO_MANY_DOMAINS = auto()
    USER_INACTIVE = auto()
