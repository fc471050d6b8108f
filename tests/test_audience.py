"""Every field a subscription can select that reads the principal is declared in
``graphql_schema/core/audience.py``: a live event is shared by the subscribers of a class, so a
field that depends on the viewer and is not declared would show one viewer's value to others.

The check reads the source: a resolver reads the principal if its own code, or any function of
ours it names (called or passed, as a DataLoader's batch function is), says ``principal``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from types import FunctionType, MethodType, ModuleType
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_object_type,
    parse,
)

from graphql_schema.core.audience import DECLARED, Audience, document_audience
from graphql_schema.schema import create_schema

OURS = ("graphql_schema.", "resolvers.", "subscriptions.")


def reachable_types(schema: GraphQLSchema) -> Iterator[GraphQLObjectType]:
    """The object types a subscription's selection can reach."""
    assert schema.subscription_type is not None
    todo: list[Any] = [schema.subscription_type]
    seen: set[str] = set()
    while todo:
        named = todo.pop()
        if named.name in seen or named.name.startswith("__"):
            continue
        seen.add(named.name)
        if is_abstract_type(named):
            todo.extend(schema.get_possible_types(named))
            continue
        if is_object_type(named):
            yield named
            for field in named.fields.values():
                todo.append(get_named_type(field.type))


def _target(node: ast.AST, scope: dict[str, Any], owner: type | None) -> Any:
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return inspect.getattr_static(owner, node.attr, None) if owner is not None else None
        base = _target(node.value, scope, owner)
        if isinstance(base, ModuleType | type):
            return inspect.getattr_static(base, node.attr, None)
    return None


def _ours(fn: Any) -> Any:
    if isinstance(fn, MethodType | staticmethod | classmethod):
        fn = fn.__func__
    if not isinstance(fn, FunctionType):
        return None
    fn = inspect.unwrap(fn)
    return fn if fn.__module__.startswith(OURS) else None


def reads_principal(fn: Any, owner: type | None, seen: set[Any]) -> list[str] | None:
    """The chain of functions by which ``fn`` reaches the principal, or None."""
    fn = _ours(fn)
    if fn is None or fn in seen:
        return None
    seen.add(fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    name = f"{fn.__module__}.{fn.__qualname__}"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr == "principal") or (
            isinstance(node, ast.Name) and node.id == "principal"
        ):
            return [name]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            target = _target(node, fn.__globals__, owner)
            if target is None:
                continue
            found = reads_principal(
                target, owner if isinstance(node, ast.Attribute) else None, seen
            )
            if found is not None:
                return [name, *found]
    return None


def resolver_of(field: GraphQLField) -> tuple[Any, type | None] | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    base = getattr(definition, "base_resolver", None)
    if base is None:
        return None
    owner = getattr(definition, "origin", None)
    return base.wrapped_func, owner if isinstance(owner, type) else None


def test_every_resolver_reading_the_principal_is_declared() -> None:
    schema = create_schema()._schema
    undeclared = []
    for object_type in reachable_types(schema):
        if object_type is schema.subscription_type:
            continue  # its generators authorize at subscribe time, per subscriber
        for field_name, field in object_type.fields.items():
            found = resolver_of(field)
            if found is None:
                continue
            chain = reads_principal(found[0], found[1], set())
            if chain is not None and (object_type.name, field_name) not in DECLARED:
                undeclared.append(f"{object_type.name}.{field_name}: {' -> '.join(chain)}")
    assert undeclared == [], "declare these in graphql_schema/core/audience.py:\n" + "\n".join(
        undeclared
    )


def test_the_check_finds_a_resolver_that_reads_the_principal() -> None:
    # The check itself can fail: Chat.unreadCount reads the viewer's membership.
    schema = create_schema()._schema
    chat = schema.get_type("Chat")
    assert isinstance(chat, GraphQLObjectType)
    found = resolver_of(chat.fields["unreadCount"])
    assert found is not None
    assert reads_principal(found[0], found[1], set()) is not None
    content = schema.get_type("Message")
    assert isinstance(content, GraphQLObjectType)
    plain = resolver_of(content.fields["content"])
    assert plain is not None and reads_principal(plain[0], plain[1], set()) is None


def test_every_declared_field_exists() -> None:
    schema = create_schema()._schema
    for type_name, field_name in DECLARED:
        named = schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType), type_name
        assert field_name in named.fields, (type_name, field_name)


def _audience(query: str) -> Audience:
    schema = create_schema()._schema
    document = parse(query)
    operation = document.definitions[-1]
    fragments = {d.name.value: d for d in document.definitions[:-1]}  # type: ignore[attr-defined]
    return document_audience(schema, fragments, operation)  # type: ignore[arg-type]


def test_a_documents_audience_is_its_widest_fields() -> None:
    assert _audience("subscription { chatEvents(chatId: 1) { __typename } }") is Audience.ANYONE
    assert (
        _audience(
            "subscription { chatEvents(chatId: 1) { ... on MessageAdded { message { seq } } } }"
        )
        is Audience.ANYONE
    )
    assert (
        _audience(
            "fragment F on Message { sender { id } }\n"
            "subscription { chatEvents(chatId: 1) { ... on MessageAdded { message { ...F } } } }"
        )
        is Audience.CLASS
    )
    assert (
        _audience(
            "subscription { chatEvents(chatId: 1) { ... on MessageUpdated { message { "
            "reactions { emoji viewerReacted } } } } }"
        )
        is Audience.VIEWER
    )
    assert _audience("subscription { viewerEvents { __typename } }") is Audience.ANYONE
