"""Job handlers for the tests of the job engine. Each records what it did in files under the
directory its arguments name, so a test in another process (or after a SIGKILL) can count the
side effects. Loaded by the suite's own server (imported by the tests) and by ``hello serve``
and ``hello worker`` subprocesses through ``HELLO_JOB_IMPORTS=tests.jobs.handlers``."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from resolvers.core.jobs import JobContext, job_handler

RECORD = "test.record"
FAIL = "test.fail"
WAIT = "test.wait"
PROGRESS = "test.progress"


def _append(ctx: JobContext, what: str) -> None:
    with (Path(ctx.args["dir"]) / "effects").open("a") as f:
        f.write(f"{ctx.key} {what} {os.getpid()} {time.time()}\n")


def effects(directory: Path, key: str) -> list[list[str]]:
    """The lines handlers appended for the job with ``key``: [key, what, pid, time]."""
    path = directory / "effects"
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines()]
    return [line for line in lines if line[0] == key]


async def _until(path: Path) -> None:
    # A handler waiting for the test to let it go (a real interval: another process decides).
    while not path.exists():  # noqa: ASYNC240 (a stat of a local file, in a test)
        await asyncio.sleep(0.02)


@job_handler(RECORD)
async def record(ctx: JobContext) -> None:
    _append(ctx, "ran")


@job_handler(FAIL, max_attempts=3)
async def fail(ctx: JobContext) -> None:
    """Fails while the file ``fail`` exists in its directory."""
    _append(ctx, "tried")
    if (Path(ctx.args["dir"]) / "fail").exists():
        raise RuntimeError("told to fail\nsecond line never stored")
    _append(ctx, "ran")


@job_handler(WAIT)
async def wait(ctx: JobContext) -> None:
    """Starts, then waits for the file ``release`` before it finishes."""
    _append(ctx, "started")
    await _until(Path(ctx.args["dir"]) / "release")
    _append(ctx, "ran")


@job_handler(PROGRESS)
async def progress(ctx: JobContext) -> None:
    """Waits for ``go``, then reports 1/3, 2/3 and 3/3 at once (the middle one throttled)."""
    await _until(Path(ctx.args["dir"]) / "go")
    for done in (1, 2, 3):
        await ctx.progress(done, 3)
    _append(ctx, "ran")
