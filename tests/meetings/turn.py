"""A coturn ``turnserver`` of the test's own on free loopback ports, checking credentials by
the TURN REST convention (``use-auth-secret``) as a deployment would; and a TURN allocation
made with aioice, which is what aiortc does with the ``iceServers`` ``meetingJoin`` returns."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from aioice.stun import Class, Message, Method, TransactionFailed, parse_message
from aioice.turn import create_turn_endpoint

from tests.services import missing
from tests.test_production import free_port

REALM = "hello.test"


class TurnServer:
    def __init__(self, directory: Path, secret: str) -> None:
        if shutil.which("turnserver") is None:
            missing("turnserver (coturn) is not installed")
        self.port = free_port()
        self.secret = secret
        self.url = f"turn:127.0.0.1:{self.port}?transport=udp"
        self._dir = directory
        self._proc: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> TurnServer:
        self._proc = subprocess.Popen(
            [
                "turnserver",
                *("--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1"),
                *("--listening-port", str(self.port), "--realm", REALM),
                *("--use-auth-secret", "--static-auth-secret", self.secret),
                *("--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers"),
                *("--no-multicast-peers", "--no-software-attribute"),
                *("--pidfile", str(self._dir / "turnserver.pid")),
                *("--db", str(self._dir / "turndb")),
                *("--log-file", "syslog", "--no-stdout-log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(20):
                while not await _answers_stun(self.port):
                    assert self._proc.poll() is None, "turnserver exited"
                    await asyncio.sleep(0.05)
        except BaseException:
            await self.__aexit__()  # not left running when it never came up
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)


async def _answers_stun(port: int) -> bool:
    """Whether a STUN Binding request to the port gets its response (the server is up)."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            if not got.done():
                got.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=("127.0.0.1", port))
    request = Message(message_method=Method.BINDING, message_class=Class.REQUEST)
    try:
        transport.sendto(bytes(request))
        async with asyncio.timeout(0.2):
            response = parse_message(await got)
        return response.transaction_id == request.transaction_id
    except (TimeoutError, ValueError):
        return False
    finally:
        transport.close()


async def allocate(server: TurnServer, username: str, password: str) -> tuple[str, int] | int:
    """The relayed address coturn allocated with these credentials, or the STUN error code
    it answered (401: unauthorized)."""
    try:
        transport, _ = await create_turn_endpoint(
            asyncio.DatagramProtocol, ("127.0.0.1", server.port), username, password
        )
    except TransactionFailed as e:
        return int(e.response.attributes["ERROR-CODE"][0])
    try:
        address: tuple[str, int] = transport.get_extra_info("sockname")
        return address
    finally:
        transport.close()
