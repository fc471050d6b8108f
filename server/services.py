"""This process's adapters (database, bus, key-value store, blobs), opened and closed in one
place for the two kinds of process: ``hello serve`` (the app's lifespan) and ``hello worker``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters import runtime
from adapters.blobs import create_blob_store
from adapters.bus import EventBus
from adapters.db import close_db, init_db
from adapters.kv import create_store
from adapters.settings import Settings


@asynccontextmanager
async def running_services(settings: Settings) -> AsyncIterator[runtime.Services]:
    await init_db(settings)
    bus = EventBus(
        settings.redis_url, prefix=settings.redis_prefix, queue_size=settings.bus_queue_size
    )
    await bus.connect()
    store = create_store(settings.redis_url, prefix=settings.redis_prefix)
    blobs = create_blob_store(settings)
    services = runtime.Services(settings=settings, bus=bus, store=store, blobs=blobs)
    runtime.install(services)
    try:
        yield services
    finally:
        await bus.disconnect()
        await store.close()
        await blobs.close()
        runtime.install(None)
        await close_db()
