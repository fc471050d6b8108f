"""``server/execution.py`` overrides internals of graphql-core's executor and reads strawberry's
private attributes. Those are no public API: a new graphql-core (pinned exactly in
pyproject.toml for this reason) or strawberry may rename or reshape them, and the fast paths
would then silently stop applying or break. Each test here names one thing execution.py relies
on, so an upgrade fails here, loudly, before anything else does."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

import graphql
import strawberry
from graphql import GraphQLField, GraphQLString
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.executor import Executor
from graphql.execution.middleware import MiddlewareManager
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from server import execution
from server.execution import HelloExecutionContext

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def test_the_installed_graphql_core_is_the_pinned_one() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert f"graphql-core=={graphql.__version__}" in dependencies, (
        f"graphql-core {graphql.__version__} is installed but pyproject.toml does not pin it: "
        "check server/execution.py against the new version, then move the pin"
    )
    assert version("graphql-core") == graphql.__version__


def test_strawberry_execution_context_is_graphql_cores_executor() -> None:
    assert issubclass(HelloExecutionContext, StrawberryGraphQLCoreExecutionContext)
    assert issubclass(StrawberryGraphQLCoreExecutionContext, Executor)


def test_execute_field_keeps_its_signature() -> None:
    # Overridden, and called with these positional arguments by execute_fields.
    assert params(Executor.execute_field) == [
        "self",
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ]
    assert params(HelloExecutionContext.execute_field) == params(Executor.execute_field)


def test_collect_subfields_keeps_its_signature_and_identity_memo() -> None:
    assert params(Executor.collect_subfields) == ["self", "return_type", "field_details_list"]
    assert params(HelloExecutionContext.collect_subfields) == params(Executor.collect_subfields)
    # The override exists because graphql-core memoizes on the list's identity; if that
    # changes, the reason (and maybe the override) goes.
    source = inspect.getsource(Executor.collect_subfields)
    assert "id(field_details_list)" in source


def test_complete_leaf_value_is_a_static_method_of_type_and_value() -> None:
    assert isinstance(inspect.getattr_static(Executor, "complete_leaf_value"), staticmethod)
    assert params(Executor.complete_leaf_value) == ["return_type", "result"]
    assert Executor.complete_leaf_value(GraphQLString, "x") == "x"


def test_field_details_carry_what_the_subfield_key_reads() -> None:
    assert FieldDetails._fields == ("node", "defer_usage", "fragment_variable_values")


def test_executor_attributes_the_fast_path_reads() -> None:
    init = inspect.getsource(Executor.__init__)
    for attribute in ("self.schema =", "self.middleware_manager ="):
        assert attribute in init, attribute
    assert "middlewares" in MiddlewareManager.__slots__
    assert callable(graphql.GraphQLSchema.get_field)


@strawberry.type
class Thing(relay.Node):
    code: relay.NodeID[int]
    text: str
    maybe: str | None = None

    @strawberry.field
    def computed(self) -> str:
        return "c"


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(code=i, text=f"t{i}") for i in range(3)]


def test_strawberry_field_internals_the_plan_reads() -> None:
    schema = execution.install(strawberry.Schema(query=Query))
    assert schema.execution_context_class is HelloExecutionContext
    gql_type = schema._schema.type_map["Thing"]
    text: GraphQLField = gql_type.fields["text"]
    definition = text.extensions[execution._DEFINITION]
    # A plain leaf: strawberry's default resolver, no base resolver, no extensions.
    assert getattr(text.resolve, "_is_default", False) is True
    assert definition.base_resolver is None
    assert not definition.extensions
    assert definition.default_resolver(Thing(code=7, text="t"), definition.python_name) == "t"
    plain = execution.field_plan(text)
    assert plain is not None and plain[0] == execution.PLAIN
    # A node ID: relay.Node's own _id resolver.
    id_field: GraphQLField = gql_type.fields["id"]
    id_definition = id_field.extensions[execution._DEFINITION]
    assert id_definition.base_resolver.wrapped_func.__func__ is execution._NODE_ID_RESOLVER
    node_id = execution.field_plan(id_field)
    assert node_id is not None and node_id[0] == execution.NODE_ID
    # A field with a resolver of its own takes the general path.
    assert execution.field_plan(gql_type.fields["computed"]) is None
    # The node ID is built the way relay.Node builds it.
    assert Thing.resolve_id_attr() == "code"
    assert execution.node_id_of(Thing(code=7, text="t"), "Thing") == to_base64("Thing", 7)


def test_fast_and_general_paths_answer_alike() -> None:
    query = "{ things { id text maybe computed } }"
    fast = execution.install(strawberry.Schema(query=Query)).execute_sync(query)
    plain = strawberry.Schema(query=Query).execute_sync(query)
    assert fast.errors is None and plain.errors is None
    assert fast.data == plain.data
    assert fast.data == {
        "things": [
            {"id": to_base64("Thing", i), "text": f"t{i}", "maybe": None, "computed": "c"}
            for i in range(3)
        ]
    }
