"""The codes Docs raises beyond ``CoreErrorCode`` (see ``resolvers.drive.errors``)."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class DocsErrorCode(ErrorCode):
    # A Yjs update (or state vector) that is not valid base64 or does not decode.
    INVALID_UPDATE = auto()
    # A Yjs update over settings.docs_max_update_bytes.
    UPDATE_TOO_LARGE = auto()
    # A Drive item that is not a doc, where a doc is needed.
    NOT_A_DOC = auto()
    # A block id that is not (or no longer) in the doc.
    BLOCK_NOT_FOUND = auto()
    # A base revision the server can no longer rebase from (older than the doc's snapshot) or
    # newer than the doc.
    STALE_REVISION = auto()
    # A mentioned person who cannot see the doc (share it with them first, or leave them out).
    MENTION_WITHOUT_ACCESS = auto()
    # docImport: content (or a file) over formats' MAX_IMPORT_BYTES.
    IMPORT_TOO_LARGE = auto()
    # docExport to a format this server cannot write (PDF without its fonts).
    FORMAT_UNAVAILABLE = auto()
