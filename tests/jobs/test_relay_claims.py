"""Relays in several processes claim each due job once: two relays looking at the same moment
(PostgreSQL: one statement skipping locked rows; SQLite: a conditional UPDATE per job) share
the due jobs without overlap. Their clock is a day ahead of the suite's server, whose relay
therefore leaves these jobs alone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.jobs import create_job_transport
from models.jobs import BackgroundJob
from resolvers.core.job_runner import RELAY_BATCH, JobRunner, RunnerConfig
from resolvers.core.jobs import do_enqueue
from tests.jobs.handlers import RECORD


async def test_two_relays_claim_disjoint_sets_and_a_claim_holds_for_its_lease(
    server: str, tmp_path: Path
) -> None:
    ahead = datetime.now(UTC) + timedelta(days=1)
    keys = [uuid.uuid4().hex for _ in range(40)]
    ids = {(await do_enqueue(RECORD, {"dir": str(tmp_path)}, key=k, run_at=ahead)).id for k in keys}

    def clock() -> datetime:
        return ahead + timedelta(seconds=1)

    runners = [
        JobRunner(
            create_job_transport(None, prefix="unused:"),
            RunnerConfig(lease_seconds=30),
            clock=clock,
        )
        for _ in range(2)
    ]
    try:
        claims = await asyncio.gather(*(r.do_claim_due() for r in runners))
        mine = [set(c) & ids for c in claims]
        assert not mine[0] & mine[1]
        assert mine[0] | mine[1] == ids
        assert len(ids) < RELAY_BATCH
        # Claimed and never sent (both "died"): nobody claims them again within the lease...
        assert not set(await runners[0].do_claim_due()) & ids
        # ...and after it, they are due again.
        later = JobRunner(
            create_job_transport(None, prefix="unused:"),
            RunnerConfig(lease_seconds=30),
            clock=lambda: ahead + timedelta(seconds=32),
        )
        assert set(await later.do_claim_due()) & ids == ids
    finally:
        await BackgroundJob.filter(id__in=ids).delete()
