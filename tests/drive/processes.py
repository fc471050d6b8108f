"""Another ``hello serve`` process beside the test server, over the same test database (and the
same blob store unless told otherwise): what the Drive tests of restarts, killed processes and
start-up sweeps run against."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.test_production import HELLO, ROOT, free_port
from tests.timing import eventually


@asynccontextmanager
async def hello_serve(**settings: str) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``hello serve`` on a free port with the test's environment and ``settings``
    (``HELLO_*`` variables) on top, wait until it answers ``/healthz``, and yield its URL and
    process; stop it (if a test has not killed it) on the way out."""
    port = free_port()
    env = {**os.environ, "HELLO_LOG_LEVEL": "WARNING", **settings}
    process = subprocess.Popen(
        [HELLO, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:

            async def healthy() -> bool:
                assert process.poll() is None, "hello serve exited"
                try:
                    return (await probe.get(url + "/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            # A real process starting: a generous deadline only a real failure reaches.
            await eventually(healthy, timeout=60, interval=0.1, what="hello serve starting")
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(20)
