"""Fast paths in graphql-core's execution for the fields that make up most of a response.

A page of 50 messages is some 550 field executions, and graphql-core runs every one through the
same machinery: a resolve-info object, argument coercion, strawberry's resolver wrapper,
awaitable checks, value completion. For most fields that costs several times what producing the
value does (bench/, figure 2). Two kinds of field need none of it:

* a *plain leaf*: a scalar or enum that strawberry reads from an attribute (no resolver), such
  as ``Message.text``: read it and serialize it;
* a relay *node ID*: ``id`` of a ``relay.Node`` that keeps strawberry's own ``resolve_id`` and
  ``resolve_typename``: the global ID of ``<type>:<id attribute>``.

Subscriptions also collect each selection once per subscription rather than once per event
(``collect_subfields``), which was a third of the cost of delivering an event (figure 4).

Anything else, and anything unusual on a fast path (a null in a non-null field, a value the
scalar refuses, middleware), goes through graphql-core's own ``execute_field``, which then
reports it exactly as it always does. Results are the same either way; the tests run through
this executor.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLLeafType, GraphQLNonNull, Undefined, is_leaf_type
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from server import live_events

# Where strawberry keeps the StrawberryField of a GraphQLField.
_DEFINITION = "strawberry-definition"
PLAIN, NODE_ID = 1, 2
_NODE_ID_RESOLVER = relay.Node._id.__func__
_RESOLVE_ID = relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
_RESOLVE_TYPENAME = relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]

# (kind, attribute or "", leaf type, non-null), or None: not a fast field.
Plan = tuple[int, Any, GraphQLLeafType, bool] | None
# Per GraphQLField (unhashable), by id; the field itself is kept so its id cannot be reused.
_plans: dict[int, tuple[GraphQLField, Plan]] = {}


def field_plan(field_def: GraphQLField) -> Plan:
    found = _plans.get(id(field_def))
    if found is not None and found[0] is field_def:
        return found[1]
    plan = _make_plan(field_def)
    _plans[id(field_def)] = (field_def, plan)
    return plan


def _make_plan(field_def: GraphQLField) -> Plan:
    return_type = field_def.type
    non_null = isinstance(return_type, GraphQLNonNull)
    leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    definition = (field_def.extensions or {}).get(_DEFINITION)
    if field_def.args or not is_leaf_type(leaf) or definition is None or definition.extensions:
        return None
    if getattr(field_def.resolve, "_is_default", False) and definition.base_resolver is None:
        # What strawberry's basic resolver does: default_resolver(source, python_name).
        return (PLAIN, definition, leaf, non_null)
    wrapped = getattr(definition.base_resolver, "wrapped_func", None)
    if getattr(wrapped, "__func__", None) is _NODE_ID_RESOLVER:
        return (NODE_ID, None, leaf, non_null)
    return None


# Per class: the attribute of its node id, or None when it is not a plain node (its own
# resolve_id or resolve_typename). Decided once per class: what node_id_of reads is the class's.
_node_attrs: dict[type, str | None] = {}
# Per type name: the global IDs already encoded, by node id (int or str only: 1 and True hash
# alike, and their IDs differ). Bounded: emptied when full.
_encoded: dict[str, dict[Any, str]] = {}
ENCODED_PER_TYPE = 4096


def node_attr(cls: type) -> str | None:
    """The attribute holding the node id of a plain ``relay.Node`` class, else None."""
    try:
        return _node_attrs[cls]
    except KeyError:
        pass
    if (
        not issubclass(cls, relay.Node)
        or getattr(cls.resolve_id, "__func__", None) is not _RESOLVE_ID
        or getattr(cls.resolve_typename, "__func__", None) is not _RESOLVE_TYPENAME
    ):
        attr = None
    else:
        attr = cls.resolve_id_attr()  # may raise: then nothing is remembered
    _node_attrs[cls] = attr
    return attr


def node_attrs_known() -> dict[type, str | None]:
    """What ``node_attr`` decided so far, by class (read only)."""
    return _node_attrs


def encoded_of(type_name: str) -> dict[Any, str]:
    """The global IDs of a type encoded so far, by node id (read only; emptied in place)."""
    known = _encoded.get(type_name)
    if known is None:
        known = _encoded[type_name] = {}
    return known


def global_id_of(type_name: str, node_id: Any) -> str:
    """``to_base64(type_name, node_id)``, remembered for int and str ids."""
    kind = type(node_id)
    if kind is not int and kind is not str:
        return to_base64(type_name, node_id)
    known = encoded_of(type_name)
    found = known.get(node_id)
    if found is None:
        if len(known) >= ENCODED_PER_TYPE:
            known.clear()
        found = known[node_id] = to_base64(type_name, node_id)
    return found


def node_id_of(source: Any, type_name: str) -> Any:
    attr = node_attr(type(source))
    if attr is None:
        raise LookupError("not a plain node")  # the general path handles it
    return global_id_of(type_name, getattr(source, attr))


class HelloExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shared with the per-event copies of a subscription (they are shallow copies).
        self._subfields: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        self._sharing: list[Any] = []  # live_events.sharing_key, worked out at the first event

    def execute_operation(self, serially: bool | None = None) -> Any:
        """A subscription's event: shared with the class-mates that get the same event
        (``server/live_events.py``); anything else: as graphql-core executes it."""
        run = super().execute_operation
        if serially is not False:  # the initial call (per-event executors pass False)
            return run(serially)
        if not self._sharing:
            self._sharing.append(live_events.sharing_key(self))
        return live_events.execute_event(self, self._sharing[0], lambda: run(serially))

    def collect_subfields(self, return_type: Any, field_details_list: Any) -> Any:
        """graphql-core memoizes this by the identity of ``field_details_list``, which a
        subscription builds anew for every event: its cache never hits there, and grows by
        an entry per object of every event for as long as the subscription lives. Keyed by
        the AST nodes instead (those of the document, the same for every event), it hits
        from the second event on and holds one entry per selection. Exact: whatever else the
        collection reads (fragments, variables, operation) is fixed for an executor and its
        per-event copies."""
        key = (
            return_type,
            *[
                (id(d.node), id(d.defer_usage), id(d.fragment_variable_values))
                for d in field_details_list
            ],
        )
        found = self._subfields.get(key)
        if found is None:
            # The details are kept with the entry, so the ids in the key stay theirs.
            found = self._subfields[key] = (
                field_details_list,
                super().collect_subfields(return_type, field_details_list),
            )
        return found[1]

    def execute_field(
        self,
        parent_type: Any,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        plan = field_plan(field_def) if field_def is not None and not node.arguments else None
        manager = self.middleware_manager
        if plan is not None and (manager is None or not manager.middlewares):
            kind, definition, leaf, non_null = plan
            try:
                if kind == PLAIN:
                    value = definition.default_resolver(source, definition.python_name)
                else:
                    value = node_id_of(source, parent_type.name)
                if value is None or value is Undefined:
                    if not non_null:
                        return None
                else:
                    return self.complete_leaf_value(leaf, value)
            except Exception:  # the general path below reports it
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def install(schema: Any) -> Any:
    """Make a strawberry schema execute with these fast paths; returns the schema."""
    schema.execution_context_class = HelloExecutionContext
    return schema
