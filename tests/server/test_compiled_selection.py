"""The generated selections of compiled execution (``server/compiled_selection.py``) and the
inline completion of objects their completion accepted before (``plain`` of the object
completer, in a selection and in list items), each against graphql-core: objects from
resolvers that declare an Info, nulls and errors inside them propagating to the nearest
nullable parent, refused classes and casts after a class was accepted, instances that
graphql-core takes for awaitables (an ``__await__`` of their own), classes without a
``__dict__`` or with a ``__getattr__``, abstract types, aliases, ``@skip``/``@include`` and async
resolvers. ``both`` checks that the two encode to the same bytes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from graphql import ExecutionResult

from server.compiled import _never_awaitable
from server.execution import install
from tests.server.test_compiled import both_on, errors_of


@strawberry.type
class Person:
    id: int
    name: str | None

    @strawberry.field
    def strict_name(self, info: strawberry.Info) -> str:
        return self.name  # type: ignore[return-value]  # None: an error, nulls the parent

    @strawberry.field
    def path(self, info: strawberry.Info) -> str:
        return str(info.path.as_list())


class Awaited(Person):
    """An instance graphql-core takes for an awaitable: it has an ``__await__`` of its own."""


class Looked(Person):
    """A class answering attributes itself: never completed without asking."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


class Slotted:
    """No ``__dict__``: completed through the general path."""

    __slots__ = ("id", "name")

    def __init__(self, id: int, name: str | None) -> None:
        self.id = id
        self.name = name


@strawberry.type
class Robot:
    serial: str


Actor = Annotated[Person | Robot, strawberry.union("Actor")]


def awaited(id: int) -> Person:
    person = Awaited(id=id, name=f"awaited {id}")
    person.__await__ = lambda: iter(())  # type: ignore[attr-defined]  # not read by await
    return person


def cast_robot(obj: Any) -> Any:
    return strawberry.cast(Robot, obj)


@strawberry.type
class Post:
    n: int

    @strawberry.field
    def author(self, info: strawberry.Info) -> Person | None:
        if self.n == 2:
            return None
        if self.n == 3:
            raise ValueError(f"no author for {self.n}")
        if self.n == 4:
            return Person(id=4, name=None)  # its strictName fails
        if self.n == 5:
            return awaited(5)
        if self.n == 6:
            return Looked(id=6, name="looked")
        if self.n == 7:
            return Slotted(id=7, name="slotted")  # type: ignore[return-value]
        if self.n == 8:
            return cast_robot(Person(id=8, name="cast"))
        return Person(id=self.n, name=f"p{self.n}")

    @strawberry.field
    def strict_author(self, info: strawberry.Info) -> Person:
        if self.n == 2:
            return None  # type: ignore[return-value]
        return Person(id=self.n, name=None if self.n == 3 else "s")

    @strawberry.field
    async def later_author(self, info: strawberry.Info) -> Person:
        await asyncio.sleep(0)
        return Person(id=self.n, name="later")

    @strawberry.field
    def actor(self, info: strawberry.Info) -> Actor:
        return Person(id=self.n, name="a") if self.n % 2 else Robot(serial=f"r{self.n}")

    @strawberry.field
    def people(self, info: strawberry.Info) -> list[Person | None]:
        return [
            Person(id=1, name="one"),
            awaited(2),
            Person(id=3, name=None),
            Looked(id=4, name="four"),
            Slotted(id=5, name="five"),  # type: ignore[list-item]
            Person(id=6, name="six"),
        ]

    @strawberry.field
    def strict_people(self, info: strawberry.Info) -> list[Person]:
        return [Person(id=1, name="one"), Person(id=2, name=None)]


@strawberry.type
class Query:
    @strawberry.field
    def posts(self) -> list[Post]:
        return [Post(n=n) for n in range(1, 10)]

    @strawberry.field
    def loose_posts(self) -> list[Post | None]:
        return [Post(n=n) for n in range(1, 4)]


SCHEMA = install(strawberry.Schema(Query))


async def both(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    return await both_on(SCHEMA, query, variables, {"who": "me"})


def test_which_classes_are_never_awaitable() -> None:
    assert _never_awaitable(Person) and _never_awaitable(Awaited) and _never_awaitable(Robot)
    assert not _never_awaitable(Looked) and not _never_awaitable(Slotted)
    assert not _never_awaitable(type(n for n in range(0)))  # a generator


async def test_objects_from_resolvers_with_an_info() -> None:
    for _ in range(2):  # the second time with the classes already accepted
        result = await both("{ posts { n author { id name path } } }")
        assert result.data is not None
        authors = [p["author"] for p in result.data["posts"]]
        assert authors[0] == {"id": 1, "name": "p1", "path": "['posts', 0, 'author', 'path']"}
        assert authors[1] is None and authors[2] is None  # a null, an error
        # An instance with an __await__ of its own is awaited (and fails: await reads the
        # class), as graphql-core does.
        assert authors[4] is None
        assert authors[5]["name"] == "looked" and authors[6]["name"] == "slotted"
        assert authors[7] == {"id": 8, "name": "cast", "path": "['posts', 7, 'author', 'path']"}
        assert errors_of(result) == [
            ("no author for 3", ["posts", 2, "author"]),
            ("object Awaited can't be used in 'await' expression", ["posts", 4, "author"]),
        ]


async def test_nulls_and_errors_below_an_object_reach_the_nearest_nullable_parent() -> None:
    result = await both("{ posts { n author { strictName } } }")
    assert result.data is not None
    assert result.data["posts"][3] == {"n": 4, "author": None}
    strict = await both("{ posts { n strictAuthor { strictName } } }")
    assert strict.data is None  # [Post!]! with a Person! below: nothing nullable but the root
    loose = await both("{ loosePosts { n strictAuthor { id strictName } } }")
    assert loose.data == {
        "loosePosts": [{"n": 1, "strictAuthor": {"id": 1, "strictName": "s"}}, None, None]
    }
    assert errors_of(loose) == [
        (
            "Cannot return null for non-nullable field Post.strictAuthor.",
            ["loosePosts", 1, "strictAuthor"],
        ),
        (
            "Cannot return null for non-nullable field Person.strictName.",
            ["loosePosts", 2, "strictAuthor", "strictName"],
        ),
    ]


async def test_aliases_conditions_async_and_abstract_types() -> None:
    query = """query ($skip: Boolean!) {
      posts {
        a: author { id }
        b: author { name __typename }
        author @skip(if: $skip) { path }
        laterAuthor { id name }
        actor { __typename ... on Person { id name } ... on Robot { serial } }
      }
    }"""
    for skip in (True, False, True):
        result = await both(query, {"skip": skip})
        assert result.data is not None
        first = result.data["posts"][0]
        assert first["a"] == {"id": 1} and first["b"] == {"name": "p1", "__typename": "Person"}
        assert ("author" in first) is not skip
        assert first["laterAuthor"] == {"id": 1, "name": "later"}
        assert result.data["posts"][1]["actor"] == {"__typename": "Robot", "serial": "r2"}


async def test_list_items_taken_inline_and_not() -> None:
    for _ in range(2):
        result = await both("{ posts { people { id name strictName } } }")
        assert result.data is not None
        people = result.data["posts"][0]["people"]
        assert people[0] == {"id": 1, "name": "one", "strictName": "one"}
        assert people[1] is None and people[2] is None  # awaited (and failed); strictName
        assert [e for e in errors_of(result) if e[1] and e[1][1] == 0] == [
            (
                "Cannot return null for non-nullable field Person.strictName.",
                ["posts", 0, "people", 2, "strictName"],
            ),
            ("object Awaited can't be used in 'await' expression", ["posts", 0, "people", 1]),
        ]
        assert people[3]["name"] == "four" and people[4]["name"] == "five"
        assert people[5]["id"] == 6
        strict = await both("{ loosePosts { strictPeople { id strictName } } }")
        assert strict.data == {"loosePosts": [None, None, None]}
        assert [path for _, path in errors_of(strict)] == [
            ["loosePosts", i, "strictPeople", 1, "strictName"] for i in range(3)
        ]
