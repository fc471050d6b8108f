"""The fast paths of compiled execution (``server/compiled_leaves.py``, ``compiled_info.py`` and
the inline checks of ``server/compiled.py``), each against graphql-core on a schema made for
them: built-in scalars given values of every Python type (hypothesis), relay node IDs of int,
str and other ids, resolvers declaring an Info in every way strawberry allows (and reading all
of it), objects that strawberry's ``is_type_of`` accepts, refuses or sees through a cast, and
errors and nulls inside lists. ``both`` checks that the two encode to the same bytes."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import strawberry
from graphql import ExecutionResult
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry import relay
from strawberry.relay.utils import to_base64

from server import execution
from server.compiled_info import LazyInfo
from server.execution import install
from tests.server.test_compiled import both_on, errors_of

# The classes of the Info objects resolvers got.
INFO_TYPES: list[type] = []
# What the leaves of the current request hold: set by each test before it queries.
VALUES: dict[str, Any] = {}


class Odd:
    """A value of no built-in type: scalars serialize it by its str(), or refuse it."""

    def __str__(self) -> str:
        return "odd"


class Named(str):
    """A str subclass: not the exact type the fast path returns unchanged."""


@strawberry.type
class Leaves:
    @property
    def s(self) -> Any:
        return VALUES.get("s")

    @property
    def i(self) -> Any:
        return VALUES.get("i")

    @property
    def b(self) -> Any:
        return VALUES.get("b")

    @property
    def d(self) -> Any:
        return VALUES.get("d")

    @property
    def f(self) -> Any:
        return VALUES.get("f")

    @property
    def t(self) -> Any:
        return VALUES.get("t")

    # Plain fields read from the properties above (no resolvers).
    s_: str | None = strawberry.field(name="s", default=None)
    i_: int | None = strawberry.field(name="i", default=None)
    b_: bool | None = strawberry.field(name="b", default=None)
    d_: strawberry.ID | None = strawberry.field(name="d", default=None)
    f_: float | None = strawberry.field(name="f", default=None)
    t_: datetime | None = strawberry.field(name="t", default=None)
    strict: int = strawberry.field(name="strict", default=0)

    # The same values through resolvers (the completion of a resolved leaf).
    @strawberry.field
    def rs(self) -> str | None:
        return VALUES.get("s")  # type: ignore[no-any-return]

    @strawberry.field
    def ri(self) -> int | None:
        return VALUES.get("i")  # type: ignore[no-any-return]

    @strawberry.field
    def rb(self) -> bool | None:
        return VALUES.get("b")  # type: ignore[no-any-return]

    @strawberry.field
    def rd(self, info: strawberry.Info) -> strawberry.ID | None:
        return VALUES.get("d")  # type: ignore[no-any-return]

    @strawberry.field
    def r_strict(self) -> int:
        return VALUES.get("i")  # type: ignore[no-any-return]


class ReadLeaves:
    """What the plain fields of ``Leaves`` read, by their python names."""

    def __getattr__(self, name: str) -> Any:
        if name in ("s_", "i_", "b_", "d_", "f_", "t_"):
            return VALUES.get(name[0])
        if name == "strict":
            return VALUES.get("i")
        raise AttributeError(name)


@strawberry.type
class Thing(relay.Node):
    code: relay.NodeID[int]
    label: str


@strawberry.type
class Tag(relay.Node):
    slug: relay.NodeID[str]


@strawberry.type
class Custom(relay.Node):
    key: relay.NodeID[int]

    @classmethod
    def resolve_id(cls, root: Any, *, info: strawberry.Info) -> str:
        return f"custom-{root.key}"


@strawberry.type
class Other:
    code: str


@strawberry.type
class Resolvers:
    n: int

    @strawberry.field
    def with_info(self, info: strawberry.Info) -> str:
        raw = info._raw_info
        return (
            f"{info.field_name}@{info.path.as_list()}:{info.context['who']}:"
            f"{raw.parent_type.name}:{info.python_name}:{sorted(info.variable_values)}:"
            f"{[s.name for s in info.selected_fields]}"
        )

    @strawberry.field
    def only_context(self, info: strawberry.Info) -> str:
        INFO_TYPES.append(type(info))
        return f"{info.context['who']}{self.n}"

    @strawberry.field
    def keyword_info(self, *, info: strawberry.Info) -> str:
        return f"{info.path.key}{self.n}"

    @strawberry.field
    @staticmethod
    def static_info(info: strawberry.Info) -> str:
        return str(info.path.as_list())

    @strawberry.field
    def with_root(self, root: Any, info: strawberry.Info) -> int:
        return int(root is self) + self.n

    @strawberry.field
    def with_argument(self, info: strawberry.Info, times: int = 2) -> str:
        return f"{info.context['who']}*{times}"

    @strawberry.field
    def no_info(self) -> int:
        return self.n * 10

    @strawberry.field
    def failing(self, info: strawberry.Info) -> str | None:
        if self.n == 2:
            raise ValueError(f"failing {info.path.as_list()}")
        return "ok"

    @strawberry.field
    def strict_failing(self, info: strawberry.Info) -> str:
        if self.n == 3:
            return None  # type: ignore[return-value]
        return "ok"


def cast_other(obj: Any) -> Any:
    return strawberry.cast(Other, obj)


@strawberry.type
class Query:
    @strawberry.field
    def leaves(self) -> Leaves:
        return ReadLeaves()  # type: ignore[return-value]

    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(code=1, label="a"), Thing(code=1, label="again"), Thing(code=2, label="b")]

    @strawberry.field
    def tags(self) -> list[Tag]:
        return [Tag(slug="x"), Tag(slug="y")]

    @strawberry.field
    def customs(self) -> list[Custom]:
        return [Custom(key=4)]

    @strawberry.field
    def resolvers(self) -> list[Resolvers | None]:
        return [Resolvers(n=1), Resolvers(n=2), Resolvers(n=3)]

    @strawberry.field
    def mixed(self) -> list[Thing | None]:
        """Accepted, refused (another class), accepted, refused (an accepted class cast to
        another type), and a null met after the fast read of the ID (the rest of the
        selection then takes the general path)."""
        return [
            Thing(code=5, label="ok"),
            Other(code="no"),  # type: ignore[list-item]
            Thing(code=6, label="ok"),
            cast_other(Thing(code=7, label="cast")),
            Thing(code=8, label=None),  # type: ignore[arg-type]  # a null in a non-null leaf
        ]


SCHEMA = install(strawberry.Schema(Query, types=[Thing, Tag, Custom]))


async def both(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    """The compiled result, after checking graphql-core's encodes to the same bytes."""
    return await both_on(SCHEMA, query, variables, {"who": "me"})


LEAF_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.builds(Named, st.text(max_size=3)),
    st.just(Odd()),
    st.just([1]),
    st.just(math.pi),
)


class Stamp(datetime):
    """A datetime subclass formatting itself: never answered from the remembered strings."""

    def isoformat(self, *args: Any, **kwargs: Any) -> str:
        return "stamp"


OFFSETS = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
TIMES = st.one_of(
    st.none(),
    st.datetimes(),
    st.datetimes(timezones=OFFSETS),
    st.just(datetime(2025, 1, 6, 9, 0, tzinfo=UTC)),
    st.just(datetime(2025, 1, 6, 10, 0, tzinfo=timezone(timedelta(hours=1)))),  # the same instant
    st.just(Stamp(2025, 1, 6)),
    st.just(date(2025, 1, 6)),
    st.just("2025-01-06"),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.fixed_dictionaries({**{k: LEAF_VALUES for k in "sibdf"}, "t": TIMES}))
def test_built_in_scalars_answer_alike_for_any_value(values: dict[str, Any]) -> None:
    import asyncio

    VALUES.clear()
    VALUES.update(values)
    asyncio.run(both("{ leaves { s i b d f t rs ri rb rd } }"))
    asyncio.run(both("{ leaves { i strict } }"))  # a refused or null non-null value
    asyncio.run(both("{ leaves { ri rStrict } }"))


async def test_equal_datetimes_of_other_offsets_keep_their_own_isoformat() -> None:
    utc = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    paris = datetime(2025, 1, 6, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert utc == paris and hash(utc) == hash(paris)
    for value, text in ((utc, "2025-01-06T09:00:00+00:00"), (paris, "2025-01-06T10:00:00+01:00")):
        VALUES.clear()
        VALUES["t"] = value
        for _ in range(2):  # the second time from the remembered strings
            assert (await both("{ leaves { t } }")).data == {"leaves": {"t": text}}


async def test_node_ids_of_int_str_and_custom_ids() -> None:
    result = await both("{ things { id label } tags { id } customs { id } }")
    assert result.data == {
        "things": [
            {"id": to_base64("Thing", 1), "label": "a"},
            {"id": to_base64("Thing", 1), "label": "again"},
            {"id": to_base64("Thing", 2), "label": "b"},
        ],
        "tags": [{"id": to_base64("Tag", "x")}, {"id": to_base64("Tag", "y")}],
        "customs": [{"id": to_base64("Custom", "custom-4")}],
    }
    # Remembered, and the same again.
    assert execution.global_id_of("Thing", 1) == to_base64("Thing", 1)
    assert execution.node_attr(Thing) == "code" and execution.node_attr(Custom) is None


def test_remembered_global_ids_stay_bounded_and_tell_ids_apart() -> None:
    for n in range(execution.ENCODED_PER_TYPE + 10):
        assert execution.global_id_of("Bounded", n) == to_base64("Bounded", n)
    assert len(execution._encoded["Bounded"]) <= execution.ENCODED_PER_TYPE
    # 1, "1" and True are different ids (1 and True hash alike): never confused.
    assert execution.global_id_of("Mixed", 1) == to_base64("Mixed", 1)
    assert execution.global_id_of("Mixed", "1") == to_base64("Mixed", "1")
    assert execution.global_id_of("Mixed", True) == to_base64("Mixed", True)
    assert execution.global_id_of("Mixed", 1.0) == to_base64("Mixed", 1.0)


async def test_resolvers_declaring_an_info_in_every_way() -> None:
    INFO_TYPES.clear()
    result = await both(
        "query ($v: Int) { resolvers { withInfo onlyContext keywordInfo staticInfo withRoot"
        " withArgument(times: 3) noInfo failing } x: resolvers { withArgument(times: $v) } y: resolvers { withArgument } }",
        {"v": 1},
    )
    assert result.data is not None
    first = result.data["resolvers"][0]
    assert first["withInfo"] == (
        "withInfo@['resolvers', 0, 'withInfo']:me:Resolvers:with_info:['v']:['withInfo']"
    )
    # graphql-core's run gave strawberry's Info, the compiled one the lazy subclass.
    assert strawberry.Info in INFO_TYPES and LazyInfo in INFO_TYPES
    assert first["onlyContext"] == "me1"
    assert first["keywordInfo"] == "keywordInfo1"
    assert first["staticInfo"] == "['resolvers', 0, 'staticInfo']"
    assert first["withRoot"] == 2
    assert first["withArgument"] == "me*3"
    assert result.data["x"][0]["withArgument"] == "me*1"
    assert result.data["y"][0]["withArgument"] == "me*2"
    assert errors_of(result) == [
        ("failing ['resolvers', 1, 'failing']", ["resolvers", 1, "failing"])
    ]


async def test_a_null_from_a_resolver_with_info_nulls_its_item() -> None:
    result = await both("{ resolvers { noInfo strictFailing } }")
    assert result.data == {
        "resolvers": [
            {"noInfo": 10, "strictFailing": "ok"},
            {"noInfo": 20, "strictFailing": "ok"},
            None,
        ]
    }
    assert errors_of(result) == [
        (
            "Cannot return null for non-nullable field Resolvers.strictFailing.",
            ["resolvers", 2, "strictFailing"],
        )
    ]


async def test_is_type_of_refuses_other_classes_and_casts_after_accepting() -> None:
    for _ in range(2):  # the second time with the classes already accepted
        result = await both("{ mixed { id label } }")
        assert result.data == {
            "mixed": [
                {"id": to_base64("Thing", 5), "label": "ok"},
                None,
                {"id": to_base64("Thing", 6), "label": "ok"},
                None,
                None,
            ]
        }
        found = errors_of(result)
        assert [path for _, path in found] == [["mixed", 1], ["mixed", 3], ["mixed", 4, "label"]]
        assert all(m.startswith("Expected value of type 'Thing'") for m, _ in found[:2])
        assert found[2][0] == "Cannot return null for non-nullable field Thing.label."
