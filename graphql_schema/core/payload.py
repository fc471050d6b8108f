"""Mutation payloads with typed errors, driven by ``DomainError`` codes.

Each mutation declares an enum of its error codes and an error type implementing
``MutationError``; ``mutate`` runs the domain function and turns a ``DomainError`` whose code is
in that enum into a payload error. Any other ``DomainError`` (unauthenticated, forbidden, not
found...) becomes a top-level error with its ``extensions.code``. Nobody builds error lists by
hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar, get_type_hints

import strawberry

from resolvers.core.errors import DomainError, DomainErrors

T = TypeVar("T")
P = TypeVar("P")


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


async def mutate(
    payload_cls: Callable[..., P],
    error_cls: type[MutationError],
    action: Awaitable[T],
    build: Callable[[T], dict[str, Any]],
) -> P:
    codes = _codes(error_cls)
    try:
        result = await action
    except DomainError as e:
        failures = e.errors if isinstance(e, DomainErrors) else [e]
        if all(f.code in codes.__members__ for f in failures):
            errors: list[Any] = [
                error_cls(code=codes[f.code], message=f.message, field=f.field)  # type: ignore[call-arg]
                for f in failures
            ]
            return payload_cls(errors=errors)
        raise
    return payload_cls(errors=[], **build(result))
