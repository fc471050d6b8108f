"""Who may run block mutations: editors; a viewer is FORBIDDEN and changes nothing; another
organization's doc is NOT_FOUND for every block mutation; a retried insert with its
idempotency key inserts nothing twice."""

from __future__ import annotations

from typing import Any

from models.docs import Document, DocUpdate
from models.drive import DrivePermission, DriveRole
from tests.client import Api
from tests.docs.blocks_helpers import delete, insert, move, ok, read, update
from tests.docs.helpers import doc_ok, pk
from tests.docs.test_contract import share


async def _all_four(api: Api, who: Any, doc_id: str, block_id: str) -> list[dict[str, Any]]:
    return [
        await insert(api, who, doc_id, revision=1, blocks=[{"type": "PARAGRAPH", "text": "x"}]),
        await update(api, who, doc_id, revision=1, blockId=block_id, text="changed"),
        await delete(api, who, doc_id, revision=1, blockIds=[block_id]),
        await move(api, who, doc_id, revision=1, blockIds=[block_id], atStart=True),
    ]


async def test_viewers_are_refused_and_strangers_see_nothing(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up(organization="Elsewhere")
    doc = await doc_ok(api, ada, title="Guarded")
    await share(pk(doc["id"]), bob.user_id, DriveRole.VIEWER)
    block_id = (await read(api, ada, doc["id"]))["blocks"][0]["id"]
    before = await read(api, ada, doc["id"])
    for who, code in ((bob, "FORBIDDEN"), (eve, "NOT_FOUND")):
        for payload in await _all_four(api, who, doc["id"], block_id):
            assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, "docId")], (
                code,
                payload,
            )
    assert await read(api, ada, doc["id"]) == before
    assert (await Document.get(id=pk(doc["id"]))).revision == 1
    assert await DocUpdate.filter(document_id=pk(doc["id"])).count() == 1
    # Made an editor, Bob may.
    await DrivePermission.filter(item_id=pk(doc["id"]), grantee_id=pk(bob.user_id)).update(
        role=DriveRole.EDITOR
    )
    ok(await update(api, bob, doc["id"], revision=1, blockId=block_id, text="by Bob"))
    assert (await read(api, ada, doc["id"]))["blocks"][0]["text"] == "by Bob"


async def test_a_retried_insert_inserts_once_and_answers_the_same_ids(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Bot")
    fields = {
        "revision": 1,
        "blocks": [
            {"type": "BULLETED_LIST_ITEM", "text": "a", "children": [{"type": "TODO", "text": "b"}]}
        ],
        "idempotencyKey": "bot-run-1",
    }
    first = ok(await insert(api, ada, doc["id"], **fields))
    again = ok(await insert(api, ada, doc["id"], **fields))
    assert again["blockIds"] == first["blockIds"]
    assert again["blocks"] == first["blocks"]
    assert await DocUpdate.filter(document_id=pk(doc["id"])).count() == 2
    other = await insert(
        api, ada, doc["id"], **{**fields, "blocks": [{"type": "PARAGRAPH", "text": "c"}]}
    )
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    blocks = (await read(api, ada, doc["id"]))["blocks"]
    assert [b["text"] for b in blocks] == ["", "a"]
    # Another doc with the same key and blocks is other input.
    second = await doc_ok(api, ada, title="Bot 2")
    elsewhere = await insert(api, ada, second["id"], **fields)
    assert [e["code"] for e in elsewhere["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
