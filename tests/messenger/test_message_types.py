"""``Message.from_snapshot`` and the reactions of a message set their instances' attributes as
one dict instead of calling the dataclass ``__init__``: they must set exactly what ``__init__``
sets, so that a field added to the type and not to them fails here."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from graphql_schema.messenger.message_parts import MessageReaction
from graphql_schema.messenger.types import Message, _dt, _reactions


def _snapshot(**changes: Any) -> dict[str, Any]:
    snapshot = {
        "id": 41,
        "chatId": 7,
        "seq": 3,
        "senderId": 5,
        "kind": "TEXT",
        "text": "hello",
        "content": None,
        "replyToId": None,
        "threadRootId": None,
        "replyCount": 0,
        "lastReplyAt": None,
        "editedAt": None,
        "editCount": 0,
        "recalledAt": None,
        "forwardedFromId": None,
        "createdAt": "2025-01-06T09:03:15+00:00",
    }
    snapshot.update(changes)
    return snapshot


def _by_init(s: dict[str, Any]) -> Message:
    """What ``from_snapshot`` built before: the dataclass ``__init__``."""
    return Message(
        id=s["id"],
        seq=s["seq"],
        stored_text=s["text"],
        stored_content=s["content"],
        kind=s["kind"],
        reply_count=s["replyCount"],
        last_reply_at=_dt(s["lastReplyAt"]),
        edited_at=_dt(s["editedAt"]),
        edit_count=s["editCount"],
        recalled_at=_dt(s["recalledAt"]),
        created_at=datetime.fromisoformat(s["createdAt"]),
        chat_id=s["chatId"],
        sender_id=s["senderId"],
        reply_to_id=s["replyToId"],
        thread_root_id=s["threadRootId"],
        forwarded_from_id=s["forwardedFromId"],
        sender_snapshot=s.get("sender"),
    )


def _init_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def test_from_snapshot_sets_what_init_sets() -> None:
    snapshots = [
        _snapshot(),
        _snapshot(
            kind="SYSTEM",
            content={"people": [1, 2]},
            senderId=None,
            replyToId=40,
            threadRootId=39,
            replyCount=4,
            lastReplyAt="2025-01-06T10:00:00+00:00",
            editedAt="2025-01-06T09:05:00.123456+00:00",
            editCount=2,
            recalledAt="2025-01-06T11:00:00+00:00",
            forwardedFromId=12,
            sender={"id": 5, "displayName": "Five", "organizationId": 1, "isActive": True},
        ),
    ]
    for s in snapshots:
        built, expected = Message.from_snapshot(s), _by_init(s)  # type: ignore[arg-type]
        assert type(built) is Message
        assert built == expected
        assert list(vars(built).items()) == list(vars(expected).items())
        assert list(vars(built)) == _init_fields(Message)
    assert Message.from_snapshot(snapshots[1]).edited_at == datetime(  # type: ignore[arg-type]
        2025, 1, 6, 9, 5, 0, 123456, tzinfo=UTC
    )


def test_reactions_set_what_init_sets() -> None:
    rows: list[dict[str, Any]] = [
        {"emoji": "👍", "count": 2, "userIds": [1, 2]},
        {"emoji": "🎉", "count": 1, "userIds": [3]},
    ]
    for viewer in (1, 3, None):
        built = _reactions(rows, viewer)
        expected = [
            MessageReaction(
                emoji=r["emoji"],
                count=r["count"],
                user_ids=r["userIds"],
                viewer_reacted=viewer in r["userIds"],
            )
            for r in rows
        ]
        assert built == expected
        assert [list(vars(b).items()) for b in built] == [list(vars(e).items()) for e in expected]
        assert all(list(vars(b)) == _init_fields(MessageReaction) for b in built)
