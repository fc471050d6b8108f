"""docSearch: docs whose title or text contains a query (``resolvers.docs.search``)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.connection import After, Connection, First, connection
from graphql_schema.core.scopes import needs
from graphql_schema.docs.types import Doc
from resolvers.docs import queries, search


@strawberry.type(description="A doc that matches a search, with the text around the match.")
class DocSearchHit:
    doc: Doc = strawberry.field(description="The doc.")
    snippet: str = strawberry.field(
        description="A line of its text around the first match (the start of the doc when "
        "only the title matched); `…` marks a cut."
    )


@strawberry.type
class DocSearchQuery:
    @strawberry.field(
        description=f"Docs whose title or text contains `query` (any case, Unicode-normalized "
        f"(NFKC): a substring match, so Chinese and Japanese work), among what you can see "
        f"as in `fileSearch` (your drive, what you own, what was shared with you: the "
        f"{search.MAX_SEARCH_ROOTS} most recent shares), not in the trash. Most recently "
        f"edited first. The index follows edits within a few seconds.",
        directives=needs("docs:read"),
    )
    async def doc_search(
        self,
        info: Info,
        query: Annotated[
            str, strawberry.argument(description=f"1 to {search.MAX_QUERY} characters.")
        ],
        first: First = None,
        after: After = None,
    ) -> Connection[DocSearchHit]:
        page = await search.search_docs(info.context, query, first=first, after=after)
        seen = await queries.visible_docs(info.context, [h.document.id for h in page.items])
        by_id = {s.item.id: s for s in seen if s is not None}
        # Every hit is visible by construction; the look-up gives each its role and item (and
        # drops one trashed between the two reads).
        kept = [
            (h, c) for h, c in zip(page.items, page.cursors, strict=True) if h.document.id in by_id
        ]
        page.items, page.cursors = [h for h, _ in kept], [c for _, c in kept]
        return connection(
            page,
            lambda h: DocSearchHit(doc=Doc.from_model(by_id[h.document.id]), snippet=h.snippet),
        )
