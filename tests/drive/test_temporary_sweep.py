"""Leftovers of writes that died: a part upload cut off by a killed process leaves its partial
bytes in the local store's ``.tmp`` directory. Stale ones (untouched for an hour) are swept at
start-up and then periodically; fresh ones, maybe a live write of another process, stay."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from urllib.parse import urlparse

from adapters.blobs import STALE_TEMPORARY_SECONDS, LocalBlobStore
from tests.client import Account, Api
from tests.drive import processes
from tests.drive import transfer as t
from tests.timing import eventually

PART = 64 * 1024


def hello_serve(blobs: Path) -> AbstractAsyncContextManager[tuple[str, subprocess.Popen[bytes]]]:
    """Another ``hello serve`` over the test database, keeping blobs in a directory of its own."""
    return processes.hello_serve(
        HELLO_STORAGE_URL=f"file://{blobs}", HELLO_UPLOAD_PART_BYTES=str(PART)
    )


async def start_part(who: Account, part_url: str) -> asyncio.StreamWriter:
    """Send the headers and half the body of a part, then nothing more: the write hangs."""
    url = urlparse(part_url)
    _, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        f"PUT {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {who.access_token}\r\nContent-Length: {PART}\r\n\r\n".encode()
        + os.urandom(PART // 2)
    )
    await writer.drain()
    return writer


async def test_writes_cut_off_by_a_kill_are_swept_when_stale(api: Api, tmp_path: Path) -> None:
    # Given two part uploads cut off by a killed process, their halves left in .tmp
    blobs = tmp_path / "blobs"
    tmp = blobs / ".tmp"
    ada = await api.sign_up()
    async with hello_serve(blobs) as (url, process):
        async with Api(url) as other:
            session = await t.create_ok(other, ada, os.urandom(2 * PART), name="cut.bin")
        writers = [await start_part(ada, part["url"]) for part in session["parts"]]
        await eventually(
            lambda: sum(p.stat().st_size for p in tmp.iterdir()) >= PART,
            timeout=30,
            interval=0.05,
            what="a partial write",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(20)
    for writer in writers:
        writer.close()
    left = sorted(tmp.iterdir())
    assert len(left) == 2
    # ... one of them untouched for longer than any live upload
    stale, fresh = left
    long_ago = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    # When a process starts on that store
    async with hello_serve(blobs):
        # Then it sweeps the stale leftover, and leaves the fresh one (it could be live)
        await eventually(
            lambda: not stale.exists(),
            timeout=30,
            interval=0.05,
            what="the sweep of the stale temporary file",
        )
        assert fresh.exists()


async def test_the_sweep_takes_only_what_is_stale() -> None:
    # Given a local store with a stale and a fresh temporary file, and a stored object
    store = LocalBlobStore(Path(tempfile.mkdtemp(prefix="hello-blobs-")))
    stale, fresh = store.root / ".tmp" / "stale", store.root / ".tmp" / "fresh"
    stale.write_bytes(b"cut off")
    fresh.write_bytes(b"still arriving")
    long_ago = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    async def one_chunk() -> AsyncIterator[bytes]:
        yield b"kept"

    await store.put("org/1/kept", one_chunk())
    os.utime(store.root / "org/1/kept", (long_ago, long_ago))

    # When the sweep runs (twice: the second finds nothing)
    assert await store.sweep_temporary() == 1
    assert await store.sweep_temporary() == 0

    # Then only the stale temporary file went
    assert not stale.exists() and fresh.read_bytes() == b"still arriving"
    assert await store.size("org/1/kept") == 4
