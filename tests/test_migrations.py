"""Migrations: nothing missing from migrations/, and ``hello migrate`` gives SQLite and
PostgreSQL the same schema from the same files."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from tests.pg import create_database, drop_database
from tests.services import require_env

ROOT = Path(__file__).resolve().parent.parent
# The installed console script, as a newcomer runs it.
HELLO = [str(Path(sys.executable).parent / "hello")]


def run_hello(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HELLO, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_models_have_no_changes_missing_from_migrations() -> None:
    r = run_hello("makemigrations", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "up to date" in r.stdout


def _family(sql_type: str) -> str:
    t = sql_type.lower().strip()
    if m := re.match(r"(varchar|character varying)\s*\((\d+)\)", t):
        return f"varchar({m.group(2)})"
    # SQLite has no boolean type: Tortoise declares booleans INT there.
    if t in ("bigint", "int", "integer", "smallint", "int8", "int4", "bool", "boolean"):
        return "int"
    if t.startswith("timestamp"):
        return "timestamp"
    if t in ("json", "jsonb"):
        return "json"
    # Binary (Docs' Yjs updates and states): BLOB in SQLite, BYTEA in PostgreSQL.
    if t in ("blob", "bytea"):
        return "blob"
    return t


# Search is engine-specific by design (migrations/0004_search.py): SQLite has an FTS5 table and
# its shadow tables, PostgreSQL a pg_trgm index on message.text. They hold no data of their own,
# so the comparison of the two schemas skips everything named so.
SEARCH_OBJECTS = "message_search"


def sqlite_schema(path: Path) -> dict[str, object]:
    db = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
            if not r[0].startswith(SEARCH_OBJECTS)
        ]
        out: dict[str, object] = {}
        for table in tables:
            columns = {
                (name, _family(ctype), bool(notnull) or bool(pk))
                for _, name, ctype, notnull, _, pk in db.execute(f'PRAGMA table_info("{table}")')
            }
            uniques = set()
            for _, index, unique, *_ in db.execute(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in db.execute(f'PRAGMA index_info("{index}")'))
                uniques.add((cols, bool(unique)))
            out[table] = (columns, uniques)
        return out
    finally:
        db.close()


async def postgres_schema(url: str) -> dict[str, object]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        out: dict[str, object] = {}
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        for table in tables:
            rows = await conn.fetch(
                """SELECT column_name, data_type, character_maximum_length, is_nullable
                   FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1""",
                table,
            )
            columns = {
                (
                    r["column_name"],
                    _family(
                        f"varchar({r['character_maximum_length']})"
                        if r["character_maximum_length"]
                        else r["data_type"]
                    ),
                    r["is_nullable"] == "NO",
                )
                for r in rows
            }
            idx = await conn.fetch(
                """SELECT ix.indisunique AS uniq, ix.indisprimary AS pk,
                          array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(n, o)
                                JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
                                ORDER BY k.o) AS cols
                   FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid
                   JOIN pg_class i ON i.oid = ix.indexrelid
                   WHERE t.relname = $1 AND NOT starts_with(i.relname, $2)""",
                table,
                SEARCH_OBJECTS,
            )
            # SQLite has no separate index for an INTEGER PRIMARY KEY; leave primary keys out.
            uniques = {(tuple(r["cols"]), bool(r["uniq"])) for r in idx if not r["pk"]}
            out[table] = (columns, uniques)
        return out
    finally:
        await conn.close()


async def test_migrate_gives_sqlite_and_postgres_the_same_schema(tmp_path: Path) -> None:
    base = require_env("HELLO_TEST_DATABASE_URL")
    sqlite_file = tmp_path / "fresh.sqlite3"
    r = run_hello(
        "migrate", HELLO_DATABASE_URL=f"sqlite://{sqlite_file}", HELLO_DATA_DIR=str(tmp_path)
    )
    assert r.returncode == 0, r.stderr
    name = f"hello_migrate_{uuid.uuid4().hex[:8]}"
    pg_url = await create_database(base, name)
    try:
        r = run_hello("migrate", HELLO_DATABASE_URL=pg_url, HELLO_DATA_DIR=str(tmp_path))
        assert r.returncode == 0, r.stderr
        lite, pg = sqlite_schema(sqlite_file), await postgres_schema(pg_url)
    finally:
        await drop_database(base, name)
    assert "users" in lite and "tortoise_migrations" in lite
    assert sorted(lite) == sorted(pg)
    for table in lite:
        assert lite[table] == pg[table], table


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'again.sqlite3'}"
    for _ in range(2):
        r = run_hello("migrate", HELLO_DATABASE_URL=url, HELLO_DATA_DIR=str(tmp_path))
        assert r.returncode == 0, r.stderr
        assert "database is up to date" in r.stdout


# An existing deployment's rows, written at an older migration: every column added since must
# have a database default, or ``ALTER TABLE ... ADD COLUMN ... NOT NULL`` fails on a table that
# has rows (SQLite refuses it even on an empty one without a default).
_OLD_ROWS = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from adapters.db import tortoise_config
from adapters.settings import get_settings

async def main(url):
    await migrate(config=tortoise_config(get_settings(), url), target="models.0005_drive")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(get_settings(), url), init_connections=True)
    db = Tortoise.get_connection("default")
    stamp = "2026-01-01 00:00:00+00:00"
    await db.execute_script(
        "INSERT INTO organization (name, allowed_email_domains, default_time_zone, "
        "message_edit_window_minutes, message_recall_window_minutes, created_at, updated_at) "
        f"VALUES ('Old', '[]', 'UTC', 1, 1, '{stamp}', '{stamp}');"
        "INSERT INTO users (organization_id, email, display_name, password_hash, role, "
        "is_active, must_change_password, time_zone, locale, created_at, updated_at) "
        f"VALUES (1, 'old@example.com', 'Old', 'x', 'OWNER', TRUE, FALSE, 'UTC', 'en', "
        f"'{stamp}', '{stamp}');"
        "INSERT INTO auth_session (user_id, created_at, user_agent, ip) "
        f"VALUES (1, '{stamp}', '', '');"
    )
    await Tortoise.close_connections()

asyncio.run(main(sys.argv[1]))
"""


async def _upgrade_with_rows(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "HELLO_DATABASE_URL": url, "HELLO_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", _OLD_ROWS, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    r = run_hello("migrate", HELLO_DATABASE_URL=url, HELLO_DATA_DIR=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "database is up to date" in r.stdout


async def test_an_existing_database_with_rows_upgrades_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await _upgrade_with_rows(f"sqlite://{path}", tmp_path)
    with sqlite3.connect(path) as conn:
        user = conn.execute("SELECT is_bot FROM users").fetchall()
        session = conn.execute("SELECT kind, name, scopes, app_id FROM auth_session").fetchall()
        org = conn.execute("SELECT require_trusted_documents FROM organization").fetchall()
    assert user == [(0,)]
    assert session == [("SIGN_IN", "", None, None)]
    assert org == [(0,)]


async def test_an_existing_database_with_rows_upgrades_postgres(tmp_path: Path) -> None:
    base = require_env("HELLO_TEST_DATABASE_URL")
    name = f"hello_upgrade_{uuid.uuid4().hex[:8]}"
    url = await create_database(base, name)
    try:
        await _upgrade_with_rows(url, tmp_path)
        conn = await asyncpg.connect(url)
        try:
            user = await conn.fetch("SELECT is_bot FROM users")
            session = await conn.fetch("SELECT kind, name, scopes, app_id FROM auth_session")
        finally:
            await conn.close()
    finally:
        await drop_database(base, name)
    assert [tuple(r) for r in user] == [(False,)]
    assert [tuple(r) for r in session] == [("SIGN_IN", "", None, None)]
