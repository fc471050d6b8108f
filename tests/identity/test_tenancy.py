"""Global IDs, node(id:)/nodes(ids:), connections and tenancy: a second organization sees
nothing of the first."""

from __future__ import annotations

import base64

from strawberry.relay import GlobalID

from tests.client import Account, Api, count_queries

NODE = "query($id: ID!) { node(id: $id) { __typename id ... on User { email } ... on Organization { name } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
MEMBERS = """query($first: Int, $after: String, $last: Int, $before: String) {
  viewer { organization { members(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def test_node_finds_own_objects(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    user = (await api.gql(NODE, {"id": a.user_id}, token=a.access_token))["node"]
    assert user == {"__typename": "User", "id": a.user_id, "email": a.email}
    org = (await api.gql(NODE, {"id": a.organization_id}, token=a.access_token))["node"]
    assert org == {"__typename": "Organization", "id": a.organization_id, "name": "Alpha"}


async def test_global_ids_are_opaque(api: Api) -> None:
    a = await api.sign_up()
    assert not a.user_id.isdigit()
    assert GlobalID.from_id(a.user_id).type_name == "User"


async def test_other_organization_is_exactly_like_missing(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    missing_user = str(GlobalID("User", "999999999999"))
    for target in (b.user_id, b.organization_id, missing_user):
        r = await api.post(NODE, {"id": target}, token=a.access_token)
        assert r.status_code == 200
        assert r.json() == {
            "data": {"node": None},
            "extensions": r.json()["extensions"],
        }, target
    ids = [a.user_id, b.user_id, missing_user, b.organization_id, a.organization_id]
    got = (await api.gql(NODES, {"ids": ids}, token=a.access_token))["nodes"]
    assert got == [
        {"__typename": "User", "id": a.user_id},
        None,
        None,
        None,
        {"__typename": "Organization", "id": a.organization_id},
    ]


async def test_anonymous_sees_no_nodes(api: Api) -> None:
    a = await api.sign_up()
    assert (await api.gql(NODE, {"id": a.user_id}))["node"] is None


async def test_malformed_ids_resolve_to_null(api: Api) -> None:
    a = await api.sign_up()
    weird = [
        "not base64 at all!",
        base64.b64encode(b"Nope:1").decode(),
        base64.b64encode(b"User:abc").decode(),
        base64.b64encode(b"User:-1").decode(),
        base64.b64encode(b"User:99999999999999999999999999").decode(),
        base64.b64encode(b"Query:1").decode(),
    ]
    got = (await api.gql(NODES, {"ids": weird}, token=a.access_token))["nodes"]
    assert got == [None] * len(weird)


async def test_nodes_refuses_more_than_100_ids(api: Api) -> None:
    a = await api.sign_up()
    r = await api.post(NODES, {"ids": [a.user_id] * 101}, token=a.access_token)
    body = r.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.gql(NODES, {"ids": [a.user_id] * 100}, token=a.access_token))["nodes"][99][
        "id"
    ] == a.user_id


async def _org_with_members(api: Api, n: int) -> Account:
    owner = await api.sign_up(name="Aaron Owner")
    for i in range(n):
        await api.add_member(owner, name=f"Member {i:02d}")
    return owner


async def test_members_connection_pages_both_ways(api: Api) -> None:
    owner = await _org_with_members(api, 6)
    names = ["Aaron Owner"] + [f"Member {i:02d}" for i in range(6)]
    seen: list[str] = []
    after = None
    while True:
        conn = (await api.gql(MEMBERS, {"first": 3, "after": after}, token=owner.access_token))[
            "viewer"
        ]["organization"]["members"]
        seen += [e["node"]["displayName"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == names

    last = (await api.gql(MEMBERS, {"last": 2}, token=owner.access_token))["viewer"][
        "organization"
    ]["members"]
    assert [e["node"]["displayName"] for e in last["edges"]] == names[-2:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = (
        await api.gql(
            MEMBERS,
            {"last": 2, "before": last["pageInfo"]["startCursor"]},
            token=owner.access_token,
        )
    )["viewer"]["organization"]["members"]
    assert [e["node"]["displayName"] for e in before["edges"]] == names[-4:-2]


async def test_connection_arguments_are_checked(api: Api) -> None:
    owner = await api.sign_up()
    for variables, field in (
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"first": 1, "last": 1}, "last"),
        ({"after": "garbage"}, "after"),
    ):
        r = await api.post(MEMBERS, variables, token=owner.access_token)
        error = r.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, variables


async def test_query_count_does_not_grow_with_page_size(api: Api) -> None:
    owner = await _org_with_members(api, 12)
    query = """query($first: Int) { viewer { organization { members(first: $first) {
      nodes { id displayName organization { id name } } } } } }"""
    counts = []
    for first in (2, 12):
        with count_queries() as statements:
            data = await api.gql(query, {"first": first}, token=owner.access_token)
        assert len(data["viewer"]["organization"]["members"]["nodes"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # authentication, the page, and one batched organization load
    assert 0 < counts[0] <= 3, counts
