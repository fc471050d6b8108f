"""Raw SQL for the few statements the ORM cannot say (conditional counters, recursive walks)."""

from __future__ import annotations

from typing import Any

from tortoise import connections


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


async def raw(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Run SQL written with ``?`` placeholders on the current connection (the transaction's,
    inside one), rewritten to ``$n`` for PostgreSQL."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
    return await db.execute_query_dict(sql, values)


async def execute(sql: str, values: list[Any]) -> int:
    """Run a write with ``?`` placeholders; returns the number of rows it changed."""
    db = connections.get("default")
    if db.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
    changed, _ = await db.execute_query(sql, values)
    return int(changed)
