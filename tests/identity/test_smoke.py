from tests.client import Api


async def test_typename(api: Api) -> None:
    r = await api.post("{ __typename }")
    assert r.status_code == 200
    assert r.json()["data"] == {"__typename": "Query"}


async def test_sign_up_and_viewer(api: Api) -> None:
    acct = await api.sign_up()
    data = await api.gql("{ viewer { id email organization { name } } }", token=acct.access_token)
    assert data["viewer"]["email"] == acct.email
