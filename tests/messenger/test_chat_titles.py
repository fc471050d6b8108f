"""What a chat list shows: `Chat.title` (a group's name, the other person of a direct chat as
the viewer may see them) and `Chat.peer`, loaded in one batch for a whole page."""

from __future__ import annotations

from typing import Any

from models.identity import Role
from models.messenger import Chat
from tests.client import Account, Api, count_queries
from tests.drive.sharing_helpers import with_role
from tests.messenger.helpers import CHAT_CREATE, group

TITLES = """query($first: Int) { viewer { chats(first: $first) {
  nodes { id kind name title peer { id displayName } } } } }"""
DEACTIVATE = """mutation($i: UserDeactivateInput!) { userDeactivate(input: $i) {
  errors { code } } }"""


async def direct(api: Api, who: Account, other: Account) -> str:
    data = await api.gql(
        CHAT_CREATE, {"i": {"kind": "DIRECT", "memberIds": [other.user_id]}}, token=who.access_token
    )
    assert data["chatCreate"]["errors"] == [], data
    return str(data["chatCreate"]["chat"]["id"])


async def titles(api: Api, who: Account, first: int = 20) -> dict[str, dict[str, Any]]:
    data = await api.gql(TITLES, {"first": first}, token=who.access_token)
    return {c["id"]: c for c in data["viewer"]["chats"]["nodes"]}


async def test_a_direct_chat_is_titled_after_the_other_person_for_each_side(api: Api) -> None:
    # Given a group and a direct chat between Ada and Bob
    ada = await api.sign_up(name="Ada Lovelace")
    bob = await api.add_member(ada, name="Bob Babbage")
    team = await group(api, ada, [bob], name="Engines")
    dm = await direct(api, ada, bob)

    # When each lists their chats
    seen_by_ada, seen_by_bob = await titles(api, ada), await titles(api, bob)

    # Then the group shows its name and no peer; the direct chat, empty-named, shows the other
    assert seen_by_ada[team]["title"] == seen_by_bob[team]["title"] == "Engines"
    assert seen_by_ada[team]["peer"] is None
    assert seen_by_ada[dm]["name"] == ""
    assert seen_by_ada[dm]["title"] == "Bob Babbage"
    assert seen_by_ada[dm]["peer"] == {"id": bob.user_id, "displayName": "Bob Babbage"}
    assert seen_by_bob[dm]["title"] == "Ada Lovelace"
    assert seen_by_bob[dm]["peer"]["id"] == ada.user_id


async def test_a_guest_is_not_told_who_its_direct_chat_is_with(api: Api) -> None:
    # Given a guest whom Ada opened a direct chat with
    ada = await api.sign_up(name="Ada Lovelace")
    gus = await with_role(api, ada, Role.GUEST, "Gus Guest")
    dm = await direct(api, ada, gus)

    # Then the guest (who sees only itself) gets a neutral title and no peer; Ada sees Gus
    mine = (await titles(api, gus))[dm]
    assert mine["title"] == "Someone" and mine["peer"] is None
    assert "Ada" not in str(mine)
    assert (await titles(api, ada))[dm]["peer"]["displayName"] == "Gus Guest"


async def test_a_deactivated_peer_is_named_for_admins_only(api: Api) -> None:
    # Given Cy's direct chat with Bob, and Bob deactivated
    ada = await api.sign_up(name="Ada Lovelace")
    bob = await api.add_member(ada, name="Bob Babbage")
    cy = await api.add_member(ada, name="Cy Clerk")
    dm_cy = await direct(api, cy, bob)
    dm_ada = await direct(api, ada, bob)
    gone = await api.gql(DEACTIVATE, {"i": {"userId": bob.user_id}}, token=ada.access_token)
    assert gone["userDeactivate"]["errors"] == []

    # Then a member, who may not see deactivated people, gets the neutral title; the owner
    # still sees who it was
    assert (await titles(api, cy))[dm_cy] | {"id": None} == {
        "id": None,
        "kind": "DIRECT",
        "name": "",
        "title": "Someone",
        "peer": None,
    }
    assert (await titles(api, ada))[dm_ada]["title"] == "Bob Babbage"


async def test_a_self_chat_is_titled_after_yourself(api: Api) -> None:
    # Given a direct chat whose pair is one person (none can be created through the API
    # today; the title rule still covers it)
    ada = await api.sign_up(name="Ada Lovelace")
    bob = await api.add_member(ada, name="Bob Babbage")
    dm = await direct(api, ada, bob)
    me = ada.user_id
    from tests.messenger.test_chats import pk

    await Chat.filter(id=pk(dm)).update(direct_key=f"{pk(me)}:{pk(me)}")

    # Then it is titled after you, and you are its peer
    got = (await titles(api, ada))[dm]
    assert got["title"] == "Ada Lovelace" and got["peer"]["id"] == me


async def test_titles_and_peers_of_a_page_cost_the_same_queries_at_any_page_size(
    api: Api,
) -> None:
    # Given Ada with direct chats with nine people and a group
    ada = await api.sign_up(name="Ada Lovelace")
    people = [await api.add_member(ada, name=f"Person {i}") for i in range(9)]
    for p in people:
        await direct(api, ada, p)
    await group(api, ada, people[:2], name="Team")

    # When she lists two chats, then ten
    counts = []
    for first in (2, 10):
        with count_queries() as statements:
            page = await titles(api, ada, first)
        assert len(page) == first
        assert all(c["title"] for c in page.values())
        counts.append(len(statements))

    # Then both pages cost the same number of queries
    assert counts[0] == counts[1] and counts[0] > 0, counts
