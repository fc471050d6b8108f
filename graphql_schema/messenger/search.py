"""Messenger: full-text search over the messages you can read (``messageSearch``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_schema.core.connection import Connection, Edge, PageInfo
from graphql_schema.core.node import decode_id
from graphql_schema.core.scopes import needs
from graphql_schema.messenger.types import Chat, Message
from resolvers.messenger import search
from resolvers.messenger.search import Hit


@strawberry.type(description="A message that matched a search.")
class MessageSearchHit:
    message: Message = strawberry.field(description="The matching message.")
    snippet: str = strawberry.field(
        description="HTML: an excerpt around the first match with every match wrapped in "
        "<mark>…</mark>; everything else is escaped, so it is safe to insert as markup."
    )
    score: float = strawberry.field(
        description="Relevance, higher is better; only comparable within one search."
    )
    chat_id: strawberry.Private[int]

    @strawberry.field(description="The chat the message is in.")
    async def chat(self, info: Info) -> Chat:
        found = await info.context.loaders.get(search.chats_by_id).load(self.chat_id)
        return Chat.from_model(found)

    @classmethod
    def from_hit(cls, hit: Hit) -> MessageSearchHit:
        return cls(
            message=Message.from_model(hit.message),
            snippet=hit.snippet,
            score=hit.score,
            chat_id=hit.message.chat_id,
        )


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Search the messages you can read: chats you are a member of, never recalled "
        "messages. Every whitespace-separated term must occur (case-insensitively, as a word or "
        "any part of one, so Chinese and Japanese text is found by substring); best matches "
        "first. `first` defaults to 20, at most 50; paging reaches the first 1000 matches.",
        directives=needs("messenger:read"),
    )
    async def message_search(
        self,
        info: Info,
        query: Annotated[
            str, strawberry.argument(description="The terms to find, up to 200 characters.")
        ],
        chat_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only in this chat.")
        ] = None,
        sender_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only messages of this user.")
        ] = None,
        since: Annotated[
            datetime | None, strawberry.argument(description="Only messages sent at or after.")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Only messages sent before.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="How many, at most 50 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Continue after this cursor.")
        ] = None,
    ) -> Connection[MessageSearchHit]:
        filters = await search.resolve_filters(
            info.context,
            chat_id=decode_id(chat_id, "Chat"),
            chat_given=chat_id is not None,
            sender_id=decode_id(sender_id, "User"),
            sender_given=sender_id is not None,
            since=since,
            until=until,
        )
        page = await search.search_messages(info.context, query, filters, first=first, after=after)
        edges = [Edge(cursor=h.cursor, node=MessageSearchHit.from_hit(h)) for h in page.hits]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
