"""Running this folder's Node scripts (the graphql-http audit, Apollo Client's links) against
the live test server, for the GraphQL-over-HTTP interop tests.

The packages come from ``package-lock.json`` (``npm ci`` on first use). Without node and npm the
tests skip with the reason, and fail instead under ``HELLO_REQUIRE_SERVICES=1``."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.services import missing

HERE = Path(__file__).parent
TIMEOUT = 120  # seconds for a whole script (the audit makes some 60 requests)


def node_packages(*packages: str) -> Path:
    """``node_modules`` holding ``packages``, installed from the lockfile if one is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing("node and npm are needed for the interop tests")
    target = HERE / "node_modules"
    if not all((target / p / "package.json").is_file() for p in packages):
        try:
            done = subprocess.run(
                ["flock", "/tmp/npm.lock", npm, "ci", "--no-audit", "--no-fund"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"npm ci timed out in {HERE}:\n{e.stdout}\n{e.stderr}")
        if done.returncode != 0:
            pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    for p in packages:
        if not (target / p / "package.json").is_file():
            missing(f"the npm package {p} is not installed in {target}")
    return target


async def run_node(script: str, *args: str) -> list[Any]:
    """Run ``node <script> <args>`` to its end; its stdout, one JSON value per line."""
    node = shutil.which("node")
    assert node
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / script),
        *args,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"node {script} did not finish within {TIMEOUT} s")
    if proc.returncode != 0:
        pytest.fail(f"node {script} exited {proc.returncode}:\n{err.decode(errors='replace')}")
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]
