"""Background jobs in a process: the transport and the runner that ``hello serve`` (in its
lifespan) and ``hello worker`` start, and the modules whose job handlers every process loads.

Where jobs run:

| process                       | relays due jobs        | runs jobs |
|-------------------------------|------------------------|-----------|
| ``hello serve``               | yes                    | yes       |
| ``hello serve --no-worker``   | yes (Redis) / no (embedded) | no   |
| ``hello worker``              | yes                    | yes       |

Embedded (no Redis) the broker is in memory, so a process runs exactly what it relays; one that
does not run jobs does not relay them either, and leaves them to a process that does.
"""

from __future__ import annotations

import importlib

from adapters.jobs import create_job_transport
from adapters.settings import Settings
from resolvers.core.job_runner import JobRunner, RunnerConfig
from server import webhooks

HANDLER_MODULES = (
    "resolvers.identity.actions",
    "resolvers.apps.webhook_deliveries",
    "resolvers.calendar.reminders",
    "resolvers.docs.versions",
    "resolvers.docs.search",
    "resolvers.docs.exports",
    "resolvers.meetings.recorder",
    "resolvers.meetings.recording_store",
)
"""Hello's modules that register job handlers (imported here so that a worker knows them even
where nothing else imports them). Docs' also register the write path's hooks that queue them."""


def load_handlers(settings: Settings) -> None:
    for name in (*HANDLER_MODULES, *settings.job_imports):
        importlib.import_module(name)


def create_runner(settings: Settings) -> JobRunner:
    load_handlers(settings)
    # Every process that writes (serve and worker) turns the events it commits into webhook
    # deliveries, in the same transaction.
    webhooks.install()
    transport = create_job_transport(
        settings.redis_url, prefix=settings.redis_prefix, concurrency=settings.job_concurrency
    )
    consume = settings.job_worker
    return JobRunner(
        transport,
        RunnerConfig(
            poll_interval=settings.job_poll_interval,
            lease_seconds=settings.job_lease_seconds,
            retry_base_seconds=settings.job_retry_base_seconds,
            retry_cap_seconds=settings.job_retry_cap_seconds,
        ),
        relay=consume or transport.shared,
        consume=consume,
    )
