"""Error codes and error types of the people mutations."""

from __future__ import annotations

from enum import Enum

import strawberry

from graphql_schema.admin.error_values import (
    EMAIL_TAKEN,
    GUEST_NOT_ALLOWED,
    MANAGER_INACTIVE,
    USER_NOT_FOUND,
)
from graphql_schema.core.idempotency import IDEMPOTENCY_KEY_REUSED
from graphql_schema.core.payload import BAD_USER_INPUT, MutationError, error_code
from graphql_schema.identity.error_values import INVALID_EMAIL
from resolvers.admin.errors import AdminErrorCode
from resolvers.core.errors import CoreErrorCode
from resolvers.identity.errors import IdentityErrorCode

INVALID_NAME = "The display name is empty or longer than 100 characters."
INVALID_TIME_ZONE = "Not an IANA time zone name such as `Europe/Berlin`."
INVALID_LOCALE = "Not a BCP 47 language tag such as `en` or `zh-CN` (at most 16 characters)."
OWNER_PROTECTED = "Only the owner may act on the owner, and the owner keeps their role."
ROLE_NOT_ALLOWED = "OWNER is given only by `ownershipTransfer`."
LAST_ADMIN = "At least one active owner or admin must remain."
WEAK_PASSWORD = "Shorter than 10 characters, longer than 1024, or equal to the email."


@strawberry.enum(description="Why `userCreate` failed.")
class UserCreateErrorCode(Enum):
    GUEST_NOT_ALLOWED = GUEST_NOT_ALLOWED
    INVALID_EMAIL = INVALID_EMAIL
    EMAIL_TAKEN = EMAIL_TAKEN
    WEAK_PASSWORD = error_code(IdentityErrorCode.WEAK_PASSWORD, WEAK_PASSWORD)
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, INVALID_NAME)
    ROLE_NOT_ALLOWED = error_code(AdminErrorCode.ROLE_NOT_ALLOWED, ROLE_NOT_ALLOWED)
    MANAGER_INACTIVE = MANAGER_INACTIVE
    MANAGER_CYCLE = error_code(AdminErrorCode.MANAGER_CYCLE, "The manager chain would loop.")
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "Your role may not add people, or not with this role; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "A manager or department named does not exist or you cannot see it (the two "
        "answer alike); `field` says which input.",
    )
    IDEMPOTENCY_KEY_REUSED = IDEMPOTENCY_KEY_REUSED


@strawberry.enum(description="Why `userUpdate` failed.")
class UserUpdateErrorCode(Enum):
    GUEST_NOT_ALLOWED = GUEST_NOT_ALLOWED
    INVALID_NAME = error_code(CoreErrorCode.INVALID_NAME, INVALID_NAME)
    INVALID_TIME_ZONE = error_code(IdentityErrorCode.INVALID_TIME_ZONE, INVALID_TIME_ZONE)
    INVALID_LOCALE = error_code(IdentityErrorCode.INVALID_LOCALE, INVALID_LOCALE)
    ROLE_NOT_ALLOWED = error_code(AdminErrorCode.ROLE_NOT_ALLOWED, ROLE_NOT_ALLOWED)
    OWNER_PROTECTED = error_code(AdminErrorCode.OWNER_PROTECTED, OWNER_PROTECTED)
    LAST_ADMIN = error_code(AdminErrorCode.LAST_ADMIN, LAST_ADMIN)
    MANAGER_INACTIVE = MANAGER_INACTIVE
    MANAGER_CYCLE = error_code(
        AdminErrorCode.MANAGER_CYCLE, "The user would become their own (indirect) manager."
    )
    BAD_USER_INPUT = BAD_USER_INPUT
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "Your role may not make this change to this person; `message` says why.",
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The user, the manager or a department named does not exist or you cannot "
        "see it (the two answer alike); `field` says which input.",
    )


@strawberry.enum(description="Why `userDeactivate` failed.")
class UserDeactivateErrorCode(Enum):
    OWNER_PROTECTED = error_code(
        AdminErrorCode.OWNER_PROTECTED, "The owner cannot be deactivated; transfer ownership first."
    )
    SELF = error_code(AdminErrorCode.SELF, "You cannot deactivate yourself.")
    LAST_ADMIN = error_code(AdminErrorCode.LAST_ADMIN, LAST_ADMIN)
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Your role may not deactivate this person; `message` says why."
    )
    NOT_FOUND = USER_NOT_FOUND


@strawberry.enum(description="Why `userReactivate` failed.")
class UserReactivateErrorCode(Enum):
    OWNER_PROTECTED = error_code(AdminErrorCode.OWNER_PROTECTED, OWNER_PROTECTED)
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Your role may not reactivate this person; `message` says why."
    )
    NOT_FOUND = USER_NOT_FOUND


@strawberry.enum(description="Why `passwordReset` failed.")
class PasswordResetErrorCode(Enum):
    WEAK_PASSWORD = error_code(IdentityErrorCode.WEAK_PASSWORD, WEAK_PASSWORD)
    OWNER_PROTECTED = error_code(AdminErrorCode.OWNER_PROTECTED, OWNER_PROTECTED)
    SELF = error_code(
        AdminErrorCode.SELF,
        "Your own password changes with `passwordChange`, which needs the current one.",
    )
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN,
        "Your role may not reset this person's password; `message` says why.",
    )
    NOT_FOUND = USER_NOT_FOUND


@strawberry.enum(description="Why `ownershipTransfer` failed.")
class OwnershipTransferErrorCode(Enum):
    ALREADY_OWNER = error_code(AdminErrorCode.ALREADY_OWNER, "You are the owner already.")
    USER_INACTIVE = error_code(
        AdminErrorCode.USER_INACTIVE, "The user is deactivated; reactivate them first."
    )
    GUEST_NOT_ALLOWED = error_code(
        AdminErrorCode.GUEST_NOT_ALLOWED,
        "A guest cannot own the organization; make them a member first.",
    )
    FORBIDDEN = error_code(
        CoreErrorCode.FORBIDDEN, "Only the organization's owner hands ownership over."
    )
    NOT_FOUND = error_code(
        CoreErrorCode.NOT_FOUND,
        "The new owner does not exist or you cannot see it (the two answer alike); "
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
