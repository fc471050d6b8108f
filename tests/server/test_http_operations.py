"""Queries and mutations over plain HTTP go through Hello's own endpoint
(``server/http_operations.py``), not strawberry's view; the view keeps multipart uploads,
GraphiQL, and the unusual requests the endpoint leaves to it (batches, a ``query`` that is not
a string). The endpoint answers as the view does: each request below, sent once through each,
gets the same status, headers and body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.view import HelloGraphQL
from tests.client import Api
from tests.drive.helpers import upload_raw

GRJ = "application/graphql-response+json"
CSRF = {"x-hello-csrf": "1"}
TYPENAME = "{ __typename }"


def view_of(app: Any) -> HelloGraphQL:
    return next(
        r.endpoint
        for r in app.routes
        if getattr(r, "path", None) == "/graphql" and isinstance(r.endpoint, HelloGraphQL)
    )


@pytest.fixture
def view_runs(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods of the HTTP requests strawberry's view ran."""
    view = view_of(app)
    runs: list[str] = []
    run = view.run

    async def counted(request: Any, context: Any = None, root_value: Any = None) -> Any:
        runs.append(request.method)
        return await run(request, context=context, root_value=root_value)

    monkeypatch.setattr(view, "run", counted)
    return runs


async def test_queries_and_mutations_skip_strawberrys_view(api: Api, view_runs: list[str]) -> None:
    r = await api.http.post("/graphql", json={"query": TYPENAME})
    assert r.json()["data"] == {"__typename": "Query"}
    r = await api.http.get("/graphql", params={"query": TYPENAME})
    assert r.json()["data"] == {"__typename": "Query"}
    r = await api.http.post(
        "/graphql",
        content=json.dumps({"query": TYPENAME}),
        headers={"content-type": "text/plain", **CSRF},
    )
    assert r.json()["data"] == {"__typename": "Query"}
    account = await api.sign_up()  # a mutation
    assert account.access_token
    assert view_runs == []


async def test_uploads_graphiql_and_batches_go_to_the_view(api: Api, view_runs: list[str]) -> None:
    account = await api.sign_up()
    r = await upload_raw(api, account, b"hello")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["fileUpload"]["errors"] == []
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    r = await api.http.post("/graphql", json=[{"query": TYPENAME}])
    assert r.status_code == 400
    assert view_runs == ["POST", "GET", "POST"]


SUBSCRIPTION = "subscription { viewerSessionRevoked }"

# (method, body or query parameters, content type, extra headers)
REQUESTS: list[tuple[str, Any, str | None, dict[str, str]]] = [
    ("POST", {"query": TYPENAME}, "application/json", {}),
    ("POST", {"query": TYPENAME}, "application/json; charset=utf-8", {}),
    ("POST", {"query": TYPENAME, "operationName": None, "variables": None}, "application/json", {}),
    ("GET", {"query": TYPENAME}, None, {}),
    ("GET", {"query": "query Q { __typename }", "operationName": "Q"}, None, {}),
    ("GET", {"query": ""}, None, {}),
    ("GET", {"query": TYPENAME, "variables": "{"}, None, {}),
    ("GET", {"query": TYPENAME, "variables": "[1]"}, None, {}),
    ("GET", {"query": TYPENAME, "extensions": "3"}, None, {}),
    ("GET", {"query": "mutation { signOut { errors { code } } }"}, None, {}),
    ("GET", {"query": SUBSCRIPTION}, None, {}),
    ("POST", {"query": SUBSCRIPTION}, "application/json", {}),
    ("POST", {"query": "{ __typename"}, "application/json", {}),
    ("POST", {"query": "{ nope }"}, "application/json", {}),
    ("POST", {"query": "{ viewr { id } }"}, "application/json", {}),
    ("POST", {"query": "{ viewer { id } }"}, "application/json", {}),
    ("POST", {"query": "query A { __typename } query B { __typename }"}, "application/json", {}),
    (
        "POST",
        {"query": "query A { __typename } query B { __typename }", "operationName": "C"},
        "application/json",
        {},
    ),
    ("POST", {"query": "fragment F on Query { __typename }"}, "application/json", {}),
    ("POST", {"query": "query { __typename }", "operationName": 3}, "application/json", {}),
    ("POST", {"query": 3}, "application/json", {}),
    ("POST", {"query": None}, "application/json", {}),
    ("POST", {}, "application/json", {}),
    ("POST", {"query": TYPENAME, "variables": [1]}, "application/json", {}),
    ("POST", {"query": TYPENAME, "extensions": "x"}, "application/json", {}),
    (
        "POST",
        {"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}},
        "application/json",
        {},
    ),
    ("POST", {"query": "query($n: Int!) { __typename }"}, "application/json", {}),
    (
        "POST",
        {"query": "{ viewer { id } }", "variables": {"first": 99999999999}},
        "application/json",
        {},
    ),
    ("POST", {"query": "{ " + "__typename " * 3000 + "}"}, "application/json", {}),
    (
        "POST",
        {"query": "{ node(id: 1) { id } }"},
        "application/json",
        {},
    ),
    (
        "POST",
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}},
        "application/json",
        {},
    ),
    (
        "POST",
        {"query": TYPENAME, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}},
        "application/json",
        {},
    ),
    ("POST", {"query": TYPENAME, "extensions": {"persistedQuery": 1}}, "application/json", {}),
    ("POST", [{"query": TYPENAME}], "application/json", {}),
    ("POST", "not an object", "application/json", {}),
    ("POST", None, "application/json", {}),
    ("POST", b"{", "application/json", {}),
    ("POST", b"[" * 100 + b"]" * 100, "application/json", {}),
    ("POST", {"query": TYPENAME}, "Application/JSON", {}),
    ("POST", {"query": TYPENAME}, GRJ, {}),
    ("POST", {"query": TYPENAME}, "text/plain", CSRF),
    ("POST", {"query": TYPENAME}, "text/plain", {}),
    ("POST", [{"query": TYPENAME}], "text/plain", CSRF),
    ("POST", {"query": 3}, "text/plain", CSRF),
    ("POST", {"query": TYPENAME}, None, CSRF),
    ("POST", {"query": TYPENAME}, "application/json", {"authorization": "Bearer nope"}),
]


def _body(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text
    cost = (body.get("extensions") or {}).get("cost") if isinstance(body, dict) else None
    if cost is not None:
        cost["throttleStatus"].pop("currentlyAvailable")  # the bucket refills in between
    return body


def _answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k not in ("date", "content-length")
    ]
    return response.status_code, headers, _body(response)


@pytest.fixture
def through(app: Any) -> Iterator[HelloGraphQL]:
    view = view_of(app)
    yield view
    view.lean = True


@pytest.mark.parametrize("accept", [None, GRJ])
@pytest.mark.parametrize(("method", "payload", "content_type", "headers"), REQUESTS)
async def test_the_endpoint_answers_as_the_view_does(
    api: Api,
    through: HelloGraphQL,
    accept: str | None,
    method: str,
    payload: Any,
    content_type: str | None,
    headers: dict[str, str],
) -> None:
    answers = []
    for lean in (False, True):
        through.lean = lean
        h = {"x-request-id": "same-id", **headers}
        if accept is not None:
            h["accept"] = accept
        if method == "GET":
            request = api.http.build_request("GET", "/graphql", params=payload, headers=h)
        else:
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            request = api.http.build_request("POST", "/graphql", content=raw, headers=h)
            if content_type is not None:
                request.headers["content-type"] = content_type
        answers.append(_answer(await api.http.send(request)))
    assert answers[1] == answers[0]
