"""The app the benchmark serves: Hello itself (``server.app.create_app``), plus, only when
``HELLO_BENCH_BASELINE=1``, the baselines it is measured against in the same process:

- ``POST /bench/plain/typename``: a raw Starlette JSON endpoint (figure 3);
- ``POST /bench/plain/chats`` and ``/bench/plain/messages``: the chat list and the message
  page as plain endpoints (figure 1). They take the same request body as ``/graphql`` (the
  variables of ``bench.queries``), do the same database work through the same resolver
  functions and ORM, and return the same JSON ``data``, built by hand and encoded with orjson:
  what a hand-written REST endpoint of the same screen would do;
- ``POST /bench/memory/graphql``: Hello's message types executed over in-memory data by the
  same view (figure 2, see ``bench.memory``);
- ``POST /bench/plain/freebusy`` and ``/bench/plain/findtimes``: the calendar scenarios'
  baselines, and ``/bench/calendar/seed`` their data (``bench.calendar``);
- ``POST /bench/sql/start`` and ``/bench/sql/stop``: count the SQL statements of the requests
  in between (figure 6), as ``tests/client.py``'s ``count_queries`` does in the tests.

Nothing here is mounted in a normal deployment: ``hello serve`` does not use this factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import GlobalID

from server.app import create_app as create_hello_app


def create_app() -> Starlette:
    app = create_hello_app()
    if os.environ.get("HELLO_BENCH_BASELINE") == "1":
        from bench.memory import create_memory_view

        routes = [
            Route("/bench/plain/typename", typename, methods=["POST"]),
            Route("/bench/plain/chats", authenticated(chat_list), methods=["POST"]),
            Route("/bench/plain/messages", authenticated(message_page), methods=["POST"]),
            Route("/bench/memory/graphql", create_memory_view(), methods=["POST"]),
            Route("/bench/sql/start", sql_start, methods=["POST"]),
            Route("/bench/sql/stop", sql_stop, methods=["POST"]),
            Route("/bench/webhooks/app", authenticated(webhook_app), methods=["POST"]),
            *calendar_routes(),
        ]
        # Before Hello's routes; the paths do not overlap anyway.
        app.router.routes[0:0] = routes
    return app


def calendar_routes() -> list[Route]:
    """The calendar scenarios' seed and plain endpoints (``bench.calendar``)."""
    from bench import calendar

    return [
        Route("/bench/calendar/seed", authenticated(calendar.seed), methods=["POST"]),
        Route("/bench/plain/freebusy", authenticated(calendar.plain_free_busy), methods=["POST"]),
        Route("/bench/plain/findtimes", authenticated(calendar.plain_find_times), methods=["POST"]),
        Route("/bench/plain/weekview", authenticated(calendar.plain_week_view), methods=["POST"]),
    ]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def typename(request: Request) -> Response:
    orjson.loads(await request.body())  # a JSON endpoint reads its body too
    return json_response({"data": {"__typename": "Query"}})


# --- the screens, by hand ------------------------------------------------------------------

Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


def authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Bearer authentication exactly as Hello's view does it (one query), then the handler
    with a Context and the request's variables."""

    async def endpoint(request: Request) -> Response:
        from resolvers.core.context import Context, RequestMeta
        from resolvers.identity.queries import authenticate

        body = orjson.loads(await request.body())
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        principal = await authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            return json_response({"error": "unauthenticated"}, 401)
        ctx = Context(request=request, response=None, meta=RequestMeta(request_id=""))
        ctx.principal = principal
        return json_response({"data": await handler(ctx, body.get("variables") or {})})

    return endpoint


async def webhook_app(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """An app of the caller's organization, as ``appCreate`` makes one (the webhook scenario:
    apps' own API is another helper's, and this bench must not wait for it)."""
    from resolvers.apps.apps import check_app_fields, do_create_app, require_app_admin
    from resolvers.core.tx import transaction

    principal = require_app_admin(ctx)
    name, scopes, uris = check_app_fields(
        name="Bench hooks", description="", scopes=["messenger:read"], redirect_uris=[]
    )
    async with transaction():
        created = await do_create_app(
            principal, name=name or "Bench hooks", scopes=scopes or [], redirect_uris=uris or []
        )
    return {"appId": gid("App", created.app.id), "botUserId": gid("User", created.app.bot_user_id)}


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _senders(ctx: Any, ids: set[int]) -> dict[int, dict[str, Any]]:
    from resolvers.identity.queries import can_see_user, users_by_id

    wanted = sorted(ids)
    users = await users_by_id(wanted) if wanted else []
    return {
        u.id: {"id": gid("User", u.id), "displayName": u.display_name}
        for u in users
        if u is not None and can_see_user(ctx.principal, u)
    }


async def chat_list(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``bench.queries.CHAT_LIST``: the same reads as the GraphQL resolvers, one batch each."""
    from resolvers.messenger.chats import last_messages, memberships, mention_counts, viewer_chats

    page = await viewer_chats(ctx, first=variables.get("first"), after=None, last=None, before=None)
    chats = page.items
    uid = ctx.principal.user_id
    members = await memberships([(uid, c.id) for c in chats]) if chats else []
    lasts = await last_messages([(c.id, c.last_seq) for c in chats]) if chats else []
    mine = [m for m in members if m is not None]
    counts = await mention_counts([(uid, m.chat_id, m.read_seq) for m in mine]) if mine else []
    mention_by_chat = {m.chat_id: n for m, n in zip(mine, counts, strict=True)}
    senders = await _senders(ctx, {m.sender_id for m in lasts if m is not None and m.sender_id})
    edges = []
    for chat, cursor, member, last in zip(chats, page.cursors, members, lasts, strict=True):
        edges.append(
            {
                "cursor": cursor,
                "node": {
                    "id": gid("Chat", chat.id),
                    "kind": chat.kind.value,
                    "name": chat.name,
                    "lastActivityAt": chat.last_activity_at.isoformat(),
                    "unreadCount": max(chat.last_seq - member.read_seq, 0) if member else 0,
                    "mentionCount": mention_by_chat.get(chat.id, 0),
                    "lastMessage": None
                    if last is None
                    else {
                        "id": gid("Message", last.id),
                        "seq": last.seq,
                        "text": "" if last.recalled_at is not None else last.text,
                        "createdAt": last.created_at.isoformat(),
                        "sender": senders.get(last.sender_id) if last.sender_id else None,
                    },
                },
            }
        )
    return {
        "viewer": {
            "chats": {
                "edges": edges,
                "pageInfo": {
                    "hasNextPage": page.has_next,
                    "endCursor": page.cursors[-1] if page.cursors else None,
                },
            }
        }
    }


async def message_page(ctx: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``bench.queries.MESSAGE_PAGE``: the same reads as the GraphQL resolvers."""
    from graphql_schema.core.node import decode_id
    from resolvers.messenger.message_reads import reaction_summaries
    from resolvers.messenger.messages import chat_messages
    from resolvers.messenger.queries import visible_chats

    pk = decode_id(variables.get("chat"), "Chat")
    chat = (await visible_chats(ctx, [pk]))[0] if pk is not None else None
    if chat is None:
        return {"chat": None}
    last = variables.get("last")
    rows, _, has_older = await chat_messages(
        ctx, chat.id, first=None, after=None, last=20 if last is None else last, before=None
    )
    senders = await _senders(ctx, {m.sender_id for m in rows if m.sender_id})
    reactions = await reaction_summaries([m.id for m in rows]) if rows else []
    uid = ctx.principal.user_id
    messages = []
    for m, summary in zip(rows, reactions, strict=True):
        recalled = m.recalled_at is not None
        messages.append(
            {
                "id": gid("Message", m.id),
                "seq": m.seq,
                "text": "" if recalled else m.text,
                "createdAt": m.created_at.isoformat(),
                "editedAt": iso(m.edited_at),
                "sender": senders.get(m.sender_id) if m.sender_id else None,
                "reactions": [
                    {"emoji": r["emoji"], "count": r["count"], "viewerReacted": uid in r["userIds"]}
                    for r in summary
                ],
            }
        )
    return {
        "chat": {
            "id": gid("Chat", chat.id),
            "messages": {"hasOlder": has_older, "messages": messages},
        }
    }


# --- counting SQL statements ----------------------------------------------------------------

_SQL_VERBS = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.split(" ", 1)[0].upper() in _SQL_VERBS:
            self.statements.append(message)


_collector: _Collector | None = None


async def sql_start(request: Request) -> Response:
    """Count every statement from now on (both Tortoise backends log each once, at DEBUG, on
    ``tortoise.db_client``). The bench sends one request between start and stop, alone."""
    global _collector
    logger = logging.getLogger("tortoise.db_client")
    if _collector is not None:
        logger.removeHandler(_collector)
    _collector = _Collector()
    logger.addHandler(_collector)
    logger.setLevel(logging.DEBUG)
    return json_response({"ok": True})


async def sql_stop(request: Request) -> Response:
    global _collector
    logger = logging.getLogger("tortoise.db_client")
    statements: list[str] = []
    if _collector is not None:
        logger.removeHandler(_collector)
        statements = _collector.statements
        _collector = None
    logger.setLevel(logging.NOTSET)
    # Propagating to the root logger at WARNING: nothing else is printed.
    return json_response({"count": len(statements), "statements": statements})
