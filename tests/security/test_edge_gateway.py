"""Federation fields in production (security review, issue 10 item 6): ``_service`` (the whole
SDL) and ``_entities`` answer only to the gateway, which sends the shared secret of
``HELLO_GATEWAY_SECRET``; anonymous callers get a typed refusal. In development both stay open
for local tooling."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.client import Api
from tests.test_production import HELLO, ROOT, Served, free_port, post

SECRET = "gateway-secret-for-tests-0123456789"
SDL_MARKER = "type Query"


@pytest.fixture
async def production(tmp_path: Path) -> AsyncIterator[Served]:
    db = tmp_path / "prod.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELLO_")},
        "HELLO_ENV": "production",
        "HELLO_DATA_DIR": str(tmp_path),
        "HELLO_DATABASE_URL": f"sqlite://{db}",
        "HELLO_GATEWAY_SECRET": SECRET,
        "HELLO_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [HELLO, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60
    )
    port = free_port()
    process = subprocess.Popen(
        [HELLO, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
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


def refused(r: httpx.Response) -> bool:
    body = r.json()
    return (
        body["data"] is None
        and body["errors"][0]["extensions"]["code"] == "GATEWAY_ONLY"
        and SDL_MARKER not in r.text
    )


async def test_production_keeps_the_sdl_and_entities_for_the_gateway(production: Served) -> None:
    entities = (
        '{ _entities(representations: [{__typename: "User", id: "VXNlcjox"}]) { __typename } }'
    )
    sneaky = "query { ...Q } fragment Q on Query { s: _service { sdl } }"
    for query in ("{ _service { sdl } }", entities, sneaky):
        # Anonymous, or with a wrong secret (even one that is a prefix of the right one)
        assert refused(await post(production.url, query)), query
        for wrong in ("nope", SECRET[:-1], SECRET + "x"):
            r = await post(production.url, query, **{"x-hello-gateway-secret": wrong})
            assert refused(r), (query, wrong)

    # The gateway, with the secret, gets the SDL and resolves entities
    gateway = {"x-hello-gateway-secret": SECRET}
    r = await post(production.url, "{ _service { sdl } }", **gateway)
    assert SDL_MARKER in r.json()["data"]["_service"]["sdl"]
    r = await post(production.url, entities, **gateway)
    assert "errors" not in r.json(), r.json()
    assert r.json()["data"] == {"_entities": [None]}
    # Everything else is unaffected
    assert (await post(production.url, "{ __typename }")).json()["data"] == {"__typename": "Query"}


async def test_development_leaves_federation_fields_open(api: Api) -> None:
    r = await api.post("{ _service { sdl } }")
    assert SDL_MARKER in r.json()["data"]["_service"]["sdl"]
