"""The deployment the fault runs strike (``chaos.py``): two ``hello serve`` processes on a fresh
PostgreSQL database and a ``redis-server`` of our own on a free port, each one killable."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg

from tests.messenger.test_multiprocess import _wait_healthy, hello_env
from tests.pg import _asyncpg_url, create_database, drop_database
from tests.test_production import HELLO, ROOT, free_port


class RedisServer:
    """A ``redis-server`` of our own: killing it disturbs nobody else."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = directory
        self._proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self._dir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    return
                except OSError:
                    await asyncio.sleep(0.02)

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)


@dataclass
class Cluster:
    tmp: Path
    pg_base: str
    redis: RedisServer
    db_name: str = ""
    env: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    async def start_process(self, i: int) -> None:
        proc = subprocess.Popen(
            [HELLO, "serve", "--port", str(self.ports[i])],
            env=self.env,
            cwd=ROOT,
            stdout=self.logs[i],
            stderr=subprocess.STDOUT,
        )
        self.procs[i] = proc
        await _wait_healthy(self.urls[i], proc)

    def kill_process(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

    def output(self) -> str:
        out = []
        for i, log in enumerate(self.logs):
            log.flush()
            text = Path(log.name).read_text(errors="replace")
            out.append(f"--- process {i} (last lines) ---\n" + "\n".join(text.splitlines()[-30:]))
        return "\n".join(out)

    async def db_transactions(self) -> int:
        """Transactions this test's database ran so far (every statement outside one counts
        once): what catch-ups cost shows up here. PostgreSQL publishes a busy backend's counts
        about once a second, so compare them over several seconds."""
        conn = await asyncpg.connect(_asyncpg_url(self.pg_base))
        try:
            n = await conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
                self.db_name,
            )
        finally:
            await conn.close()
        return int(n or 0)

    async def terminate_pg_backends(self) -> int:
        # Only the backends of this test's own database, never anyone else's.
        conn = await asyncpg.connect(_asyncpg_url(self.pg_base))
        try:
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.db_name,
            )
        finally:
            await conn.close()
        return len(rows)


@asynccontextmanager
async def cluster(pg_base: str, tmp: Path) -> AsyncIterator[Cluster]:
    redis = RedisServer(tmp)
    c = Cluster(tmp, pg_base, redis, db_name=f"hello_chaos_{uuid.uuid4().hex[:10]}")
    db_url = await create_database(pg_base, c.db_name)
    try:
        await redis.start()
        c.env = hello_env(str(tmp), db_url, redis.url)
        c.env["HELLO_LOG_LEVEL"] = "WARNING"
        subprocess.run(
            [HELLO, "migrate"], env=c.env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        for i in range(2):
            c.ports.append(free_port())
            c.procs.append(None)
            c.logs.append((tmp / f"hello-{i}.log").open("wb"))
        await asyncio.gather(*(c.start_process(i) for i in range(2)))
        yield c
    finally:
        for proc in c.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in c.procs:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=20)
        for log in c.logs:
            log.close()
        redis.kill()
        await drop_database(pg_base, c.db_name)
