"""A real S3-protocol server for the tests: moto's standalone server, started as a subprocess on
a free loopback port (once per test process) and stopped when the process exits."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import httpx

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


@dataclass
class MotoServer:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_server: MotoServer | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def moto_server() -> MotoServer:
    """The test process's moto server, started on first use. Raises RuntimeError if it does
    not answer within 30 seconds."""
    global _server
    if _server is not None and _server.process.poll() is None:
        return _server
    port = _free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    server = MotoServer(f"http://127.0.0.1:{port}", process)
    atexit.register(server.stop)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server exited with status {process.returncode}")
        try:
            if httpx.get(server.endpoint_url + "/", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("moto's server did not answer within 30 seconds")
        time.sleep(0.1)
    _server = server
    return server


def create_bucket(endpoint_url: str, name: str | None = None) -> str:
    """A new empty bucket (synchronously, through boto3); returns its name."""
    import boto3

    bucket = name or f"hello-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=bucket)
    return bucket
