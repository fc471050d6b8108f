"""What an operation must pass before it runs, read from the one-pass analysis
(``server/analysis.py``) and the document: the size limits (fragment spreads, fields, nodes,
depth, aliases, directives, cost, repeated fields), ``_service``/``_entities`` only for the
federation gateway in production, a password an admin reset (only ``passwordChange`` and
friends until it changes), exactly one operation to run, and variables coerced before
execution so that refused values are BAD_USER_INPUT. Each check returns the request error to
answer with (a stable ``extensions.code``) or nothing; ``server/limits.py`` runs them in order.
"""

from __future__ import annotations

import hmac
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValuesOfCorrectTypeRule,
    specified_rules,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from adapters.settings import Settings
from server.analysis import Analysis

GATEWAY_HEADER = "x-hello-gateway-secret"
GATEWAY_FIELDS = {"_service", "_entities"}


# What a user whose password an admin reset may still do: read who they are, choose a new
# password, or sign out. Checked here once for every transport, besides the resolvers' own check.
PASSWORD_CHANGE_FIELDS = {"viewer", "passwordChange", "signOut", "__typename"}


def limit_error(message: str, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


# Figures reach the client in JSON, where integers past 2^53 lose precision (and orjson
# refuses those past 2^64); an exploding document's figures can be far larger.
MAX_SAFE = 2**53 - 1


def _shown(n: int) -> int:
    return min(n, MAX_SAFE)


def check_limits(a: Analysis, s: Settings) -> GraphQLError | None:
    if a.bad_input is not None:
        return limit_error(a.bad_input, "BAD_USER_INPUT")
    # Spreads first: past their limit every other figure may be astronomical. Then nodes: with
    # every object costing a point the cost limit usually binds first, and "may return N
    # nodes" is the more useful message when both are exceeded. Each message is only written
    # for the check that fails, and nothing is built when none does (every request).
    if a.spreads > s.max_fragment_spreads:
        message = (
            f"The operation expands to {_shown(a.spreads)} fragment spreads; the limit "
            f"is {s.max_fragment_spreads}."
        )
        code = "FRAGMENT_LIMIT_EXCEEDED"
    elif a.fields > s.max_fields:
        message = (
            f"The operation expands to {_shown(a.fields)} fields; the limit is {s.max_fields}."
        )
        code = "FIELD_LIMIT_EXCEEDED"
    elif a.nodes > s.max_nodes:
        message = f"The query may return {_shown(a.nodes)} nodes; the limit is {s.max_nodes}."
        code = "NODE_LIMIT_EXCEEDED"
    elif a.depth > s.max_depth:
        message = f"Query depth {a.depth} exceeds the limit of {s.max_depth}."
        code = "DEPTH_LIMIT_EXCEEDED"
    elif a.aliases > s.max_aliases:
        message = f"{_shown(a.aliases)} aliases exceed the limit of {s.max_aliases}."
        code = "ALIAS_LIMIT_EXCEEDED"
    elif a.directives > s.max_directives:
        message = f"{_shown(a.directives)} directives exceed the limit of {s.max_directives}."
        code = "DIRECTIVE_LIMIT_EXCEEDED"
    elif a.cost > s.max_cost:
        message = f"Query cost {_shown(a.cost)} exceeds the limit of {s.max_cost}."
        code = "COST_LIMIT_EXCEEDED"
    elif a.repeats > s.max_field_repeats:
        message = (
            f"{_shown(a.repeats)} fields are written on one response path; the limit "
            f"is {s.max_field_repeats}. Select each field once."
        )
        code = "FIELD_REPEAT_LIMIT_EXCEEDED"
    else:
        return None
    return limit_error(message, code, cost=_shown(a.cost), nodes=_shown(a.nodes))


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
    return limit_error(
        "_service and _entities answer only to the federation gateway.", "GATEWAY_ONLY"
    )


def check_password_change(a: Analysis, context: Any) -> GraphQLError | None:
    principal = getattr(context, "principal", None)
    if (
        principal is not None
        and principal.user.must_change_password
        and not a.root_fields <= PASSWORD_CHANGE_FIELDS
    ):
        return limit_error(
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


VALIDATION_RULES = {False: _rules(False), True: _rules(True)}


def check_variables(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    """Coerce the variables before execution, so that a value the schema refuses is
    BAD_USER_INPUT (graphql-core's own coercion inside execution keeps the scalar's exception
    as the cause, which looked like an internal error). Execution then coerces them again."""
    operation = _operation(document, operation_name)
    if operation is None or not operation.variable_definitions:
        return []
    found = get_variable_values(
        schema, operation.variable_definitions, variables or {}, max_errors=50
    )
    if not isinstance(found, list):
        return []
    return [
        GraphQLError(
            e.message, nodes=e.nodes, extensions={**(e.extensions or {}), "code": "BAD_USER_INPUT"}
        )
        for e in found
    ]


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
    return limit_error(message, "OPERATION_RESOLUTION_FAILURE")


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def first_operation_name(document: DocumentNode) -> str | None:
    return next((o.name.value for o in _operations(document) if o.name), None)
