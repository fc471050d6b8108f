"""Production mode, against a real ``hello serve`` process: no GraphiQL, no introspection, no
"did you mean", internal errors masked to a request id that the JSON logs carry, and logs free
of passwords and tokens."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.client import PASSWORD, SIGN_UP, unique_email

ROOT = Path(__file__).resolve().parent.parent
HELLO = str(Path(sys.executable).parent / "hello")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, url: str, process: subprocess.Popen[str], db: Path):
        self.url, self.process, self.db = url, process, db

    def logs(self) -> list[dict]:
        """JSON log lines written so far (the process is stopped first)."""
        self.process.terminate()
        _, err = self.process.communicate(timeout=20)
        lines = []
        for line in err.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


@pytest.fixture
async def production(tmp_path: Path) -> AsyncIterator[Served]:
    db = tmp_path / "prod.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        "HELLO_ENV": "production",
        "HELLO_DATA_DIR": str(tmp_path),
        "HELLO_DATABASE_URL": f"sqlite://{db}",
        "HELLO_LOG_LEVEL": "INFO",
        "HELLO_PASSWORD_HASH_TIME_COST": "1",
        "HELLO_PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    subprocess.run(
        [HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60
    )
    port = free_port()
    process = subprocess.Popen(
        [HELLO, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(url + "/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError("hello serve did not start")
        yield Served(url, process, db)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=20)


async def post(
    url: str, query: str, variables: dict | None = None, **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            url + "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


async def test_production_hides_graphiql_introspection_and_suggestions(production: Served) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(production.url + "/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
    r = await post(production.url, "{ __schema { types { name } } }")
    assert r.json()["data"] is None
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await post(production.url, "{ __typename }")).json()["data"] == {"__typename": "Query"}
    r = await post(production.url, "{ viewr { id } }")
    message = r.json()["errors"][0]["message"]
    assert "viewr" in message and "Did you mean" not in message


async def test_internal_errors_are_masked_and_logged_with_the_request_id(
    production: Served,
) -> None:
    email = unique_email("prod")
    variables = {
        "input": {
            "email": email,
            "password": PASSWORD,
            "displayName": "Pat",
            "organizationName": "Prod",
        }
    }
    signed_up = await post(production.url, SIGN_UP, variables)
    assert signed_up.json()["data"]["signUp"]["errors"] == []
    token = signed_up.json()["data"]["signUp"]["accessToken"]

    # A real fault: the sessions table disappears under the running server.
    with sqlite3.connect(production.db) as db:
        db.execute("DROP TABLE auth_token")
        db.execute("DROP TABLE auth_session")
    sign_in = "mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken errors { code } } }"
    r = await post(production.url, sign_in, {"input": {"email": email, "password": PASSWORD}})
    error = r.json()["errors"][0]
    request_id = r.headers["x-request-id"]
    assert error["message"] == f"Internal server error (request {request_id})."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "auth_session" not in r.text

    logs = production.logs()
    internal = [e for e in logs if e.get("request_id") == request_id and e["level"] == "error"]
    assert internal and "auth_session" in internal[0]["exception"]
    request_lines = [e for e in logs if e.get("message") == "graphql"]
    sign_up_line = next(e for e in request_lines if e.get("operation") == "SignUp")
    assert sign_up_line["outcome"] == "ok" and sign_up_line["status"] == 200
    assert isinstance(sign_up_line["duration_ms"], float) and sign_up_line["cost"] >= 1
    sign_in_line = next(e for e in request_lines if e.get("request_id") == request_id)
    assert sign_in_line["operation"] == "SignIn"
    assert sign_in_line["outcome"] == "INTERNAL_SERVER_ERROR"
    everything = "\n".join(json.dumps(e) for e in logs)
    assert PASSWORD not in everything
    assert token not in everything and token[4:] not in everything
