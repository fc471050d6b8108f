"""Sign-up, sign-in, throttling, token rotation and sign-out, end to end over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from models.identity import AuthToken, Organization, TokenKind, User
from resolvers.identity.tokens import token_hash
from tests.client import PASSWORD, SIGN_UP, Api, unique_email

SIGN_IN = """mutation($input: SignInInput!) { signIn(input: $input) {
  accessToken refreshToken viewer { id email } organization { id name } errors { code field message } } }"""
REFRESH = """mutation($t: String!) { tokenRefresh(input: {refreshToken: $t}) {
  accessToken refreshToken viewer { id } errors { code field message } } }"""
SIGN_OUT = "mutation { signOut { signedOut errors { code message } } }"
VIEWER = "{ viewer { id email displayName organization { id name } } }"


def sign_up_input(**overrides: str) -> dict[str, dict[str, str]]:
    values = {
        "email": unique_email(),
        "password": PASSWORD,
        "displayName": "Grace Hopper",
        "organizationName": "Navy",
    }
    values.update(overrides)
    return {"input": values}


async def test_sign_up_creates_organization_and_owner(api: Api) -> None:
    email = unique_email("owner")
    data = await api.gql(SIGN_UP, sign_up_input(email=email.upper(), organizationName="Acme Ltd"))
    payload = data["signUp"]
    assert payload["errors"] == []
    assert payload["viewer"]["email"] == email  # stored lower-cased
    assert payload["organization"]["name"] == "Acme Ltd"
    assert payload["accessToken"].startswith("hla_")
    assert payload["refreshToken"].startswith("hlr_")

    viewer = (await api.gql(VIEWER, token=payload["accessToken"]))["viewer"]
    assert viewer["id"] == payload["viewer"]["id"]
    assert viewer["organization"] == payload["organization"]
    owner = await User.get(email=email)
    assert owner.role == "OWNER"
    assert owner.password_hash.startswith("$argon2id$")
    assert PASSWORD not in owner.password_hash


async def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    account = await api.sign_up()
    stored = await AuthToken.filter(token_hash=token_hash(account.access_token)).first()
    assert stored is not None and stored.kind == TokenKind.ACCESS
    assert not await AuthToken.filter(token_hash=account.access_token).exists()


async def test_sign_up_rejects_a_taken_email_and_creates_nothing(api: Api) -> None:
    account = await api.sign_up()
    orgs_before = await Organization.all().count()
    data = await api.gql(SIGN_UP, sign_up_input(email=account.email.upper()))
    assert data["signUp"]["errors"] == [
        {
            "code": "EMAIL_TAKEN",
            "field": "email",
            "message": "An account with this email exists already.",
        }
    ]
    assert data["signUp"]["accessToken"] is None
    assert await Organization.all().count() == orgs_before


async def test_sign_up_reports_every_invalid_field_and_creates_nothing(api: Api) -> None:
    users_before = await User.all().count()
    data = await api.gql(
        SIGN_UP,
        sign_up_input(email="not-an-email", password="short", displayName=" ", organizationName=""),
    )
    errors = {(e["code"], e["field"]) for e in data["signUp"]["errors"]}
    assert errors == {
        ("INVALID_EMAIL", "email"),
        ("WEAK_PASSWORD", "password"),
        ("INVALID_NAME", "displayName"),
        ("INVALID_NAME", "organizationName"),
    }
    assert await User.all().count() == users_before


async def test_password_equal_to_email_is_refused(api: Api) -> None:
    email = unique_email("same")
    data = await api.gql(SIGN_UP, sign_up_input(email=email, password=email.upper()))
    assert [(e["code"], e["field"]) for e in data["signUp"]["errors"]] == [
        ("WEAK_PASSWORD", "password")
    ]
    assert not await User.filter(email=email).exists()


async def test_sign_up_twice_at_once_creates_one_account(api: Api) -> None:
    email = unique_email("race")
    orgs_before = await Organization.all().count()
    results = await asyncio.gather(
        *(api.gql(SIGN_UP, sign_up_input(email=email)) for _ in range(3))
    )
    codes = sorted(
        (r["signUp"]["errors"][0]["code"] if r["signUp"]["errors"] else "OK") for r in results
    )
    assert codes == ["EMAIL_TAKEN", "EMAIL_TAKEN", "OK"]
    assert await User.filter(email=email).count() == 1
    # The losers' organizations were rolled back with their owners: no half-written rows.
    assert await Organization.all().count() == orgs_before + 1


async def test_sign_in_any_case_and_wrong_password(api: Api) -> None:
    account = await api.sign_up()
    ok = (
        await api.gql(SIGN_IN, {"input": {"email": account.email.upper(), "password": PASSWORD}})
    )["signIn"]
    assert ok["errors"] == [] and ok["viewer"]["id"] == account.user_id
    bad = (
        await api.gql(SIGN_IN, {"input": {"email": account.email, "password": "wrong password!"}})
    )["signIn"]
    assert bad["accessToken"] is None
    assert [e["code"] for e in bad["errors"]] == ["INVALID_CREDENTIALS"]
    unknown = (await api.gql(SIGN_IN, {"input": {"email": unique_email(), "password": PASSWORD}}))[
        "signIn"
    ]
    assert [e["code"] for e in unknown["errors"]] == ["INVALID_CREDENTIALS"]


async def test_five_failures_throttle_even_the_right_password(api: Api) -> None:
    account = await api.sign_up()
    other = await api.sign_up()
    for _ in range(5):
        r = (
            await api.gql(
                SIGN_IN, {"input": {"email": account.email, "password": "wrong password!"}}
            )
        )["signIn"]
        assert [e["code"] for e in r["errors"]] == ["INVALID_CREDENTIALS"]
    r = (await api.gql(SIGN_IN, {"input": {"email": account.email, "password": PASSWORD}}))[
        "signIn"
    ]
    assert [e["code"] for e in r["errors"]] == ["THROTTLED"]
    assert r["accessToken"] is None
    # Another email is not affected.
    r = (await api.gql(SIGN_IN, {"input": {"email": other.email, "password": PASSWORD}}))["signIn"]
    assert r["errors"] == []


async def test_success_clears_the_failure_count(api: Api) -> None:
    account = await api.sign_up()
    for _ in range(4):
        await api.gql(SIGN_IN, {"input": {"email": account.email, "password": "wrong password!"}})
    await api.sign_in(account.email)
    for _ in range(5):
        r = (
            await api.gql(
                SIGN_IN, {"input": {"email": account.email, "password": "wrong password!"}}
            )
        )["signIn"]
        assert [e["code"] for e in r["errors"]] == ["INVALID_CREDENTIALS"]


async def test_aliases_cannot_get_more_guesses(api: Api) -> None:
    account = await api.sign_up()
    fields = " ".join(
        f'a{i}: signIn(input: {{email: "{account.email}", password: "guess number {i}"}}) {{ errors {{ code }} }}'
        for i in range(8)
    )
    data = await api.gql(f"mutation {{ {fields} }}")
    codes = [data[f"a{i}"]["errors"][0]["code"] for i in range(8)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["THROTTLED"] * 3


async def test_parallel_requests_cannot_get_more_guesses(api: Api) -> None:
    account = await api.sign_up()
    attempts = [
        api.gql(SIGN_IN, {"input": {"email": account.email, "password": f"guess number {i}"}})
        for i in range(12)
    ]
    codes = sorted(r["signIn"]["errors"][0]["code"] for r in await asyncio.gather(*attempts))
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["THROTTLED"] * 7


async def test_batched_requests_are_refused(api: Api) -> None:
    account = await api.sign_up()
    body = [
        {"query": SIGN_IN, "variables": {"input": {"email": account.email, "password": "x" * 12}}}
    ] * 3
    r = await api.http.post("/graphql", json=body)
    assert r.status_code == 400
    # Nothing was tried: five real failures are still available.
    for _ in range(5):
        r2 = (
            await api.gql(
                SIGN_IN, {"input": {"email": account.email, "password": "wrong password!"}}
            )
        )["signIn"]
        assert [e["code"] for e in r2["errors"]] == ["INVALID_CREDENTIALS"]


async def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    account = await api.sign_up()
    first = (await api.gql(REFRESH, {"t": account.refresh_token}))["tokenRefresh"]
    assert first["errors"] == [] and first["viewer"]["id"] == account.user_id
    assert first["refreshToken"] != account.refresh_token
    assert (await api.gql(VIEWER, token=first["accessToken"]))["viewer"]["id"] == account.user_id

    # The used refresh token comes back: it leaked. The whole session dies.
    reuse = (await api.gql(REFRESH, {"t": account.refresh_token}))["tokenRefresh"]
    assert [(e["code"], e["field"]) for e in reuse["errors"]] == [
        ("REFRESH_TOKEN_REUSED", "refreshToken")
    ]
    assert reuse["accessToken"] is None
    r = await api.post(VIEWER, token=first["accessToken"])
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = (await api.gql(REFRESH, {"t": first["refreshToken"]}))["tokenRefresh"]
    assert [e["code"] for e in after["errors"]] == ["INVALID_REFRESH_TOKEN"]


async def test_concurrent_refresh_with_one_token_issues_one_pair(api: Api) -> None:
    account = await api.sign_up()
    results = await asyncio.gather(
        *(api.gql(REFRESH, {"t": account.refresh_token}) for _ in range(4))
    )
    winners = [r["tokenRefresh"] for r in results if not r["tokenRefresh"]["errors"]]
    assert len(winners) == 1
    codes = [e["code"] for r in results for e in r["tokenRefresh"]["errors"]]
    # The first loser sees the reuse and revokes the session; later ones may find it revoked.
    assert "REFRESH_TOKEN_REUSED" in codes
    assert set(codes) <= {"REFRESH_TOKEN_REUSED", "INVALID_REFRESH_TOKEN"}
    # The reuse revoked the family, the winner's new tokens included.
    assert (await api.post(VIEWER, token=winners[0]["accessToken"])).status_code == 401


async def test_refresh_rejects_garbage_and_access_tokens(api: Api) -> None:
    account = await api.sign_up()
    for bad in ("nonsense", account.access_token, ""):
        r = (await api.gql(REFRESH, {"t": bad}))["tokenRefresh"]
        assert [e["code"] for e in r["errors"]] == ["INVALID_REFRESH_TOKEN"]
    # The real refresh token still works: nothing above touched it.
    assert (await api.gql(REFRESH, {"t": account.refresh_token}))["tokenRefresh"]["errors"] == []


async def test_sign_out_revokes_only_this_session(api: Api) -> None:
    account = await api.sign_up()
    other_device = await api.sign_in(account.email)
    out = (await api.gql(SIGN_OUT, token=account.access_token))["signOut"]
    assert out == {"signedOut": True, "errors": []}
    assert (await api.post(VIEWER, token=account.access_token)).status_code == 401
    refreshed = (await api.gql(REFRESH, {"t": account.refresh_token}))["tokenRefresh"]
    assert [e["code"] for e in refreshed["errors"]] == ["INVALID_REFRESH_TOKEN"]
    assert (await api.gql(VIEWER, token=other_device.access_token))["viewer"][
        "id"
    ] == account.user_id


async def test_sign_out_without_a_token(api: Api) -> None:
    out = (await api.gql(SIGN_OUT))["signOut"]
    assert out["signedOut"] is False
    assert [e["code"] for e in out["errors"]] == ["NOT_SIGNED_IN"]


async def test_viewer_is_null_without_a_token_and_bad_tokens_are_401(api: Api) -> None:
    assert (await api.gql(VIEWER))["viewer"] is None
    for header in ("Bearer hla_nope", "Bearer", "Basic abc", "hla_nope"):
        r = await api.http.post(
            "/graphql", json={"query": VIEWER}, headers={"authorization": header}
        )
        assert r.status_code == 401, header
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "invalid_token" in r.headers["www-authenticate"]


async def test_expired_access_token_is_refused(api: Api) -> None:
    account = await api.sign_up()
    await AuthToken.filter(token_hash=token_hash(account.access_token)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await api.post(VIEWER, token=account.access_token)).status_code == 401
    # The refresh token still gets a new pair.
    refreshed = (await api.gql(REFRESH, {"t": account.refresh_token}))["tokenRefresh"]
    assert refreshed["errors"] == []
