"""A bounded schemathesis run over the whole GraphQL schema: a few generated operations per
query field and mutation, signed in as the owner of a seeded organization, with the global IDs
of its real objects fed into ``ID`` arguments. Any HTTP 5xx or ``INTERNAL_SERVER_ERROR`` fails
the run; every failing operation is reported together, each with the document that broke it.

Derandomized (the same cases every run) and small (``EXAMPLES`` per operation), so it costs
about a minute on a 2-core machine. ``HELLO_FUZZ_EXAMPLES=200`` explores further by hand."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.relay import GlobalID

from tests.client import Api
from tests.security.world import World, build_world

EXAMPLES = int(os.environ.get("HELLO_FUZZ_EXAMPLES", "10"))

# Mutations that would end the run's own session or revoke wholesale, so every later case
# would test only UNAUTHENTICATED. Each with its reason; everything else is fuzzed.
EXCLUDED = {
    "signOut": "ends the session the run is signed in with",
    "passwordChange": "changes the owner's password and ends the owner's other sessions",
    "passwordReset": "resets passwords and ends sessions (the owner's own, while finding 3 stands)",
    "sessionRevoke": "ends sessions; a generated id may name the run's own",
    "ownershipTransfer": "makes the run's owner an admin, changing what every later case tests",
}
# Node types whose ids feed ``_entities`` representations (the federation entities).
ENTITY_TYPES = ("User", "Organization", "Department", "Group", "Chat", "Message", "File")


@pytest.fixture(scope="module")
async def world(server: str) -> AsyncIterator[World]:
    async with Api(server) as api:
        yield await build_world(api)


def problem(response: Any) -> str | None:
    """Why this response is a failure, or None: a 5xx, or an internal error in the body."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return None  # a 4xx in plain text (e.g. an over-limit body) is a refusal, not a fault
    errors = body.get("errors") if isinstance(body, dict) else None
    for e in errors or []:
        if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            return f"INTERNAL_SERVER_ERROR: {json.dumps(e)[:300]}"
    return None


def register_scalars(ids: list[str]) -> None:
    """Strategies for our scalars, and real IDs (mostly) for ``ID``."""
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis.graphql import nodes

    real = st.sampled_from(sorted(ids))
    # Made-up ids, and ids that decode to what no resolver expects (the type ``Node``, a
    # number past BIGINT, a negative one).
    tricky = [
        str(GlobalID(type_name, node_id))
        for type_name, node_id in (
            ("Node", "1"),
            ("Query", "1"),
            ("User", "9" * 30),
            ("Chat", "-1"),
        )
    ]
    made_up = st.one_of(st.sampled_from(tricky), st.text(max_size=24))
    schemathesis.graphql.scalar("ID", st.one_of(real, real, real, made_up).map(nodes.String))
    # Mostly small numbers, sometimes huge ones (a literal past 2^31 must be a 400, not a 500).
    ints = st.one_of(st.integers(-5, 200), st.integers())
    schemathesis.graphql.scalar("Int", ints.map(nodes.Int))
    schemathesis.graphql.scalar(
        "ByteCount", st.one_of(st.integers(-5, 10**6), st.integers()).map(nodes.Int)
    )
    schemathesis.graphql.scalar(
        "JSON",
        st.one_of(
            st.text(max_size=20).map(nodes.String),
            st.integers().map(nodes.Int),
            st.just(nodes.Object([])),
        ),
    )
    # Files go as GraphQL multipart requests; a JSON body can only say null.
    schemathesis.graphql.scalar("Upload", st.just(nodes.Null))
    from graphql import NameNode, ObjectFieldNode

    def entity(pair: tuple[str, str]) -> Any:
        type_name, id_ = pair
        return nodes.Object(
            [
                ObjectFieldNode(name=NameNode(value="__typename"), value=nodes.String(type_name)),
                ObjectFieldNode(name=NameNode(value="id"), value=nodes.String(id_)),
            ]
        )

    schemathesis.graphql.scalar(
        "_Any", st.tuples(st.sampled_from(ENTITY_TYPES), st.one_of(real, made_up)).map(entity)
    )


def fuzz(url: str, token: str, ids: list[str]) -> tuple[int, dict[str, str]]:
    """Run every operation; returns how many calls were made and the first failure of each
    operation that failed. Runs in a thread: the server answers from the test's event loop."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    register_scalars(ids)
    headers = {"authorization": f"Bearer {token}"}
    schema = schemathesis.graphql.from_url(f"{url}/graphql", headers=headers)
    operations = [op.ok() for op in schema.get_all_operations()]
    # Federation fields are hidden by default; they are part of the attack surface.
    operations += [schema["Query"][name] for name in ("_service", "_entities")]
    failures: dict[str, str] = {}
    calls = [0]

    def runner(op: Any, name: str) -> Any:
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            calls[0] += 1
            response = case.call(headers=headers, timeout=30)
            found = problem(response)
            # Collect rather than raise: one failure must not hide the others.
            if found and name not in failures:
                failures[name] = f"{found}\n    {str(case.body)[:1500]}"

        return run

    for op in operations:
        name = op.definition.field_name
        if name not in EXCLUDED:
            runner(op, name)()
    return calls[0], failures


async def test_no_operation_makes_the_server_fail(server: str, world: World) -> None:
    # Given the owner of an organization with real objects, their ids fed to ID arguments
    ids = sorted(set(world.slots.values()))
    # When every query and mutation is called with generated arguments
    calls, failures = await asyncio.to_thread(
        fuzz, server, world.accounts["owner"].access_token, ids
    )
    # Then none answers with a 5xx or an internal error
    assert calls > 0
    report = "\n".join(f"- {name}: {detail}" for name, detail in sorted(failures.items()))
    assert not failures, f"{len(failures)} operations failed:\n{report}"


def test_exclusions_name_real_mutations() -> None:
    from tests.security.calls import schema

    mutations = schema().get_type("Mutation").fields  # type: ignore[union-attr]
    assert set(EXCLUDED) <= set(mutations), set(EXCLUDED) - set(mutations)
