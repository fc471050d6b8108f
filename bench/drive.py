"""Figure 7, Drive: upload and download throughput through Hello on both blob stores, against a
plain file copy of the same bytes on the same disk, measured in the same run.

Each store gets a server of its own (on the server core) over a fresh embedded stack: the local
store under the stack's data directory, and S3 on moto's standalone server on loopback (the
same S3-protocol server the tests use). What is timed:

- ``fileUpload``: one multipart request of ``SMALL`` bytes (the single-request path, at most
  20 MB);
- an upload session of ``LARGE`` bytes: create, every part sent four at a time to its URL (on
  Hello's part route locally, straight to the presigned S3 URL on S3), complete (which reads the
  object back to verify its SHA-256);
- a download of the same ``LARGE`` bytes from the file's ``downloadUrl`` (a signed Hello URL
  locally, a presigned GET on S3).

The baseline copies a ``LARGE`` file with ``shutil.copyfile`` (read and write on the same disk).
On S3 the figures are bounded by moto, a Python server, more than by Hello: they say how much
work passes through Hello's path, not what a real S3 would reach.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

import orjson

from bench.client import BenchError, Client
from bench.report import Figure
from bench.runner import Bench
from bench.seed import SIGN_UP
from bench.servers import Process, create_stack, drop_stack, start_hello
from bench.stats import paired_ratio, summarize

MIB = 1024 * 1024
SMALL = 16 * MIB
LARGE = 64 * MIB
QUICK_LARGE = 24 * MIB
PARALLEL_PARTS = 4
COPY = "plain file copy (shutil.copyfile, same disk)"

UPLOAD = """mutation($i: FileUploadInput!) { fileUpload(input: $i) {
  file { id size } errors { code message } } }"""
CREATE = """mutation($i: UploadSessionCreateInput!) { uploadSessionCreate(input: $i) {
  session { id partSize parts { number url size } } errors { code message } } }"""
COMPLETE = """mutation($i: UploadSessionCompleteInput!) { uploadSessionComplete(input: $i) {
  file { id size sha256 downloadUrl } errors { code message } } }"""


def mb_per_s(size: int, seconds: float) -> float:
    """Throughput in MB/s (10^6 bytes), the unit disks and networks are quoted in."""
    if seconds <= 0:
        raise ValueError("a transfer takes some time")
    return size / 1e6 / seconds


def part_slices(size: int, part_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each part of an upload of ``size`` bytes, in order."""
    if size <= 0 or part_size <= 0:
        raise ValueError("sizes are positive")
    return [(start, min(start + part_size, size)) for start in range(0, size, part_size)]


async def _s3_env(bench: Bench) -> dict[str, str]:
    """Start moto's S3 server (as the tests do) and make a bucket; the environment that points a
    Hello server at it."""
    from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, moto_server

    server = await asyncio.to_thread(moto_server)
    bucket = await asyncio.to_thread(create_bucket, server.endpoint_url)
    bench.log(f"  moto S3 server at {server.endpoint_url}, bucket {bucket}")
    return {
        "HELLO_STORAGE_URL": f"s3://{bucket}/bench",
        "HELLO_S3_ENDPOINT_URL": server.endpoint_url,
        "HELLO_S3_REGION": REGION,
        "HELLO_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "HELLO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


async def _token(client: Client, tag: str) -> str:
    data = await client.gql(
        SIGN_UP,
        {
            "i": {
                "email": f"drive-{tag}@bench.test",
                "password": "bench password 1",
                "displayName": "Drive Bench",
                "organizationName": f"Drive Bench {tag}",
            }
        },
    )
    payload = data["signUp"]
    if payload["errors"]:
        raise BenchError(f"signUp failed: {payload['errors']}")
    return str(payload["accessToken"])


async def _file_upload(client: Client, token: str, data: bytes, name: str) -> float:
    operations = {"query": UPLOAD, "variables": {"i": {"file": None, "name": name}}}
    started = time.perf_counter()
    r = await client.http.post(
        "/graphql",
        data={
            "operations": orjson.dumps(operations).decode(),
            "map": orjson.dumps({"0": ["variables.i.file"]}).decode(),
        },
        files={"0": (name, data, "application/octet-stream")},
        headers={"authorization": f"Bearer {token}", "x-hello-csrf": "1"},
    )
    seconds = time.perf_counter() - started
    body = r.json()
    if r.status_code != 200 or body.get("errors") or body["data"]["fileUpload"]["errors"]:
        raise BenchError(f"fileUpload failed: {r.status_code} {r.text[:300]}")
    return seconds


async def _session_upload(
    client: Client, token: str, data: bytes, name: str
) -> tuple[float, dict[str, Any]]:
    """Upload ``data`` in a session; returns (seconds, the completed file)."""
    auth = {"authorization": f"Bearer {token}"}
    started = time.perf_counter()
    created = (
        await client.gql(
            CREATE,
            {
                "i": {
                    "name": name,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "contentType": "application/octet-stream",
                }
            },
            token=token,
        )
    )["uploadSessionCreate"]
    if created["errors"]:
        raise BenchError(f"uploadSessionCreate failed: {created['errors']}")
    session = created["session"]
    slices = part_slices(len(data), session["partSize"])
    limit = asyncio.Semaphore(PARALLEL_PARTS)

    async def put(part: dict[str, Any]) -> None:
        start, stop = slices[part["number"] - 1]
        url = part["url"]
        # Parts on Hello need the token; presigned S3 URLs carry their own signature.
        headers = auth if url.startswith(client.url) else {}
        async with limit:
            r = await client.http.put(url, content=data[start:stop], headers=headers)
        if r.status_code != 200:
            raise BenchError(f"part {part['number']}: HTTP {r.status_code} {r.text[:200]}")

    await asyncio.gather(*(put(p) for p in session["parts"]))
    done = (await client.gql(COMPLETE, {"i": {"uploadSessionId": session["id"]}}, token=token))[
        "uploadSessionComplete"
    ]
    seconds = time.perf_counter() - started
    if done["errors"]:
        raise BenchError(f"uploadSessionComplete failed: {done['errors']}")
    return seconds, done["file"]


async def _download(client: Client, url: str, expected: str) -> float:
    digest = hashlib.sha256()
    started = time.perf_counter()
    async with client.http.stream("GET", url) as r:
        if r.status_code != 200:
            raise BenchError(f"download: HTTP {r.status_code}")
        async for chunk in r.aiter_raw(1024 * 1024):
            digest.update(chunk)
    seconds = time.perf_counter() - started
    if digest.hexdigest() != expected:
        raise BenchError("download: the bytes differ from what was uploaded")
    return seconds


def _copy(source: Path, target: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(source, target)
    with target.open("rb") as f:
        os.fsync(f.fileno())
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


async def drive(bench: Bench) -> list[Figure]:
    large = QUICK_LARGE if bench.options.quick else LARGE
    runs = bench.settings.runs
    figures: list[Figure] = []
    for store in ("local", "s3"):
        stack = await create_stack(services=False, fixture=bench.fixture)
        server: Process | None = None
        try:
            if store == "s3":
                stack.env.update(await _s3_env(bench))
            server = await start_hello(stack, f"hello-drive-{store}")
            bench.track(server)
            scenario = f"7 drive, {'local directory' if store == 'local' else 'S3 (moto)'}"
            source = stack.data_dir / "copy-source.bin"
            async with Client(server.url, connections=8) as client:
                token = await _token(client, store)
                small_s, up_s, down_s, copy_s = [], [], [], []
                for i in range(runs):
                    # Fresh random bytes each run: identical content would be deduplicated.
                    small = os.urandom(SMALL)
                    small_s.append(await _file_upload(client, token, small, f"small-{i}.bin"))
                    data = os.urandom(large)
                    seconds, file = await _session_upload(client, token, data, f"large-{i}.bin")
                    up_s.append(seconds)
                    down_s.append(await _download(client, file["downloadUrl"], file["sha256"]))
                    source.write_bytes(data)
                    copy_s.append(
                        await asyncio.to_thread(_copy, source, stack.data_dir / "copy.bin")
                    )
                    bench.log(
                        f"  {store} run {i + 1}: upload {mb_per_s(large, up_s[-1]):.0f} MB/s, "
                        f"download {mb_per_s(large, down_s[-1]):.0f} MB/s, "
                        f"copy {mb_per_s(large, copy_s[-1]):.0f} MB/s"
                    )
            copy_rate = [mb_per_s(large, s) for s in copy_s]
            for label, size, timings in (
                (f"fileUpload {SMALL // MIB} MiB, MB/s", SMALL, small_s),
                (f"upload session {large // MIB} MiB, MB/s", large, up_s),
                (f"download {large // MIB} MiB, MB/s", large, down_s),
            ):
                rate = [mb_per_s(size, s) for s in timings]
                figures.append(
                    Figure(
                        scenario,
                        label,
                        summarize(rate),
                        COPY,
                        summarize(copy_rate),
                        paired_ratio(rate, copy_rate),
                    )
                )
        finally:
            if server is not None:
                bench.stop(server)
            await drop_stack(stack)
    return figures
