"""The rows one sent message writes (its ``seq``, the message, its mentions, the sender's read
position), in SQL written once per dialect instead of queries built by the ORM on every send.

``messageSend`` is the write every member of a busy chat makes, and the chat's row is locked
from taking the next ``seq`` until the commit, so a chat takes one message per lock-holding
time at most: the fewer round trips under the lock, the more messages a chat takes per second.
On PostgreSQL everything is one statement (data-modifying CTEs) in the caller's
transaction: the lock is held from that statement to the COMMIT, one round trip later (the
transaction stays, so a connection lost before the COMMIT is known to have written nothing and
the request is retried safely). SQLite says it in four statements, run in the caller's
transaction (its writes are serialized by the database lock anyway, and a round trip there is
a thread hop, not the network).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from models.messenger import Message, MessageKind
from resolvers.core.sql import Statement, dialect
from resolvers.messenger.access import ChatAccess, access_of_row, access_select

# The message's columns, in the order of the values below; every column is written (the
# ORM's defaults live in Python, not in the schema).
_COLUMNS = (
    '"chat_id", "seq", "sender_id", "kind", "text", "content", "reply_to_id", "thread_root_id", '
    '"reply_count", "last_reply_at", "edited_at", "edit_count", "recalled_at", '
    '"recalled_by_id", "forwarded_from_id", "created_at"'
)

# PostgreSQL: $1 chat, $2 sent at, $3 sender, $4 kind, $5 text, $6 content (JSON text),
# $7 reply to, $8 thread root, $9 forwarded from, $10 mentioned user ids. The UPDATE locks the
# chat row until the statement commits, so concurrent senders (on any process) queue there and
# each gets the next seq (READ COMMITTED re-reads the row once the lock is theirs); a failure
# anywhere rolls the whole statement back and gives the number back: no gaps.
_SEND_POSTGRES = f"""
WITH s AS (
    UPDATE "chat" SET "last_seq" = "last_seq" + 1, "last_activity_at" = $2::timestamptz
    WHERE "id" = $1::bigint RETURNING "last_seq"
), m AS (
    INSERT INTO "message" ({_COLUMNS})
    SELECT $1::bigint, s."last_seq", $3::bigint, $4::varchar, $5::text, $6::jsonb,
        $7::bigint, $8::bigint, 0, NULL, NULL, 0, NULL, NULL, $9::bigint, $2::timestamptz
    FROM s
    RETURNING "id", "seq"
), r AS (
    UPDATE "chat_member" SET "read_seq" = m."seq" FROM m
    WHERE "chat_member"."chat_id" = $1::bigint AND "chat_member"."user_id" = $3::bigint
        AND "chat_member"."read_seq" < m."seq"
), x AS (
    INSERT INTO "message_mention" ("message_id", "chat_id", "seq", "user_id")
    SELECT m."id", $1::bigint, m."seq", u FROM m, unnest($10::bigint[]) AS u
)
SELECT "id", "seq" FROM m
"""
SEND = Statement("", postgres=_SEND_POSTGRES)


@cache
def _send_as_member() -> Statement:
    """PostgreSQL, a plain message (text only: no mentions, reply, thread, forward or
    content): ``access.access_chat``'s lookup and the writes of ``SEND`` in one statement, so a
    plain send is one round trip fewer. $1 chat, $2 sent at, $3 sender, $4 kind, $5 text, $6
    the sender's organization. The chat's row is updated (and the message written) only if the
    lookup finds the sender a member of the chat in their organization; the statement returns
    the lookup's row either way (none: not yours), with the message's ``id`` and ``seq`` when
    it was written, for the caller to apply the rest of the rules before the commit."""
    return Statement(
        "",
        postgres=f"""
WITH a AS (
    {access_select()}
    WHERE m."chat_id" = $1::bigint AND m."user_id" = $3::bigint
        AND c."organization_id" = $6::bigint
    LIMIT 1
), s AS (
    UPDATE "chat" SET "last_seq" = "last_seq" + 1, "last_activity_at" = $2::timestamptz
    WHERE "id" = $1::bigint AND EXISTS (SELECT 1 FROM a) RETURNING "last_seq"
), m AS (
    INSERT INTO "message" ({_COLUMNS})
    SELECT $1::bigint, s."last_seq", $3::bigint, $4::varchar, $5::text, NULL,
        NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, $2::timestamptz
    FROM s
    RETURNING "id", "seq"
), r AS (
    UPDATE "chat_member" SET "read_seq" = m."seq" FROM m
    WHERE "chat_member"."chat_id" = $1::bigint AND "chat_member"."user_id" = $3::bigint
        AND "chat_member"."read_seq" < m."seq"
)
SELECT a.*, m."id" AS "id", m."seq" AS "seq" FROM a LEFT JOIN m ON TRUE
""",
    )


async def do_insert_as_member(
    *, chat_id: int, sender_id: int, organization_id: int, text: str, sent_at: datetime
) -> tuple[ChatAccess, Message] | None:
    """PostgreSQL only, in the caller's transaction: write a plain message if the sender is a
    member of the chat in their organization (None, and nothing written, if not). Returns the
    membership, as ``access_chat`` would, for the caller's further checks (which roll the
    transaction back if they fail), and the message as ``do_insert_message`` returns it."""
    rows = await _send_as_member().execute_query(
        [chat_id, sent_at, sender_id, MessageKind.TEXT.value, text, organization_id]
    )
    if not rows:
        return None
    row = rows[0]
    message = _loaded(
        message_id=int(row["id"]),
        chat_id=chat_id,
        seq=int(row["seq"]),
        sender_id=sender_id,
        text=text,
        content=None,
        reply_to_id=None,
        thread_root_id=None,
        forwarded_from_id=None,
        sent_at=sent_at,
    )
    return access_of_row(row), message


# SQLite, in a transaction: the same steps one by one.
NEXT_SEQ = Statement(
    'UPDATE "chat" SET "last_seq" = "last_seq" + 1, "last_activity_at" = ? WHERE "id" = ? '
    'RETURNING "last_seq"'
)
INSERT_MESSAGE = Statement(
    f'INSERT INTO "message" ({_COLUMNS}) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, 0, NULL, NULL, ?, ?) "
    'RETURNING "id"'
)
READ_OWN = Statement(
    'UPDATE "chat_member" SET "read_seq" = ? WHERE "chat_id" = ? AND "user_id" = ? '
    'AND "read_seq" < ?'
)
# Mention rows: one statement for up to MAX_MENTIONS rows (statements by row count, kept).
_MENTIONS: dict[int, Statement] = {}


def _mentions(count: int) -> Statement:
    statement = _MENTIONS.get(count)
    if statement is None:
        rows = ", ".join(["(?, ?, ?, ?)"] * count)
        statement = Statement(
            f'INSERT INTO "message_mention" ("message_id", "chat_id", "seq", "user_id") '
            f"VALUES {rows}"
        )
        _MENTIONS[count] = statement
    return statement


_CONTENT = Message._meta.fields_map["content"]


async def do_insert_message(
    *,
    chat_id: int,
    sender_id: int,
    text: str,
    content: Any,
    reply_to_id: int | None,
    thread_root_id: int | None,
    forwarded_from_id: int | None,
    sent_at: datetime,
    mentioned: set[int],
) -> Message:
    """Take the chat's next seq, write the message, its mentions and the sender's read
    position, and return the message as the ORM would have loaded it: one statement on
    PostgreSQL, four on SQLite, in the caller's transaction."""
    stored_content = _CONTENT.to_db_value(content, Message)
    kind = MessageKind.TEXT.value
    if dialect() == "postgres":
        rows = await SEND.execute_query(
            [
                chat_id,
                sent_at,
                sender_id,
                kind,
                text,
                stored_content,
                reply_to_id,
                thread_root_id,
                forwarded_from_id,
                sorted(mentioned),
            ]
        )
        message_id, seq = int(rows[0]["id"]), int(rows[0]["seq"])
    else:
        seq = int((await NEXT_SEQ.execute_query([sent_at, chat_id]))[0]["last_seq"])
        rows = await INSERT_MESSAGE.execute_query(
            [
                chat_id,
                seq,
                sender_id,
                kind,
                text,
                stored_content,
                reply_to_id,
                thread_root_id,
                forwarded_from_id,
                sent_at,
            ]
        )
        message_id = int(rows[0]["id"])
        if mentioned:
            values: list[Any] = []
            for user_id in sorted(mentioned):
                values += [message_id, chat_id, seq, user_id]
            await _mentions(len(mentioned)).execute_query(values)
        await READ_OWN.execute_query([seq, chat_id, sender_id, seq])
    return _loaded(
        message_id=message_id,
        chat_id=chat_id,
        seq=seq,
        sender_id=sender_id,
        text=text,
        content=content,
        reply_to_id=reply_to_id,
        thread_root_id=thread_root_id,
        forwarded_from_id=forwarded_from_id,
        sent_at=sent_at,
    )


def _loaded(
    *,
    message_id: int,
    chat_id: int,
    seq: int,
    sender_id: int,
    text: str,
    content: Any,
    reply_to_id: int | None,
    thread_root_id: int | None,
    forwarded_from_id: int | None,
    sent_at: datetime,
) -> Message:
    """The message written, as the ORM would have loaded it."""
    message = Message(
        id=message_id,
        chat_id=chat_id,
        seq=seq,
        sender_id=sender_id,
        kind=MessageKind.TEXT,
        text=text,
        content=content,
        reply_to_id=reply_to_id,
        thread_root_id=thread_root_id,
        reply_count=0,
        last_reply_at=None,
        edited_at=None,
        edit_count=0,
        recalled_at=None,
        recalled_by_id=None,
        forwarded_from_id=forwarded_from_id,
        created_at=sent_at,
    )
    message._saved_in_db = True
    return message
