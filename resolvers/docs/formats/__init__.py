"""Docs import and export: pure functions between the block model (``resolvers.docs.blocks``)
and Markdown, HTML, plain text, DOCX and PDF.

What every format shares lives here: which URLs survive (``safe_url``: an import and an export
both drop ``javascript:`` and every other scheme not listed, so a doc written by a hostile Yjs
client exports as safely as one imported from hostile HTML), and how references to Hello's own
objects travel as links. A Drive file of an image or file block and the target of a mention
are written as ``hello:<global ID>`` (``hello:RmlsZToxMg==``): the global ID says what it
is (File, User, Chat, Doc), so an import of the export gets the same blocks back, and a client
showing an export rewrites them to its own routes."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

HELLO_SCHEME = "hello:"
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:", HELLO_SCHEME)
"""What a link may point to. Relative URLs and fragments (no scheme) are allowed too."""
MAX_URL = 2048
REFERENCE_TYPES = frozenset({"File", "User", "Chat", "Doc"})


class Format(StrEnum):
    MARKDOWN = "MARKDOWN"
    HTML = "HTML"
    TEXT = "TEXT"
    DOCX = "DOCX"
    PDF = "PDF"


def safe_url(url: str | None) -> str | None:
    """``url`` if a link may point there, else None. Browsers ignore control characters and
    white space inside a scheme (``java\\tscript:``) and compare it case-insensitively, so the
    scheme is judged on what is left after removing them."""
    if not url:
        return None
    url = url.strip()
    if not url or len(url) > MAX_URL:
        return None
    squeezed = "".join(c for c in url if ord(c) > 32 and c != "\x7f").lower()
    colon = squeezed.find(":")
    if colon == -1:
        return url  # relative: no scheme at all
    boundary = min((i for i in (squeezed.find(c) for c in "/?#") if i != -1), default=len(url))
    if boundary < colon:
        return url  # the colon is in the path, query or fragment: still relative
    if not squeezed.startswith(SAFE_SCHEMES):
        return None
    return "".join(c for c in url if ord(c) >= 32 and c != "\x7f")


def reference_url(global_id: str) -> str:
    return HELLO_SCHEME + global_id


def reference_of(url: str | None) -> tuple[str, str] | None:
    """(type name, global ID) of a ``hello:`` reference to a File, User, Chat or Doc, else
    None."""
    if not url or not url.startswith(HELLO_SCHEME):
        return None
    global_id = url[len(HELLO_SCHEME) :]
    try:
        decoded = base64.b64decode(global_id, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    type_name, colon, node_id = decoded.partition(":")
    if not colon or type_name not in REFERENCE_TYPES or not node_id.isdigit():
        return None
    return type_name, global_id
