"""Message search: English words and CJK substrings, ranking, escaped snippets, filters,
tenancy, recalled messages, query injection, paging and a query count independent of page size.
Every test signs up its own organization, so hits never leak in from other tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry.relay import GlobalID

from models.messenger import Message
from tests.client import Account, Api, count_queries
from tests.messenger.helpers import group, send

SEARCH = """query($q: String!, $chat: ID, $sender: ID, $since: DateTime, $until: DateTime,
  $first: Int, $after: String) {
  messageSearch(query: $q, chatId: $chat, senderId: $sender, since: $since, until: $until,
    first: $first, after: $after) {
    edges { cursor node { snippet score message { id text sender { id } } chat { id name } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


async def search(api: Api, who: Account, q: str, **variables: Any) -> dict[str, Any]:
    data = await api.gql(SEARCH, {"q": q, **variables}, token=who.access_token)
    return data["messageSearch"]


async def texts(api: Api, who: Account, q: str, **variables: Any) -> list[str]:
    found = await search(api, who, q, **variables)
    return [e["node"]["message"]["text"] for e in found["edges"]]


async def error_code(api: Api, who: Account | None, q: str, **variables: Any) -> Any:
    r = await api.post(
        SEARCH, {"q": q, **variables}, token=who.access_token if who is not None else None
    )
    body = r.json()
    assert body["data"] is None or body["data"]["messageSearch"] is None, body
    return body["errors"][0]["extensions"]


async def team(api: Api, texts_to_send: list[str]) -> tuple[Account, Account, str, list[str]]:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    chat = await group(api, ada, [bob])
    ids = [(await send(api, ada, chat, t))["message"]["id"] for t in texts_to_send]
    return ada, bob, chat, ids


async def test_an_english_word_is_found_case_insensitively(api: Api) -> None:
    ada, bob, chat, ids = await team(
        api, ["The quarterly budget review is on Friday", "Lunch plans?"]
    )
    found = await search(api, bob, "BUDGET")
    assert [e["node"]["message"]["id"] for e in found["edges"]] == [ids[0]]
    node = found["edges"][0]["node"]
    assert node["snippet"] == "The quarterly <mark>budget</mark> review is on Friday"
    assert node["chat"] == {"id": chat, "name": "Team"}
    assert node["message"]["sender"] == {"id": ada.user_id}
    assert await texts(api, bob, "budget friday") == ["The quarterly budget review is on Friday"]
    assert await texts(api, bob, "budget lunch") == []
    assert await texts(api, bob, "ud") == ["The quarterly budget review is on Friday"]


async def test_chinese_and_japanese_substrings_are_found(api: Api) -> None:
    _, bob, _, _ = await team(
        api, ["明天的会议改到三点", "会议室在三楼", "明日の打ち合わせは午後です", "hello"]
    )
    # Two characters: shorter than a trigram (the LIKE path on SQLite).
    assert sorted(await texts(api, bob, "会议")) == sorted(["明天的会议改到三点", "会议室在三楼"])
    assert await texts(api, bob, "会议改") == ["明天的会议改到三点"]
    assert await texts(api, bob, "打ち合わせ") == ["明日の打ち合わせは午後です"]
    found = await search(api, bob, "会议改")
    assert found["edges"][0]["node"]["snippet"] == "明天的<mark>会议改</mark>到三点"


async def test_better_matches_rank_first(api: Api) -> None:
    # The better match is sent first, so newest-first tie breaking cannot explain the order.
    _, bob, _, ids = await team(
        api,
        [
            "deploy deploy: the deploy is ready",
            "after a long discussion about many unrelated things we might deploy someday "
            "once everybody agrees on the schedule and the budget and the rest of it",
            "no match here",
        ],
    )
    found = await search(api, bob, "deploy")
    assert [e["node"]["message"]["id"] for e in found["edges"]] == [ids[0], ids[1]]
    scores = [e["node"]["score"] for e in found["edges"]]
    assert scores[0] > scores[1]


async def test_snippets_escape_html_and_mark_only_matches(api: Api) -> None:
    _, bob, _, _ = await team(
        api, ["<script>alert('budget')</script> & more", "x" * 300 + " budget " + "y" * 300]
    )
    found = await search(api, bob, "budget")
    snippets = sorted(e["node"]["snippet"] for e in found["edges"])
    assert snippets[0] == (
        "&lt;script&gt;alert(&#x27;<mark>budget</mark>&#x27;)&lt;/script&gt; &amp; more"
    )
    long = snippets[1]
    assert long.startswith("…") and long.endswith("…") and "<mark>budget</mark>" in long
    assert len(long) < 200
    tag = await search(api, bob, "<script>")
    assert [e["node"]["snippet"] for e in tag["edges"]] == [
        "<mark>&lt;script&gt;</mark>alert(&#x27;budget&#x27;)&lt;/script&gt; &amp; more"
    ]


async def test_filters_by_chat_sender_and_time(api: Api) -> None:
    ada, bob, chat, ids = await team(api, ["status report one", "status report two"])
    other = await group(api, bob, [ada], name="Other")
    from_bob = (await send(api, bob, other, "status report three"))["message"]["id"]
    assert len(await texts(api, ada, "status")) == 3
    assert sorted(await texts(api, ada, "status", chat=other)) == ["status report three"]
    assert sorted(await texts(api, ada, "status", sender=bob.user_id)) == ["status report three"]
    assert len(await texts(api, ada, "status", sender=ada.user_id, chat=chat)) == 2
    # Given: the messages were sent on three different days.
    day = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    for i, gid in enumerate([ids[0], ids[1], from_bob]):
        await Message.filter(id=pk(gid)).update(created_at=day + timedelta(days=i))
    since = (day + timedelta(days=1)).isoformat()
    until = (day + timedelta(days=2)).isoformat()
    assert await texts(api, ada, "status", since=since, until=until) == ["status report two"]
    assert sorted(await texts(api, ada, "status", since=since)) == [
        "status report three",
        "status report two",
    ]
    assert await texts(api, ada, "status", until=since) == ["status report one"]


async def test_nothing_outside_your_chats_and_organization_is_found(api: Api) -> None:
    ada, bob, chat, _ = await team(api, ["secret plan alpha"])
    carol = await api.add_member(ada, name="Carol")
    private = await group(api, bob, [], name="Bob alone")
    await send(api, bob, private, "secret plan beta")
    mallory = await api.sign_up(organization="Evil")
    theirs = await group(api, mallory, [], name="Evil")
    await send(api, mallory, theirs, "secret plan gamma")
    assert await texts(api, ada, "secret plan") == ["secret plan alpha"]
    assert await texts(api, carol, "secret") == []
    assert await texts(api, mallory, "secret") == ["secret plan gamma"]
    assert await texts(api, mallory, "secret", sender=mallory.user_id) == ["secret plan gamma"]
    # Another organization's chat or user, a chat you are not in, a malformed or mistyped ID:
    # all NOT_FOUND, exactly alike.
    for variables in (
        {"chat": chat},
        {"chat": private},
        {"chat": "not-an-id"},
        {"chat": ada.user_id},
        {"sender": ada.user_id},
        {"sender": chat},
    ):
        field = "chatId" if "chat" in variables else "senderId"
        ext = await error_code(api, mallory, "secret", **variables)
        assert ext == {"code": "NOT_FOUND", "field": field}, variables
    assert await error_code(api, ada, "secret", chat=private) == {
        "code": "NOT_FOUND",
        "field": "chatId",
    }
    assert (await error_code(api, None, "secret"))["code"] == "UNAUTHENTICATED"


async def test_recalled_messages_are_never_found(api: Api) -> None:
    _, bob, _, ids = await team(api, ["recall me budget", "keep me budget"])
    # Given: the first message was recalled (its text kept, to prove the filter, not the text,
    # hides it).
    await Message.filter(id=pk(ids[0])).update(recalled_at=datetime.now(UTC))
    assert await texts(api, bob, "budget") == ["keep me budget"]
    assert await texts(api, bob, "me") == ["keep me budget"]


async def test_edited_and_deleted_text_is_reindexed(api: Api) -> None:
    _, bob, _, ids = await team(api, ["first draft wording", "unrelated"])
    await Message.filter(id=pk(ids[0])).update(text="final wording")
    assert await texts(api, bob, "draft") == []
    assert await texts(api, bob, "final") == ["final wording"]
    await Message.filter(id=pk(ids[0])).delete()
    assert await texts(api, bob, "wording") == []


async def test_query_syntax_is_searched_literally(api: Api) -> None:
    _, bob, _, _ = await team(
        api, ["budget review", "lunch plans", 'she said "hi" at 50% off_sale', "a\\b path"]
    )
    cases = {
        "budget OR lunch": [],
        "budget AND NOT lunch": [],
        "NEAR(budget lunch)": [],
        "budget*": [],
        "*": [],
        "^budget": [],
        "text:budget": [],
        "'; DROP TABLE message; --": [],
        '"budget': [],
        '"hi"': ['she said "hi" at 50% off_sale'],
        '"': ['she said "hi" at 50% off_sale'],
        "%": ['she said "hi" at 50% off_sale'],
        "_": ['she said "hi" at 50% off_sale'],
        "f_s": ['she said "hi" at 50% off_sale'],
        "\\": ["a\\b path"],
        "a\\b": ["a\\b path"],
    }
    for q, expected in cases.items():
        assert await texts(api, bob, q) == expected, q
    assert await texts(api, bob, "budget") == ["budget review"]
    assert await Message.all().count() > 0


async def test_bad_queries_and_page_sizes_are_refused(api: Api) -> None:
    _, bob, _, _ = await team(api, ["x"])
    for q, variables in (
        ("   ", {}),
        ("x" * 201, {}),
        (" ".join(f"t{i}" for i in range(11)), {}),
        ("x", {"first": 51}),
        ("x", {"first": -1}),
        ("x", {"after": "garbage"}),
    ):
        assert (await error_code(api, bob, q, **variables))["code"] == "BAD_USER_INPUT", q


async def test_paging_walks_the_ranked_result(api: Api) -> None:
    _, bob, _, ids = await team(api, [f"note number {i}" for i in range(5)])
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        found = await search(api, bob, "note", first=2, after=after)
        seen += [e["node"]["message"]["id"] for e in found["edges"]]
        assert found["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert pages == 3
    # Equal scores: newest first.
    assert seen == list(reversed(ids))


async def test_query_count_does_not_grow_with_page_size(api: Api) -> None:
    _, bob, _, _ = await team(api, [f"weekly sync {i}" for i in range(8)])
    counts = []
    for first in (2, 8):
        with count_queries() as statements:
            found = await search(api, bob, "weekly", first=first)
        assert len(found["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[0] > 0, counts
