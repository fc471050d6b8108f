"""Generated queries over the whole ``Query`` root (hypothesis-graphql), each run by the
compiled executor and by graphql-core on the real server (the suite's differential mode,
``server/differential.py``), signed in as the owner of the seeded organization of
``tests/security/world.py`` with its real global IDs fed into ``ID`` arguments. A query the
two executors answer differently is a 500 and a logged mismatch; every such query is
reported together. Derandomized and bounded (``EXAMPLES``); ``HELLO_COMPILED_EXAMPLES=500``
explores further by hand."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server import differential
from tests.client import Api
from tests.security.calls import schema
from tests.security.world import World, build_world

EXAMPLES = int(os.environ.get("HELLO_COMPILED_EXAMPLES", "150"))


@pytest.fixture(scope="module")
async def world(server: str) -> AsyncIterator[World]:
    async with Api(server) as api:
        yield await build_world(api)


def generate(url: str, token: str, ids: list[str]) -> tuple[int, list[str], dict[str, int]]:
    """Send generated queries; returns how many were sent, the failures (a 5xx with the
    document) and the count of answers by whether they carried data. Runs in a thread: the
    server answers from the test's event loop."""
    from graphql import IntValueNode, NullValueNode, ObjectValueNode, StringValueNode
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis_graphql import queries

    real = st.sampled_from(sorted(ids))
    ident = st.one_of(real, real, real, st.text(max_size=12)).map(
        lambda v: StringValueNode(value=v)
    )
    scalars = {
        "ID": ident,
        "ByteCount": st.integers(0, 10**6).map(lambda v: IntValueNode(value=str(v))),
        "DateTime": st.sampled_from(["2026-01-01T00:00:00+00:00", "2030-06-30T12:00:00+00:00"]).map(
            lambda v: StringValueNode(value=v)
        ),
        "JSON": st.just(ObjectValueNode(fields=())),
        "Upload": st.just(NullValueNode()),
        "_Any": st.just(NullValueNode()),
    }
    failures: list[str] = []
    sent = [0]
    answers = {"with data": 0, "refused": 0}
    headers = {"authorization": f"Bearer {token}"}

    with httpx.Client(base_url=url, timeout=30, proxy=None) as client:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(query=queries(schema(), custom_scalars=scalars, allow_x00=False))
        def run(query: str) -> None:
            sent[0] += 1
            response = client.post("/graphql", json={"query": query}, headers=headers)
            if response.status_code >= 500:
                failures.append(f"HTTP {response.status_code}\n    {query[:1500]}")
                return
            body: Any = response.json()
            answers["with data" if body.get("data") else "refused"] += 1

        run()
    return sent[0], failures, answers


async def test_generated_queries_get_the_same_answer_from_both_executors(
    server: str, world: World
) -> None:
    # Given the owner of an organization with real objects, their ids fed to ID arguments
    ids = sorted(set(world.slots.values()))
    differential.mismatches.clear()
    compared = differential.counts["compared"]
    # When generated queries over the Query root are sent
    sent, failures, answers = await asyncio.to_thread(
        generate, server, world.accounts["owner"].access_token, ids
    )
    found = list(differential.mismatches)
    differential.mismatches.clear()
    # Then both executors answered every one alike (a mismatch is a 500 and logged)
    assert sent > 0
    assert not found, f"{len(found)} mismatches, the first: {found[0]}"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:5])
    # and the run compared executions, not only refusals before execution
    assert differential.counts["compared"] > compared
    assert answers["with data"] > 0, answers
