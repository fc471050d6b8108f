"""Block mutations: insert (nested, placed by parent and sibling), update of type and
attributes, delete and move keeping ids; the block model's rules give typed errors and change
nothing."""

from __future__ import annotations

from typing import Any

from models.docs import Document, DocUpdate, UpdateOrigin
from tests.client import Api
from tests.docs.blocks_helpers import delete, insert, move, ok, read, texts, update
from tests.docs.helpers import doc_ok, pk
from tests.drive.helpers import upload_ok

P = "PARAGRAPH"


def para(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": P, "text": text, **extra}


async def test_insert_nested_blocks_where_asked_and_read_them_back(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Plan")
    first = (await read(api, ada, doc["id"]))["blocks"][0]["id"]
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[
                {"type": "HEADING", "text": "Goals", "level": 2},
                {
                    "type": "BULLETED_LIST_ITEM",
                    "runs": [{"text": "ship ", "bold": True}, {"text": "it"}],
                    "children": [{"type": "TODO", "text": "test", "checked": True}],
                },
                {
                    "type": "TABLE",
                    "children": [
                        {"type": "TABLE_ROW", "children": [{"type": "TABLE_CELL", "text": "a1"}]}
                    ],
                },
            ],
        )
    )
    assert made["revision"] == 2 and len(made["blockIds"]) == 3
    assert [b["id"] for b in made["blocks"]] == made["blockIds"]
    after = ok(await insert(api, ada, doc["id"], revision=2, afterId=first, blocks=[para("x")]))
    start = ok(await insert(api, ada, doc["id"], revision=3, atStart=True, blocks=[para("0")]))
    into = ok(
        await insert(
            api, ada, doc["id"], revision=4, parentId=made["blockIds"][1], blocks=[para("sub")]
        )
    )
    got = await read(api, ada, doc["id"])
    assert got["revision"] == 5
    assert texts(got["blocks"]) == [
        "0",
        "",
        "x",
        "Goals",
        ("ship it", ["test", "sub"]),
        ("", [("", ["a1"])]),
    ]
    heading, item = got["blocks"][3], got["blocks"][4]
    assert heading["type"] == "HEADING" and heading["level"] == 2
    assert [r["bold"] for r in item["runs"]] == [True, False]
    assert item["children"][0]["checked"] is True
    assert item["children"][1]["id"] == into["blockIds"][0]
    assert got["blocks"][0]["id"] == start["blockIds"][0]
    assert got["blocks"][2]["id"] == after["blockIds"][0]
    origins = await DocUpdate.filter(document_id=pk(doc["id"]), revision__gt=1).values_list(
        "origin", flat=True
    )
    assert set(origins) == {UpdateOrigin.BLOCKS}


async def test_invalid_blocks_are_refused_with_their_field_and_change_nothing(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Rules")
    first = (await read(api, ada, doc["id"]))["blocks"][0]["id"]
    folder = await api.gql(
        'mutation { folderCreate(input: {name: "F"}) { folder { id } } }', token=ada.access_token
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"blocks": [{"type": "HEADING", "text": "h", "level": 7}]},
            "BAD_USER_INPUT",
            "blocks.0.level",
        ),
        ({"blocks": [para("p", children=[para("c")])]}, "BAD_USER_INPUT", "blocks.0.children"),
        ({"blocks": [{"type": "TABLE_CELL", "text": "c"}]}, "BAD_USER_INPUT", "blocks.0.type"),
        (
            {"blocks": [{"type": "TABLE", "children": [{"type": "TABLE_CELL", "text": "c"}]}]},
            "BAD_USER_INPUT",
            "blocks.0.children.0.type",
        ),
        ({"blocks": [para("p", level=1)]}, "BAD_USER_INPUT", "blocks.0.level"),
        ({"blocks": [{"type": "DIVIDER", "text": "x"}]}, "BAD_USER_INPUT", "blocks.0.text"),
        (
            {"blocks": [{"type": "LINK", "text": "x", "url": "javascript:alert(1)"}]},
            "BAD_USER_INPUT",
            "blocks.0.url",
        ),
        ({"blocks": [{"type": "IMAGE"}]}, "BAD_USER_INPUT", "blocks.0.fileId"),
        ({"blocks": []}, "BAD_USER_INPUT", "blocks"),
        ({"blocks": [para("p")] * 101}, "BAD_USER_INPUT", "blocks"),
        (
            {"blocks": [{"type": "IMAGE", "fileId": folder["folderCreate"]["folder"]["id"]}]},
            "NOT_FOUND",
            "blocks.0.fileId",
        ),
        ({"blocks": [para("p")], "parentId": "nope"}, "BLOCK_NOT_FOUND", "parentId"),
        ({"blocks": [para("p")], "afterId": "nope"}, "BLOCK_NOT_FOUND", "afterId"),
        ({"blocks": [para("p")], "parentId": first}, "BAD_USER_INPUT", "parentId"),
        ({"blocks": [para("p")], "revision": 2}, "STALE_REVISION", "revision"),
    ]
    for fields, code, field in cases:
        got = await insert(api, ada, doc["id"], **{"revision": 1, **fields})
        assert [(e["code"], e["field"]) for e in got["errors"]] == [(code, field)], (fields, got)
        assert got["blockIds"] is None and got["blocks"] is None
    assert (await Document.get(id=pk(doc["id"]))).revision == 1
    assert await DocUpdate.filter(document_id=pk(doc["id"])).count() == 1


async def test_references_must_be_visible_files_and_people(api: Api) -> None:
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    eve = await api.sign_up()
    doc = await doc_ok(api, ada, title="Refs")
    mine = await upload_ok(api, ada, b"png", name="a.png")
    theirs = await upload_ok(api, eve, b"png", name="b.png")
    other_doc = await doc_ok(api, ada, title="Other")
    ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[
                {"type": "IMAGE", "fileId": mine["id"], "text": "caption"},
                {"type": "MENTION", "target": bob.user_id, "text": "Bob"},
                {"type": "MENTION", "target": other_doc["id"], "text": "Other"},
            ],
        )
    )
    for block, field in [
        ({"type": "FILE", "fileId": theirs["id"]}, "blocks.0.fileId"),
        ({"type": "MENTION", "target": eve.user_id}, "blocks.0.target"),
        ({"type": "MENTION", "target": mine["id"]}, "blocks.0.target"),
        ({"type": "IMAGE", "fileId": other_doc["id"]}, "blocks.0.fileId"),
    ]:
        got = await insert(api, ada, doc["id"], revision=2, blocks=[block])
        assert [(e["code"], e["field"]) for e in got["errors"]] == [("NOT_FOUND", field)], got
    blocks = (await read(api, ada, doc["id"]))["blocks"]
    assert [b["fileId"] or b["target"] for b in blocks[1:]] == [
        mine["id"],
        bob.user_id,
        other_doc["id"],
    ]
    assert (await Document.get(id=pk(doc["id"]))).revision == 2


async def test_update_type_and_attributes(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Types")
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[
                {"type": "HEADING", "text": "Title", "level": 3},
                {"type": "CODE", "text": "x = 1", "language": "python"},
            ],
        )
    )
    heading, code = made["blockIds"]
    up = ok(await update(api, ada, doc["id"], revision=2, blockId=heading, type="PARAGRAPH"))
    assert up["block"]["type"] == "PARAGRAPH" and up["block"]["level"] is None
    assert up["block"]["text"] == "Title" and up["revision"] == 3
    up = ok(await update(api, ada, doc["id"], revision=3, blockId=heading, type="HEADING"))
    assert up["block"]["level"] == 1  # a heading's default
    up = ok(await update(api, ada, doc["id"], revision=4, blockId=code, language=None))
    assert up["block"]["language"] is None and up["block"]["text"] == "x = 1"
    up = ok(
        await update(api, ada, doc["id"], revision=5, blockId=heading, type="TODO", checked=True)
    )
    assert up["block"]["type"] == "TODO" and up["block"]["checked"] is True
    refused = [
        ({"blockId": heading, "level": 7}, "BAD_USER_INPUT", "level"),
        ({"blockId": heading, "type": "DIVIDER"}, "BAD_USER_INPUT", "type"),
        ({"blockId": heading, "type": "TABLE_CELL"}, "BAD_USER_INPUT", "type"),
        ({"blockId": code, "url": "https://example.test"}, "BAD_USER_INPUT", "url"),
        ({"blockId": "nope", "text": "x"}, "BLOCK_NOT_FOUND", "blockId"),
        ({"blockId": "nope", "checked": True}, "BLOCK_NOT_FOUND", "blockId"),
        ({"blockId": code, "text": "y", "revision": 99}, "STALE_REVISION", "revision"),
        ({"blockId": code, "checked": True, "revision": 99}, "STALE_REVISION", "revision"),
    ]
    for fields, code_, field in refused:
        got = await update(api, ada, doc["id"], **{"revision": 6, **fields})
        assert [(e["code"], e["field"]) for e in got["errors"]] == [(code_, field)], (fields, got)
    assert (await Document.get(id=pk(doc["id"]))).revision == 6
    # Setting what is already there changes nothing and stores nothing.
    same = ok(await update(api, ada, doc["id"], revision=6, blockId=code, text="x = 1"))
    assert same["revision"] == 6


async def test_delete_and_move_keep_ids_and_refuse_unknown_blocks(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Order")
    made = ok(
        await insert(
            api,
            ada,
            doc["id"],
            revision=1,
            blocks=[
                para("a"),
                {
                    "type": "BULLETED_LIST_ITEM",
                    "runs": [{"text": "b", "italic": True}],
                    "children": [para("b1")],
                },
                para("c"),
                {"type": "QUOTE", "text": "q"},
            ],
        )
    )
    empty = (await read(api, ada, doc["id"]))["blocks"][0]["id"]
    a, b, c, q = made["blockIds"]
    refused = await delete(api, ada, doc["id"], revision=2, blockIds=[a, "nope"])
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("BLOCK_NOT_FOUND", "blockIds.1")
    ]
    ok(await delete(api, ada, doc["id"], revision=2, blockIds=[empty]))
    # Move c and b (in that order) into the quote; b keeps its child, formatting and id.
    ok(await move(api, ada, doc["id"], revision=3, blockIds=[c, b], parentId=q))
    got = await read(api, ada, doc["id"])
    assert texts(got["blocks"]) == ["a", ("q", ["c", ("b", ["b1"])])]
    moved = got["blocks"][1]["children"][1]
    assert moved["id"] == b and moved["runs"][0]["italic"] is True
    ok(await move(api, ada, doc["id"], revision=4, blockIds=[b], atStart=True))
    ok(await move(api, ada, doc["id"], revision=5, blockIds=[a], parentId=q, afterId=c))
    got = await read(api, ada, doc["id"])
    assert texts(got["blocks"]) == [("b", ["b1"]), ("q", ["c", "a"])]
    b1 = got["blocks"][0]["children"][0]["id"]
    for fields, code, field in [
        ({"blockIds": [b], "parentId": b1}, "BAD_USER_INPUT", "parentId"),
        ({"blockIds": [b], "parentId": b}, "BAD_USER_INPUT", "parentId"),
        ({"blockIds": [q], "afterId": q}, "BAD_USER_INPUT", "afterId"),
        ({"blockIds": [c], "afterId": b1}, "BAD_USER_INPUT", "afterId"),
        ({"blockIds": [c], "parentId": a}, "BAD_USER_INPUT", "parentId"),
        ({"blockIds": ["nope"]}, "BLOCK_NOT_FOUND", "blockIds.0"),
        ({"blockIds": []}, "BAD_USER_INPUT", "blockIds"),
        ({"blockIds": [c], "revision": 7}, "STALE_REVISION", "revision"),
    ]:
        got_error = await move(api, ada, doc["id"], **{"revision": 6, **fields})
        assert [(e["code"], e["field"]) for e in got_error["errors"]] == [(code, field)], fields
    assert (await Document.get(id=pk(doc["id"]))).revision == 6
    # Deleting a block with one inside it deletes both once.
    ok(await delete(api, ada, doc["id"], revision=6, blockIds=[q, c]))
    assert texts((await read(api, ada, doc["id"]))["blocks"]) == [("b", ["b1"])]
