"""Compiled execution of known documents (issue 14, step 4).

graphql-core interprets a document anew for every request: for each of the ~550 field
executions of a 50-message page it looks the field up, builds a resolve-info object, coerces
the arguments, goes through strawberry's resolver wrapper (another Info, argument conversion,
the extension chain) and decides how to complete the value from its type. All of that depends
on the document and the schema only, so this module decides it once per (document, operation,
values of the ``@skip``/``@include`` variables) and keeps a tree of closures that does just
the work left: read an attribute, call a resolver with its Python arguments, complete lists,
objects and abstract types, and report errors.

What it keeps of graphql-core, on purpose, so that results are the same byte for byte (the
differential mode, ``server/differential.py``, checks every operation of the test suite):

* field collection (merging, fragments, ``@skip``/``@include``) is graphql-core's own
  ``collect_fields``/``collect_subfields``, run at compile time;
* the order of work and of awaiting: a level's awaitables are gathered with graphql-core's
  ``gather_with_cancel`` at the same points, so DataLoaders batch exactly as before and the
  SQL count does not change; errors are collected in graphql-core's ``CollectedErrors``
  (nulled positions dropped), located (``located_error``) and pathed as it does, with its
  messages;
* mutations run their root fields one after the other (``async_reduce``).

Fields come in four kinds, decided at compile time:

* ``__typename``: a constant;
* a *plain* field (strawberry's basic field: an attribute, no resolver, no extension) and a
  relay *node ID*: read without any Info;
* a *direct* resolver (no field extension, so no permission classes, no exception handler,
  only scalar or enum arguments): called with its Python arguments, converted by strawberry's
  ``convert_arguments`` once at compile time when they are literals (per request when they use
  variables); an Info is built only when the resolver declares one;
* anything else (permission classes, connections and other field extensions, input-object
  arguments, federation fields): strawberry's own resolver (``GraphQLField.resolve``) with a
  resolve info built exactly as graphql-core builds it.

Each selection on an object type runs as one generated Python function
(``server/compiled_selection.py``): the fields unrolled, plain built-in leaves read and checked
inline, direct ``(self, info)`` resolvers called inline, and an object of a class its completion
accepted before (never awaitable, not cast) completed without asking again, there and as a list
item.

Documents the compiler does not take (``compile_operation`` returns None; the decision is per
document and made once): subscriptions, introspection (``__schema``, ``__type``), any directive
other than ``@skip``/``@include`` (``@defer``, ``@stream``, custom or experimental ones, and
directives on the operation or on variable definitions), fragments with variables, and a
schema with middleware-like extensions (``server/http_operations.py`` only runs this where its
lean path runs). Those run through graphql-core as before.
"""

from __future__ import annotations

import inspect as inspect_module
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from types import CoroutineType, GeneratorType
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import CollectedErrors, default_type_resolver
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import Visitor, visit
from graphql.pyutils import Path, async_reduce, gather_with_cancel, inspect, is_iterable
from graphql.type import GraphQLResolveInfoHelpers
from graphql.type.definition import GraphQLEnumType, GraphQLScalarType
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.types import Info
from strawberry.types.arguments import convert_arguments
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE as _TYPE_CAST

from server.compiled_info import LazyInfo
from server.compiled_leaves import (
    MISS,
    fast_leaf,
    fast_node_id,
    leaf_inline,
    unchanged_type,
    within_int,
)
from server.compiled_selection import generate
from server.execution import NODE_ID, PLAIN, field_plan, node_id_of
from server.limits import operation_of

__all__ = ["Compiled", "compile_operation", "compiled_for", "stats"]

CACHE_SIZE = 1000
_DEFINITION = "strawberry-definition"
_is_awaitable = optimized_is_awaitable
# Types a resolver or completion returns that are never awaitable: checked inline (a set lookup)
# before calling _is_awaitable, on the paths every field takes.
_SYNC = frozenset({type(None), bool, int, float, str, dict, list})
# A Path without the Python-level __new__ of a NamedTuple (the same tuple).
_tuple_new = tuple.__new__

Resolve = Callable[["_Run", Any, Path], Any]
Complete = Callable[["_Run", Any, Path], Any]

stats = {"compiled": 0, "fallback": 0}
"""Documents compiled and documents left to graphql-core, since the process started (the
differential mode reports them; each document counts once, when it is compiled)."""


class _Unsupported(Exception):
    """The document uses something the compiler leaves to graphql-core."""


class _Run:
    """What one execution of a compiled operation shares: the collected errors, the context,
    the coerced variables and the helpers a resolve info carries."""

    __slots__ = ("compiled", "context", "errors", "extensions", "helpers", "variables")

    def __init__(
        self,
        compiled: Compiled,
        context: Any,
        variables: VariableValues,
        extensions: dict[str, Any] | None,
    ) -> None:
        self.compiled = compiled
        self.context = context
        self.variables = variables
        self.extensions = extensions
        self.errors = CollectedErrors()
        self.helpers = GraphQLResolveInfoHelpers(gather=_gather, track=_track)


def _gather(values: Any) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _track(values: Any) -> None:
    _settle_in_background([v for v in values if _is_awaitable(v)])


_background: set[Any] = set()


def _settle_in_background(awaitables: list[Any]) -> None:
    """As graphql-core does when an error bubbles past pending siblings: let them finish
    (their errors are dropped by the nulled position) rather than orphan them."""
    if not awaitables:
        return
    import asyncio

    future = asyncio.gather(*awaitables, return_exceptions=True)
    _background.add(future)
    future.add_done_callback(_background.discard)


class _Field:
    """One response key of a selection on an object type."""

    __slots__ = (
        "complete",
        "direct",
        "fast",
        "field_def",
        "inline",
        "name",
        "nodes",
        "parent_name",
        "parent_type",
        "resolve",
        "response_name",
        "return_type",
        "typename",
    )

    def __init__(
        self,
        response_name: str,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField | None,
        nodes: list[FieldNode],
    ) -> None:
        self.response_name = response_name
        self.parent_type = parent_type
        self.parent_name = parent_type.name
        self.field_def = field_def
        self.nodes = nodes
        self.name = nodes[0].name.value
        self.typename = self.name == "__typename"
        self.return_type: GraphQLOutputType = field_def.type if field_def else None  # type: ignore[assignment]
        self.resolve: Resolve = _never
        self.complete: Complete = _never
        # A plain leaf or node ID: the completed value straight from the source, or _MISS
        # for anything unusual (a null, an error, a value the scalar refuses), which then
        # takes the general path and is reported as graphql-core reports it.
        self.fast: Callable[[Any], Any] | None = None
        # For generated code (server/compiled_selection.py): the fast read of a plain leaf
        # to do inline (compiled_leaves.leaf_inline), and a direct resolver taking (self,)
        # info: (takes self, the function, strawberry's field).
        self.inline: tuple[str, str, Callable[[Any], Any]] | None = None
        self.direct: tuple[bool, Callable[..., Any], Any] | None = None

    def info(self, run: _Run, path: Path) -> Any:
        """The resolve info graphql-core would pass (strawberry's class, with the
        operation's extensions)."""
        compiled = run.compiled
        return _OperationContextAwareGraphQLResolveInfo(
            self.name,
            self.nodes,
            self.return_type,
            self.parent_type,
            path,
            compiled.schema,
            compiled.fragment_definitions,
            None,
            compiled.operation,
            run.variables.coerced,
            run.context,
            _is_awaitable,
            None,
            run.helpers,
            run.extensions,  # type: ignore[arg-type]  # None when none were sent, as strawberry passes it
        )


def _never(*_: Any) -> Any:  # pragma: no cover - replaced at compile time
    raise AssertionError("not compiled")


class Compiled:
    """A compiled operation: run it with ``execute``."""

    def __init__(
        self,
        schema: GraphQLSchema,
        strawberry_schema: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.strawberry_schema = strawberry_schema
        self.operation = operation
        self.fragment_definitions: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragments = {
            name: FragmentDetails(definition)
            for name, definition in self.fragment_definitions.items()
        }
        # The variables the collection was made with (only @skip/@include read them).
        self.collect_variables = variables
        self.serially = operation.operation == OperationType.MUTATION
        root_type = schema.get_root_type(operation.operation)
        if root_type is None:
            raise _Unsupported("no root type")
        self.root_type = root_type
        grouped = collect_fields(schema, self.fragments, variables, root_type, operation)
        self.root_fields = self._fields(root_type, grouped.grouped_field_set)
        self.root_names = [field.name for field in self.root_fields]

    # -- compiling ---------------------------------------------------------------------------

    def _fields(
        self, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> list[_Field]:
        fields = []
        for response_name, details in grouped.items():
            nodes = [d.node for d in details]
            name = nodes[0].name.value
            if name == "__typename":
                fields.append(_Field(response_name, parent_type, None, nodes))
                continue
            field_def = self.schema.get_field(parent_type, name)
            if field_def is None:
                continue  # graphql-core skips it too (validation refuses it first)
            field = _Field(response_name, parent_type, field_def, nodes)
            field.resolve = self._resolver(field)
            field.complete = self._completer(field, field_def.type, details)
            fields.append(field)
        return fields

    def _resolver(self, field: _Field) -> Resolve:
        field_def = field.field_def
        assert field_def is not None
        node = field.nodes[0]
        definition = (field_def.extensions or {}).get(_DEFINITION)
        if not node.arguments and not field_def.args:
            plan = field_plan(field_def) if is_leaf_type(_named_nullable(field_def.type)) else None
            if plan is not None and plan[0] == PLAIN:
                getter, python_name = plan[1].default_resolver, plan[1].python_name
                field.fast = fast_leaf(getter, python_name, plan[2], plan[3])
                field.inline = leaf_inline(getter, python_name, plan[2], plan[3])
                return _attribute(getter, python_name)
            if plan is not None and plan[0] == NODE_ID:
                field.fast = fast_node_id(field.parent_type.name, plan[2], plan[3])
                return _node_id_resolver(field, self._generic(field))
            if (
                definition is not None
                and getattr(field_def.resolve, "_is_default", False)
                and definition.base_resolver is None
                and not definition.extensions
                and getattr(field_def.resolve, "__name__", "") == "_get_basic_result"
            ):
                return _attribute(definition.default_resolver, definition.python_name)
        direct = self._direct(field, definition)
        if direct is not None:
            return direct
        return self._generic(field)

    def _direct(self, field: _Field, definition: Any) -> Resolve | None:
        """A resolver called with its Python arguments, or None when it needs strawberry's
        wrapper (extensions, exception handlers, input objects)."""
        field_def = field.field_def
        assert field_def is not None
        resolver = getattr(definition, "base_resolver", None)
        if (
            resolver is None
            or definition.extensions
            or getattr(self.strawberry_schema.schema_converter, "_exception_handler_specs", None)
            or getattr(field_def.resolve, "__name__", "") not in ("_resolver", "_async_resolver")
            or not all(_simple_input(arg.type) for arg in field_def.args.values())
        ):
            return None
        node = field.nodes[0]
        arguments = definition.arguments
        strawberry_schema = self.strawberry_schema
        registry = strawberry_schema.schema_converter.scalar_registry
        config = strawberry_schema.config
        self_param = resolver.self_parameter is not None
        parent_name = resolver.parent_parameter.name if resolver.parent_parameter else None
        root_name = resolver.root_parameter.name if resolver.root_parameter else None
        info_name = resolver.info_parameter.name if resolver.info_parameter else None
        info_class = config.info_class
        uses_variables = _uses_variables(node)
        fixed: dict[str, Any] | None = None
        if not uses_variables:
            raw = (
                get_argument_values(field_def, node, None)
                if field_def.args or node.arguments
                else {}
            )
            converted = convert_arguments(
                raw, arguments, scalar_registry=registry, config=config, info=None
            )
            if all(_immutable(v) for v in converted.values()):
                fixed = converted  # the same values every time: converted once

        # What StrawberryResolver.__call__ calls, without the indirection.
        call = resolver.wrapped_func if callable(resolver.wrapped_func) else resolver
        lazy = info_class is Info  # strawberry's own: its raw info built when first read

        if (
            lazy
            and fixed == {}
            and info_name is not None
            and parent_name is None
            and root_name is None
            and _only_parameters(resolver, self_param, info_name)
        ):
            # The common resolver, ``def f(self, info)`` or ``def f(info)``: called positionally.
            field.direct = (self_param, call, definition)
            if self_param:

                def resolve_self_info(run: _Run, source: Any, path: Path) -> Any:
                    return call(source, LazyInfo(field, run, path, definition))

                return resolve_self_info

            def resolve_info(run: _Run, source: Any, path: Path) -> Any:
                return call(LazyInfo(field, run, path, definition))

            return resolve_info

        def resolve(run: _Run, source: Any, path: Path) -> Any:
            if fixed is not None:
                kwargs = dict(fixed)
            else:
                raw = get_argument_values(field_def, node, run.variables)
                kwargs = convert_arguments(
                    raw, arguments, scalar_registry=registry, config=config, info=None
                )
            if parent_name is not None:
                kwargs[parent_name] = source
            if root_name is not None:
                kwargs[root_name] = source
            if info_name is not None:
                kwargs[info_name] = (
                    LazyInfo(field, run, path, definition)
                    if lazy
                    else info_class(_raw_info=field.info(run, path), _field=definition)
                )
            if self_param:
                return call(source, **kwargs)
            return call(**kwargs)

        return resolve

    def _generic(self, field: _Field) -> Resolve:
        """Strawberry's resolver with graphql-core's info and coerced arguments."""
        field_def = field.field_def
        assert field_def is not None
        node = field.nodes[0]
        from graphql.execution.executor import default_field_resolver

        resolve_fn = field_def.resolve or default_field_resolver
        has_args = bool(field_def.args or node.arguments)
        fixed = (
            get_argument_values(field_def, node, None)
            if has_args and not _uses_variables(node)
            else None
        )

        def resolve(run: _Run, source: Any, path: Path) -> Any:
            info = field.info(run, path)
            if not has_args:
                return resolve_fn(source, info)
            args = (
                dict(fixed)
                if fixed is not None
                else get_argument_values(field_def, node, run.variables)
            )
            return resolve_fn(source, info, **args)

        return resolve

    def _completer(
        self,
        field: _Field,
        type_: GraphQLOutputType,
        details: list[FieldDetails],
        null: str | None = None,
    ) -> Complete:
        """The completion of a value of ``type_``; ``null`` is the error a null raises (the
        type was non-null: graphql-core's check folded into the inner completion)."""
        if is_non_null_type(type_):
            message = f"Cannot return null for non-nullable field {field.parent_type}.{field.name}."
            return self._completer(field, type_.of_type, details, message)
        if is_list_type(type_):
            return self._list_completer(field, type_, details, null)
        if is_leaf_type(type_):
            return _leaf_completer(type_, null)
        if is_abstract_type(type_):
            return self._abstract_completer(field, type_, details, null)
        if is_object_type(type_):
            return self._object_completer(field, type_, details, null)
        raise _Unsupported(f"output type {type_}")  # pragma: no cover

    def _list_completer(
        self, field: _Field, type_: GraphQLList[Any], details: list[FieldDetails], null: str | None
    ) -> Complete:
        item_type = type_.of_type
        complete_item = self._completer(field, item_type, details)
        item_non_null = is_non_null_type(item_type)
        nodes = field.nodes
        message = (
            f"Expected Iterable, but did not find one for field '{field.parent_type}.{field.name}'."
        )
        # Items of an object type: an instance of a class its completion accepted, not
        # awaitable and not cast, goes straight to the generated selection.
        plain, execute_item, item_fields = getattr(complete_item, "plain", ((), None, None))

        def handle(run: _Run, raw_error: Exception, item_path: Path) -> None:
            error = located_error(raw_error, nodes, item_path.as_list())
            if item_non_null:
                raise error
            run.errors.add(error, item_path)

        async def awaitable_item(run: _Run, item: Any, item_path: Path) -> Any:
            try:
                completed = complete_item(run, await item, item_path)
                if _is_awaitable(completed):
                    completed = await completed
            except Exception as raw_error:
                handle(run, raw_error, item_path)
                return None
            return completed

        async def await_completed(run: _Run, completed: Any, item_path: Path) -> Any:
            try:
                return await completed
            except Exception as raw_error:
                handle(run, raw_error, item_path)
                return None

        def complete_list(run: _Run, result: Any, path: Path) -> Any:
            if type(result) is not list:  # a list passes every check below
                if isinstance(result, Exception):
                    raise result
                if result is None or result is Undefined:
                    if null is not None:
                        raise TypeError(null)
                    return None
                if hasattr(result, "__aiter__"):
                    # No list field of ours returns one; read it whole, then complete it.
                    return _complete_async_iterable(run, result, path, complete_list)
                if not is_iterable(result):
                    raise GraphQLError(message)
            results: list[Any] = []
            append = results.append
            awaitable_indices: list[int] = []
            iterator = iter(result)
            index = 0
            try:
                for item in iterator:
                    item_path = _tuple_new(Path, (path, index, None))
                    if (
                        type(item) in plain
                        and "__await__" not in item.__dict__
                        and getattr(item, _TYPE_CAST, None) is None
                    ):
                        try:
                            completed = execute_item(run, item, item_path, item_fields)  # type: ignore[misc]
                        except Exception as raw_error:
                            handle(run, raw_error, item_path)
                            completed = None
                        if type(completed) is dict or completed is None:
                            append(completed)
                        else:
                            append(await_completed(run, completed, item_path))
                            awaitable_indices.append(index)
                    elif type(item) not in _SYNC and _is_awaitable(item):
                        append(awaitable_item(run, item, item_path))
                        awaitable_indices.append(index)
                    else:
                        try:
                            completed = complete_item(run, item, item_path)
                            if type(completed) not in _SYNC and _is_awaitable(completed):
                                append(await_completed(run, completed, item_path))
                                awaitable_indices.append(index)
                            else:
                                append(completed)
                        except Exception as raw_error:
                            handle(run, raw_error, item_path)
                            append(None)
                    index += 1
            except Exception:
                pending = [results[i] for i in awaitable_indices]
                pending.extend(v for v in iterator if _is_awaitable(v))
                _settle_in_background(pending)
                raise
            if not awaitable_indices:
                return results
            return _gather_list(results, awaitable_indices)

        return complete_list

    def _object_completer(
        self,
        field: _Field,
        type_: GraphQLObjectType,
        details: list[FieldDetails],
        null: str | None = None,
    ) -> Complete:
        sub = collect_subfields(
            self.schema, self.fragments, self.collect_variables, self.operation, type_, details
        )
        fields = self._fields(type_, sub.grouped_field_set)
        is_type_of = type_.is_type_of
        needs_info = is_type_of is not None and not _ignores_info(is_type_of)
        nodes = field.nodes
        # Strawberry's is_type_of is isinstance against the type's classes unless the object
        # carries a cast: the classes it accepted an uncast instance of, remembered.
        accepted: set[type] = set()
        remember = is_type_of is not None and not needs_info
        execute_fields = generate(fields, _HELPERS)
        # Of those, the classes whose instances graphql-core's is_awaitable never takes for
        # awaitables (_never_awaitable): callers complete those without asking it
        # (compiled_selection, _list_completer).
        plain: set[type] = set()

        def complete_object(run: _Run, result: Any, path: Path) -> Any:
            if type(result) in accepted and getattr(result, _TYPE_CAST, None) is None:
                return execute_fields(run, result, path, fields)
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if null is not None:
                    raise TypeError(null)
                return None
            if is_type_of is not None:
                matches = is_type_of(result, field.info(run, path) if needs_info else None)  # type: ignore[arg-type]
                if _is_awaitable(matches):
                    return _checked_object(run, matches, type_, result, nodes, fields, path)
                if not matches:
                    raise _invalid_return_type(type_, result, nodes)
                if remember and matches is True and getattr(result, _TYPE_CAST, None) is None:
                    accepted.add(type(result))
                    if _never_awaitable(type(result)):
                        plain.add(type(result))
            elif type(result) not in plain and _never_awaitable(type(result)):
                plain.add(type(result))  # no is_type_of: any such instance is completed
            return execute_fields(run, result, path, fields)

        complete_object.plain = (plain, execute_fields, fields)  # type: ignore[attr-defined]
        return complete_object

    def _abstract_completer(
        self,
        field: _Field,
        type_: GraphQLAbstractType,
        details: list[FieldDetails],
        null: str | None,
    ) -> Complete:
        by_type: dict[str, Complete] = {}
        schema = self.schema
        nodes = field.nodes

        def for_runtime(run: _Run, runtime_name: Any, result: Any) -> Complete:
            runtime_type = _ensure_valid_runtime_type(
                schema, runtime_name, type_, field, nodes, result
            )
            found = by_type.get(runtime_type.name)
            if found is None:
                found = by_type[runtime_type.name] = self._object_completer(
                    field, runtime_type, details
                )
            return found

        resolve_type = type_.resolve_type or default_type_resolver

        def complete_abstract(run: _Run, result: Any, path: Path) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if null is not None:
                    raise TypeError(null)
                return None
            runtime_name = resolve_type(result, field.info(run, path), type_)
            if _is_awaitable(runtime_name):
                return _await_abstract(run, runtime_name, result, path, for_runtime)
            return for_runtime(run, runtime_name, result)(run, result, path)

        return complete_abstract


async def _complete_async_iterable(
    run: _Run, result: Any, path: Path, complete_list: Complete
) -> Any:
    items = [item async for item in result]
    value = complete_list(run, items, path)
    if _is_awaitable(value):
        return await value
    return value


async def _await_abstract(
    run: _Run, runtime_name: Any, result: Any, path: Path, for_runtime: Callable[..., Complete]
) -> Any:
    value = for_runtime(run, await runtime_name, result)(run, result, path)
    if _is_awaitable(value):
        return await value
    return value  # pragma: no cover


async def _checked_object(
    run: _Run,
    matches: Any,
    type_: GraphQLObjectType,
    result: Any,
    nodes: list[FieldNode],
    fields: list[_Field],
    path: Path,
) -> Any:
    if not await matches:
        raise _invalid_return_type(type_, result, nodes)
    value = _execute_fields(run, result, path, fields)
    if _is_awaitable(value):
        return await value
    return value  # pragma: no cover


async def _gather_list(results: list[Any], indices: list[int]) -> list[Any]:
    if len(indices) == 1:
        index = indices[0]
        results[index] = await results[index]
    else:
        awaited = await gather_with_cancel(*(results[i] for i in indices))
        for index, value in zip(indices, awaited, strict=True):
            results[index] = value
    return results


def _leaf_completer(type_: GraphQLLeafType, null: str | None) -> Complete:
    coerce = type_.coerce_output_value
    unchanged = unchanged_type(coerce)

    def complete_leaf(run: _Run, result: Any, path: Path) -> Any:
        if type(result) is unchanged and (unchanged is not int or within_int(result)):
            return result  # what the built-in scalar returns for it (compiled_leaves)
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if null is not None:
                raise TypeError(null)
            return None
        coerced = coerce(result)
        if coerced is Undefined or coerced is None:
            msg = (
                f"Expected `{inspect(type_)}.coerce_output_value("
                f"{inspect(result)})` to return non-nullable value, returned:"
                f" {inspect(coerced)}"
            )
            raise TypeError(msg)
        return coerced

    return complete_leaf


def _ensure_valid_runtime_type(
    schema: GraphQLSchema,
    runtime_type_name: Any,
    return_type: GraphQLAbstractType,
    field: _Field,
    nodes: list[FieldNode],
    result: Any,
) -> GraphQLObjectType:
    """graphql-core's checks of a resolved runtime type, in its words."""
    where = f"{field.parent_type}.{field.name}"
    if runtime_type_name is None:
        raise GraphQLError(
            f"Abstract type '{return_type}' must resolve"
            " to an Object type at runtime"
            f" for field '{where}'."
            f" Either the '{return_type}' type should provide"
            " a 'resolve_type' function or each possible type should provide"
            " an 'is_type_of' function.",
            nodes,
        )
    if not isinstance(runtime_type_name, str):
        raise GraphQLError(
            f"Abstract type '{return_type}' must resolve"
            " to an Object type at runtime"
            f" for field '{where}' with value"
            f" {inspect(result)}, received '{inspect(runtime_type_name)}',"
            " which is not a valid Object type name.",
            nodes,
        )
    runtime_type = schema.get_type(runtime_type_name)
    if runtime_type is None:
        raise GraphQLError(
            f"Abstract type '{return_type}' was resolved to a type"
            f" '{runtime_type_name}' that does not exist inside the schema.",
            nodes,
        )
    if not is_object_type(runtime_type):
        raise GraphQLError(
            f"Abstract type '{return_type}' was resolved"
            f" to a non-object type '{runtime_type_name}'.",
            nodes,
        )
    if not schema.is_sub_type(return_type, runtime_type):
        raise GraphQLError(
            f"Runtime Object type '{runtime_type}' is not a possible type for '{return_type}'.",
            nodes,
        )
    return runtime_type


def _invalid_return_type(
    type_: GraphQLObjectType, result: Any, nodes: list[FieldNode]
) -> GraphQLError:
    return GraphQLError(f"Expected value of type '{type_.name}' but got: {inspect(result)}.", nodes)


# -- running -----------------------------------------------------------------------------------


def _handle_field_error(run: _Run, raw_error: Exception, field: _Field, path: Path) -> None:
    error = located_error(raw_error, field.nodes, path.as_list())
    if is_non_null_type(field.return_type):
        raise error
    run.errors.add(error, path)


def _execute_field(run: _Run, field: _Field, source: Any, path: Path) -> Any:
    try:
        result = field.resolve(run, source, path)
        if type(result) not in _SYNC and _is_awaitable(result):
            return _complete_awaitable(run, field, path, result)
        completed = field.complete(run, result, path)
        if type(completed) not in _SYNC and _is_awaitable(completed):
            return _await_completed(run, field, path, completed)
    except Exception as raw_error:
        _handle_field_error(run, raw_error, field, path)
        return None
    return completed


async def _complete_awaitable(run: _Run, field: _Field, path: Path, result: Any) -> Any:
    try:
        completed = field.complete(run, await result, path)
        if _is_awaitable(completed):
            completed = await completed
    except Exception as raw_error:
        _handle_field_error(run, raw_error, field, path)
        completed = None
    return completed


async def _await_completed(run: _Run, field: _Field, path: Path, completed: Any) -> Any:
    try:
        return await completed
    except Exception as raw_error:
        _handle_field_error(run, raw_error, field, path)
        return None


def _execute_fields(
    run: _Run,
    source: Any,
    path: Path | None,
    fields: list[_Field],
    start: int = 0,
    results: dict[str, Any] | None = None,
) -> Any:
    """The fields of ``source`` from ``fields[start]`` on, into ``results`` (a new dict when
    None)."""
    if results is None:
        results = {}
    awaitable_fields: list[str] = []
    try:
        for field in fields[start:] if start else fields:
            name = field.response_name
            if field.typename:
                results[name] = field.parent_name
                continue
            fast = field.fast
            if fast is not None:
                value = fast(source)
                if value is not MISS:
                    results[name] = value
                    continue
            # _execute_field, inline: most fields of a page take this path.
            field_path = _tuple_new(Path, (path, name, field.parent_name))
            pending = False
            try:
                result = field.resolve(run, source, field_path)
                if type(result) not in _SYNC and _is_awaitable(result):
                    result = _complete_awaitable(run, field, field_path, result)
                    pending = True
                else:
                    result = field.complete(run, result, field_path)
                    if type(result) not in _SYNC and _is_awaitable(result):
                        result = _await_completed(run, field, field_path, result)
                        pending = True
            except Exception as raw_error:
                _handle_field_error(run, raw_error, field, field_path)  # or raises
                result = None
            results[name] = result
            if pending:
                awaitable_fields.append(name)
    except Exception:
        _settle_in_background([results[name] for name in awaitable_fields])
        raise
    if not awaitable_fields:
        return results
    return _gather_fields(results, awaitable_fields)


async def _gather_fields(results: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if len(names) == 1:
        name = names[0]
        results[name] = await results[name]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in names))
        results.update(zip(names, awaited, strict=True))
    return results


def _execute_fields_serially(run: _Run, source: Any, fields: list[_Field]) -> Any:
    def reducer(results: dict[str, Any], field: _Field) -> Any:
        name = field.response_name
        if field.typename:
            results[name] = field.parent_type.name
            return results
        result = _execute_field(run, field, source, Path(None, name, field.parent_type.name))
        if _is_awaitable(result):

            async def set_result() -> dict[str, Any]:
                results[name] = await result
                return results

            return set_result()
        results[name] = result
        return results

    return async_reduce(reducer, fields, {})


async def execute(
    compiled: Compiled,
    variables: VariableValues,
    context: Any,
    extensions: dict[str, Any] | None,
) -> ExecutionResult:
    """Run ``compiled`` as graphql-core's ``execute`` would run its operation."""
    run = _Run(compiled, context, variables, extensions)
    try:
        if compiled.serially:
            data = _execute_fields_serially(run, None, compiled.root_fields)
        else:
            data = _execute_fields(run, None, None, compiled.root_fields)
        if _is_awaitable(data):
            data = await data
    except GraphQLError as error:
        run.errors.add(error, None)
        data = None
    errors = run.errors.errors
    return ExecutionResult(data, errors or None)


# What generated selections (server/compiled_selection.py) call.
_HELPERS: dict[str, Any] = {
    "MISS": MISS,
    "Path": Path,
    "LazyInfo": LazyInfo,
    "_SYNC": _SYNC,
    "_is_awaitable": _is_awaitable,
    "_tuple_new": _tuple_new,
    "_execute_field": _execute_field,
    "_complete_awaitable": _complete_awaitable,
    "_await_completed": _await_completed,
    "_handle_field_error": _handle_field_error,
    "_settle_in_background": _settle_in_background,
    "_gather_fields": _gather_fields,
    "_TYPE_CAST": _TYPE_CAST,
    "_new": object.__new__,
}


# -- helpers of the compiler -------------------------------------------------------------------


def _named_nullable(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _attribute(getter: Callable[[Any, str], Any], name: str) -> Resolve:
    def resolve(run: _Run, source: Any, path: Path) -> Any:
        return getter(source, name)

    return resolve


def _node_id_resolver(field: _Field, general: Resolve) -> Resolve:
    type_name = field.parent_type.name

    def resolve(run: _Run, source: Any, path: Path) -> Any:
        try:
            return node_id_of(source, type_name)
        except LookupError:
            return general(run, source, path)

    return resolve


def _never_awaitable(cls: type) -> bool:
    """Whether graphql-core's ``is_awaitable`` answers False for every instance of ``cls``
    without ``__await__`` in its ``__dict__``: not a coroutine or generator (no ``__class__``
    of its own either), with a ``__dict__``, and nothing that could answer ``__await__``."""
    return (
        not issubclass(cls, CoroutineType | GeneratorType)
        and cls.__getattribute__ is object.__getattribute__
        and not hasattr(cls, "__getattr__")
        and not hasattr(cls, "__await__")
        and cls.__dictoffset__ != 0
        and all("__class__" not in vars(base) for base in cls.__mro__[:-1])
    )


def _simple_input(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return isinstance(type_, GraphQLScalarType | GraphQLEnumType)


def _immutable(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str | int | float | bool | tuple | frozenset)
        or (
            hasattr(type(value), "__members__")  # an enum member
        )
    )


def _only_parameters(resolver: Any, self_param: bool, info_name: str) -> bool:
    """Whether the resolver's parameters are exactly (self,) info, positional-or-keyword."""
    try:
        parameters = list(resolver.signature.parameters.values())
    except (TypeError, ValueError):  # pragma: no cover - strawberry read it already
        return False
    expected = 2 if self_param else 1
    return (
        len(parameters) == expected
        and parameters[-1].name == info_name
        and all(p.kind is inspect_module.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)
    )


def _uses_variables(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


def _ignores_info(is_type_of: Any) -> bool:
    """Strawberry's generated ``is_type_of`` (an isinstance check) never reads the info."""
    return getattr(is_type_of, "__qualname__", "").startswith(
        "GraphQLCoreConverter.from_object.<locals>._get_is_type_of"
    )


_UNSUPPORTED_FIELDS = frozenset({"__schema", "__type"})
_CONDITIONS = frozenset({"skip", "include"})


def _condition_variables(
    document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[str, ...]:
    """The variables the ``@skip``/``@include`` conditions read, or raise ``_Unsupported``
    for what the compiler leaves to graphql-core."""
    if operation.operation == OperationType.SUBSCRIPTION:
        raise _Unsupported("subscription")
    if operation.directives:
        raise _Unsupported("operation directive")
    for var_def in operation.variable_definitions or ():
        if var_def.directives:
            raise _Unsupported("variable directive")
    names: set[str] = set()

    class Check(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value not in _CONDITIONS:
                raise _Unsupported(f"@{node.name.value}")
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    names.add(argument.value.name.value)

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.name.value in _UNSUPPORTED_FIELDS:
                raise _Unsupported(node.name.value)

        def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
            if node.variable_definitions:
                raise _Unsupported("fragment variables")
            if node.directives:
                raise _Unsupported("fragment definition directive")

        def enter_fragment_spread(self, node: Any, *_: Any) -> None:
            if node.arguments:
                raise _Unsupported("fragment arguments")

    check = Check()
    visit(operation, check)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            visit(definition, check)
    return tuple(sorted(names))


# -- the cache ---------------------------------------------------------------------------------


class _Shape:
    """What a document's operation needs before a key can be made: which variables the
    conditions read (None: not compiled)."""

    __slots__ = ("conditions", "operation")

    def __init__(
        self, operation: OperationDefinitionNode, conditions: tuple[str, ...] | None
    ) -> None:
        self.operation = operation
        self.conditions = conditions


_shapes: OrderedDict[Any, _Shape] = OrderedDict()
_compiled: OrderedDict[Any, Compiled] = OrderedDict()
_EMPTY = VariableValues({}, {})


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> Any:
    cache[key] = value
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return value


def compiled_for(
    strawberry_schema: Any,
    document: DocumentNode,
    query: str,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> tuple[Compiled, VariableValues] | None:
    """The compiled operation of a validated document and its coerced variables, or None
    when graphql-core should run it (what the compiler does not support, or variables it
    would refuse: graphql-core reports those)."""
    schema: GraphQLSchema = strawberry_schema._schema
    key = (id(schema), query, operation_name)
    shape = _shapes.get(key)
    if shape is None:
        operation = operation_of(document, operation_name)
        if operation is None:
            return None
        try:
            conditions: tuple[str, ...] | None = _condition_variables(document, operation)
            stats["compiled"] += 1
        except _Unsupported:
            conditions = None
            stats["fallback"] += 1
        shape = _remember(_shapes, key, _Shape(operation, conditions))
    else:
        _shapes.move_to_end(key)
    if shape.conditions is None:
        return None
    operation = shape.operation
    if operation.variable_definitions:
        variables = get_variable_values(schema, operation.variable_definitions, raw_variables or {})
        if isinstance(variables, list):
            return None
    else:
        variables = _EMPTY
    coerced = variables.coerced
    full_key = (key, tuple(coerced.get(name) for name in shape.conditions))
    compiled = _compiled.get(full_key)
    if compiled is None:
        compiled = _remember(
            _compiled, full_key, Compiled(schema, strawberry_schema, document, operation, variables)
        )
    else:
        _compiled.move_to_end(full_key)
    return compiled, variables


def compile_operation(
    strawberry_schema: Any,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None = None,
) -> tuple[Compiled, VariableValues] | None:
    """Compile one operation of ``document`` outside the cache (tests), with its coerced
    variables, or None when graphql-core should run it."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    try:
        _condition_variables(document, operation)
    except _Unsupported:
        return None
    schema = strawberry_schema._schema
    values = (
        get_variable_values(schema, operation.variable_definitions, variables or {})
        if operation.variable_definitions
        else _EMPTY
    )
    if isinstance(values, list):
        return None
    return Compiled(schema, strawberry_schema, document, operation, values), values
