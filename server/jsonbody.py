"""JSON in and out at the edge, for HTTP bodies, query strings and WebSocket messages.

In: the nesting of a document is bounded before any parser sees it. Python's ``json`` recurses
per level and a body of a thousand ``[`` raised RecursionError, which escaped as a plain-text
500; orjson stops at 1024 levels, but nothing a client sends needs more than a few dozen.

Out: orjson, except for what it cannot encode (integers past 64 bits), which the standard
library writes instead of the response turning into a 500.
"""

from __future__ import annotations

import json
import re

import orjson

MAX_NESTING = 64

# A JSON string, brackets inside do not count. Possessive, and an unterminated one runs to the
# end: every match then succeeds where it starts, so the scan stays one pass.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+"?', re.DOTALL)
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class TooDeep(json.JSONDecodeError):
    """Raised like a syntax error, so every caller that answers bad JSON answers this too."""

    limit = MAX_NESTING


def nesting_exceeds(data: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether arrays and objects in ``data`` nest more than ``limit`` deep. Linear, in C: the
    brackets outside strings are kept and innermost pairs removed ``limit`` times over; any
    pair left was deeper than that. Brackets never closed are left to the parser, for which
    they are a syntax error (orjson's own bound is 1024 levels)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the usual case, at the cost of two memchr-speed counts
    shape = _STRING.sub(b"", data).translate(_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        if b"()" not in shape:
            return False
        shape = shape.replace(b"()", b"")
    return b"()" in shape


def loads(data: str | bytes) -> object:
    raw = data.encode() if isinstance(data, str) else data
    if nesting_exceeds(raw):
        text = raw[:40].decode(errors="replace")
        raise TooDeep(f"JSON nested more than {MAX_NESTING} deep", text, 0)
    return orjson.loads(raw)


def dump_bytes(data: object) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits, say
        return json.dumps(data, separators=(",", ":"), default=str).encode()


def dumps(data: object) -> str:
    return dump_bytes(data).decode()
