"""Message search over the messages the viewer can see: chats they are a member of, in their
organization, never recalled messages. One interface, two engines (see migrations/0004_search.py):

* SQLite: the FTS5 trigram table ``message_search``, ranked with bm25. Trigram MATCH cannot find
  terms shorter than 3 characters, so such queries fall back to LIKE (ranked by recency).
* PostgreSQL: substrings via ``ILIKE`` (served by the pg_trgm GIN index), ranked by ``ts_rank``
  over ``to_tsvector('simple', text)`` plus ``word_similarity``.

Terms are whitespace-separated and all must occur (as substrings, case-insensitively). User input
only ever travels as bound parameters; for FTS5 each term is also a quoted string, so operators
(AND, OR, NEAR, ``*``, ``^``, column filters) are searched for literally instead of obeyed.

Paging is the deliberate exception to keyset cursors: a ranked result has no stable sort key a
client could resume from (ranks shift as messages arrive), so the cursor holds an offset into the
ranked result, which is capped at the first ``MAX_RESULTS`` matches to bound the cost."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from models.messenger import Chat, Message
from resolvers.core.context import Context
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.pagination import decode_cursor, encode_cursor
from resolvers.core.principal import require_principal
from resolvers.identity.queries import visible_users
from resolvers.messenger.access import access_chat

MAX_RESULTS = 1000
DEFAULT_PAGE = 20
MAX_PAGE = 50
MAX_QUERY = 200
MAX_TERMS = 10
TRIGRAM = 3
SNIPPET_BEFORE = 40
SNIPPET_LENGTH = 160


@dataclass
class Hit:
    message: Message
    score: float
    snippet: str
    cursor: str


@dataclass
class SearchPage:
    hits: list[Hit]
    has_next: bool
    has_previous: bool


@dataclass
class Filters:
    chat_id: int | None = None
    sender_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def terms_of(query: str) -> list[str]:
    """The distinct terms of a query, in order. Empty or oversized queries are refused rather
    than silently trimmed, so the client knows what was searched."""
    if len(query) > MAX_QUERY:
        raise ValidationFailed(f"A search is at most {MAX_QUERY} characters.", field="query")
    terms = list(dict.fromkeys(query.split()))
    if not terms:
        raise ValidationFailed("Search for at least one word.", field="query")
    if len(terms) > MAX_TERMS:
        raise ValidationFailed(f"A search has at most {MAX_TERMS} terms.", field="query")
    return terms


def fts5_query(terms: list[str]) -> str:
    """Each term as an FTS5 string (quotes doubled): phrases joined by implicit AND."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def snippet(text: str, terms: list[str]) -> str:
    """A window of ``text`` around the first match, HTML-escaped, with every match in the window
    wrapped in <mark>. Built here rather than by the engine so both backends mark the same
    substrings and the escaping is ours (ts_headline and FTS5 snippet() do not escape)."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    spans = [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_BEFORE)
    end = min(len(text), start + SNIPPET_LENGTH)
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < pos or s >= end:
            continue
        e = min(e, end)
        out += [html.escape(text[pos:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)


async def resolve_filters(
    ctx: Context,
    *,
    chat_id: int | None,
    chat_given: bool,
    sender_id: int | None,
    sender_given: bool,
    since: datetime | None,
    until: datetime | None,
) -> Filters:
    """Checks the filters: a chat you are not in, or a user you cannot see, is NOT_FOUND (an ID
    that did not decode arrives as None with ``*_given``)."""
    if chat_given:
        chat_id = (await access_chat(ctx, chat_id)).chat.id
    if sender_given:
        found = (await visible_users(ctx, [sender_id]))[0] if sender_id is not None else None
        if found is None:
            raise NotFound(field="senderId")
    return Filters(chat_id=chat_id, sender_id=sender_id, since=since, until=until)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Sql:
    """Collects WHERE clauses and their bound values in the dialect's placeholder style."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def bind(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"

    def stamp(self, value: datetime) -> Any:
        # SQLite stores datetimes as UTC text written by isoformat(" "), which omits a zero
        # fraction; "+" sorts before ".", so text written the same way compares correctly.
        v = _utc(value)
        return v if self.dialect == "postgres" else v.isoformat(" ")


def _visible(sql: _Sql, ctx: Context, f: Filters) -> str:
    """Joins and conditions that keep the result to what the viewer may read."""
    principal = require_principal(ctx)
    parts = [
        f'JOIN "chat_member" cm ON cm."chat_id" = m."chat_id" AND cm."user_id" = '
        f"{sql.bind(principal.user_id)}",
        f'JOIN "chat" c ON c."id" = m."chat_id" AND c."organization_id" = '
        f"{sql.bind(principal.organization_id)}",
        'WHERE m."recalled_at" IS NULL',
    ]
    if f.chat_id is not None:
        parts.append(f'AND m."chat_id" = {sql.bind(f.chat_id)}')
    if f.sender_id is not None:
        parts.append(f'AND m."sender_id" = {sql.bind(f.sender_id)}')
    if f.since is not None:
        parts.append(f'AND m."created_at" >= {sql.bind(sql.stamp(f.since))}')
    if f.until is not None:
        parts.append(f'AND m."created_at" < {sql.bind(sql.stamp(f.until))}')
    return " ".join(parts)


def _likes(sql: _Sql, terms: list[str]) -> str:
    op = "ILIKE" if sql.dialect == "postgres" else "LIKE"
    return " AND ".join(f"m.\"text\" {op} {sql.bind(like_pattern(t))} ESCAPE '\\'" for t in terms)


def _ranked_sql(sql: _Sql, ctx: Context, terms: list[str], f: Filters) -> str:
    """SELECT id, score of the matches, best first (ties: newest first)."""
    if sql.dialect == "postgres":
        query = sql.bind(" ".join(terms))
        tsv = "to_tsvector('simple', m.\"text\")"
        tsq = f"plainto_tsquery('simple', {query})"
        visible = _visible(sql, ctx, f)
        # Matching is by substring alone (the trigram index serves the ILIKEs), so both engines
        # find the same messages; a tsquery filter would also match "budget*" or "budget!" as
        # the word budget. Full text contributes to the order: ts_rank rewards repeated words,
        # word_similarity rewards a close match.
        return (
            f'SELECT m."id" AS id, (ts_rank({tsv}, {tsq}) + word_similarity({query}, m."text"))'
            f'::float8 AS score FROM "message" m {visible} AND {_likes(sql, terms)}'
        )
    if min(len(t) for t in terms) < TRIGRAM:
        # Trigrams cannot find shorter terms; scan the viewer's chats instead, newest first.
        return (
            f'SELECT m."id" AS id, 0.0 AS score FROM "message" m {_visible(sql, ctx, f)} '
            f"AND {_likes(sql, terms)}"
        )
    # SQLite numbers "?" by position: bind in the order the SQL text uses them.
    visible = _visible(sql, ctx, f)
    match = sql.bind(fts5_query(terms))
    # bm25 is lower for better matches; negate it so both engines sort by score descending.
    return (
        'SELECT m."id" AS id, -bm25(message_search) AS score FROM message_search '
        f'JOIN "message" m ON m."id" = message_search.rowid {visible} '
        f"AND message_search MATCH {match}"
    )


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    tag, offset = decode_cursor(after, 2, "after")
    if tag != "search" or not isinstance(offset, int) or offset < 0:
        raise ValidationFailed("This cursor is not valid for this list.", field="after")
    return offset


async def search_messages(
    ctx: Context,
    query: str,
    filters: Filters,
    *,
    first: int | None = None,
    after: str | None = None,
) -> SearchPage:
    """One page of matches: one query for the ranked ids, one for the messages."""
    require_principal(ctx)
    terms = terms_of(query)
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise ValidationFailed(f"Page size must be between 0 and {MAX_PAGE}.", field="first")
    offset = _offset(after)
    size = max(0, min(size, MAX_RESULTS - offset))
    if size == 0:
        return SearchPage(hits=[], has_next=False, has_previous=offset > 0)
    conn = connections.get("default")
    sql = _Sql(conn.capabilities.dialect)
    ranked = _ranked_sql(sql, ctx, terms, filters)
    statement = (
        f"{ranked} ORDER BY score DESC, id DESC LIMIT {sql.bind(size + 1)} "
        f"OFFSET {sql.bind(offset)}"
    )
    rows = await conn.execute_query_dict(statement, sql.values)
    more = len(rows) > size and offset + size < MAX_RESULTS
    rows = rows[:size]
    by_id = {m.id: m for m in await Message.filter(id__in=[r["id"] for r in rows])}
    hits = [
        Hit(
            message=by_id[r["id"]],
            score=float(r["score"]),
            snippet=snippet(by_id[r["id"]].text, terms),
            cursor=encode_cursor(("search", offset + i + 1)),
        )
        for i, r in enumerate(rows)
        if r["id"] in by_id
    ]
    return SearchPage(hits=hits, has_next=more, has_previous=offset > 0)


async def chats_by_id(ids: list[int]) -> list[Chat | None]:
    """DataLoader batch for a hit's chat. Unchecked on purpose: hits only come from chats the
    search already limited to the viewer's memberships."""
    rows = {c.id: c for c in await Chat.filter(id__in=ids)}
    return [rows.get(i) for i in ids]
