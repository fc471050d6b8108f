"""Updates that give a root of the doc another kind than the block model's (``blocks`` written
as a map, ``title`` as an array): Yjs types a root by how it is read, so the server reads
``blocks`` as an array and ``title`` as a text whatever a client wrote there. Decision: such an
update is accepted and stored like any other (refusing it would need reading yrs' item
structure; it cannot hurt), and what was written under the wrong kind is invisible to every
reader: the blocks, the title and the plain text stay well formed, and after a reload too."""

from __future__ import annotations

from pycrdt import Array, Doc, Map

from resolvers.docs import store
from tests.client import Api
from tests.docs.helpers import PyClient, doc_ok, pk, send_update

READ = "query($d: ID!) { doc(id: $d) { title revision blocks { type text } } }"


async def test_a_root_of_the_wrong_kind_is_stored_and_invisible(api: Api) -> None:
    ada = await api.sign_up()
    doc = await doc_ok(api, ada, title="Kinds")
    client = PyClient(api, ada, doc["id"])
    await client.sync()
    await client.edit(lambda d: client.paragraph().insert(0, "kept"))
    evil: Doc = Doc()
    blocks = evil.get("blocks", type=Map)
    blocks["x"] = "not a block"
    evil.get("title", type=Array).append(42)
    result = await send_update(api, ada, doc["id"], evil.get_update())
    assert result["errors"] == [] and result["revision"] == 3, result
    for reload in (False, True):
        if reload:
            store.forget(pk(doc["id"]))
        data = await api.gql(READ, {"d": doc["id"]}, token=ada.access_token)
        assert data["doc"]["title"] == "Kinds" and data["doc"]["revision"] == 3
        assert data["doc"]["blocks"] == [{"type": "PARAGRAPH", "text": "kept"}]
    # and a Yjs peer syncing the doc still converges with it
    peer = PyClient(api, ada, doc["id"])
    await peer.sync()
    assert str(peer.paragraph()) == "kept" and str(peer.title) == "Kinds"
