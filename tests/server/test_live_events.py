"""A shared event payload is written once and framed per subscriber with the very bytes the
plain encoder writes (``server/live_events.py``)."""

from __future__ import annotations

from server import jsonbody
from server.live_events import SharedData, dumps

DATA = {"chatEvents": {"__typename": "MessageAdded", "message": {"text": 'é "q" \\ \u2028 😀'}}}


def test_a_next_frame_around_shared_data_is_byte_identical_to_the_plain_one() -> None:
    shared = SharedData(DATA)
    for op_id in ("1", 'a"b\\c', "é😀", "x" * 300):
        plain = {"id": op_id, "type": "next", "payload": {"data": DATA}}
        framed = {"id": op_id, "type": "next", "payload": {"data": shared}}
        assert dumps(framed) == jsonbody.dumps(plain)
    # SSE and multipart write the payload alone: the same text, encoded once
    assert dumps({"data": shared}) == jsonbody.dumps({"data": DATA})
    assert shared.payload_text() is shared.payload_text()


def test_anything_else_is_encoded_as_before() -> None:
    shared = SharedData(DATA)
    with_cost = {"id": "1", "type": "next", "payload": {"data": shared, "extensions": {"c": 1}}}
    assert dumps(with_cost) == jsonbody.dumps(
        {"id": "1", "type": "next", "payload": {"data": DATA, "extensions": {"c": 1}}}
    )
    assert dumps({"type": "pong"}) == '{"type":"pong"}'
    assert dumps([1, 2]) == "[1,2]"
