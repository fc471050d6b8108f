"""The table and the results document of the benchmark, and the data comparison it relies on.
Pure functions; nothing here measures anything."""

from __future__ import annotations

from bench.report import (
    HEADERS,
    Figure,
    figures_from_document,
    fmt_number,
    fmt_summary,
    format_table,
    results_document,
)
from bench.stats import paired_ratio, summarize
from bench.verify import first_difference


def test_numbers_read_at_a_glance() -> None:
    assert fmt_number(12345.6) == "12,346"
    assert fmt_number(123.4) == "123"
    assert fmt_number(12.34) == "12.3"
    assert fmt_number(1.234) == "1.23"
    assert fmt_number(0.1234) == "0.123"
    assert fmt_number(0) == "0"
    assert fmt_number(7.0) == "7"  # counts stay whole
    assert fmt_number(float("inf")) == "inf"
    assert fmt_number(float("nan")) == "n/a"


def test_a_summary_shows_its_range_unless_every_run_agreed() -> None:
    assert fmt_summary(summarize([400, 390, 410])) == "400 [390-410]"
    assert fmt_summary(summarize([7, 7, 7])) == "7"
    assert fmt_summary(None) == "-"


def _figures() -> list[Figure]:
    hello, plain = [400.0, 410.0, 390.0], [1000.0, 1000.0, 1000.0]
    return [
        Figure(
            "1 GraphQL tax",
            "message page (50), req/s",
            summarize(hello),
            "plain Starlette",
            summarize(plain),
            paired_ratio(hello, plain),
        ),
        Figure("5 memory", "RSS per WebSocket, KiB", summarize([72, 71, 73])),
        Figure("2 engine", "from memory, req/s", None, note="Node.js not found"),
    ]


def test_the_table_has_a_header_and_one_aligned_line_per_figure() -> None:
    lines = format_table(_figures()).splitlines()
    assert lines[0].split()[:2] == ["scenario", "figure"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + 3
    # Columns line up: "figure" starts at the same offset on every line.
    offset = lines[0].index("figure")
    assert lines[2][offset:].startswith("message page (50), req/s")
    assert lines[3][offset:].startswith("RSS per WebSocket, KiB")
    assert "400 [390-410]" in lines[2]
    assert "0.400 [0.390-0.410]" in lines[2]
    assert "Node.js not found" in lines[4]


def test_the_markdown_table_has_one_row_per_figure() -> None:
    lines = format_table(_figures(), markdown=True).splitlines()
    assert lines[0] == "| " + " | ".join(HEADERS) + " |"
    assert len(lines) == 2 + 3
    assert lines[2].startswith("| 1 GraphQL tax | message page (50), req/s | 400 [390-410] |")


def test_the_results_document_holds_the_run_and_every_figure() -> None:
    doc = results_document(_figures(), {"date": "2025-01-06", "quick": True})
    assert doc["date"] == "2025-01-06" and doc["quick"] is True
    assert len(doc["figures"]) == 3
    first = doc["figures"][0]
    assert first["value"] == {"median": 400.0, "min": 390.0, "max": 410.0, "runs": 3}
    assert first["ratio"]["median"] == 0.4
    assert doc["figures"][2]["value"] is None
    assert doc["figures"][2]["note"] == "Node.js not found"


def test_a_results_document_gives_back_its_figures() -> None:
    figures = _figures()
    assert figures_from_document(results_document(figures, {})) == figures


def test_equal_data_has_no_difference_whatever_the_key_order() -> None:
    a = {"chat": {"id": "1", "messages": [{"seq": 1, "text": "hi"}]}}
    b = {"chat": {"messages": [{"text": "hi", "seq": 1}], "id": "1"}}
    assert first_difference(a, b) is None


def test_the_first_difference_is_named_by_its_path() -> None:
    a = {"chat": {"messages": [{"seq": 1}, {"seq": 2}]}}
    b = {"chat": {"messages": [{"seq": 1}, {"seq": 3}]}}
    assert first_difference(a, b) == "data.chat.messages[1].seq: 2 != 3"
    assert first_difference([1, 2], [1]) == "data: 2 items != 1"
    assert first_difference({"a": 1}, {"b": 1}) == "data: keys ['a'] != ['b']"
    assert first_difference({"n": 1}, {"n": 1.0}) == "data.n: 1 != 1.0"
