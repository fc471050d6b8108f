"""What a client sees of a fault of ours, and of a refused token.

Internal errors read the same in development as in production: a short message and the request
id; the driver's text (SQL, table names) goes to the log under that id. The faults are real:
a table the query needs is renamed away for a moment, so the database itself refuses (SQLite's
"no such table", PostgreSQL's "relation ... does not exist").

A request refused at the edge (401) costs nothing and reports no ``extensions.cost``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from tortoise import connections

from models.admin import AuditEntry
from models.identity import AuthToken
from tests.client import Api

GRJ = "application/graphql-response+json"


@asynccontextmanager
async def table_gone(table: str) -> AsyncIterator[None]:
    """``table`` renamed away (the same statement on SQLite and PostgreSQL), then back."""
    db = connections.get("default")
    await db.execute_script(f'ALTER TABLE "{table}" RENAME TO "{table}_away"')
    try:
        yield
    finally:
        await db.execute_script(f'ALTER TABLE "{table}_away" RENAME TO "{table}"')


def assert_masked(r: httpx.Response, table: str, caplog: pytest.LogCaptureFixture) -> None:
    request_id = r.headers["x-request-id"]
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == request_id
    assert error["message"] == f"Internal server error (request {request_id})."
    assert table not in r.text and "SELECT" not in r.text.upper()
    logged = [rec for rec in caplog.records if getattr(rec, "request_id", None) == request_id]
    assert logged, "the fault is logged under the request id"
    assert any(rec.exc_info and table in f"{rec.exc_info[1]!r}" for rec in logged), (
        "the log keeps the driver's detail"
    )


async def test_internal_errors_in_a_field_show_only_the_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await api.sign_up()
    table = AuditEntry._meta.db_table
    query = {"query": "{ auditLog(first: 5) { edges { cursor } } }"}
    with caplog.at_level(logging.ERROR):
        async with table_gone(table):
            legacy = await api.http.post("/graphql", json=query, headers=owner.headers)
            spec = await api.http.post(
                "/graphql", json=query, headers={**owner.headers, "accept": GRJ}
            )
    for r in (legacy, spec):
        assert r.status_code == 200, r.text  # execution began: a field error
        assert_masked(r, table, caplog)
    # And back to normal once the table is.
    assert (await api.post(query["query"], token=owner.access_token)).json().get("data")


async def test_internal_errors_at_the_edge_show_only_the_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await api.sign_up()
    table = AuthToken._meta.db_table
    with caplog.at_level(logging.ERROR):
        async with table_gone(table):
            legacy = await api.post("{ viewer { id } }", token=owner.access_token)
            spec = await api.post(
                "{ viewer { id } }", token=owner.access_token, headers={"accept": GRJ}
            )
    assert legacy.status_code == spec.status_code == 500
    assert legacy.json()["data"] is None and "data" not in spec.json()
    for r in (legacy, spec):
        assert_masked(r, table, caplog)
    assert (await api.post("{ viewer { id } }", token=owner.access_token)).status_code == 200


@pytest.mark.parametrize("accept", ["application/json", GRJ])
async def test_a_refused_token_reports_no_cost(api: Api, accept: str) -> None:
    r = await api.post("{ viewer { id } }", token="hla_not_a_token", headers={"accept": accept})
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Nothing was costed or charged: the document was never read.
    assert "extensions" not in r.json()
    assert "cost" not in r.json()["errors"][0]["extensions"]
    # Anything that reached the limits does report it, refused or not.
    anonymous = await api.post("{ __typename }", headers={"accept": accept})
    assert anonymous.json()["extensions"]["cost"]["requestedQueryCost"] == 1
