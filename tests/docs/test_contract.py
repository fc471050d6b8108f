"""The docs contract: docCreate makes a Drive item of kind DOC with a title and one paragraph;
two Yjs peers converge through docSync and docUpdate; an update is stored before it is
acknowledged and reaches docEvents; bad updates, viewers and other organizations change
nothing."""

from __future__ import annotations

import asyncio

from models.docs import Document, DocUpdate
from models.drive import DriveItem, DriveRole, GranteeKind
from resolvers.docs import store
from tests.client import Api
from tests.docs.helpers import (
    PyClient,
    create_doc,
    doc_ok,
    pk,
    send_update,
    subscribe_doc,
    unb64,
)


async def share(item_id: int, user_id: str, role: DriveRole) -> None:
    from models.drive import DrivePermission

    item = await DriveItem.get(id=item_id)
    await DrivePermission.create(
        organization_id=item.organization_id,
        item_id=item.id,
        grantee_kind=GranteeKind.USER,
        grantee_id=pk(user_id),
        role=role,
    )


async def test_a_new_doc_is_a_drive_item_with_a_title_and_a_paragraph(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Plan / Q3")
    assert doc["title"] == "Plan / Q3" and doc["revision"] == 1 and doc["viewerRole"] == "OWNER"
    assert doc["file"]["kind"] == "DOC" and doc["file"]["name"] == "Plan - Q3"
    assert [b["type"] for b in doc["blocks"]] == ["PARAGRAPH"]
    assert pk(doc["file"]["id"]) == pk(doc["id"])
    again = await doc_ok(api, ada, title="Plan / Q3")
    assert (
        await DriveItem.get(id=pk(again["id"]))
    ).name == "Plan - Q3 (2)"  # Drive numbers copies from 2


async def test_two_peers_converge_and_the_log_holds_every_update(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    doc = await doc_ok(api, ada, title="Notes")
    await share(pk(doc["id"]), bob.user_id, DriveRole.EDITOR)
    one, two = PyClient(api, ada, doc["id"]), PyClient(api, bob, doc["id"])
    await one.sync()
    await two.sync()
    r1 = await one.edit(lambda d: one.paragraph().insert(0, "hello "))
    r2 = await two.edit(lambda d: two.paragraph().insert(0, "world"))
    assert r1["errors"] == [] and r2["errors"] == []
    await one.sync()
    await two.sync()
    assert str(one.paragraph()) == str(two.paragraph())
    assert str(one.paragraph()) in {"hello world", "worldhello "}
    revisions = await DocUpdate.filter(document_id=pk(doc["id"])).values_list("revision", flat=True)
    assert sorted(revisions) == [1, 2, 3]
    # The stored doc, rebuilt from the database alone, is what the peers hold.
    store.forget(pk(doc["id"]))
    data = await api.gql(
        "query($d: ID!) { doc(id: $d) { revision blocks { text } } }",
        {"d": doc["id"]},
        token=ada.access_token,
    )
    assert data["doc"]["revision"] == 3
    assert data["doc"]["blocks"][0]["text"] == str(one.paragraph())


async def test_a_retried_update_is_stored_once(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Retry")
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    made: list[bytes] = []
    sub = client.doc.observe(lambda e: made.append(e.update))
    client.paragraph().insert(0, "once")
    client.doc.unobserve(sub)
    first = await send_update(api, ada, doc["id"], made[0])
    second = await send_update(api, ada, doc["id"], made[0])
    assert first == {"revision": 2, "changed": True, "errors": []}
    assert second == {"revision": 2, "changed": False, "errors": []}
    assert await DocUpdate.filter(document_id=pk(doc["id"])).count() == 2


async def test_an_update_reaches_other_editors_live(api: Api, server: str) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Live")
    ws, op = await subscribe_doc(server, ada, doc["id"])
    try:
        client = PyClient(api, ada, doc["id"])
        await client.sync()
        await client.edit(lambda d: client.title.insert(len(client.title), "!"))
        msg = await ws.receive()
        assert msg["type"] == "next" and msg["id"] == op, msg
        event = msg["payload"]["data"]["docEvents"]
        assert event["__typename"] == "DocUpdateEvent" and event["revision"] == 2
        assert event["author"]["id"] == ada.user_id and event["origin"] == "CLIENT"
        follower = PyClient(api, ada, doc["id"])
        await follower.sync()
        assert str(follower.title) == "Live!"
        from pycrdt import Doc, Text

        replica: Doc = Doc()
        replica.apply_update(
            unb64(
                (
                    await api.gql(
                        "query($d: ID!) { docSync(docId: $d) { update } }",
                        {"d": doc["id"]},
                        token=ada.access_token,
                    )
                )["docSync"]["update"]
            )
        )
        assert str(replica.get("title", type=Text)) == "Live!"
    finally:
        await ws.close()


async def test_bad_updates_are_refused_and_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Guarded")
    before = await Document.get(id=pk(doc["id"]))
    garbage = await send_update(api, ada, doc["id"], b"\x01\x02garbage")
    assert garbage["errors"][0]["code"] == "INVALID_UPDATE", garbage
    not_b64 = await api.gql(
        "mutation($i: DocUpdateInput!) { docUpdate(input: $i) { errors { code field } } }",
        {"i": {"docId": doc["id"], "update": "%%%"}},
        token=ada.access_token,
    )
    assert not_b64["docUpdate"]["errors"] == [{"code": "INVALID_UPDATE", "field": "update"}]
    huge = await send_update(api, ada, doc["id"], b"\x00" * (512 * 1024 + 1))
    assert huge["errors"][0]["code"] == "UPDATE_TOO_LARGE", huge
    after = await Document.get(id=pk(doc["id"]))
    assert after.revision == before.revision == 1
    assert await DocUpdate.filter(document_id=after.id).count() == 1


async def test_a_viewer_cannot_update_and_strangers_see_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Shared")
    await share(pk(doc["id"]), bob.user_id, DriveRole.VIEWER)
    ada_client = PyClient(api, ada, doc["id"])
    await ada_client.sync()
    made: list[bytes] = []
    sub = ada_client.doc.observe(lambda e: made.append(e.update))
    ada_client.paragraph().insert(0, "x")
    ada_client.doc.unobserve(sub)
    by_viewer = await send_update(api, bob, doc["id"], made[0])
    assert by_viewer["errors"][0]["code"] == "FORBIDDEN"
    by_stranger = await send_update(api, eve, doc["id"], made[0])
    assert by_stranger["errors"][0]["code"] == "NOT_FOUND"
    seen = await api.gql(
        "query($d: ID!) { doc(id: $d) { id } }", {"d": doc["id"]}, token=eve.access_token
    )
    assert seen["doc"] is None
    assert (await Document.get(id=pk(doc["id"]))).revision == 1
    viewer = PyClient(api, bob, doc["id"])
    await viewer.sync()  # reading is allowed: nothing to push
    assert str(viewer.title) == "Shared"


async def test_concurrent_updates_of_one_doc_get_consecutive_revisions(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Race")
    clients = [PyClient(api, ada, doc["id"]) for _ in range(5)]
    for c in clients:
        await c.sync()
    updates = []
    for i, c in enumerate(clients):
        made: list[bytes] = []
        sub = c.doc.observe(lambda e, made=made: made.append(e.update))
        c.paragraph().insert(0, str(i))
        c.doc.unobserve(sub)
        updates.append(made[0])
    results = await asyncio.gather(*(send_update(api, ada, doc["id"], u) for u in updates))
    assert sorted(r["revision"] for r in results) == [2, 3, 4, 5, 6]
    final = PyClient(api, ada, doc["id"])
    await final.sync()
    assert sorted(str(final.paragraph())) == sorted("01234")


async def test_a_doc_id_of_another_kind_is_not_found(api: Api) -> None:
    ada = await api.sign_up()
    folder = await api.gql(
        'mutation { folderCreate(input: {name: "F"}) { folder { id } } }', token=ada.access_token
    )
    folder_pk = pk(folder["folderCreate"]["folder"]["id"])
    from strawberry.relay import GlobalID

    as_doc = str(GlobalID("Doc", str(folder_pk)))
    result = await send_update(api, ada, as_doc, b"\x00\x00")
    assert result["errors"][0]["code"] == "NOT_FOUND"
    bad = await create_doc(api, ada, title="x", folderId=as_doc)
    assert bad["errors"][0]["code"] == "NOT_FOUND"  # a Doc ID where a folder goes
