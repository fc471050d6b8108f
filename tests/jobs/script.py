"""A short-lived process on a test deployment's database (``python -m tests.jobs.script``), with
that deployment's ``HELLO_*`` environment:

- ``enqueue NAME KEY DIR DELAY``: enqueue a job due DELAY seconds from now, print its id, exit;
- ``enqueue NAME KEY DIR DELAY --claim``: then claim it for relaying as a relay does, and die
  before sending it (``os._exit``): the crash between a relay's claim and its send.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from adapters.db import close_db, init_db
from adapters.jobs import create_job_transport
from adapters.settings import get_settings
from resolvers.core.clock import now
from resolvers.core.job_runner import JobRunner, RunnerConfig
from resolvers.core.jobs import do_enqueue
from tests.jobs import handlers  # noqa: F401  (registers the handlers)


async def main(name: str, key: str, directory: str, delay: float, claim: bool) -> None:
    settings = get_settings()
    await init_db(settings)
    job = await do_enqueue(
        name, {"dir": directory}, key=key, run_at=now() + timedelta(seconds=delay)
    )
    print(job.id, flush=True)
    if claim:
        transport = create_job_transport(None, prefix="unused:")
        runner = JobRunner(transport, RunnerConfig(lease_seconds=settings.job_lease_seconds))
        claimed = await runner.do_claim_due()
        print("claimed", claimed, flush=True)
        os._exit(0)  # dies holding the claim, before any send
    await close_db()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] != ["enqueue"]:
        raise SystemExit(__doc__)
    asyncio.run(main(args[1], args[2], args[3], float(args[4]), "--claim" in args))
