"""The benchmark's arithmetic and parsing: summaries, ratios, percentiles, wrk's result line.
Pure functions; nothing here runs wrk or looks at a clock."""

from __future__ import annotations

import math

import pytest

from bench.stats import (
    WRK_MARKER,
    Summary,
    latency_summary,
    paired_ratio,
    parse_wrk,
    per_item,
    percentile,
    summarize,
)


def test_summary_is_median_min_max_of_the_runs() -> None:
    assert summarize([3.0, 1.0, 2.0]) == Summary(median=2.0, low=1.0, high=3.0, runs=3)


def test_summary_of_an_even_number_of_runs_takes_the_middle_two() -> None:
    assert summarize([1, 2, 3, 10]).median == 2.5


def test_summary_needs_runs() -> None:
    with pytest.raises(ValueError):
        summarize([])


def test_summary_to_json() -> None:
    assert summarize([1, 2, 4]).to_json() == {"median": 2.0, "min": 1.0, "max": 4.0, "runs": 3}


def test_ratio_is_taken_pair_by_pair_then_summarized() -> None:
    # Run i of Hello next to run i of the baseline: ratios 0.5, 0.25, 1.0.
    ratio = paired_ratio([50, 25, 100], [100, 100, 100])
    assert ratio == Summary(median=0.5, low=0.25, high=1.0, runs=3)


def test_ratio_needs_as_many_runs_on_both_sides() -> None:
    with pytest.raises(ValueError):
        paired_ratio([1, 2, 3], [1, 2])


def test_ratio_against_zero_is_infinite_not_an_error() -> None:
    assert math.isinf(paired_ratio([1.0], [0.0]).median)


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile(values, 0.0) == 1
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_checks_its_input() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_latency_summary_sorts_first() -> None:
    assert latency_summary([5.0, 1.0, 3.0, 2.0, 4.0]) == (3.0, 5.0)


def test_per_item() -> None:
    assert per_item(1000, 51000, 1000) == 50
    with pytest.raises(ValueError):
        per_item(0, 1, 0)


WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/graphql
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.21ms  353.18us   9.04ms   91.62%
    Req/Sec     3.49k   157.95     3.72k    79.00%
  34905 requests in 10.00s, 9.32MB read
Requests/sec:   3490.11
Transfer/sec:    954.43KB
BENCH_RESULT {"requests":34905,"duration_us":10001234,"p50_us":2210,"p99_us":3970,"connect":0,"read":0,"write":0,"timeout":0,"status":0}
"""


def test_parse_wrk_reads_the_result_line() -> None:
    run = parse_wrk(WRK_OUTPUT)
    assert run.requests == 34905
    assert run.duration_s == pytest.approx(10.001234)
    assert run.rps == pytest.approx(34905 / 10.001234)
    assert run.p50_ms == pytest.approx(2.21)
    assert run.p99_ms == pytest.approx(3.97)
    assert run.errors == 0


def test_parse_wrk_counts_every_kind_of_error() -> None:
    line = (
        WRK_MARKER + '{"requests":10,"duration_us":1000000,"p50_us":1,"p99_us":2,'
        '"connect":1,"read":2,"write":3,"timeout":4,"status":5}'
    )
    assert parse_wrk(line).errors == 15


def test_parse_wrk_without_the_line_fails_loudly() -> None:
    with pytest.raises(ValueError, match="BENCH_RESULT"):
        parse_wrk("Running 10s test @ http://127.0.0.1:1/\nunable to connect\n")


def test_a_run_of_no_time_has_no_rate() -> None:
    line = (
        WRK_MARKER + '{"requests":0,"duration_us":0,"p50_us":0,"p99_us":0,'
        '"connect":0,"read":0,"write":0,"timeout":0,"status":0}'
    )
    assert parse_wrk(line).rps == 0.0
