"""The database adapter: Tortoise configuration, start-up and shutdown."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise

from adapters.settings import Settings

# What the ORM loads, named rather than imported: Tortoise imports them at start-up, and the
# adapters stay below the models (import-linter's layers contract).
MODEL_MODULES = [
    "models.core",
    "models.identity",
    "models.admin",
    "models.messenger",
    "models.drive",
    "models.calendar",
    "models.docs",
    "models.meetings",
    "models.jobs",
    "models.apps",
    "models.oauth",
    "models.persisted",
    "models.webhooks",
]


def _with_pool_size(url: str, pool_max: int) -> str:
    """PostgreSQL URLs get ``maxsize`` (the pool's upper bound) unless they set it themselves."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "asyncpg", "psycopg"):
        return url
    query = dict(parse_qsl(parts.query))
    query.setdefault("maxsize", str(pool_max))
    query.setdefault("minsize", "1")
    return urlunsplit(parts._replace(query=urlencode(query)))


def tortoise_config(settings: Settings, url: str | None = None) -> dict[str, Any]:
    db_url = _with_pool_size(url or settings.resolved_database_url(), settings.db_pool_max)
    if db_url.startswith("sqlite://"):
        path = db_url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection: str | dict[str, Any] = db_url
    if not db_url.startswith("sqlite://"):
        from tortoise.backends.base.config_generator import expand_db_url

        from adapters.dbhealth import ENGINE

        expanded = expand_db_url(db_url)
        if expanded["engine"] == "tortoise.backends.asyncpg":
            # Our asyncpg client notes what each operation may have committed, so that one
            # that met a dead connection is retried only when that is safe (adapters/dbhealth.py).
            connection = {**expanded, "engine": ENGINE}
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings, url: str | None = None) -> None:
    # The global fallback lets request tasks (not children of the lifespan task) see the ORM.
    await Tortoise.init(config=tortoise_config(settings, url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(settings: Settings, url: str | None = None) -> None:
    """Apply every migration in ``migrations/`` (the same files on SQLite and PostgreSQL)."""
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(settings, url))
    finally:
        # Also on failure: an open SQLite connection's thread would keep the process alive.
        await Tortoise.close_connections()


async def pending_model_changes(settings: Settings) -> list[str]:
    """Model changes that no migration in ``migrations/`` covers yet (names of the migrations
    ``hello makemigrations`` would write). Runs in a context of its own, without connecting."""
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config(settings, "sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [f"{w.app_label}.{w.name}" for w in writers]
