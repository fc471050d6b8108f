"""GraphQL over HTTP: the media type follows the Accept header (q-values, wildcards, 406), and
``application/graphql-response+json`` gets the spec's status codes: a request error is a 4xx
without ``data``, a field error a 200 with it. ``application/json`` keeps the legacy 200 and
``"data": null``; Hello's typed refusals keep their codes and statuses in both. A document
whose operation cannot be chosen is a request error in both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters import runtime
from adapters.settings import get_settings
from models.identity import Organization, User
from tests.client import PASSWORD, Api, unique_email

GRJ = "application/graphql-response+json"
JSON = "application/json"


def sign_up_mutation(email: str, name: str = "SignUp") -> str:
    fields = f'email: "{email}", password: "{PASSWORD}", displayName: "M", organizationName: "M"'
    return f"mutation {name} {{ signUp(input: {{{fields}}}) {{ accessToken }} }}"


async def post(
    api: Api, body: Any, accept: str | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = api.http.build_request("POST", "/graphql", json=body, headers=headers or {})
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return await api.http.send(request)


def codes(r: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in r.json()["errors"]]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (GRJ, GRJ),
        (f"{GRJ}; charset=utf-8", GRJ),
        (f"{GRJ}, {JSON}", GRJ),
        (f"{JSON}, {GRJ}", JSON),
        (f"{GRJ},{JSON};q=0.9", GRJ),  # Apollo Client 4
        (f"{JSON};q=0.5, {GRJ}", GRJ),
        (f"{GRJ};q=0.5, {JSON}", JSON),
        (f"{GRJ};q=0, */*", JSON),
        (f"{JSON};q=0, */*", GRJ),
        ("text/html, */*;q=0.1", JSON),
    ],
)
async def test_accept_chooses_the_media_type(api: Api, accept: str | None, media: str) -> None:
    r = await post(api, {"query": "{ __typename }"}, accept)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == media
    assert "accept" in r.headers["vary"].lower()
    assert r.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0, {GRJ};q=0"])
async def test_nothing_acceptable_is_406_and_runs_nothing(api: Api, accept: str) -> None:
    email = unique_email("refused")
    r = await post(api, {"query": sign_up_mutation(email)}, accept)
    assert r.status_code == 406
    assert r.headers["content-type"] == JSON
    assert codes(r) == ["NOT_ACCEPTABLE"]
    assert not await User.filter(email=email).exists()

    got = await api.http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": accept}
    )
    assert got.status_code == 406


async def test_graphiql_still_answers_a_browser(api: Api) -> None:
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ viewer { "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ viewr { id } }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query($n: Int!) { node(id: $n) { id } }", "variables": {"n": 1}},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": {"x": 1}}},
            "BAD_USER_INPUT",
        ),
        (
            {"query": "query A { __typename } query B { __typename }"},
            "OPERATION_RESOLUTION_FAILURE",
        ),
        (
            {"query": "query A { __typename }", "operationName": "Z"},
            "OPERATION_RESOLUTION_FAILURE",
        ),
    ],
)
async def test_request_errors_by_media_type(api: Api, body: dict[str, Any], code: str) -> None:
    spec = await post(api, body, GRJ)
    assert spec.status_code == 400, spec.text
    assert spec.headers["content-type"] == GRJ
    assert codes(spec) == [code]
    assert "data" not in spec.json()

    legacy = await post(api, body, JSON)
    assert legacy.status_code == 200, legacy.text
    assert legacy.headers["content-type"] == JSON
    assert codes(legacy) == [code]
    assert legacy.json()["data"] is None


async def test_field_errors_keep_200_and_data(api: Api) -> None:
    r = await post(api, {"query": "{ auditLog(first: 1) { edges { cursor } } }"}, GRJ)
    # Execution began (auditLog is non-null, so its error nulls the whole data): a 2xx.
    assert r.status_code == 200
    assert "data" in r.json() and r.json()["data"] is None
    assert codes(r) == ["UNAUTHENTICATED"]


async def test_an_operation_must_be_chosen(api: Api) -> None:
    email = unique_email("several")
    document = sign_up_mutation(email, "Create") + " query Peek { __typename }"
    for accept in (GRJ, JSON):
        refused = await post(api, {"query": document}, accept)
        assert codes(refused) == ["OPERATION_RESOLUTION_FAILURE"]
        assert "operationName" in refused.json()["errors"][0]["message"]
        unknown = await post(api, {"query": document, "operationName": "Other"}, accept)
        assert codes(unknown) == ["OPERATION_RESOLUTION_FAILURE"]
    got = await api.http.get(
        "/graphql", params={"query": "query A { a: __typename } query B { b: __typename }"}
    )
    assert codes(got) == ["OPERATION_RESOLUTION_FAILURE"]
    assert not await User.filter(email=email).exists()

    chosen = await post(api, {"query": document, "operationName": "Peek"}, GRJ)
    assert chosen.status_code == 200 and chosen.json()["data"] == {"__typename": "Query"}
    assert not await User.filter(email=email).exists()
    created = await post(api, {"query": document, "operationName": "Create"}, GRJ)
    assert created.json()["data"]["signUp"]["accessToken"]
    assert await User.filter(email=email).exists()


@pytest.mark.parametrize("accept", [GRJ, JSON])
async def test_typed_refusals_keep_their_status_in_both(
    api: Api, accept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await api.sign_up()
    organizations = await Organization.all().count()
    data_entry = accept == JSON  # legacy JSON keeps "data": null on refusals

    def refused(r: httpx.Response, status: int, code: str) -> None:
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == accept
        assert codes(r) == [code]
        assert ("data" in r.json()) is data_entry
        if data_entry:
            assert r.json()["data"] is None

    bad_token = {"authorization": "Bearer hla_not_a_token"}
    signing_up = {"query": sign_up_mutation(unique_email())}
    r = await post(api, signing_up, accept, bad_token)
    refused(r, 401, "UNAUTHENTICATED")
    assert r.headers["www-authenticate"].startswith("Bearer")

    big = {"query": "{ __typename }", "variables": {"pad": "x" * (get_settings().max_body_bytes)}}
    refused(await post(api, big, accept), 413, "BODY_TOO_LARGE")

    csrf = await api.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "text/plain", "accept": accept},
    )
    refused(csrf, 400, "CSRF_REJECTED")

    over = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    limited = await post(api, {"query": over}, accept)
    refused(limited, 400 if accept == GRJ else 200, "ALIAS_LIMIT_EXCEEDED")

    mutation_by_get = await api.http.get(
        "/graphql",
        params={"query": "mutation { signOut { signedOut } }"},
        headers={"accept": accept},
    )
    refused(mutation_by_get, 405, "METHOD_NOT_ALLOWED")

    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_capacity", 3)
    monkeypatch.setattr(settings, "rate_limit_refill_per_second", 0.001)
    await runtime.current().store.reset(f"rate:user:{a.user_id}")
    for _ in range(5):
        drained = await post(api, {"query": "{ viewer { id } }"}, accept, a.headers)
    refused(drained, 429, "RATE_LIMITED")
    throttled = await post(api, signing_up, accept, a.headers)
    refused(throttled, 429, "RATE_LIMITED")
    assert int(throttled.headers["retry-after"]) >= 1

    assert await Organization.all().count() == organizations


async def test_an_operation_must_be_chosen_over_websocket_too(server: str, api: Api) -> None:
    from tests.client import WSClient

    owner = await api.sign_up()
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {owner.access_token}"}))["type"] == (
            "connection_ack"
        )
        events = "organizationEvents { __typename }"
        op_id = await ws.subscribe(f"subscription A {{ {events} }} subscription B {{ {events} }}")
        message = await ws.receive()
        assert message["type"] == "error" and message["id"] == op_id, message
        assert [e["extensions"]["code"] for e in message["payload"]] == [
            "OPERATION_RESOLUTION_FAILURE"
        ]
    finally:
        await ws.close()
