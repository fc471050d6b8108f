"""The figures of a benchmark run, as one printed table and as a JSON document. Pure
functions, tested in ``tests/bench``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.stats import Summary


@dataclass(frozen=True)
class Figure:
    """One line of the table: Hello's figure and, if it has one, the baseline measured in the
    same run with the ratio Hello / baseline."""

    scenario: str
    """The scenario's number and short name, e.g. "1 GraphQL tax"."""
    name: str
    """What is measured, with its unit, e.g. "message page (50), req/s"."""
    value: Summary | None
    """None when it could not be measured (the note says why)."""
    baseline_name: str = ""
    baseline: Summary | None = None
    ratio: Summary | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "name": self.name,
            "value": self.value.to_json() if self.value else None,
            "baseline_name": self.baseline_name or None,
            "baseline": self.baseline.to_json() if self.baseline else None,
            "ratio": self.ratio.to_json() if self.ratio else None,
            "note": self.note or None,
        }


def fmt_number(x: float) -> str:
    """Readable at a glance: 12,345 / 123 / 12.3 / 1.23 / 0.123; whole numbers stay whole."""
    if x != x:  # NaN
        return "n/a"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    magnitude = abs(x)
    if x == int(x) and magnitude < 1e15:
        return f"{int(x):,}"  # counts (queries, connections) stay integers
    if magnitude >= 100:
        return f"{x:,.0f}"
    if magnitude >= 10:
        return f"{x:.1f}"
    if magnitude >= 1:
        return f"{x:.2f}"
    if magnitude == 0:
        return "0"
    return f"{x:.3f}"


def fmt_summary(s: Summary | None) -> str:
    """``median [min-max]``; just the median when every run agreed (or there was one)."""
    if s is None:
        return "-"
    mid, low, high = fmt_number(s.median), fmt_number(s.low), fmt_number(s.high)
    if low == high:
        return mid
    return f"{mid} [{low}-{high}]"


HEADERS = ("scenario", "figure", "Hello", "baseline", "baseline value", "Hello/baseline", "note")


def table_rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    return [
        (
            f.scenario,
            f.name,
            fmt_summary(f.value),
            f.baseline_name or "-",
            fmt_summary(f.baseline),
            fmt_summary(f.ratio),
            f.note,
        )
        for f in figures
    ]


def format_table(figures: Sequence[Figure], *, markdown: bool = False) -> str:
    """One table of every figure. Plain text with aligned columns for the terminal, or a
    Markdown table (for the README)."""
    rows = [HEADERS, *table_rows(figures)]
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows[1:]
        ]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def results_document(figures: Sequence[Figure], meta: dict[str, Any]) -> dict[str, Any]:
    """What ``bench/results/<date>.json`` holds: how the run was made, then every figure."""
    return {**meta, "figures": [f.to_json() for f in figures]}


def _summary(raw: dict[str, Any] | None) -> Summary | None:
    if raw is None:
        return None
    return Summary(median=raw["median"], low=raw["min"], high=raw["max"], runs=raw["runs"])


def figures_from_document(doc: dict[str, Any]) -> list[Figure]:
    """The figures of a results document (the inverse of ``results_document``)."""
    return [
        Figure(
            scenario=f["scenario"],
            name=f["name"],
            value=_summary(f["value"]),
            baseline_name=f["baseline_name"] or "",
            baseline=_summary(f["baseline"]),
            ratio=_summary(f["ratio"]),
            note=f["note"] or "",
        )
        for f in doc["figures"]
    ]


def main(argv: Sequence[str]) -> None:
    """``python -m bench.report FILE [--markdown]``: the table of a results file again."""
    import json
    from pathlib import Path

    doc = json.loads(Path(argv[0]).read_text())
    print(format_table(figures_from_document(doc), markdown="--markdown" in argv))
    print(
        f"\n{doc.get('command')}: {'quick' if doc.get('quick') else 'full'} run, {doc.get('date')}"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
