"""What an operation would cost, worked out from its document before anything runs.

Linear in the size of the document, whatever it holds. Fragments are the trap: a document of
thirty lines whose fragments each spread the next one twice expands to 2^30 fields, and any
analysis that walks every spread (ours did, and graphql-core's OverlappingFieldsCanBeMerged
still does) freezes the process. So every fragment's figures are worked out once, relative to
where it is spread, and a spread adds them scaled by the page sizes around it; the number of
spreads the expansion would make is itself a figure with a limit, and the guard refuses the
operation on these figures before graphql-core's validation ever sees it.

Cost model: every object (composite) field costs 1, multiplied by the page sizes (``first`` or
``last``, default 20) of the connections it sits in; a connection's page size is also its node
count. ``edges`` and ``pageInfo`` are wrappers and cost nothing; each ``node`` is an object.
Introspection fields are exempt from depth and cost so GraphiQL works; production disables
introspection for ordinary users instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

from resolvers.core.pagination import DEFAULT_PAGE

WRAPPER_FIELDS = {"edges", "pageInfo"}
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@dataclass
class Figures:
    """The figures of one selection set, as if it sat at depth 0 outside any connection."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0
    nodes: int = 0
    spreads: int = 0
    fields: int = 0

    def add(self, other: Figures, *, scale: int = 1, below: int = 0) -> None:
        """Add ``other`` found ``below`` levels down, inside connections of ``scale`` nodes."""
        if other.depth:
            self.depth = max(self.depth, other.depth + below)
        self.aliases += other.aliases
        self.directives += other.directives
        self.cost += scale * other.cost
        self.nodes += scale * other.nodes
        self.spreads += other.spreads
        self.fields += other.fields


@dataclass
class Analysis(Figures):
    root_fields: set[str] = field(default_factory=set)
    repeats: int = 0
    """The most fields that one response path merges (see ``repeated_fields``)."""
    bad_input: str | None = None
    """Why the operation is refused as BAD_USER_INPUT before the limits are even looked at."""
    read_variables: bool = False
    """Whether a page size came from a variable: if not, the figures depend on the document
    and the operation name alone."""


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.done: dict[str, Figures] = {}
        self.bad_input: str | None = None
        self.read_variables = False

    def page_size(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            name = arg.name.value
            if name not in ("first", "last"):
                continue
            value = arg.value
            number: object = None
            if isinstance(value, IntValueNode):
                # Length first: int() of a very long literal is itself slow (and refused).
                number = int(value.value) if len(value.value) <= 12 else INT_MAX + 1
            elif isinstance(value, VariableNode):
                self.read_variables = True
                number = self.variables.get(value.name.value)
            if isinstance(number, int) and not isinstance(number, bool):
                if not INT_MIN <= number <= INT_MAX:
                    self.bad_input = f"`{name}` must be an Int, from {INT_MIN} to {INT_MAX}."
                    return 0
                return max(number, 0)
        return DEFAULT_PAGE

    def selection_set(self, selection_set: SelectionSetNode | None, parent: Any) -> Figures:
        out = Figures()
        if selection_set is None:
            return out
        fields = (
            parent.fields if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else {}
        )
        for sel in selection_set.selections:
            out.directives += len(sel.directives or ())
            if isinstance(sel, FieldNode):
                out.fields += 1
                if sel.alias is not None:
                    out.aliases += 1
                name = sel.name.value
                field_def = None if name.startswith("__") else fields.get(name)
                if field_def is None:
                    continue  # introspection is exempt; an unknown field, validation reports
                named = get_named_type(field_def.type)
                if not is_composite_type(named):
                    out.depth = max(out.depth, 1)
                    continue
                child = self.selection_set(sel.selection_set, named)
                here = Figures(depth=1)
                scale = 1
                if named.name.endswith("Connection"):
                    size = self.page_size(sel)
                    here.cost, here.nodes = 1, size
                    scale = max(size, 1)
                elif not (name in WRAPPER_FIELDS and parent.name.endswith(("Connection", "Edge"))):
                    here.cost = 1
                here.add(child, scale=scale, below=1)
                out.add(here)
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = self.schema.get_type(sel.type_condition.name.value) or parent
                out.add(self.selection_set(sel.selection_set, target))
            elif isinstance(sel, FragmentSpreadNode):
                out.spreads += 1
                # Unknown, or cyclic (still being worked out): validation reports it.
                found = self.done.get(sel.name.value)
                if found is not None:
                    out.add(found)
        return out

    def fragment_figures(self) -> None:
        """Every fragment's figures, each worked out once, the ones it spreads first: an
        explicit stack rather than recursion, since fragments may chain hundreds deep."""
        state: dict[str, int] = {}  # 1: in progress, 2: done
        for start in self.fragments:
            if start in state:
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, self._spread_names(start))]
            state[start] = 1
            while stack:
                name, pending = stack[-1]
                nxt = next(pending, None)
                if nxt is None:
                    stack.pop()
                    frag = self.fragments[name]
                    target = self.schema.get_type(frag.type_condition.name.value)
                    self.done[name] = self.selection_set(frag.selection_set, target)
                    state[name] = 2
                elif nxt in self.fragments and nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, self._spread_names(nxt)))

    def _spread_names(self, fragment: str) -> Iterator[str]:
        todo = [self.fragments[fragment].selection_set]
        while todo:
            for sel in todo.pop().selections:
                if isinstance(sel, FragmentSpreadNode):
                    yield sel.name.value
                elif isinstance(sel, (FieldNode, InlineFragmentNode)) and sel.selection_set:
                    todo.append(sel.selection_set)


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
            fragments.setdefault(definition.name.value, definition)
            result.directives += len(definition.directives or ())
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    walker = _Walker(schema, fragments, variables)
    walker.fragment_figures()
    for op in operations:
        root = {
            "query": schema.query_type,
            "mutation": schema.mutation_type,
            "subscription": schema.subscription_type,
        }[op.operation.value]
        figures = walker.selection_set(op.selection_set, root)
        if operation_name and not (op.name and op.name.value == operation_name):
            # Not run, but validated all the same: what validation walks stays bounded.
            result.spreads += figures.spreads
            result.fields += figures.fields
            continue
        result.directives += len(op.directives or ())
        result.add(figures)
        result.root_fields |= root_fields(op.selection_set, fragments)
    # Fragments are validated on their own too, spread or not.
    for figures in walker.done.values():
        result.spreads = max(result.spreads, figures.spreads)
        result.fields = max(result.fields, figures.fields)
    result.bad_input = walker.bad_input
    result.read_variables = walker.read_variables
    return result


def root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    """Names of the root fields an operation selects, through fragments (each looked at once)."""
    out: set[str] = set()
    seen: set[str] = set()
    todo = [selection_set]
    while todo:
        for sel in todo.pop().selections:
            if isinstance(sel, FieldNode):
                out.add(sel.name.value)
            elif isinstance(sel, InlineFragmentNode):
                todo.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                seen.add(sel.name.value)
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    todo.append(frag.selection_set)
    return out


def repeated_fields(document: DocumentNode) -> int:
    """The most fields written on any one response path, per operation or fragment.

    graphql-core's OverlappingFieldsCanBeMerged compares every pair of fields that land on the
    same response path: ``{ viewer { a } viewer { a } … }`` with 490 copies took 1.3 s, and 22
    copies of ``viewer`` each holding 22 of ``organization`` took 1.9 s (484 on one path),
    though both are well inside the token, cost and spread limits. Its time grows with the
    square of these counts, so bounding the largest bounds it. Fields that arrive through a
    fragment spread are not counted where they are spread: graphql-core compares a fragment's
    fields once per pair of fragments and caches the result, so only the fields written
    directly (inline fragments included) multiply. Every operation and fragment is counted,
    used or not, since validation looks at all of them. Linear in the document."""
    most = 0
    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            counts: dict[tuple[str, ...], int] = {}
            todo: list[tuple[tuple[str, ...], SelectionSetNode]] = [((), definition.selection_set)]
            while todo:
                path, selection_set = todo.pop()
                for sel in selection_set.selections:
                    if isinstance(sel, FieldNode):
                        key = (*path, (sel.alias or sel.name).value)
                        counts[key] = counts.get(key, 0) + 1
                        if sel.selection_set is not None:
                            todo.append((key, sel.selection_set))
                    elif isinstance(sel, InlineFragmentNode):
                        todo.append((path, sel.selection_set))
            most = max(most, *counts.values(), 0)
    return most
