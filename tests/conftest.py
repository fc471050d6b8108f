"""The suite runs end to end against a real uvicorn server on loopback, started once per session
in the test's event loop, over a fresh database: a SQLite file by default, or a new PostgreSQL
database on the server named by ``HELLO_TEST_DATABASE_URL``; Redis when ``HELLO_TEST_REDIS_URL``
is set."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.client import Api

_DATA = Path(tempfile.mkdtemp(prefix="hello-test-"))
RUN_ID = uuid.uuid4().hex[:10]

# Settings are read once from the environment, so the test configuration goes there first.
os.environ.update(
    {
        "HELLO_DATA_DIR": str(_DATA),
        "HELLO_ENV": "development",
        "HELLO_REDIS_PREFIX": f"hello-test-{RUN_ID}:",
        # Cheap hashes: the suite signs up hundreds of users; production keeps the defaults.
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
        # Roomy buckets: tests that exercise the rate limit lower them themselves.
        "HELLO_RATE_LIMIT_CAPACITY": "1000000",
        "HELLO_RATE_LIMIT_REFILL_PER_SECOND": "100000",
        "HELLO_RATE_LIMIT_APP_CAPACITY": "10000000",
        "HELLO_RATE_LIMIT_APP_REFILL_PER_SECOND": "100000",
        "HELLO_RATE_LIMIT_ORG_CAPACITY": "10000000",
        "HELLO_RATE_LIMIT_ORG_REFILL_PER_SECOND": "100000",
        "HELLO_LOG_LEVEL": "WARNING",
    }
)
for var in (
    "HELLO_DATABASE_URL",
    "HELLO_REDIS_URL",
    "HELLO_SECRET_KEY",
    "HELLO_ALLOWED_ORIGINS",
    "HELLO_STORAGE_URL",
    "HELLO_S3_ENDPOINT_URL",
    "HELLO_S3_ACCESS_KEY_ID",
    "HELLO_S3_SECRET_ACCESS_KEY",
):
    os.environ.pop(var, None)
if os.environ.get("HELLO_TEST_REDIS_URL"):
    os.environ["HELLO_REDIS_URL"] = os.environ["HELLO_TEST_REDIS_URL"]
os.environ["HELLO_ALLOWED_ORIGINS"] = "https://app.example.test"
# Every query the suite sends runs through the compiled executor and graphql-core, and both
# must answer alike (server/differential.py): the whole suite is the differential corpus, in
# `make test`, in CI and in any targeted run. HELLO_DIFFERENTIAL_EXECUTION=0 turns it off.
os.environ.setdefault("HELLO_DIFFERENTIAL_EXECUTION", "1")

from tests.pg import create_database, drop_database  # noqa: E402


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"hello database: {os.environ.get('HELLO_TEST_DATABASE_URL') or 'SQLite (embedded)'}",
        f"hello redis: {os.environ.get('HELLO_TEST_REDIS_URL') or 'in-process (embedded)'}",
        "hello storage: " + ("S3 (moto's server)" if _test_s3() else "local directory (embedded)"),
    ]


def _execution_counts() -> dict[str, int]:
    from server import compiled, differential

    return {**compiled.stats, **differential.counts}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller adds the counts up
        workeroutput["hello_execution"] = _execution_counts()


def pytest_testnodedown(node: object, error: object) -> None:
    found = getattr(node, "workeroutput", {}).get("hello_execution")
    for key, value in (found or {}).items():
        _WORKER_COUNTS[key] = _WORKER_COUNTS.get(key, 0) + value


_WORKER_COUNTS: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many documents the compiled executor took and how many it left to graphql-core,
    and how many queries the differential mode compared (added up over the xdist workers).
    A document counts once per process, in the cache of the server that first saw it."""
    counts = dict(_WORKER_COUNTS) or _execution_counts()
    if counts.get("compiled") or counts.get("fallback"):
        terminalreporter.write_line(
            f"hello compiled execution: {counts['compiled']} documents compiled, "
            f"{counts['fallback']} left to graphql-core; {counts['compared']} queries compared "
            f"with graphql-core, {counts['mutations']} mutations and "
            f"{counts['unrepeatable']} state-changing queries run compiled only"
        )


def _test_s3() -> bool:
    return os.environ.get("HELLO_TEST_S3", "") not in ("", "0", "false")


APP: dict[str, object] = {}


@pytest.fixture(autouse=True)
def no_differential_mismatch() -> object:
    """A query the compiled executor answered unlike graphql-core fails the test that sent
    it, whatever the test asserted about the 500 it got."""
    from server import differential

    differential.mismatches.clear()
    yield
    found = list(differential.mismatches)
    differential.mismatches.clear()
    assert not found, found[0]


@pytest.fixture
def app(server: str) -> object:
    """The Starlette app the test server runs (for a look at process-local state)."""
    return APP["app"]


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    base = os.environ.get("HELLO_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite://{_DATA / 'hello.sqlite3'}"
        return
    url = await create_database(base, f"hello_test_{RUN_ID}")
    try:
        yield url
    finally:
        await drop_database(base, f"hello_test_{RUN_ID}")


@pytest.fixture(scope="session")
def storage_url() -> str:
    """Where the test server keeps blobs: a local directory, or with ``HELLO_TEST_S3=1`` a fresh
    bucket on moto's S3 server (started here), so every Drive test runs on S3."""
    if not _test_s3():
        return f"file://{_DATA / 'blobs'}"
    from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, moto_server
    from tests.services import missing

    try:
        moto = moto_server()
    except RuntimeError as e:
        missing(f"HELLO_TEST_S3=1 but no S3 server: {e}")
    bucket = create_bucket(moto.endpoint_url)
    os.environ.update(
        {
            "HELLO_STORAGE_URL": f"s3://{bucket}/blobs",
            "HELLO_S3_ENDPOINT_URL": moto.endpoint_url,
            "HELLO_S3_REGION": REGION,
            "HELLO_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "HELLO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }
    )
    return os.environ["HELLO_STORAGE_URL"]


@pytest.fixture(scope="session")
async def server(database_url: str, storage_url: str) -> AsyncIterator[str]:
    """Base URL of a migrated Hello served by uvicorn on a free loopback port."""
    import uvicorn

    from adapters.db import migrate
    from adapters.settings import get_settings
    from server.app import create_app, uvicorn_options

    os.environ["HELLO_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    settings = get_settings()
    await migrate(settings)
    app = create_app(settings, configure_logging=False)
    APP["app"] = app
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="on", **uvicorn_options(settings))
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), 15)
        except TimeoutError:
            _dump_tasks()
            raise
        if settings.redis_url:
            # The job stream is the one key of ours that does not expire by itself.
            from redis.asyncio import Redis

            redis = Redis.from_url(settings.redis_url)
            try:
                await redis.delete(f"{settings.redis_prefix}jobs")
            finally:
                await redis.aclose()


def _dump_tasks() -> None:
    """Print where every task is stuck, following the await chain (for a hung shutdown)."""
    import sys

    for t in asyncio.all_tasks():
        frames = []
        coro = t.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is not None:
                frames.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        print(t.get_name(), " <- ".join(frames), file=sys.stderr)


@pytest.fixture
async def api(server: str) -> AsyncIterator[Api]:
    from tests.client import Api

    async with Api(server) as client:
        yield client
