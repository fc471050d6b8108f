"""Expected failures. Resolvers raise these; the schema layer turns them into payload errors
(when the mutation declares the code) or top-level errors with ``extensions.code``."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum, auto
from typing import Any


class ErrorCode(StrEnum):
    """The base of every domain's error codes: each module owns one subclass
    (``resolvers/<module>/errors.py``), its resolvers raise its members, and each mutation's
    GraphQL error enum lists the members it can raise with ``graphql_schema.core.payload.
    error_code``, so a code is one name from the raise to the schema. A member's value is its
    name (declare members with ``auto()``); members are strings, so they compare, hash and
    serialize as the code itself."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name


class CoreErrorCode(ErrorCode):
    """Codes every module raises through ``resolvers/core`` (access, validation, names,
    idempotency, throttling)."""

    BAD_REQUEST = auto()
    BAD_USER_INPUT = auto()
    UNAUTHENTICATED = auto()
    PASSWORD_CHANGE_REQUIRED = auto()
    FORBIDDEN = auto()
    NOT_FOUND = auto()
    THROTTLED = auto()
    INVALID_NAME = auto()
    IDEMPOTENCY_KEY_REUSED = auto()
    SUBSCRIPTION_OVERFLOW = auto()
    SERVICE_UNAVAILABLE = auto()


class DomainError(Exception):
    code: ErrorCode = CoreErrorCode.BAD_REQUEST
    default_message = "The request was not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        code: ErrorCode | None = None,
    ):
        self.message = message or self.default_message
        self.field = field
        if code:
            self.code = code
        super().__init__(self.message)

    @property
    def extensions(self) -> dict[str, object]:
        # graphql-core copies an original error's ``extensions`` into the GraphQL error.
        ext: dict[str, object] = {"code": self.code.value}
        if self.field:
            ext["field"] = self.field
        return ext


class DomainErrors(DomainError):
    """Several validation failures reported together."""

    def __init__(self, errors: Iterable[DomainError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, field=first.field, code=first.code)


class ValidationFailed(DomainError):
    code = CoreErrorCode.BAD_USER_INPUT


class Unauthenticated(DomainError):
    code = CoreErrorCode.UNAUTHENTICATED
    default_message = "Sign in first: this needs a valid access token."


class Forbidden(DomainError):
    code = CoreErrorCode.FORBIDDEN
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    """An object that does not exist, or that the viewer may not see: the two answer alike.

    The wording is fixed on purpose. "No such chat." for another organization's message and
    "No such message." for a made-up id told the two apart (an existence oracle), so every
    module now says the same; only ``field`` varies, and it names the input, not the cause.
    ``message`` is accepted for symmetry with other errors and ignored."""

    code = CoreErrorCode.NOT_FOUND
    default_message = "No such object."

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(None, field=field)


class Throttled(DomainError):
    code = CoreErrorCode.THROTTLED
    default_message = "Too many attempts; try again later."

    def __init__(
        self, message: str | None = None, *, retry_after: float = 0, field: str | None = None
    ):
        super().__init__(message, field=field)
        self.retry_after = retry_after


def collect(errors: list[DomainError]) -> None:
    """Raise every collected validation error at once, or nothing."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DomainErrors(errors)
