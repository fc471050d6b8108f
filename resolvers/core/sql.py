"""Raw SQL for the few statements the ORM cannot say (conditional counters, recursive walks),
and ``Statement``: hot-path SQL written once, for statements run on every request, where
building a query with the ORM (pypika) each time costs more than the database's work."""

from __future__ import annotations

from typing import Any

from tortoise import connections


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$n``."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))


async def raw(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Run SQL written with ``?`` placeholders on the current connection (the transaction's,
    inside one), rewritten to ``$n`` for PostgreSQL."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    return await db.execute_query_dict(sql, values)


async def execute(sql: str, values: list[Any]) -> int:
    """Run a write with ``?`` placeholders; returns the number of rows it changed."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    changed, _ = await db.execute_query(sql, values)
    return int(changed)


class Statement:
    """One SQL statement, written once with ``?`` placeholders (or in a form of its own for
    PostgreSQL, ``postgres=`` with ``$n`` placeholders, when that dialect can say it in fewer
    round trips), its text
    for each dialect made on first use and kept. The same text every time also lets the
    drivers reuse their prepared statements (asyncpg's and sqlite3's statement caches).

    ``fetch`` is for reads; ``execute_query`` for writes, named like the driver call so that
    the conventions test (writes only in ``do_`` functions) sees it as one."""

    __slots__ = ("_postgres", "_sql", "_texts")

    def __init__(self, sql: str, *, postgres: str | None = None) -> None:
        self._sql = sql
        self._postgres = postgres
        self._texts: dict[str, str] = {}

    def text(self, dialect: str) -> str:
        text = self._texts.get(dialect)
        if text is None:
            if dialect == "postgres":
                text = self._postgres if self._postgres is not None else _numbered(self._sql)
            else:
                text = self._sql
            self._texts[dialect] = text
        return text

    async def fetch(self, values: list[Any]) -> list[dict[str, Any]]:
        """Rows of a read, as dictionaries, on the current connection (the transaction's)."""
        db = connections.get("default")
        return await db.execute_query_dict(self.text(db.capabilities.dialect), values)

    async def execute_query(self, values: list[Any]) -> list[dict[str, Any]]:
        """Run a write; the rows of its RETURNING clause, if any."""
        db = connections.get("default")
        return await db.execute_query_dict(self.text(db.capabilities.dialect), values)
