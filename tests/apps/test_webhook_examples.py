"""The verification examples of the README (examples/webhook_verify.py and .js) accept a real
delivery captured by the test receiver, and refuse it once a byte of the body changes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from resolvers.messenger.events import MessengerEventKind
from tests.apps.receiver import receiving
from tests.apps.webhook_support import loopback_hooks, send, setup
from tests.client import Api
from tests.timing import eventually

pytestmark = pytest.mark.usefixtures("loopback_hooks")
__all__ = ["loopback_hooks"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def _run(argv: list[str], secret: str, headers: dict[str, str], body: bytes) -> str:
    env = {
        **os.environ,
        "HELLO_TIMESTAMP": headers["hello-timestamp"],
        "HELLO_SIGNATURE": headers["hello-signature"],
    }
    proc = await asyncio.create_subprocess_exec(
        *argv,
        secret,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    out, _ = await proc.communicate(body)
    return f"{out.decode().strip()} {proc.returncode}"


async def test_both_examples_verify_a_real_delivery(api: Api) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    async with receiving() as receiver:
        s = await setup(api, receiver, [str(MessengerEventKind.MESSAGE_ADDED)])
        await send(api, s.owner, s.chat_id, "verify me: ünïcode too")
        await eventually(lambda: len(receiver.events) == 1, what="a delivery")
        got = receiver.events[0]
        tampered = got.body.replace(b"verify me", b"verify mE")
        for argv in (
            [sys.executable, str(EXAMPLES / "webhook_verify.py")],
            [node, str(EXAMPLES / "webhook_verify.js")],
        ):
            assert await _run(argv, s.secret, got.headers, got.body) == "valid 0", argv
            assert await _run(argv, s.secret, got.headers, tampered) == "invalid 1", argv
            assert await _run(argv, "whsec_wrong", got.headers, got.body) == "invalid 1", argv
