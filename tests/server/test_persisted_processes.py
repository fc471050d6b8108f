"""Registered persisted queries live in the database, not in a process: a hash registered
through one ``hello serve`` is known after a restart (embedded, a SQLite file), and by a second
process at once (two processes on PostgreSQL and Redis, the services stack)."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.client import Api
from tests.messenger.test_multiprocess import _wait_healthy, hello_env, two_servers
from tests.test_production import HELLO, ROOT, free_port


def persisted(text: str) -> dict[str, object]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [HELLO, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


async def test_a_registered_hash_is_known_after_a_restart(tmp_path: Path) -> None:
    env = hello_env(str(tmp_path), "", "")
    del env["HELLO_DATABASE_URL"], env["HELLO_REDIS_URL"]  # embedded: SQLite in the data dir
    subprocess.run([HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    query = f"query Restart {{ __typename }} # {uuid.uuid4().hex}"
    async with serving(env) as url, httpx.AsyncClient(base_url=url) as http:
        missing = await http.post("/graphql", json={"extensions": persisted(query)})
        assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = await http.post(
            "/graphql", json={"query": query, "extensions": persisted(query)}
        )
        assert registered.json()["data"] == {"__typename": "Query"}

    async with serving(env) as url, httpx.AsyncClient(base_url=url) as http:
        known = await http.post("/graphql", json={"extensions": persisted(query)})
        assert known.status_code == 200, known.text
        assert known.json()["data"] == {"__typename": "Query"}


async def test_a_hash_registered_on_one_process_runs_on_the_other(tmp_path: Path) -> None:
    async with two_servers(str(tmp_path)) as (one, two), Api(one) as api_one, Api(two) as api_two:
        owner = await api_one.sign_up()
        query = f"query Me {{ viewer {{ id }} }} # {uuid.uuid4().hex}"
        on_two = await api_two.http.post(
            "/graphql", json={"extensions": persisted(query)}, headers=owner.headers
        )
        assert on_two.status_code == 404  # nobody registered it yet
        await api_one.http.post(
            "/graphql",
            json={"query": query, "extensions": persisted(query)},
            headers=owner.headers,
        )
        again = await api_two.http.post(
            "/graphql", json={"extensions": persisted(query)}, headers=owner.headers
        )
        assert again.status_code == 200, again.text
        assert again.json()["data"] == {"viewer": {"id": owner.user_id}}
