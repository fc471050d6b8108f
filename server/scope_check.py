"""The scopes an operation needs, worked out from its document before anything runs.

``needed_scopes`` walks the operation once (each fragment once, however often it is spread:
scopes add up as a set, not scaled like the cost), taking the ``@requiresScope`` of every field
it selects and, inside ``node``/``nodes``, the read scope of every Node type it selects on
(``graphql_schema.core.scopes.NODE_SCOPES``). The Guard caches the answer with the document's
plan (``server/limits.py``), so a document's scopes cost one walk per process; comparing them
with a token's grant is a set difference per request, and nothing for a person's own sign-in.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from graphql_schema.core.scopes import NODE_SCOPES, field_scopes
from resolvers.core.context import Principal
from resolvers.core.scopes import missing_scopes

__all__ = ["forbidden", "needed_scopes"]

_NODE_INTERFACE = "Node"


def needed_scopes(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> frozenset[str]:
    """Every scope the operation to run (the one named, else the first) needs."""
    operation = next(
        (
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (operation_name is None or (d.name is not None and d.name.value == operation_name))
        ),
        None,
    )
    if operation is None:
        return frozenset()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    scopes_of = field_scopes(schema)
    needed: set[str] = set()
    seen: set[tuple[str, Any]] = set()  # (fragment name, parent type) walked already
    todo: list[tuple[SelectionSetNode, Any, bool]] = [(operation.selection_set, root, False)]
    while todo:
        selection_set, parent, in_node = todo.pop()
        fields = getattr(parent, "fields", None) or {}
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                field = fields.get(name)
                if field is None:
                    continue  # introspection, or unknown: validation reports it
                found = scopes_of.get((parent.name, name))
                if found:
                    needed |= found
                if sel.selection_set is not None:
                    named = get_named_type(field.type)
                    todo.append((sel.selection_set, named, named.name == _NODE_INTERFACE))
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = schema.get_type(sel.type_condition.name.value) or parent
                    if in_node:
                        _add_node_scope(needed, target.name)
                todo.append((sel.selection_set, target, in_node and target is parent))
            elif isinstance(sel, FragmentSpreadNode):
                fragment = fragments.get(sel.name.value)
                if fragment is None:
                    continue
                target = schema.get_type(fragment.type_condition.name.value) or parent
                if in_node:
                    _add_node_scope(needed, target.name)
                key = (sel.name.value, in_node and target is parent)
                if key not in seen:
                    seen.add(key)
                    todo.append((fragment.selection_set, target, key[1]))
    return frozenset(needed)


def _add_node_scope(needed: set[str], type_name: str) -> None:
    scope = NODE_SCOPES.get(type_name)
    if scope is not None:
        needed.add(scope)


def forbidden(principal: Principal | None, needed: frozenset[str]) -> GraphQLError | None:
    """The request error for a token that lacks some of ``needed``, else None (always None
    for a person's own sign-in and for a request without a token: the resolvers decide)."""
    if principal is None or principal.scopes is None or not needed:
        return None
    missing = missing_scopes(principal, needed)
    if not missing:
        return None
    names = ", ".join(missing)
    return GraphQLError(
        f"This token lacks the scope{'s' if len(missing) > 1 else ''} {names} that this "
        "operation needs; nothing was run.",
        extensions={"code": "FORBIDDEN", "missingScopes": missing},
    )
