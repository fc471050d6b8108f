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
import math
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension

from adapters import runtime
from adapters.kv import Bucket, BucketResult, StoreUnavailable
from server.analysis import Analysis, analyze, repeated_fields
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
from server.scope_check import forbidden, needed_scopes

__all__ = [
    "Admission",
    "Guard",
    "admit",
    "operation_name_of",
    "parse_document",
    "shape_outcome",
    "validation_errors",
]

log = logging.getLogger("hello.graphql")

CACHE_SIZE = 1000


class _LRU(OrderedDict[Any, Any]):
    def get_or(self, key: Any, make: Any) -> Any:
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
_plans = _LRU()  # by (schema, query text, operation name sent): see _Plan
_validated: dict[bool, _LRU] = {False: _LRU(), True: _LRU()}


def parse_document(query: str) -> DocumentNode:
    """The document of ``query``, through the shared cache and within the token limit; a
    syntax error is a GraphQLError with its code (TOKEN_LIMIT_EXCEEDED or GRAPHQL_PARSE_FAILED)."""
    document: DocumentNode | None = _parsed.get(query)
    if document is not None:
        _parsed.move_to_end(query)
        return document
    max_tokens = runtime.current().settings.max_tokens
    try:
        document = _parsed.get_or(query, lambda: parse(query, max_tokens=max_tokens))
    except GraphQLSyntaxError as e:
        code = "TOKEN_LIMIT_EXCEEDED" if "tokens" in e.message else "GRAPHQL_PARSE_FAILED"
        raise GraphQLError(
            e.message, source=e.source, positions=e.positions, extensions={"code": code}
        ) from None
    return document


@dataclass(frozen=True, slots=True)
class Limit:
    """One rate limit a request was metered by: which (``user``, ``ip``, ``app`` or
    ``organization``), its bucket, and what the take left in it."""

    name: str
    bucket: Bucket
    result: BucketResult

    def shown(self) -> dict[str, Any]:
        return {
            "limit": self.name,
            "maximumAvailable": self.bucket.capacity,
            "currentlyAvailable": self.result.remaining,
            "restoreRate": self.bucket.refill_per_second,
        }


@dataclass
class Admission:
    """What the checks before execution found: the request errors to answer with (none: the
    operation may run), and the cost taken from the rate limits with what remains of each."""

    errors: list[GraphQLError] = field(default_factory=list)
    cost: int | None = None
    limits: list[Limit] | None = None
    """Every bucket the request was metered by, the tightest (fewest points left) first."""
    operation_name: str | None = None
    """The name of the operation to run, as strawberry resolves it (``operation_name_of``)."""

    def results(self, *, each: bool = True) -> dict[str, Any]:
        """The response's ``extensions`` (``cost``), once the cost is known: the tightest
        bucket in the fields GitHub's and Shopify's clients read, and (``each``) every bucket
        in ``limits``. A stream's first result leaves ``limits`` out: subscribers of one class
        share its bytes (``server/live_events.py``), and what remains of a bucket shared by
        the organization differs from one subscriber to the next."""
        if self.cost is None or not self.limits:
            return {}
        tightest = self.limits[0]
        shown: dict[str, Any] = {
            "cost": {
                "requestedQueryCost": self.cost,
                "maximumAvailable": tightest.bucket.capacity,
                "throttleStatus": {
                    "currentlyAvailable": tightest.result.remaining,
                    "restoreRate": tightest.bucket.refill_per_second,
                    "limit": tightest.name,
                },
            }
        }
        if each:
            shown["cost"]["limits"] = [limit.shown() for limit in self.limits]
        return shown


@dataclass
class _Plan:
    """What the checks work out from the document and the operation name sent alone, once
    for both (and the schema): the operation to run, the name the request log shows, the
    repeated fields, and the analysis when no page size in it came from a variable."""

    operation_name: str | None
    logged_name: str | None
    repeats: int
    variables: bool
    """Whether the operation declares variables (``check_variables`` coerces them)."""
    scopes: frozenset[str]
    """What a token needs to run it (``server/scope_check.py``)."""
    analysis: Analysis | None = None


def _plan(
    schema: GraphQLSchema, document: DocumentNode, query: str, provided_name: str | None
) -> _Plan | GraphQLError:
    """The plan of an operation, or the request error when which one to run is not clear."""
    key = (schema, query, provided_name)
    plan: _Plan | None = _plans.get(key)
    if plan is not None:
        _plans.move_to_end(key)
        return plan
    # Strawberry keeps the name as sent; its ``operation_name`` falls back to the first.
    refused = check_operation(document, provided_name)
    if refused is not None:
        return refused
    operation_name = operation_name_of(document, provided_name)
    return _plans.get_or(
        key,
        lambda: _Plan(
            operation_name,
            operation_name or first_operation_name(document),
            repeated_fields(document),
            _declares_variables(document, operation_name),
            needed_scopes(schema, document, operation_name),
        ),
    )


def _declares_variables(document: DocumentNode, operation_name: str | None) -> bool:
    operation = operation_of(document, operation_name)
    return operation is not None and bool(operation.variable_definitions)


def operation_name_of(document: DocumentNode, provided: str | None) -> str | None:
    """The name of the operation to run as strawberry resolves it: the name sent, else the
    first operation's (None when it is anonymous)."""
    if provided is not None:
        return provided
    first = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
    return first.name.value if first is not None and first.name is not None else None


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation strawberry would run: the one named, else the first."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition
    return None


async def admit(
    admission: Admission,
    schema: GraphQLSchema,
    document: DocumentNode,
    query: str,
    provided_name: str | None,
    variables: dict[str, Any] | None,
    context: Any,
) -> None:
    """Every check before execution, in order, into ``admission`` (filled as it goes, so that
    what was taken from the rate limit is reported even if a later step fails): one operation
    to run, the analysis and its limits, the gateway-only fields, a password to change, the
    token's scopes, the rate limits (429 with ``Retry-After`` on the context's response, and
    ``RateLimit-*`` headers either way), validation through the cache (keyed by the query
    text) and the variables."""
    services = runtime.current()
    settings = services.settings
    plan = _plan(schema, document, query, provided_name)
    if isinstance(plan, GraphQLError):
        admission.errors = [plan]
        return
    operation_name = admission.operation_name = plan.operation_name
    analysis = plan.analysis
    if analysis is None:
        analysis = analyze(schema, document, operation_name, variables or {})
        analysis.repeats = plan.repeats
        if not analysis.read_variables:
            plan.analysis = analysis  # read only from here on
    if context is not None:
        context.operation_name = plan.logged_name
    refused = (
        check_limits(analysis, settings)
        or check_gateway(analysis, settings, context)
        or check_password_change(analysis, context)
        or forbidden(getattr(context, "principal", None), plan.scopes)
    )
    if refused is not None:
        admission.errors = [refused]
        return
    # Every operation costs at least one point, so even `{ __typename }` is rate limited.
    cost = admission.cost = max(analysis.cost, 1)
    if context is not None:
        context.cost = cost
    named = _buckets(context, settings)
    buckets = [bucket for _, bucket in named]
    try:
        # One atomic take from every bucket (one Redis round trip): all or none.
        taken = await services.store.take_all(buckets, cost)
    except StoreUnavailable:
        # The Redis store already falls back to a per-process bucket when Redis is
        # unreachable (``adapters/kv.py``); should any store still refuse, fail open: an
        # outage should slow nobody down more than it must.
        log.warning("rate limit store unavailable; letting the operation through")
        taken = [BucketResult(True, b.capacity, 0.0) for b in buckets]
    limits = [
        Limit(name, bucket, result) for (name, bucket), result in zip(named, taken, strict=True)
    ]
    if len(limits) > 1:
        limits.sort(key=_fewest_left)
    admission.limits = limits
    response = getattr(context, "response", None)
    # An HTTP answer's headers (a WebSocket's context holds the socket, whose are the
    # handshake's, read only).
    headers = (
        response.headers if response is not None and hasattr(response, "status_code") else None
    )
    if headers is not None:
        _rate_limit_headers(headers, limits[0])
    if not taken[0].allowed:
        # The limit that blocks: the one that needs the longest wait.
        blocking = max(limits, key=lambda limit: limit.result.retry_after)
        retry_after = blocking.result.retry_after
        if headers is not None:
            response.status_code = 429  # type: ignore[union-attr]
            headers["Retry-After"] = str(max(1, round(retry_after + 0.5)))
        admission.errors = [
            limit_error(
                f"Rate limit of {_WHOSE[blocking.name]}: this operation costs {cost} points and "
                f"{blocking.result.remaining} remain; retry in {retry_after:.1f} s.",
                "RATE_LIMITED",
                retryAfter=retry_after,
                limit=blocking.name,
            )
        ]
        return
    errors = validation_errors(schema, document, query)
    if errors:
        admission.errors = list(errors)
    elif plan.variables:
        admission.errors = check_variables(schema, document, operation_name, variables)


def validation_errors(
    schema: GraphQLSchema, document: DocumentNode, query: str
) -> list[GraphQLError]:
    """The validation errors of ``document`` (the parse of ``query``), through the cache."""
    production = runtime.current().settings.production
    cache = _validated[production]
    errors: list[GraphQLError] | None = cache.get(query)
    if errors is not None:
        cache.move_to_end(query)
        return errors
    found: list[GraphQLError] = cache.get_or(
        query, lambda: validate(schema, document, VALIDATION_RULES[production])
    )
    return found


def shape_outcome(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    """The errors of an operation, shaped (``server/error_shaping.py``), and its outcome for
    the request log: the first error's code."""
    shaped = shape_errors(errors, context)
    if context is not None:
        context.outcome = (shaped[0].extensions or {}).get("code", "ERROR")
    return shaped


class Guard(SchemaExtension):
    """The checks above around strawberry's execution (WebSockets, HTTP streams, uploads)."""

    def __init__(self) -> None:
        self.admission = Admission()
        self.results_sent = False

    # -- before execution ---------------------------------------------------------------------

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is None and ec.query:
            ec.graphql_document = parse_document(ec.query)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        assert document is not None
        await admit(
            self.admission,
            ec.schema._schema,
            document,
            ec.query or "",
            getattr(ec, "_provided_operation_name", None),
            ec.variables,
            ec.context,
        )
        ec.pre_execution_errors = self.admission.errors
        yield

    def get_results(self) -> dict[str, Any]:
        # The cost is the subscribe's, frozen then: it comes with a stream's first result
        # only, not with every event (which it made some 200 bytes longer, and unshareable).
        if self.results_sent:
            return {}
        document = self.execution_context.graphql_document
        operation = (
            operation_of(document, self.admission.operation_name) if document is not None else None
        )
        streaming = operation is not None and operation.operation == OperationType.SUBSCRIPTION
        return self.admission.results(each=not streaming)

    # -- after execution ----------------------------------------------------------------------

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is not None and context.is_websocket:
            # A WebSocket's context lives as long as the socket: no cached rows across operations.
            context.drop_loaders()
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = shape_outcome(result.errors, self.execution_context.context)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self.results_sent = True
        context = self.execution_context.context
        if getattr(result, "errors", None):
            result.errors = shape_errors(result.errors, context)
        yield None
        if context is not None and context.is_websocket:
            # The event is sent: its rows go with it, so an idle socket holds no DataLoaders
            # (issue 14, step 5). The next event reads afresh, as it did before.
            context.drop_loaders()


def bucket_key(context: Any) -> str:
    """The bucket of whoever makes the request: the user, else the client IP (the first of
    ``_buckets``; registering a persisted document is charged to it alone)."""
    principal = getattr(context, "principal", None)
    if principal is None:
        meta = getattr(context, "meta", None)
        return f"rate:ip:{getattr(meta, 'ip', '') or 'unknown'}"
    return f"rate:user:{principal.user_id}"


_WHOSE = {
    "user": "your token",
    "ip": "your address",
    "app": "this app",
    "organization": "your organization",
}


def _buckets(context: Any, settings: Any) -> list[tuple[str, Bucket]]:
    """The buckets a request is metered by: the principal's (or, signed out, its address's);
    for a token issued to an app, the app's, shared by all its tokens in every process; and
    the organization's, shared by all its people and apps."""
    own = Bucket(
        bucket_key(context), settings.rate_limit_capacity, settings.rate_limit_refill_per_second
    )
    principal = getattr(context, "principal", None)
    if principal is None:
        return [("ip", own)]
    named = [("user", own)]
    if principal.app_id is not None:
        named.append(
            (
                "app",
                Bucket(
                    f"rate:app:{principal.app_id}",
                    settings.rate_limit_app_capacity,
                    settings.rate_limit_app_refill_per_second,
                ),
            )
        )
    named.append(
        (
            "organization",
            Bucket(
                f"rate:org:{principal.organization_id}",
                settings.rate_limit_org_capacity,
                settings.rate_limit_org_refill_per_second,
            ),
        )
    )
    return named


def _fewest_left(limit: Limit) -> int:
    return limit.result.remaining


def _rate_limit_headers(headers: Any, tightest: Limit) -> None:
    """``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (the IETF httpapi draft's three
    fields, which most clients read) for the tightest bucket: its size in points, the points
    left, and the seconds until it is full again."""
    bucket, result = tightest.bucket, tightest.result
    reset = math.ceil(max(0, bucket.capacity - result.remaining) / bucket.refill_per_second)
    headers["RateLimit-Limit"] = str(bucket.capacity)
    headers["RateLimit-Remaining"] = str(result.remaining)
    headers["RateLimit-Reset"] = str(reset)
