"""The processes of a benchmark run: Hello servers (uvicorn, one worker) and the graphql-yoga
peer, each pinned to the server core, on a random free loopback port, over a fresh data
directory and (with services) a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
YOGA_DIR = Path(__file__).resolve().parent / "yoga"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

# Two cores: the load generator (wrk, the WebSocket clients, this process) on one, the server
# under test on the other, so they never take each other's CPU.
LOAD_CORE = 0
SERVER_CORE = 1


# Counted once, before this process pins itself to the load core.
_CPUS = len(os.sched_getaffinity(0))


def cores() -> int:
    return _CPUS


def pinning() -> bool:
    return cores() >= 2 and shutil.which("taskset") is not None


def pin_self_to_load_core() -> None:
    if pinning():
        os.sched_setaffinity(0, {LOAD_CORE})


def on_core(core: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if pinning() else argv


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _asyncpg_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", query=""))


@dataclass
class Stack:
    """Where a set of servers keeps its state: the embedded stack (a SQLite file, the
    in-process bus) or the services stack (PostgreSQL and Redis)."""

    name: str
    data_dir: Path
    database_url: str
    redis_url: str | None = None
    pg_base: str | None = None
    pg_name: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> bool:
        return self.redis_url is not None


async def create_stack(*, services: bool, fixture: Path) -> Stack:
    data_dir = Path(tempfile.mkdtemp(prefix="hello-bench-"))
    pg_base = pg_name = redis_url = None
    if services:
        import asyncpg

        pg_base = os.environ.get("HELLO_BENCH_DATABASE_URL", DEFAULT_PG)
        redis_url = os.environ.get("HELLO_BENCH_REDIS_URL", DEFAULT_REDIS)
        pg_name = f"hello_bench_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(_asyncpg_url(pg_base))
        try:
            await conn.execute(f'CREATE DATABASE "{pg_name}"')
        finally:
            await conn.close()
        parts = urlsplit(pg_base)
        database_url = urlunsplit(parts._replace(path=f"/{pg_name}"))
        name = "PostgreSQL + Redis"
    else:
        database_url = f"sqlite://{data_dir / 'hello.sqlite3'}"
        name = "SQLite, in-process bus"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        # Production: no GraphiQL, no introspection, masked errors, as deployed.
        "HELLO_ENV": "production",
        "HELLO_DATA_DIR": str(data_dir),
        "HELLO_DATABASE_URL": database_url,
        "HELLO_SECRET_KEY": secrets.token_urlsafe(48),
        # The production level: one JSON line per request, as deployed (the plain endpoints
        # of figure 1 and 3 log nothing, so the ratios include Hello's request log).
        "HELLO_LOG_LEVEL": "INFO",
        # The seed creates a thousand people; the hash cost is not what is measured.
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
        # Buckets too big to empty: every request still takes its cost from one, but wrk's
        # load is not answered with 429.
        "HELLO_RATE_LIMIT_CAPACITY": "1000000000",
        "HELLO_RATE_LIMIT_REFILL_PER_SECOND": "1000000000",
        "HELLO_RATE_LIMIT_APP_CAPACITY": "1000000000",
        "HELLO_RATE_LIMIT_APP_REFILL_PER_SECOND": "1000000000",
        "HELLO_RATE_LIMIT_ORG_CAPACITY": "1000000000",
        "HELLO_RATE_LIMIT_ORG_REFILL_PER_SECOND": "1000000000",
        # Figure 13 measures how fast signals are relayed, not one participant's limit.
        "HELLO_MEETINGS_SIGNALS_PER_SECOND": "1000000",
        # Tokens of the seed must outlive a full run.
        "HELLO_ACCESS_TOKEN_TTL_SECONDS": str(24 * 3600),
        "HELLO_BENCH_BASELINE": "1",
        "HELLO_BENCH_FIXTURE": str(fixture),
        # The webhook scenario's receiver listens on loopback (refused by default: SSRF).
        "HELLO_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    if redis_url:
        env["HELLO_REDIS_URL"] = redis_url
        env["HELLO_REDIS_PREFIX"] = f"hello-bench-{uuid.uuid4().hex[:10]}:"
    stack = Stack(name, data_dir, database_url, redis_url, pg_base, pg_name, env)
    migrate(stack)
    return stack


def migrate(stack: Stack) -> None:
    subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        env=stack.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )


async def drop_stack(stack: Stack) -> None:
    if stack.pg_base and stack.pg_name:
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_url(stack.pg_base))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{stack.pg_name}" WITH (FORCE)')
        finally:
            await conn.close()
    if stack.redis_url:
        await _drop_redis_keys(stack.redis_url, stack.env["HELLO_REDIS_PREFIX"])
    shutil.rmtree(stack.data_dir, ignore_errors=True)


async def _drop_redis_keys(url: str, prefix: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


class Process:
    """A server process on ``core`` (the server core unless told), serving HTTP on ``url``."""

    def __init__(
        self, argv: list[str], env: dict[str, str], port: int, name: str, core: int = SERVER_CORE
    ) -> None:
        self.name = name
        self.port = port
        self.core = core
        self.url = f"http://127.0.0.1:{port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self.proc = subprocess.Popen(
            on_core(core, argv),
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    async def wait_ready(self, path: str, timeout: float = 60) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(int(timeout / 0.05)):
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.proc.returncode}:\n{self.output()}"
                    )
                try:
                    if (await client.get(self.url + path)).status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start:\n{self.output()}")

    def rss_kib(self) -> int:
        """Resident memory of the process, from /proc/<pid>/status (VmRSS, in KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used, from /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        # Fields after the command (which may hold spaces) start after its closing ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self._log.close()


async def start_hello(stack: Stack, name: str = "hello", core: int = SERVER_CORE) -> Process:
    port = free_port()
    process = Process(
        [sys.executable, "-m", "bench.serve", "--port", str(port)], stack.env, port, name, core
    )
    try:
        await process.wait_ready("/healthz")
    except BaseException:
        process.stop()
        raise
    return process


def yoga_missing() -> str | None:
    """Why the yoga peer cannot run here, or None if it can."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node.js (node and npm) not found"
    return None


def ensure_yoga_installed() -> None:
    """``npm ci`` in bench/yoga on first use (from the committed package-lock.json)."""
    if (YOGA_DIR / "node_modules" / "graphql-yoga").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=YOGA_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )


async def start_yoga(fixture: Path) -> Process:
    ensure_yoga_installed()
    port = free_port()
    env = {**os.environ, "PORT": str(port), "BENCH_FIXTURE": str(fixture)}
    env["NODE_ENV"] = "production"
    process = Process(["node", str(YOGA_DIR / "server.mjs")], env, port, "graphql-yoga")
    try:
        await process.wait_ready("/health")
    except BaseException:
        process.stop()
        raise
    return process
