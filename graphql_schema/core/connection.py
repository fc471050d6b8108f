"""Relay connections over keyset pages (see ``resolvers.core.pagination``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from resolvers.core.pagination import Page

NodeT = TypeVar("NodeT")

# The page arguments of a connection field, described once: `first: First = None`.
First = Annotated[
    int | None, strawberry.argument(description="Page size (default 20, at most 100).")
]
After = Annotated[str | None, strawberry.argument(description="Start after this cursor.")]
# A connection paged both ways says which end `first` counts from.
FirstFromStart = Annotated[
    int | None,
    strawberry.argument(description="Page size from the start (default 20, at most 100)."),
]
Last = Annotated[
    int | None, strawberry.argument(description="Page size from the end (at most 100).")
]
Before = Annotated[str | None, strawberry.argument(description="End before this cursor.")]


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(description="More items precede `startCursor`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="An item of a list with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(
    description="A page of a list. Page with `first`/`after` forwards or `last`/`before` "
    "backwards; `first` defaults to 20, at most 100. Cursors are opaque."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more items exist.")

    @strawberry.field(description="The items, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [e.node for e in self.edges]


def connection(page: Page[Any], convert: Callable[[Any], Any]) -> Any:
    edges = [
        Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )
