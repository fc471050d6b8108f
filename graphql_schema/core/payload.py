"""Mutation payloads with typed errors, driven by ``DomainError`` codes.

Each mutation declares an enum of its error codes and an error type implementing
``MutationError``; every expected failure of a mutation (NOT_FOUND and FORBIDDEN included) is a
payload error, so a client looks in one place. ``mutate`` runs the domain function and turns a
``DomainError`` whose code is in that enum into payload errors; ``PayloadErrors``, a field
extension on every root mutation field, does the same for what the resolver raises before or
around ``mutate`` (an ID that names nothing, say). Only ``REQUEST_LEVEL_CODES`` stay top-level
errors. Nobody builds error lists by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar, get_type_hints

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryList, get_object_definition
from strawberry.types.enum import EnumValueDefinition
from strawberry.types.field import StrawberryField

from resolvers.core.errors import CoreErrorCode, DomainError, DomainErrors, ErrorCode

T = TypeVar("T")
P = TypeVar("P")

log = logging.getLogger("hello.graphql")

# Failures of the request rather than of what a mutation was asked to do: they mean the same
# whichever field was asked, a client handles them once (sign in again, slow down, fix the
# document, retry later), and most are decided before any resolver runs. These, and only
# these, are top-level errors with ``extensions.code``; every other code a mutation can raise is
# in its payload's enum, and tests/security/test_error_codes.py proves it from the source.
REQUEST_LEVEL_CODES: frozenset[str] = frozenset(
    {
        # Who is asking: no valid token, or a session that must change its password first.
        "UNAUTHENTICATED",
        "PASSWORD_CHANGE_REQUIRED",
        # Malformed or refused at the edge, before execution (server/view.py, server/limits.py).
        # A variable that does not coerce is graphql-core's BAD_USER_INPUT there too; a
        # resolver's own BAD_USER_INPUT is an expected failure and goes in the payload.
        "BAD_REQUEST",
        "METHOD_NOT_ALLOWED",
        "CSRF_REJECTED",
        "BODY_TOO_LARGE",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        # Persisted documents (server/persisted.py): an id nobody registered (or, for an app
        # restricted to its trusted documents, one it did not upload), a hash that is not its
        # document's, and a document sent as text by an app that may only name one by id.
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_HASH_MISMATCH",
        "TRUSTED_DOCUMENT_REQUIRED",
        "GATEWAY_ONLY",
        # Over a limit of the operation or of the caller (the request rate limit).
        "TOKEN_LIMIT_EXCEEDED",
        "DEPTH_LIMIT_EXCEEDED",
        "ALIAS_LIMIT_EXCEEDED",
        "DIRECTIVE_LIMIT_EXCEEDED",
        "FRAGMENT_LIMIT_EXCEEDED",
        "FIELD_LIMIT_EXCEEDED",
        "FIELD_REPEAT_LIMIT_EXCEEDED",
        "NODE_LIMIT_EXCEEDED",
        "COST_LIMIT_EXCEEDED",
        "RATE_LIMITED",
        # Subscriptions over HTTP (server/http_streams.py): one sent without a streaming Accept,
        # more streams open than a principal may hold, a stream whose client stopped reading.
        "STREAMING_TRANSPORT_REQUIRED",
        "STREAM_LIMIT_EXCEEDED",
        "STREAM_STALLED",
        # Faults: ours, or an outage to wait out.
        "INTERNAL_SERVER_ERROR",
        "SERVICE_UNAVAILABLE",
        "TIMEOUT",
    }
)


class UndeclaredErrorCode(Exception):
    """A mutation raised an expected failure its error enum does not list (a bug of ours)."""


def error_code(member: ErrorCode, description: str) -> EnumValueDefinition:
    """One value of a mutation's error enum: the domain's own code, described for this mutation.

    Write ``EMAIL_TAKEN = error_code(IdentityErrorCode.EMAIL_TAKEN, "...")`` in the enum's class,
    under the member's own name (tests/security/test_error_codes.py checks that every value of
    every error enum is a domain code of that name), so the resolver's ``raise`` and the schema
    name the same thing and a renamed or mistyped code fails at import."""
    return strawberry.enum_value(member.value, description=description)


# The code of a resolver's own input checks (a list, a text or a key over its limit), listed by
# every mutation that makes them; declared once so the wording stays one.
BAD_USER_INPUT = error_code(
    CoreErrorCode.BAD_USER_INPUT,
    "An input is malformed or over a documented limit (a list, a text, the "
    "idempotency key); `message` and `field` say which.",
)


@strawberry.interface(description="Why a mutation did not do what was asked. Nothing was changed.")
class MutationError:
    message: str = strawberry.field(description="What went wrong, for people.")
    field: str | None = strawberry.field(
        default=None,
        description="Path of the input field at fault, dotted (e.g. `password`), or null when "
        "the error is about the whole input.",
    )


_code_enums: dict[type, type[Enum]] = {}


def _codes(error_cls: type) -> type[Enum]:
    """The enum of an error type's ``code`` field (read once per type)."""
    if error_cls not in _code_enums:
        code_type = get_type_hints(error_cls)["code"]
        assert issubclass(code_type, Enum)
        _code_enums[error_cls] = code_type
    return _code_enums[error_cls]


def _failures(e: DomainError) -> list[DomainError]:
    return e.errors if isinstance(e, DomainErrors) else [e]


def declared(error_cls: type, e: DomainError) -> list[Any] | None:
    """``e`` as payload errors of ``error_cls``, or None when its enum lacks one of the codes."""
    codes = _codes(error_cls)
    failures = _failures(e)
    if not all(f.code in codes.__members__ for f in failures):
        return None
    return [
        error_cls(code=codes[f.code], message=f.message, field=f.field, **_extra(error_cls, f))
        for f in failures
    ]


def _extra(error_cls: type, e: DomainError) -> dict[str, Any]:
    """What an error type declares beyond code, message and field: ``retry_after`` (seconds)
    for a THROTTLED one."""
    definition = get_object_definition(error_cls)
    names = {f.python_name for f in definition.fields} if definition else set()
    retry = getattr(e, "retry_after", None)
    return {"retry_after": retry} if "retry_after" in names and retry else {}


async def mutate(
    payload_cls: Callable[..., P],
    error_cls: type[MutationError],
    action: Awaitable[T],
    build: Callable[[T], dict[str, Any]],
) -> P:
    try:
        result = await action
    except DomainError as e:
        errors = declared(error_cls, e)
        if errors is None:
            raise  # request-level, or undeclared: PayloadErrors decides
        return payload_cls(errors=errors)
    return payload_cls(errors=[], **build(result))


class PayloadErrors(FieldExtension):
    """Turns a ``DomainError`` raised anywhere in a mutation's resolver into payload errors.

    A code that is neither in the mutation's enum nor request-level is a bug: it is logged as
    an error and, when ``strict`` (development and tests), answered as an internal error so no
    test can pass over it; in production the client gets it top-level, as before."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self._classes: tuple[type, type] | None = None

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def classes(self) -> tuple[type, type]:
        """The payload type and its error type, read from the field once types are resolved."""
        if self._classes is None:
            payload_cls = self.field.type
            definition = get_object_definition(payload_cls, strict=True)
            errors = next(f for f in definition.fields if f.python_name == "errors")
            assert isinstance(errors.type, StrawberryList)
            assert isinstance(payload_cls, type) and isinstance(errors.type.of_type, type)
            self._classes = (payload_cls, errors.type.of_type)
        return self._classes

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as e:
            payload_cls, error_cls = self.classes()
            errors = declared(error_cls, e)
            if errors is not None:
                return payload_cls(errors=errors)
            undeclared = sorted({f.code for f in _failures(e)} - set(_codes(error_cls).__members__))
            if all(code in REQUEST_LEVEL_CODES for code in undeclared):
                raise
            log.error(
                "mutation %s raised %s, missing from its error enum %s",
                info.field_name,
                ", ".join(undeclared),
                _codes(error_cls).__name__,
            )
            if self.strict:
                raise UndeclaredErrorCode(
                    f"{info.field_name} raised {', '.join(undeclared)}, which "
                    f"{_codes(error_cls).__name__} does not declare"
                ) from e
            raise


def add_payload_errors(mutation_type: type, *, strict: bool) -> None:
    """Put ``PayloadErrors`` on every field of the merged Mutation type (each payload has
    ``errors``: tests/security/test_error_codes.py checks it); calling it again replaces them."""
    definition = get_object_definition(mutation_type, strict=True)
    for field in definition.fields:
        field.extensions = [
            *(x for x in field.extensions if not isinstance(x, PayloadErrors)),
            PayloadErrors(strict=strict),
        ]
