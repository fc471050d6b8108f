"""Webhooks in a process: the before-commit hook that turns events into deliveries
(``resolvers/apps/webhook_outbox.py``; core may not import apps, so it is installed from here),
and the listener that forgets the subscription cache when another process changes one."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.bus import EventBus
from resolvers.apps import webhook_outbox
from resolvers.core.channels import WEBHOOKS_CHANNEL
from resolvers.core.tx import add_before_commit_hook

log = logging.getLogger("hello.webhooks")


def install() -> None:
    """Every transaction of this process enqueues the webhook deliveries of its events."""
    add_before_commit_hook(webhook_outbox.do_enqueue_deliveries)


async def listen_forever(bus: EventBus) -> None:
    """Forget the cache at every change another process announces; and at every reconnection,
    since a change may have gone unheard meanwhile (the cache also expires by itself)."""
    while True:
        try:
            async with bus.subscribe(WEBHOOKS_CHANNEL) as sub:
                webhook_outbox.subscribers.forget()
                async for event in sub:
                    webhook_outbox.on_bus_event(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("listening for webhook subscription changes failed; again in 1 s")
        webhook_outbox.subscribers.forget()
        await asyncio.sleep(1.0)  # a real pause before reconnecting after a failure


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
