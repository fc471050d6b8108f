"""A job deployment of its own for the process tests: a fresh database (a SQLite file, or a new
PostgreSQL database when the suite runs on one), Redis under a prefix of its own when the suite
has one, and ``hello serve`` / ``hello worker`` subprocesses that load the test handlers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.messenger.test_multiprocess import _wait_healthy, forget_job_stream, hello_env
from tests.pg import _asyncpg_url, create_database, drop_database
from tests.test_production import HELLO, ROOT, free_port

LEASE_SECONDS = 2


@dataclass
class Deployment:
    tmp: Path
    db_url: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"proc-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [HELLO, *args], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    async def serve(self, *extra: str) -> subprocess.Popen[bytes]:
        port = free_port()
        proc = self._spawn("serve", "--port", str(port), *extra)
        await _wait_healthy(f"http://127.0.0.1:{port}", proc)
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self._spawn("worker")

    def script(self, *args: str) -> str:
        """Run ``tests/jobs/script.py`` with this deployment's environment; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.jobs.script", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return done.stdout.decode()

    async def job(self, key: str) -> dict[str, Any]:
        """The job's row, read straight from the database (no process of ours in between)."""
        query = (
            "SELECT id, state, attempts, run_at, finished_at, relayed_at FROM background_job "
            "WHERE key = {}"
        )
        if self.db_url.startswith("sqlite://"):
            with sqlite3.connect(self.db_url.removeprefix("sqlite://"), timeout=10) as conn:
                conn.row_factory = sqlite3.Row
                row = dict(conn.execute(query.format("?"), (key,)).fetchone())
            for name in ("run_at", "finished_at", "relayed_at"):
                if row[name] is not None:
                    row[name] = datetime.fromisoformat(row[name])
            return row
        conn = await asyncpg.connect(_asyncpg_url(self.db_url))
        try:
            return dict(await conn.fetchrow(query.format("$1"), key))
        finally:
            await conn.close()

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.tmp.glob("proc-*.log"))
        )


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(proc)


@asynccontextmanager
async def deployment(tmp: Path, *, redis_url: str | None = None) -> AsyncIterator[Deployment]:
    """``redis_url``: a Redis of the test's own (default: the suite's, if it has one)."""
    pg = os.environ.get("HELLO_TEST_DATABASE_URL")
    name = f"hello_jobs_{uuid.uuid4().hex[:10]}"
    db_url = await create_database(pg, name) if pg else f"sqlite://{tmp / 'jobs.sqlite3'}"
    redis_url = redis_url or os.environ.get("HELLO_TEST_REDIS_URL", "")
    env = hello_env(str(tmp), db_url, redis_url)
    if not env["HELLO_REDIS_URL"]:
        del env["HELLO_REDIS_URL"]
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "HELLO_JOB_IMPORTS": "tests.jobs.handlers",
            "HELLO_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "HELLO_JOB_POLL_INTERVAL": "0.2",
            "HELLO_LOG_LEVEL": "INFO",
        }
    )
    d = Deployment(tmp, db_url, env)
    try:
        subprocess.run(
            [HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        yield d
    finally:
        for proc in d.procs:
            stop(proc)
        if pg:
            await drop_database(pg, name)
        await forget_job_stream(env)
