"""Protection before execution, and error shaping after it.

One schema extension (``Guard``) per operation:

* parse through a shared LRU cache, with a token limit;
* one walk over the chosen operation computes depth, aliases, directives, cost and nodes, and
  rejects what is over a limit before anything runs;
* takes the cost from the principal's token bucket (in-process or Redis), answering 429 with
  ``Retry-After`` when it is empty;
* validates through a cache (validation is the largest fixed cost of a small query);
* afterwards gives every error a stable ``extensions.code`` and, in production, masks internal
  errors to a message plus the request id that the logs carry.

Cost model: every object (composite) field costs 1, multiplied by the page sizes (``first`` or
``last``, default 20) of the connections it sits in; a connection's page size is also its node
count. ``edges`` and ``pageInfo`` are wrappers and cost nothing; each ``node`` is an object.
Introspection fields are exempt from depth and cost so GraphiQL works; production disables
introspection for ordinary users instead.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from resolvers.core.errors import DomainError
from resolvers.core.pagination import DEFAULT_PAGE
from server import runtime
from server.kv import BucketResult, StoreUnavailable
from server.settings import Settings

log = logging.getLogger("hello.graphql")

CACHE_SIZE = 1000
WRAPPER_FIELDS = {"edges", "pageInfo"}


@dataclass
class Analysis:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0
    nodes: int = 0
    root_fields: set[str] = field(default_factory=set)


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    for arg in field.arguments or ():
        if arg.name.value not in ("first", "last"):
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 0)
        if isinstance(value, VariableNode):
            v = variables.get(value.name.value)
            if isinstance(v, int):
                return max(v, 0)
    return DEFAULT_PAGE


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
) -> Analysis:
    result = Analysis()
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]

    def walk(
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        multiplier: int,
        seen: frozenset[str],
    ) -> None:
        if selection_set is None:
            return
        for sel in selection_set.selections:
            result.directives += len(sel.directives or ())
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if sel.alias is not None:
                    result.aliases += 1
                if name.startswith("__"):
                    continue
                fields = getattr(parent, "fields", None)
                field_def = (
                    fields.get(name)
                    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) and fields
                    else None
                )
                if field_def is None:
                    continue  # validation reports it
                result.depth = max(result.depth, depth + 1)
                named = get_named_type(field_def.type)
                if not is_composite_type(named):
                    continue
                child_multiplier = multiplier
                if named.name.endswith("Connection"):
                    size = _page_size(sel, variables)
                    result.cost += multiplier
                    result.nodes += multiplier * size
                    child_multiplier = multiplier * max(size, 1)
                elif not (name in WRAPPER_FIELDS and parent.name.endswith(("Connection", "Edge"))):
                    result.cost += multiplier
                walk(sel.selection_set, named, depth + 1, child_multiplier, seen)
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = schema.get_type(sel.type_condition.name.value) or parent
                walk(sel.selection_set, target, depth, multiplier, seen)
            elif isinstance(sel, FragmentSpreadNode):
                frag_name = sel.name.value
                frag = fragments.get(frag_name)
                if frag is None or frag_name in seen:
                    continue  # unknown or cyclic: validation reports it
                target = schema.get_type(frag.type_condition.name.value) or parent
                walk(frag.selection_set, target, depth, multiplier, seen | {frag_name})

    for op in operations:
        result.directives += len(op.directives or ())
        root = {
            "query": schema.query_type,
            "mutation": schema.mutation_type,
            "subscription": schema.subscription_type,
        }[op.operation.value]
        walk(op.selection_set, root, 0, 1, frozenset())
        _collect_root_fields(op.selection_set, fragments, result.root_fields, frozenset())
    for frag in fragments.values():
        result.directives += len(frag.directives or ())
    return result


def _collect_root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    out: set[str],
    seen: frozenset[str],
) -> None:
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            out.add(sel.name.value)
        elif isinstance(sel, InlineFragmentNode):
            _collect_root_fields(sel.selection_set, fragments, out, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            frag = fragments.get(sel.name.value)
            if frag is not None:
                _collect_root_fields(frag.selection_set, fragments, out, seen | {sel.name.value})


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


def check_limits(a: Analysis, s: Settings) -> GraphQLError | None:
    # Nodes first: with every object costing a point the cost limit usually binds first, and
    # "may return N nodes" is the more useful message when both are exceeded.
    checks = [
        (
            a.nodes > s.max_nodes,
            f"The query may return {a.nodes} nodes; the limit is {s.max_nodes}.",
            "NODE_LIMIT_EXCEEDED",
        ),
        (
            a.depth > s.max_depth,
            f"Query depth {a.depth} exceeds the limit of {s.max_depth}.",
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (
            a.aliases > s.max_aliases,
            f"{a.aliases} aliases exceed the limit of {s.max_aliases}.",
            "ALIAS_LIMIT_EXCEEDED",
        ),
        (
            a.directives > s.max_directives,
            f"{a.directives} directives exceed the limit of {s.max_directives}.",
            "DIRECTIVE_LIMIT_EXCEEDED",
        ),
        (
            a.cost > s.max_cost,
            f"Query cost {a.cost} exceeds the limit of {s.max_cost}.",
            "COST_LIMIT_EXCEEDED",
        ),
    ]
    for failed, message, code in checks:
        if failed:
            return _limit_error(message, code, cost=a.cost, nodes=a.nodes)
    return None


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
        analysis = analyze(ec.schema._schema, document, ec.operation_name, ec.variables or {})
        context = ec.context
        if context is not None:
            context.operation_name = ec.operation_name or _first_operation_name(document)
        if error := check_limits(analysis, settings):
            ec.pre_execution_errors = [error]
            yield
            return
        principal = getattr(context, "principal", None)
        if (
            principal is not None
            and principal.user.must_change_password
            and not analysis.root_fields <= PASSWORD_CHANGE_FIELDS
        ):
            ec.pre_execution_errors = [
                _limit_error(
                    "An admin reset your password: choose a new one with passwordChange first.",
                    "PASSWORD_CHANGE_REQUIRED",
                )
            ]
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
            # Fail open: an unreachable Redis should slow nobody down more than it must. The
            # sign-in throttle, which guards passwords, fails closed instead.
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
        rules = (
            [*specified_rules, NoSchemaIntrospectionCustomRule] if production else specified_rules
        )
        query = ec.query or ""
        errors = _validated[production].get_or(
            query, lambda: validate(ec.schema._schema, document, rules)
        )
        ec.pre_execution_errors = list(errors)
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


def _first_operation_name(document: DocumentNode) -> str | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return None


def _bucket_key(context: Any) -> str:
    principal = getattr(context, "principal", None)
    if principal is not None:
        return f"rate:user:{principal.user_id}"
    meta = getattr(context, "meta", None)
    return f"rate:ip:{getattr(meta, 'ip', '') or 'unknown'}"


def shape_errors(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    settings = runtime.current().settings
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
        else:
            log.error(
                "internal error",
                exc_info=original,
                extra={"request_id": request_id, "path": error.path},
            )
            message = (
                f"Internal server error (request {request_id})."
                if settings.production
                else error.message
            )
            shaped.append(
                GraphQLError(
                    message,
                    nodes=error.nodes,
                    positions=error.positions,
                    source=error.source,
                    path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            )
    return shaped
