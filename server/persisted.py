"""Automatic persisted queries (Apollo's ``extensions.persistedQuery``), until Hello keeps any.

Apollo's ``PersistedQueryLink`` first sends only the SHA-256 of the document. Hello stores no
documents yet, so such a request answers ``PERSISTED_QUERY_NOT_SUPPORTED``: the link then
stops hashing and sends every operation in full, as if it were not there. (``NOT_FOUND`` would
make it send each operation twice, forever.) A hash that comes with its document is checked
against it, so that a client whose hashes are wrong learns it now rather than when the store
arrives; the document then runs as any other.
"""

from __future__ import annotations

import hashlib
from typing import Any

from server.rejections import RequestRejected

NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"


def check(query: Any, extensions: Any) -> None:
    """Refuse what a persisted-query extension asks that Hello cannot do; a request without
    the extension passes untouched."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(digest, str):
        raise RequestRejected(
            400,
            "extensions.persistedQuery must be an object with a sha256Hash string.",
            "BAD_REQUEST",
        )
    if not isinstance(query, str) or not query:
        # The message is the one Apollo's links and servers also recognise by itself.
        raise RequestRejected(400, "PersistedQueryNotSupported", NOT_SUPPORTED)
    if hashlib.sha256(query.encode()).hexdigest() != digest.lower():
        raise RequestRejected(
            400,
            "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.",
            "PERSISTED_QUERY_HASH_MISMATCH",
        )
