"""Protection before execution, and error shaping after it.

One schema extension (``Guard``) per operation:

* parse through a shared LRU cache, with a token limit;
* refuse a document whose operation cannot be chosen (several, and no ``operationName``);
* one linear pass over the document (``server/analysis.py``) computes depth, aliases,
  directives, cost, nodes and fragment spreads, and rejects what is over a limit before
  anything else looks at the document (graphql-core's validation is not linear);
* keeps ``_service`` and ``_entities`` (the whole SDL, and entities by key) for the federation
  gateway in production;
* takes the cost from the principal's token bucket (in-process or Redis), answering 429 with
  ``Retry-After`` when it is empty;
* validates through a cache (validation is the largest fixed cost of a small query), then
  coerces the variables, so that bad input is BAD_USER_INPUT before execution;
* afterwards gives every error a stable ``extensions.code`` and masks internal errors (in
  development too) to a message plus the request id that the logs carry.
"""

from __future__ import annotations

import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    ValuesOfCorrectTypeRule,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from adapters import runtime
from adapters.dbhealth import connection_lost, unavailable_error
from adapters.kv import BucketResult, StoreUnavailable
from adapters.settings import Settings
from resolvers.core.errors import DomainError
from server.analysis import Analysis, analyze, repeated_fields

__all__ = ["Analysis", "Guard", "analyze", "check_limits", "shape_errors"]

log = logging.getLogger("hello.graphql")

CACHE_SIZE = 1000
GATEWAY_HEADER = "x-hello-gateway-secret"
GATEWAY_FIELDS = {"_service", "_entities"}


# What a user whose password an admin reset may still do: read who they are, choose a new
# password, or sign out. Checked here once for every transport, besides the resolvers' own check.
PASSWORD_CHANGE_FIELDS = {"viewer", "passwordChange", "signOut", "__typename"}


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


def _limit_error(message: str, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


# Figures reach the client in JSON, where integers past 2^53 lose precision (and orjson
# refuses those past 2^64); an exploding document's figures can be far larger.
MAX_SAFE = 2**53 - 1


def _shown(n: int) -> int:
    return min(n, MAX_SAFE)


def check_limits(a: Analysis, s: Settings) -> GraphQLError | None:
    if a.bad_input is not None:
        return _limit_error(a.bad_input, "BAD_USER_INPUT")
    # Spreads first: past their limit every other figure may be astronomical. Then nodes: with
    # every object costing a point the cost limit usually binds first, and "may return N
    # nodes" is the more useful message when both are exceeded.
    checks = [
        (
            a.spreads > s.max_fragment_spreads,
            f"The operation expands to {_shown(a.spreads)} fragment spreads; the limit is "
            f"{s.max_fragment_spreads}.",
            "FRAGMENT_LIMIT_EXCEEDED",
        ),
        (
            a.fields > s.max_fields,
            f"The operation expands to {_shown(a.fields)} fields; the limit is {s.max_fields}.",
            "FIELD_LIMIT_EXCEEDED",
        ),
        (
            a.nodes > s.max_nodes,
            f"The query may return {_shown(a.nodes)} nodes; the limit is {s.max_nodes}.",
            "NODE_LIMIT_EXCEEDED",
        ),
        (
            a.depth > s.max_depth,
            f"Query depth {a.depth} exceeds the limit of {s.max_depth}.",
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (
            a.aliases > s.max_aliases,
            f"{_shown(a.aliases)} aliases exceed the limit of {s.max_aliases}.",
            "ALIAS_LIMIT_EXCEEDED",
        ),
        (
            a.directives > s.max_directives,
            f"{_shown(a.directives)} directives exceed the limit of {s.max_directives}.",
            "DIRECTIVE_LIMIT_EXCEEDED",
        ),
        (
            a.cost > s.max_cost,
            f"Query cost {_shown(a.cost)} exceeds the limit of {s.max_cost}.",
            "COST_LIMIT_EXCEEDED",
        ),
        (
            a.repeats > s.max_field_repeats,
            f"{_shown(a.repeats)} fields are written on one response path; the limit is "
            f"{s.max_field_repeats}. Select each field once.",
            "FIELD_REPEAT_LIMIT_EXCEEDED",
        ),
    ]
    for failed, message, code in checks:
        if failed:
            return _limit_error(message, code, cost=_shown(a.cost), nodes=_shown(a.nodes))
    return None


def check_gateway(a: Analysis, settings: Settings, context: Any) -> GraphQLError | None:
    """In production ``_service`` (the whole SDL, introspection by another name) and
    ``_entities`` answer only to the federation gateway, which proves itself with the shared
    secret; compared in constant time, so the secret cannot be guessed byte by byte."""
    if not settings.production or not a.root_fields & GATEWAY_FIELDS:
        return None
    request = getattr(context, "request", None)
    sent = request.headers.get(GATEWAY_HEADER, "") if request is not None else ""
    secret = settings.gateway_secret
    if secret and hmac.compare_digest(sent.encode(), secret.encode()):
        return None
    return _limit_error(
        "_service and _entities answer only to the federation gateway.", "GATEWAY_ONLY"
    )


def check_password_change(a: Analysis, context: Any) -> GraphQLError | None:
    principal = getattr(context, "principal", None)
    if (
        principal is not None
        and principal.user.must_change_password
        and not a.root_fields <= PASSWORD_CHANGE_FIELDS
    ):
        return _limit_error(
            "An admin reset your password: choose a new one with passwordChange first.",
            "PASSWORD_CHANGE_REQUIRED",
        )
    return None


class _InputValues(ValuesOfCorrectTypeRule):
    """Literals the schema refuses (an Int past 32 bits, a negative ByteCount) are the
    client's bad input, not a malformed document."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


def _rules(production: bool) -> list[Any]:
    rules = [_InputValues if r is ValuesOfCorrectTypeRule else r for r in specified_rules]
    return [*rules, NoSchemaIntrospectionCustomRule] if production else rules


_RULES = {False: _rules(False), True: _rules(True)}


def check_variables(ec: Any, document: DocumentNode) -> list[GraphQLError]:
    """Coerce the variables before execution, so that a value the schema refuses is
    BAD_USER_INPUT (graphql-core's own coercion inside execution keeps the scalar's exception
    as the cause, which looked like an internal error). Execution then coerces them again."""
    operation = _operation(document, ec.operation_name)
    if operation is None or not operation.variable_definitions:
        return []
    found = get_variable_values(
        ec.schema._schema, operation.variable_definitions, ec.variables or {}, max_errors=50
    )
    if not isinstance(found, list):
        return []
    return [
        GraphQLError(
            e.message, nodes=e.nodes, extensions={**(e.extensions or {}), "code": "BAD_USER_INPUT"}
        )
        for e in found
    ]


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
            context.operation_name = ec.operation_name or _first_operation_name(document)
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
                _limit_error(
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
            query, lambda: validate(ec.schema._schema, document, _RULES[production])
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


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = _operations(document)
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def check_operation(document: DocumentNode, name: str | None) -> GraphQLError | None:
    """Which operation runs must be clear before anything runs: a document of several
    operations needs an ``operationName`` (strawberry would quietly run the first), and the
    name must be one of them. A request error, in every transport."""
    names = [d.name.value if d.name else None for d in _operations(document)]
    if name is not None:
        if name in names:
            return None
        message = f'Unknown operation named "{name}".'
    elif len(names) == 1:
        return None
    elif not names:
        message = "The document contains no operation."
    else:
        message = "The document holds several operations: choose one with operationName."
    return _limit_error(message, "OPERATION_RESOLUTION_FAILURE")


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _first_operation_name(document: DocumentNode) -> str | None:
    return next((o.name.value for o in _operations(document) if o.name), None)


def _bucket_key(context: Any) -> str:
    principal = getattr(context, "principal", None)
    if principal is not None:
        return f"rate:user:{principal.user_id}"
    meta = getattr(context, "meta", None)
    return f"rate:ip:{getattr(meta, 'ip', '') or 'unknown'}"


def shape_errors(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    meta = getattr(context, "meta", None)
    request_id = getattr(meta, "request_id", "")
    shaped: list[GraphQLError] = []
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError) or (error.extensions or {}).get("code"):
            shaped.append(error)
        elif original is None:
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
            shaped.append(error)
        elif connection_lost(original):
            # Not a bug to mask but an outage to wait out; the driver's words stay in the log.
            log.warning(
                "database connection lost",
                exc_info=original,
                extra={"request_id": request_id, "path": error.path},
            )
            shaped.append(unavailable_error(error))
        else:
            log.error(
                "internal error",
                exc_info=original,
                extra={"request_id": request_id, "path": error.path},
            )
            # In development too: the driver's words (SQL, hosts, paths) stay in the log.
            shaped.append(
                GraphQLError(
                    f"Internal server error (request {request_id}).",
                    nodes=error.nodes,
                    positions=error.positions,
                    source=error.source,
                    path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            )
    return shaped
