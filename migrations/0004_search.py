"""Message search indexes, hand-written because they are dialect-specific and invisible to the
model state (makemigrations neither creates nor diffs them).

SQLite: an FTS5 table with the trigram tokenizer over ``message.text`` (external content, so the
text is stored once), kept in sync by triggers. Trigrams match any substring of 3+ characters,
which is what Chinese and Japanese text needs (no spaces between words).

PostgreSQL: pg_trgm, with a GIN trigram index on ``message.text`` that serves
``ILIKE '%term%'`` for substrings, CJK included. Full text (``to_tsvector('simple', text)``) only
ranks the matches, so it needs no index of its own (see resolvers/messenger/search.py).

Every object is named ``message_search*`` so schema comparisons can recognise and skip them."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5("
    "text, content='message', content_rowid='id', tokenize='trigram')",
    # Index messages that existed before this migration.
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS message_search_ai AFTER INSERT ON message BEGIN "
    "INSERT INTO message_search(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS message_search_ad AFTER DELETE ON message BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.id, old.text);"
    " END",
    # Edits and recalls rewrite the text: drop the old entry, index the new one.
    "CREATE TRIGGER IF NOT EXISTS message_search_au AFTER UPDATE OF text ON message BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO message_search(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS message_search_au",
    "DROP TRIGGER IF EXISTS message_search_ad",
    "DROP TRIGGER IF EXISTS message_search_ai",
    "DROP TABLE IF EXISTS message_search",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS message_search_trgm ON message USING gin (text gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS message_search_trgm",
]


async def _run(state_editor: Any, by_dialect: dict[str, list[str]]) -> None:
    client = state_editor.client
    for statement in by_dialect.get(client.capabilities.dialect, []):
        await client.execute_script(statement)


async def forward(apps: Any, state_editor: Any) -> None:
    await _run(state_editor, {"sqlite": SQLITE_FORWARD, "postgres": POSTGRES_FORWARD})


async def backward(apps: Any, state_editor: Any) -> None:
    await _run(state_editor, {"sqlite": SQLITE_BACKWARD, "postgres": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("models", "0003_messenger")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
