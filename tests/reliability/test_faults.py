"""Redis outages lose nothing and stop nobody; nor do a killed process or dropped PostgreSQL
connections (issue 12). Runs ``chaos.SMALL``: two ``hello serve`` processes, a ``redis-server``
of its own (started on a free port, killed and restarted here; the shared one is never
touched) and a fresh PostgreSQL database, whose backends, and only those, it terminates."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from tests.reliability.chaos import SMALL, run_all, table
from tests.services import missing, require_env

BOUND = 5.0  # seconds after a fault ends by which every message has reached everyone


async def test_every_committed_message_reaches_every_subscriber_once_in_order(
    tmp_path: Path,
) -> None:
    pg_base = require_env("HELLO_TEST_DATABASE_URL")
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (Debian: redis-server)")

    # Given subscribers on both processes and senders through both, when each fault strikes
    async with asyncio.timeout(240):
        outcomes, logs = await run_all(SMALL, pg_base, tmp_path, bound=BOUND)

    # Then every subscriber got every committed message exactly once, in order, in time (a
    # subscription that a database fault ended resumed with afterSeq, as clients do)
    report = table(outcomes) + "\n" + logs
    assert [o.fault for o in outcomes] == [
        "none",
        "redis-5s",
        "redis-15s",
        "kill-process",
        "pg-terminate",
    ]
    for o in outcomes:
        assert o.sent > SMALL.rate * SMALL.calm, report  # traffic flowed around the fault
        assert o.lost == 0, report
        assert o.duplicated == 0, report
        assert o.out_of_order == 0, report
        assert o.delivered == o.expected, report
        assert o.recovery <= BOUND, report
        if o.fault.startswith("redis-"):
            # and while Redis was down, every send succeeded the first time, and both
            # processes stayed ready (degraded, not unavailable) for the load balancer
            assert o.failed_sends == 0, report
            # and no subscription ended (SERVICE_UNAVAILABLE, say): they did not even notice
            assert o.stream_errors == 0, report
            assert o.readiness == [(200, "degraded"), (200, "degraded")], report
