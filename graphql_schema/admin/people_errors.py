"""Error codes and error types of the people mutations."""

from __future__ import annotations

from enum import Enum

import strawberry

from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError

INVALID_NAME = "The display name is empty or longer than 100 characters."
INVALID_TIME_ZONE = "Not an IANA time zone name such as `Europe/Berlin`."
INVALID_LOCALE = "Not a BCP 47 language tag such as `en` or `zh-CN` (at most 16 characters)."
OWNER_PROTECTED = "Only the owner may act on the owner, and the owner keeps their role."
ROLE_NOT_ALLOWED = "OWNER is given only by `ownershipTransfer`."
LAST_ADMIN = "At least one active owner or admin must remain."
WEAK_PASSWORD = "Shorter than 10 characters, longer than 1024, or equal to the email."


@strawberry.enum(description="Why `userCreate` failed.")
class UserCreateErrorCode(Enum):
    GUEST_NOT_ALLOWED = strawberry.enum_value(
        "GUEST_NOT_ALLOWED", description="Guests sit in no department."
    )
    INVALID_EMAIL = strawberry.enum_value("INVALID_EMAIL", description="Not a valid address.")
    EMAIL_TAKEN = strawberry.enum_value(
        "EMAIL_TAKEN", description="An account with this email exists already."
    )
    WEAK_PASSWORD = strawberry.enum_value("WEAK_PASSWORD", description=WEAK_PASSWORD)
    INVALID_NAME = strawberry.enum_value("INVALID_NAME", description=INVALID_NAME)
    ROLE_NOT_ALLOWED = strawberry.enum_value("ROLE_NOT_ALLOWED", description=ROLE_NOT_ALLOWED)
    MANAGER_INACTIVE = strawberry.enum_value(
        "MANAGER_INACTIVE", description="The manager is deactivated."
    )
    MANAGER_CYCLE = strawberry.enum_value(
        "MANAGER_CYCLE", description="The manager chain would loop."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not add people, or not with this role; `message` says why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="A manager or department named does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.enum(description="Why `userUpdate` failed.")
class UserUpdateErrorCode(Enum):
    GUEST_NOT_ALLOWED = strawberry.enum_value(
        "GUEST_NOT_ALLOWED", description="Guests sit in no department."
    )
    INVALID_NAME = strawberry.enum_value("INVALID_NAME", description=INVALID_NAME)
    INVALID_TIME_ZONE = strawberry.enum_value("INVALID_TIME_ZONE", description=INVALID_TIME_ZONE)
    INVALID_LOCALE = strawberry.enum_value("INVALID_LOCALE", description=INVALID_LOCALE)
    ROLE_NOT_ALLOWED = strawberry.enum_value("ROLE_NOT_ALLOWED", description=ROLE_NOT_ALLOWED)
    OWNER_PROTECTED = strawberry.enum_value("OWNER_PROTECTED", description=OWNER_PROTECTED)
    LAST_ADMIN = strawberry.enum_value("LAST_ADMIN", description=LAST_ADMIN)
    MANAGER_INACTIVE = strawberry.enum_value(
        "MANAGER_INACTIVE", description="The manager is deactivated."
    )
    MANAGER_CYCLE = strawberry.enum_value(
        "MANAGER_CYCLE", description="The user would become their own (indirect) manager."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not make this change to this person; `message` says why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The user, the manager or a department named does not exist or you cannot "
        "see it (the two answer alike); `field` says which input.",
    )


@strawberry.enum(description="Why `userDeactivate` failed.")
class UserDeactivateErrorCode(Enum):
    OWNER_PROTECTED = strawberry.enum_value(
        "OWNER_PROTECTED", description="The owner cannot be deactivated; transfer ownership first."
    )
    SELF = strawberry.enum_value("SELF", description="You cannot deactivate yourself.")
    LAST_ADMIN = strawberry.enum_value("LAST_ADMIN", description=LAST_ADMIN)
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not deactivate this person; `message` says why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The user does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.enum(description="Why `userReactivate` failed.")
class UserReactivateErrorCode(Enum):
    OWNER_PROTECTED = strawberry.enum_value("OWNER_PROTECTED", description=OWNER_PROTECTED)
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not reactivate this person; `message` says why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The user does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.enum(description="Why `passwordReset` failed.")
class PasswordResetErrorCode(Enum):
    WEAK_PASSWORD = strawberry.enum_value("WEAK_PASSWORD", description=WEAK_PASSWORD)
    OWNER_PROTECTED = strawberry.enum_value("OWNER_PROTECTED", description=OWNER_PROTECTED)
    SELF = strawberry.enum_value(
        "SELF",
        description="Your own password changes with `passwordChange`, which needs the current one.",
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Your role may not reset this person's password; `message` says why.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The user does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.enum(description="Why `ownershipTransfer` failed.")
class OwnershipTransferErrorCode(Enum):
    ALREADY_OWNER = strawberry.enum_value("ALREADY_OWNER", description="You are the owner already.")
    USER_INACTIVE = strawberry.enum_value(
        "USER_INACTIVE", description="The user is deactivated; reactivate them first."
    )
    GUEST_NOT_ALLOWED = strawberry.enum_value(
        "GUEST_NOT_ALLOWED",
        description="A guest cannot own the organization; make them a member first.",
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN",
        description="Only the organization's owner hands ownership over.",
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="The new owner does not exist or you cannot see it (the two answer alike); "
        "`field` says which input.",
    )


@strawberry.type(description="A reason why `userCreate` failed.")
class UserCreateError(MutationError):
    code: UserCreateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `userUpdate` failed.")
class UserUpdateError(MutationError):
    code: UserUpdateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `userDeactivate` failed.")
class UserDeactivateError(MutationError):
    code: UserDeactivateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `userReactivate` failed.")
class UserReactivateError(MutationError):
    code: UserReactivateErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `passwordReset` failed.")
class PasswordResetError(MutationError):
    code: PasswordResetErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="A reason why `ownershipTransfer` failed.")
class OwnershipTransferError(MutationError):
    code: OwnershipTransferErrorCode = strawberry.field(
        description="What went wrong, for programs."
    )
