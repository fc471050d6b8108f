"""Rebase, never a silent overwrite: a bot's text change based on an older revision is merged
with what people typed since; revisions the server cannot rebase from are STALE_REVISION; a
block mutation reaches people editing the doc at once."""

from __future__ import annotations

from models.docs import Document, DocUpdate
from resolvers.docs import store
from tests.client import Api
from tests.docs.blocks_helpers import insert, move, ok, read, update
from tests.docs.helpers import PyClient, doc_ok, pk, subscribe_doc, unb64


async def test_a_bot_edit_based_on_an_old_revision_keeps_what_a_person_typed_since(
    api: Api,
) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Minutes")
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[{"type": "PARAGRAPH", "text": "The plan is good."}],
        )
    )
    block_id = made["blockIds"][0]
    based_on = made["revision"]  # what the bot read: R
    person = PyClient(api, ada, doc["id"])
    await person.sync()
    # After R, the person types at the end of the paragraph (block 1; block 0 is the first,
    # empty paragraph).
    text = person.paragraph(1)
    typed = await person.edit(lambda d: text.insert(len(str(text).encode()), " Ship it friday."))
    assert typed["errors"] == [] and typed["revision"] == based_on + 1
    # The bot, still at R, rewrites a word at the start of the same paragraph.
    got = ok(
        await update(
            api, ada, doc["id"], revision=based_on, blockId=block_id, text="The plan is great."
        )
    )
    assert got["revision"] == based_on + 2
    assert got["block"]["text"] == "The plan is great. Ship it friday."
    # Both survive in the stored doc, and the person's replica converges to it.
    store.forget(pk(doc["id"]))
    stored = (await read(api, ada, doc["id"]))["blocks"][1]
    assert stored["text"] == "The plan is great. Ship it friday."
    await person.sync()
    assert str(person.paragraph(1)) == "The plan is great. Ship it friday."


async def test_concurrent_edits_in_the_middle_merge_with_a_bot_rewrite(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Merge")
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[{"type": "PARAGRAPH", "text": "alpha beta gamma"}],
        )
    )
    person = PyClient(api, ada, doc["id"])
    await person.sync()
    text = person.paragraph(1)
    # The person deletes "beta " and types "BETA " in its place... after R.
    await person.edit(lambda d: (text.__delitem__(slice(6, 11)), text.insert(6, "BETA ")))
    # ...and another person types in the middle of "gamma" (after R too).
    await person.edit(lambda d: text.insert(len("alpha BETA gam"), "-"))
    # The bot, at R, formats nothing but replaces "alpha" with "ALPHA" and appends "!".
    got = ok(
        await update(
            api,
            ada,
            doc["id"],
            revision=made["revision"],
            blockId=made["blockIds"][0],
            runs=[{"text": "ALPHA", "bold": True}, {"text": " beta gamma!"}],
        )
    )
    assert got["block"]["text"] == "ALPHA BETA gam-ma!"
    assert got["block"]["runs"][0] == {"text": "ALPHA", "bold": True, "italic": False, "link": None}


async def test_revisions_the_server_cannot_rebase_from_are_stale(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="History")
    made = ok(
        await insert(api, ada, doc["id"], revision=1, blocks=[{"type": "PARAGRAPH", "text": "one"}])
    )
    block_id = made["blockIds"][0]
    for i in range(3):
        ok(await update(api, ada, doc["id"], revision=2 + i, blockId=block_id, text=f"one {i}"))
    # Compaction folds revisions 1..4 into the snapshot (as resolvers.docs.compaction does).
    document = await Document.get(id=pk(doc["id"]))
    rows = await DocUpdate.filter(document_id=document.id, revision__lte=4).order_by("revision")
    from pycrdt import Doc

    folded: Doc = Doc()
    for row in rows:
        folded.apply_update(bytes(row.data))
    await Document.filter(id=document.id).update(snapshot=folded.get_update(), snapshot_revision=4)
    await DocUpdate.filter(document_id=document.id, revision__lte=4).delete()
    store.forget(document.id)
    for revision in (3, 1, 6):
        stale = await update(api, ada, doc["id"], revision=revision, blockId=block_id, text="x")
        assert [(e["code"], e["field"]) for e in stale["errors"]] == [
            ("STALE_REVISION", "revision")
        ], revision
    # From the snapshot itself (4: "one 1") and from the tail (5: "one 2") the server still
    # rebases: each change merges with what came after its revision.
    from_snapshot = ok(
        await update(api, ada, doc["id"], revision=4, blockId=block_id, text="One 1")
    )
    assert from_snapshot["block"]["text"] == "One 2"
    from_tail = ok(await update(api, ada, doc["id"], revision=5, blockId=block_id, text="one 2 ok"))
    assert from_tail["block"]["text"] == "One 2 ok"
    assert (await Document.get(id=document.id)).revision == 7
    # A block that did not exist at the revision given cannot be rebased on it.
    newer = ok(
        await insert(api, ada, doc["id"], revision=7, blocks=[{"type": "PARAGRAPH", "text": "n"}])
    )
    too_old = await update(api, ada, doc["id"], revision=5, blockId=newer["blockIds"][0], text="m")
    assert [e["code"] for e in too_old["errors"]] == ["STALE_REVISION"]


async def test_a_block_mutation_reaches_people_editing_at_once(api: Api, server: str) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Live")
    person = PyClient(api, ada, doc["id"])
    await person.sync()
    ws, op = await subscribe_doc(server, ada, doc["id"])
    try:
        made = ok(
            await insert(
                api, ada, doc["id"], revision=1, blocks=[{"type": "TODO", "text": "call Bob"}]
            )
        )
        msg = await ws.receive()
        assert msg["type"] == "next" and msg["id"] == op, msg
        event = msg["payload"]["data"]["docEvents"]
        assert event["__typename"] == "DocUpdateEvent" and event["origin"] == "BLOCKS"
        assert event["revision"] == made["revision"] and event["author"]["id"] == ada.user_id
        person.doc.apply_update(unb64(event["update"]))
        node = person.blocks[1]
        assert node["type"] == "todo" and str(node["text"]) == "call Bob"
        assert node["id"] == made["blockIds"][0] and node["checked"] is False
    finally:
        await ws.close()


async def test_a_text_change_based_on_before_a_move_is_refused_not_lost(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Moved")
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[{"type": "QUOTE", "text": "q"}, {"type": "PARAGRAPH", "text": "p"}],
        )
    )
    quote, paragraph = made["blockIds"]
    moved = ok(await move(api, ada, doc["id"], revision=2, blockIds=[paragraph], parentId=quote))
    stale = await update(api, ada, doc["id"], revision=2, blockId=paragraph, text="p!")
    assert [(e["code"], e["field"]) for e in stale["errors"]] == [("STALE_REVISION", "revision")]
    assert (await Document.get(id=pk(doc["id"]))).revision == moved["revision"]
    # Based on the revision with the move, it applies.
    done = ok(
        await update(api, ada, doc["id"], revision=moved["revision"], blockId=paragraph, text="p!")
    )
    assert done["block"]["text"] == "p!"
    assert (await read(api, ada, doc["id"]))["blocks"][1]["children"][0]["text"] == "p!"
