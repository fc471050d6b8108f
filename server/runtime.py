"""The adapters of this process (bus, key-value store), set up once by the app's lifespan.

Only handles to adapters live here; anything that other processes must know goes through them
(Redis or the database), never through module state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.blobs import BlobStore
    from server.bus import EventBus
    from server.kv import KeyValueStore
    from server.settings import Settings


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
