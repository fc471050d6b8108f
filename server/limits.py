"""The ``Guard`` schema extension: protection before execution, and error shaping after it,
once per operation. Before, it parses through a shared LRU cache with a token limit, runs the
one linear analysis of the document (``server/analysis.py``: graphql-core's validation is not
linear, so nothing else looks at an oversized document first) and the checks of
``server/operation_checks.py`` (one operation to run, size limits, ``_service``/``_entities``
for the federation gateway only, a password to change), takes the cost from the principal's
token bucket (in-process or Redis; 429 with ``Retry-After`` when empty), validates through a
cache (validation is the largest fixed cost of a small query) and coerces the variables, so
bad input is BAD_USER_INPUT before execution. After, ``server/error_shaping.py`` gives every
error a stable ``extensions.code`` and masks internal ones to the request id the logs carry.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, parse, validate
from strawberry.extensions import SchemaExtension

from adapters import runtime
from adapters.kv import BucketResult, StoreUnavailable
from server.analysis import analyze, repeated_fields
from server.error_shaping import shape_errors
from server.operation_checks import (
    VALIDATION_RULES,
    check_gateway,
    check_limits,
    check_operation,
    check_password_change,
    check_variables,
    first_operation_name,
    limit_error,
)

__all__ = ["Guard"]

log = logging.getLogger("hello.graphql")

CACHE_SIZE = 1000


class _LRU(OrderedDict[str, Any]):
    def get_or(self, key: str, make: Any) -> Any:
        try:
            self.move_to_end(key)
            return self[key]
        except KeyError:
            value = self[key] = make()
            if len(self) > CACHE_SIZE:
                self.popitem(last=False)
            return value


# Shared by every request of the process: keys are query texts, values do not depend on who asks.
_parsed = _LRU()
_validated: dict[bool, _LRU] = {False: _LRU(), True: _LRU()}


class Guard(SchemaExtension):
    def __init__(self) -> None:
        self.cost: int | None = None
        self.bucket: tuple[int, float] | None = None

    # -- before execution ---------------------------------------------------------------------

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is None and ec.query:
            max_tokens = runtime.current().settings.max_tokens
            query = ec.query
            try:
                ec.graphql_document = _parsed.get_or(
                    query, lambda: parse(query, max_tokens=max_tokens)
                )
            except GraphQLSyntaxError as e:
                code = "TOKEN_LIMIT_EXCEEDED" if "tokens" in e.message else "GRAPHQL_PARSE_FAILED"
                raise GraphQLError(
                    e.message, source=e.source, positions=e.positions, extensions={"code": code}
                ) from None
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        services = runtime.current()
        settings = services.settings
        document = ec.graphql_document
        assert document is not None
        # Strawberry keeps the name as sent; its ``operation_name`` falls back to the first.
        refused = check_operation(document, getattr(ec, "_provided_operation_name", None))
        if refused is not None:
            ec.pre_execution_errors = [refused]
            yield
            return
        analysis = analyze(ec.schema._schema, document, ec.operation_name, ec.variables or {})
        analysis.repeats = repeated_fields(document)
        context = ec.context
        if context is not None:
            context.operation_name = ec.operation_name or first_operation_name(document)
        refused = (
            check_limits(analysis, settings)
            or check_gateway(analysis, settings, context)
            or check_password_change(analysis, context)
        )
        if refused is not None:
            ec.pre_execution_errors = [refused]
            yield
            return
        # Every operation costs at least one point, so even `{ __typename }` is rate limited.
        self.cost = max(analysis.cost, 1)
        if context is not None:
            context.cost = self.cost
        key = _bucket_key(context)
        try:
            bucket = await services.store.take(
                key, self.cost, settings.rate_limit_capacity, settings.rate_limit_refill_per_second
            )
        except StoreUnavailable:
            # The Redis store already falls back to a per-process bucket when Redis is
            # unreachable (``adapters/kv.py``); should any store still refuse, fail open: an
            # outage should slow nobody down more than it must.
            log.warning("rate limit store unavailable; letting the operation through")
            bucket = BucketResult(True, settings.rate_limit_capacity, 0.0)
        self.bucket = (bucket.remaining, bucket.retry_after)
        if not bucket.allowed:
            response = getattr(context, "response", None)
            if response is not None and hasattr(response, "status_code"):
                response.status_code = 429
                response.headers["Retry-After"] = str(max(1, round(bucket.retry_after + 0.5)))
            ec.pre_execution_errors = [
                limit_error(
                    f"Rate limit: this operation costs {self.cost} points and {bucket.remaining} "
                    f"remain; retry in {bucket.retry_after:.1f} s.",
                    "RATE_LIMITED",
                    retryAfter=bucket.retry_after,
                )
            ]
            yield
            return
        production = settings.production
        query = ec.query or ""
        errors = _validated[production].get_or(
            query, lambda: validate(ec.schema._schema, document, VALIDATION_RULES[production])
        )
        ec.pre_execution_errors = list(errors) or check_variables(ec, document)
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        settings = runtime.current().settings
        remaining, _ = self.bucket or (0, 0.0)
        return {
            "cost": {
                "requestedQueryCost": self.cost,
                "maximumAvailable": settings.rate_limit_capacity,
                "throttleStatus": {
                    "currentlyAvailable": remaining,
                    "restoreRate": settings.rate_limit_refill_per_second,
                },
            }
        }

    # -- after execution ----------------------------------------------------------------------

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is not None and context.is_websocket:
            # A WebSocket's context lives as long as the socket: no cached rows across operations.
            context.loaders.clear()
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            context = self.execution_context.context
            result.errors = shape_errors(result.errors, context)
            if context is not None:
                # For the request log: what went wrong, by code.
                context.outcome = (result.errors[0].extensions or {}).get("code", "ERROR")

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if getattr(result, "errors", None):
            result.errors = shape_errors(result.errors, self.execution_context.context)
        yield None


def _bucket_key(context: Any) -> str:
    principal = getattr(context, "principal", None)
    if principal is not None:
        return f"rate:user:{principal.user_id}"
    meta = getattr(context, "meta", None)
    return f"rate:ip:{getattr(meta, 'ip', '') or 'unknown'}"
