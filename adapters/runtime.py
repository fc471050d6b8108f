"""The adapters of this process (bus, key-value store), set up once by the app's lifespan.

Only handles to adapters live here; anything that other processes must know goes through them
(Redis or the database), never through module state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise import connections

if TYPE_CHECKING:
    from adapters.blobs import BlobStore
    from adapters.bus import EventBus
    from adapters.kv import KeyValueStore
    from adapters.settings import Settings


@dataclass
class Services:
    settings: Settings
    bus: EventBus
    store: KeyValueStore
    blobs: BlobStore


_services: Services | None = None


def install(services: Services | None) -> None:
    global _services
    _services = services


def current() -> Services:
    if _services is None:
        raise RuntimeError("Hello's services are not started (is the app's lifespan running?)")
    return _services


def maybe_current() -> Services | None:
    return _services


async def readiness(services: Services) -> tuple[int, dict[str, Any]]:
    """``/readyz``: (status code, body). Only the database makes a process unready: without
    Redis it still serves every read and write (README, "Running at scale"), so a load balancer
    must keep sending it traffic; the body says it is degraded, and how."""
    checks: dict[str, bool] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["store"] = await services.store.ping()
    checks["bus"] = await services.bus.ready()
    if not checks["database"]:
        return 503, {"status": "unavailable", "checks": checks}
    if all(checks.values()) and not services.bus.pending:
        return 200, {"status": "ok", "checks": checks}
    degraded = []
    if services.store.degraded or not checks["store"]:
        degraded.append("throttles count per process until Redis is back")
    if not checks["bus"] or services.bus.pending:
        degraded.append(
            "live events: streams catch up from the database; "
            f"{services.bus.pending} publishes wait for Redis"
        )
    return 200, {"status": "degraded", "checks": checks, "degraded": degraded}
