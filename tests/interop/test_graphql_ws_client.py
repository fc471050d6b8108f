"""Interop: the reference JavaScript client (``graphql-ws`` on Node, over ``ws``) speaks
graphql-transport-ws with Hello: it signs in through ``connectionParams``, receives
organizationEvents, and sees the 4403 close for a bad or revoked token.

The client is ``org_events.mjs`` next to this file; its dependencies are pinned in
``package-lock.json`` and installed with ``npm ci`` on first use."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.client import Api, org_channel, wait_subscribed
from tests.services import missing

HERE = Path(__file__).parent
SCRIPT = HERE / "org_events.mjs"
TIMEOUT = 20  # seconds for any single read or exit; the script itself gives up after 15


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """``tests/interop/node_modules``, installed from the lockfile if missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing("node and npm are needed for the interop tests")
    target = HERE / "node_modules"
    if not (target / "graphql-ws" / "package.json").is_file():
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"npm ci timed out in {HERE}:\n{e.stdout}\n{e.stderr}")
        if done.returncode != 0:
            pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return target


def ws_url(server: str) -> str:
    return server.replace("http://", "ws://") + "/graphql"


class NodeClient:
    """``node org_events.mjs`` as a subprocess, read one JSON line at a time."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @classmethod
    async def start(cls, server: str, token: str, mode: str) -> NodeClient:
        node = shutil.which("node")
        assert node
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            ws_url(server),
            token,
            mode,
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout
        raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        if not raw:  # EOF: the script failed; say why
            await self.fail("the client exited before printing the expected line")
        return json.loads(raw)

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    async def fail(self, message: str) -> None:
        code = await self.exit_code()
        assert self.proc.stderr
        err = (await self.proc.stderr.read()).decode(errors="replace")
        pytest.fail(f"{message} (exit {code}):\n{err}")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def test_graphql_ws_client_receives_member_joined(
    node_modules: Path, server: str, api: Api
) -> None:
    owner = await api.sign_up(organization="Interop")
    client = await NodeClient.start(server, owner.access_token, "subscribe")
    try:
        assert await client.line() == {"ready": True}
        # The client sent subscribe; wait until the server's subscriber listens on the bus.
        await wait_subscribed(org_channel(owner))
        joined = await api.add_member(owner, name="Interop Person")

        result = await client.line()
        assert not result.get("errors"), result
        assert result["data"] == {
            "organizationEvents": {
                "__typename": "MemberJoined",
                "user": {"id": joined.user_id, "displayName": "Interop Person"},
            }
        }
        if await client.exit_code() != 0:
            await client.fail("the client did not exit cleanly after its event")
    finally:
        await client.kill()


async def closed_with(server: str, token: str) -> int:
    """The close code the graphql-ws client reports when connecting with ``token``."""
    client = await NodeClient.start(server, token, "badtoken")
    try:
        closed = await client.line()
        assert await client.exit_code() == 0
        return closed["closed"]
    finally:
        await client.kill()


async def test_graphql_ws_client_sees_4403_on_bad_token(
    node_modules: Path, server: str, api: Api
) -> None:
    assert await closed_with(server, "hla_not_a_token") == 4403

    revoked = await api.sign_up()
    await api.gql("mutation { signOut { signedOut } }", token=revoked.access_token)
    assert await closed_with(server, revoked.access_token) == 4403
