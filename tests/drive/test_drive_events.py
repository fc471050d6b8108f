"""Drive changes in viewerEvents, over a real WebSocket: delivered to those who can see the item
(and to those who just lost sight of it), not to anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from resolvers.messenger.events import user_channel
from tests.client import Account, Api, WSClient, wait_subscribed
from tests.drive.helpers import upload_ok
from tests.drive.sharing_helpers import UNSHARE, group, share_ok
from tests.drive.tree_helpers import mkdir, ok, pk

VIEWER = """subscription { viewerEvents { __typename
  ... on DriveChanged { change fileId file { id name trashedAt } actor { id } } } }"""


@asynccontextmanager
async def stream(server: str, who: Account) -> AsyncIterator[WSClient]:
    ws = await WSClient.connect(server)
    try:
        assert (await ws.init({"authorization": f"Bearer {who.access_token}"}))["type"] == (
            "connection_ack"
        )
        await ws.subscribe(VIEWER)
        await wait_subscribed(user_channel(pk(who.user_id)))
        yield ws
    finally:
        await ws.close()


async def next_change(ws: WSClient) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg["type"] == "next", msg
    event = msg["payload"]["data"]["viewerEvents"]
    assert event["__typename"] == "DriveChanged", event
    return event  # type: ignore[no-any-return]


async def quiet(ws: WSClient, seconds: float = 0.3) -> bool:
    try:
        await ws.receive(timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_owner_hears_every_change_an_unrelated_colleague_nothing(
    server: str, api: Api
) -> None:
    ada = await api.sign_up()
    eve = await api.add_member(ada, name="Eve")
    async with stream(server, ada) as mine, stream(server, eve) as theirs:
        folder = await mkdir(api, ada, "Box")
        got = await next_change(mine)
        assert got == {
            "__typename": "DriveChanged",
            "change": "CREATED",
            "fileId": folder["id"],
            "file": {"id": folder["id"], "name": "Box", "trashedAt": None},
            "actor": {"id": ada.user_id},
        }
        file = await upload_ok(api, ada, b"x", name="x.txt", folderId=folder["id"])
        assert (await next_change(mine))["change"] == "CREATED"
        await ok(api, ada, "fileRename", fileId=file["id"], name="y.txt")
        got = await next_change(mine)
        assert (got["change"], got["file"]["name"]) == ("RENAMED", "y.txt")
        other = await mkdir(api, ada, "Other")
        await next_change(mine)
        await ok(api, ada, "fileMove", fileId=file["id"], folderId=other["id"])
        assert (await next_change(mine))["change"] == "MOVED"
        await ok(api, ada, "fileDelete", fileId=file["id"])
        got = await next_change(mine)
        assert got["change"] == "DELETED" and got["file"]["trashedAt"] is not None
        await ok(api, ada, "fileRestore", fileId=file["id"])
        assert (await next_change(mine))["change"] == "RESTORED"
        await ok(api, ada, "fileDelete", fileId=file["id"])
        await next_change(mine)
        await ok(api, ada, "trashEmpty", fileIds=[file["id"]])
        got = await next_change(mine)
        assert (got["change"], got["fileId"], got["file"]) == ("DELETED", file["id"], None)
        assert await quiet(theirs)


async def test_shared_users_hear_changes_and_lose_sight_on_move(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    eve = await api.add_member(ada, name="Eve")
    team = await mkdir(api, ada, "Team")
    private = await mkdir(api, ada, "Private")
    await share_ok(api, ada, team["id"], "VIEWER", user=bob)
    async with stream(server, bob) as bobs, stream(server, eve) as eves:
        file = await upload_ok(api, ada, b"x", name="plan.txt", folderId=team["id"])
        got = await next_change(bobs)
        assert (got["change"], got["file"]["name"]) == ("CREATED", "plan.txt")
        assert got["actor"] == {"id": ada.user_id}
        await ok(api, ada, "fileMove", fileId=file["id"], folderId=private["id"])
        got = await next_change(bobs)
        # Bob could see it before the move: he hears of it, but no longer sees it.
        assert (got["change"], got["fileId"], got["file"]) == ("MOVED", file["id"], None)
        await ok(api, ada, "fileRename", fileId=file["id"], name="secret.txt")
        assert await quiet(bobs)
        assert await quiet(eves)


async def test_an_editors_change_reaches_the_owner(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await mkdir(api, ada, "Team")
    await share_ok(api, ada, team["id"], "EDITOR", user=bob)
    async with stream(server, ada) as adas:
        folder = await mkdir(api, bob, "Bob's", team["id"])
        got = await next_change(adas)
        assert (got["change"], got["fileId"], got["actor"]) == (
            "CREATED",
            folder["id"],
            {"id": bob.user_id},
        )
        copy = await ok(api, bob, "fileCopy", fileId=folder["id"], name="Copy")
        got = await next_change(adas)
        assert (got["change"], got["file"]["id"]) == ("CREATED", copy["id"])


async def test_each_event_sees_the_subscribers_current_groups(server: str, api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    team = await mkdir(api, ada, "Team")
    await share_ok(api, ada, team["id"], "VIEWER", user=bob)
    async with stream(server, bob) as bobs:
        file = await upload_ok(api, ada, b"x", name="x.txt", folderId=team["id"])
        assert (await next_change(bobs))["file"]["id"] == file["id"]
        # Bob joins a group after his stream worked out what he can see, the group gets the
        # folder, and then his own grant goes: he still sees the file, through the group.
        crew = await group(api, ada, "Crew", [bob])
        await share_ok(api, ada, team["id"], "VIEWER", groupId=crew)
        assert (await next_change(bobs))["change"] == "SHARED"
        data = await api.gql(
            UNSHARE, {"i": {"fileId": team["id"], "userId": bob.user_id}}, token=ada.access_token
        )
        assert data["fileUnshare"]["errors"] == []
        got = await next_change(bobs)
        assert (got["change"], got["file"]) == (
            "UNSHARED",
            {"id": team["id"], "name": "Team", "trashedAt": None},
        )
