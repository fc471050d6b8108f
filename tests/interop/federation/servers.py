"""The processes of the federation test: Hello in production mode (the mode whose gateway rules
matter) on the test's stack, the tiny ``colors`` subgraph, the MIT composer and Hive Gateway.

Every helper starts what it needs and stops it on exit, and says why when something will not
start (the gateway's and Hello's output are kept in files for that)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx
import pytest
import uvicorn

from tests.interop.federation.colors import create_app
from tests.messenger.test_multiprocess import forget_job_stream
from tests.pg import create_database, drop_database
from tests.services import missing
from tests.test_production import HELLO, ROOT, free_port

HERE = Path(__file__).parent
INTEROP = HERE.parent
GATEWAY_SECRET = "federation-test-gateway-secret-0123456789"
PACKAGES = ("graphql", "@theguild/federation-composition", "@graphql-hive/gateway")
NPM_LOCK = "/tmp/npm.lock"  # npm runs on this machine take it: one writes node_modules at a time


def node_modules() -> str:
    """The ``node`` binary, once ``tests/interop/node_modules`` holds the packages this test
    runs (installed from the lockfile if missing). Skips, or fails in CI, without node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing("node and npm are needed for the federation test")
    assert node and npm
    target = INTEROP / "node_modules"

    def complete() -> bool:
        return all((target / p / "package.json").is_file() for p in PACKAGES)

    if not complete():
        with open(NPM_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not complete():
                done = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund"],
                    cwd=INTEROP,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if done.returncode != 0:
                    pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return node


def _spawn(args: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Popen:
    """A process whose output goes to ``log`` (read back when it fails to start)."""
    with open(log, "wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _output(log: Path) -> str:
    return log.read_text(errors="replace")[-20_000:]


def _stop(process: Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


async def _wait_until_up(url: str, process: Popen, log: Path, what: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                pytest.fail(f"{what} exited with {process.returncode}:\n{_output(log)}")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail(f"{what} did not answer {url} within 30 s:\n{_output(log)}")


@asynccontextmanager
async def hello_production(tmp: Path) -> AsyncIterator[str]:
    """``hello serve`` with ``HELLO_ENV=production`` and a gateway secret, on a fresh PostgreSQL
    database and Redis when the suite runs on services, else on a SQLite file."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        "HELLO_ENV": "production",
        "HELLO_DATA_DIR": str(tmp),
        "HELLO_GATEWAY_SECRET": GATEWAY_SECRET,
        "HELLO_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "HELLO_LOG_LEVEL": "WARNING",
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    base = os.environ.get("HELLO_TEST_DATABASE_URL")
    name = f"hello_fed_{uuid.uuid4().hex[:10]}"
    env["HELLO_DATABASE_URL"] = (
        await create_database(base, name) if base else f"sqlite://{tmp / 'hello.sqlite3'}"
    )
    if os.environ.get("HELLO_TEST_REDIS_URL"):
        env["HELLO_REDIS_URL"] = os.environ["HELLO_TEST_REDIS_URL"]
        env["HELLO_REDIS_PREFIX"] = f"hello-fed-{uuid.uuid4().hex[:10]}:"
    log = tmp / "hello.log"
    process: Popen | None = None
    try:
        subprocess.run(
            [HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        port = free_port()
        process = _spawn([HELLO, "serve", "--port", str(port)], env=env, cwd=ROOT, log=log)
        url = f"http://127.0.0.1:{port}"
        await _wait_until_up(url + "/healthz", process, log, "hello serve")
        yield url + "/graphql"
    finally:
        if process is not None:
            _stop(process)
        if base:
            await drop_database(base, name)
        await forget_job_stream(env)


@asynccontextmanager
async def colors_subgraph() -> AsyncIterator[str]:
    """The ``colors`` subgraph, served by uvicorn in the test's event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the colors subgraph did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@dataclass
class Composition:
    returncode: int
    supergraph: str
    errors: str


async def compose(node: str, subgraphs: dict[str, str]) -> Composition:
    """``node compose.mjs name=url ...``, as an operator would run it (with the secret)."""
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "compose.mjs"),
        *(f"{name}={url}" for name, url in subgraphs.items()),
        cwd=HERE,
        env={**os.environ, "HELLO_GATEWAY_SECRET": GATEWAY_SECRET},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Composition(proc.returncode, out.decode(), err.decode())


@asynccontextmanager
async def hive_gateway(node: str, supergraph: Path) -> AsyncIterator[str]:
    """``hive-gateway supergraph <file>`` with ``gateway.config.ts`` (found in its working
    directory, as in production), configured for production with the secret."""
    port = free_port()
    log = supergraph.with_name("gateway.log")
    binary = INTEROP / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
    args = [node, str(binary), "supergraph", str(supergraph), "--host", "127.0.0.1"]
    env = {
        **os.environ,
        "HELLO_ENV": "production",
        "HELLO_GATEWAY_SECRET": GATEWAY_SECRET,
        "NO_COLOR": "1",
    }
    process = _spawn([*args, "--port", str(port)], env=env, cwd=HERE, log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(url + "/readiness", process, log, "hive-gateway")
        yield url + "/graphql"
    finally:
        _stop(process)
