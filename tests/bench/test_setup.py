"""What the benchmark runs with: enough runs per figure, data of the right shape, scenarios
that can be named. No server, no load."""

from __future__ import annotations

from bench.memory import MESSAGES, make_fixture
from bench.runner import Settings, parse_args
from bench.scenarios import SCENARIOS
from bench.seed import GROUP_SIZE, GROUPS, MEMBERS, Dataset, Member


def test_every_figure_is_the_median_of_at_least_three_runs() -> None:
    for quick in (False, True):
        settings = Settings.of(quick)
        assert settings.runs >= 3
        assert settings.http.runs >= 3


def test_quick_runs_are_shorter() -> None:
    full, quick = Settings.of(False), Settings.of(True)
    assert quick.http.seconds < full.http.seconds
    assert quick.sends < full.sends
    assert full.sends == 10_000


def test_scenarios_have_unique_names_and_can_be_run_alone() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert parse_args(["--only", names[0], "--quick"]).only == names[0]
    options = parse_args(["--services"])
    assert options.services and not options.quick and options.only is None


def test_every_member_sends_into_their_own_team() -> None:
    people = [Member(str(i), f"t{i}", f"p{i}") for i in range(MEMBERS)]
    data = Dataset(people[0], people, [f"g{g}" for g in range(GROUPS)], "all")
    assert GROUPS * GROUP_SIZE == MEMBERS
    assert data.group_of(0) == "g0"
    assert data.group_of(GROUP_SIZE - 1) == "g0"
    assert data.group_of(GROUP_SIZE) == "g1"
    assert data.group_of(MEMBERS - 1) == f"g{GROUPS - 1}"
    assert data.page_chat == "g0"


def test_the_memory_fixture_is_deterministic_and_in_hellos_own_shape() -> None:
    from graphql_schema.messenger.types import Message

    fixture = make_fixture()
    assert fixture == make_fixture()
    assert len(fixture["messages"]) == MESSAGES
    # Built by the same function Hello uses for messages that arrive as snapshots.
    messages = [Message.from_snapshot(s) for s in fixture["messages"]]
    assert [m.seq for m in messages] == list(range(1, MESSAGES + 1))
    users = {u["id"] for u in fixture["users"]}
    assert {m.sender_id for m in messages} <= users
    for reactions in fixture["reactions"].values():
        for r in reactions:
            assert r["count"] == len(r["userIds"]) and set(r["userIds"]) <= users
