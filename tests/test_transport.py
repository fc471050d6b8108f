"""HTTP transport rules: GET for queries only, CSRF, body limit, GraphiQL, CORS, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

from adapters.settings import get_settings
from tests.client import Api

MUTATION = 'mutation { signIn(input: {email: "x@example.test", password: "whatever12"}) { errors { code } } }'


async def test_get_serves_queries(api: Api) -> None:
    r = await api.http.get("/graphql", params={"query": "{ __typename }"})
    assert r.status_code == 200
    assert r.json()["data"] == {"__typename": "Query"}


async def test_mutation_over_get_is_405(api: Api) -> None:
    r = await api.http.get("/graphql", params={"query": MUTATION})
    assert r.status_code == 405
    assert r.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_preflight_free_content_types_need_the_csrf_header(api: Api) -> None:
    body = '{"query": "{ __typename }"}'
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ):
        r = await api.http.post("/graphql", content=body, headers={"content-type": content_type})
        assert r.status_code == 400, content_type
        assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
    r = await api.http.post(
        "/graphql", content=body, headers={"content-type": "text/plain", "x-hello-csrf": "1"}
    )
    assert r.status_code == 200
    assert r.json()["data"] == {"__typename": "Query"}


async def test_csrf_rejection_changes_nothing(api: Api) -> None:
    from models.identity import User
    from tests.client import PASSWORD, unique_email

    email = unique_email("csrf")
    query = (
        f'mutation {{ signUp(input: {{email: "{email}", password: "{PASSWORD}", displayName: "X", '
        f'organizationName: "Y"}}) {{ errors {{ code }} }} }}'
    )
    r = await api.http.post(
        "/graphql",
        data={"query": query},
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    assert not await User.filter(email=email).exists()


async def test_a_chunked_body_is_read_whole_and_refused_past_the_limit(api: Api) -> None:
    """Without Content-Length the limit is enforced while the body arrives, and a body in
    several chunks is read whole."""
    body = b'{"query": "{ __typename }", "variables": {"pad": "' + b"x" * 200_000 + b'"}}'

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    headers = {"content-type": "application/json"}
    r = await api.http.post("/graphql", content=chunks(body), headers=headers)
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}
    pad = b"x" * (get_settings().max_body_bytes + 1)
    big = b'{"query": "{ __typename }", "variables": {"pad": "' + pad + b'"}}'
    r = await api.http.post("/graphql", content=chunks(big), headers=headers)
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    big = '{"query": "{ __typename }", "variables": {"pad": "' + "x" * (1024 * 1024) + '"}}'
    r = await api.http.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"

    # Without Content-Length (chunked), the limit holds while streaming.
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 65536
        yield b'{"query": "{ __typename }"}'

    r = await api.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


async def test_graphiql_in_development(api: Api) -> None:
    r = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


async def test_unparseable_json_is_400(api: Api) -> None:
    r = await api.http.post(
        "/graphql", content="{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_request_id_is_echoed_or_made(api: Api) -> None:
    r = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "abc123"}
    )
    assert r.headers["x-request-id"] == "abc123"
    r = await api.http.post("/graphql", json={"query": "{ __typename }"})
    assert len(r.headers["x-request-id"]) == 32


async def test_cors_allows_only_configured_origins(api: Api) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    ok = await api.http.options(
        "/graphql", headers={"origin": "https://app.example.test", **preflight}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.test"
    bad = await api.http.options(
        "/graphql", headers={"origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in bad.headers


async def test_health_and_readiness(api: Api) -> None:
    r = await api.http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await api.http.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": True, "store": True, "bus": True}}
