"""The codes Drive raises beyond ``CoreErrorCode``: one name from the ``raise`` in
``resolvers/drive`` to the values of each mutation's error enum in ``graphql_schema/drive`` and
the JSON errors of Drive's HTTP routes (``server/files.py``)."""

from __future__ import annotations

from enum import auto

from resolvers.core.errors import ErrorCode


class DriveErrorCode(ErrorCode):
    # uploadSessionComplete or a part PUT after the session's file was made.
    ALREADY_COMPLETED = auto()
    # fileShare to someone who owns the item or a folder above it.
    ALREADY_OWNER = auto()
    ALREADY_REVOKED = auto()
    # Attaching a file to a message needs the editor role on it.
    CANNOT_ATTACH = auto()
    EXPIRY_IN_PAST = auto()
    FILE_TOO_LARGE = auto()
    # fileUnshare of a grant made on a folder above.
    INHERITED = auto()
    # A folder moved into itself or a folder inside it.
    INTO_ITSELF = auto()
    INVALID_CONTENT_TYPE = auto()
    # Not exactly one of userId, departmentId and groupId (or a grant named twice).
    INVALID_GRANTEE = auto()
    # A part number outside the session's parts.
    INVALID_PART = auto()
    # A share link's password outside the allowed length.
    INVALID_PASSWORD = auto()
    INVALID_SHA256 = auto()
    # A signed download URL that is forged or expired.
    INVALID_SIGNATURE = auto()
    INVALID_SIZE = auto()
    NAME_TAKEN = auto()
    NOT_A_FILE = auto()
    NOT_A_FOLDER = auto()
    NOT_IN_TRASH = auto()
    PARTS_MISSING = auto()
    PART_SIZE_MISMATCH = auto()
    # A share link with a password opened without one.
    PASSWORD_REQUIRED = auto()
    QUOTA_EXCEEDED = auto()
    # GET /files: a Range outside the file (HTTP 416).
    RANGE_NOT_SATISFIABLE = auto()
    # A root folder (My Drive) cannot be renamed, moved, copied or deleted.
    ROOT_FOLDER = auto()
    ROOT_NOT_SHAREABLE = auto()
    SHA256_MISMATCH = auto()
    SIZE_MISMATCH = auto()
    # Folders nest at most placement.MAX_DEPTH levels.
    TOO_DEEP = auto()
    # Over ten files attached to one message.
    TOO_MANY_FILES = auto()
    # A folder copy of more than copying.MAX_COPY items.
    TOO_MANY_ITEMS = auto()
    # An upload session aborted or expired.
    UPLOAD_CLOSED = auto()
    # An upload session being completed by another request.
    UPLOAD_IN_PROGRESS = auto()
    # A share link's password is wrong.
    WRONG_PASSWORD = auto()
