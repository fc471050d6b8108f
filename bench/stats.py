"""The arithmetic of the benchmark: summaries of repeated runs, ratios, percentiles, and the
parsing of wrk's machine-readable result line. Pure functions, tested in ``tests/bench``."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

WRK_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Summary:
    """Repeated runs of one figure: the median and the range."""

    median: float
    low: float
    high: float
    runs: int

    def to_json(self) -> dict[str, float | int]:
        return {"median": self.median, "min": self.low, "max": self.high, "runs": self.runs}


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        raise ValueError("no runs to summarize")
    return Summary(
        median=float(statistics.median(values)),
        low=float(min(values)),
        high=float(max(values)),
        runs=len(values),
    )


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> Summary:
    """The ratio of two figures measured in interleaved pairs (run i of one next to run i of
    the other): the ratio of each pair, summarized. Pairing keeps drift of the machine (other
    work, thermal state) out of the ratio as far as possible."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need the same number of runs on both sides")
    ratios = [n / d if d else math.inf for n, d in zip(numerators, denominators, strict=True)]
    return summarize(ratios)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of values sorted ascending."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0 <= fraction <= 1:
        raise ValueError("fraction is between 0 and 1")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


@dataclass(frozen=True)
class WrkRun:
    """One wrk run, from the line ``bench/report.lua`` prints in wrk's ``done()`` hook."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Socket errors (connect, read, write, timeout) and non-2xx/3xx responses."""
    cpu_us_per_request: float | None = None
    """CPU (user + system) the serving process spent per request during the run, when the
    target names its process."""

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def parse_wrk(output: str) -> WrkRun:
    """The result of one wrk run from its standard output; ValueError if the line is missing
    or incomplete (wrk crashed, or the script was not loaded)."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER) :])
            errors = sum(int(raw[k]) for k in ("connect", "read", "write", "timeout", "status"))
            return WrkRun(
                requests=int(raw["requests"]),
                duration_s=int(raw["duration_us"]) / 1e6,
                p50_ms=int(raw["p50_us"]) / 1000,
                p99_ms=int(raw["p99_us"]) / 1000,
                errors=errors,
            )
    raise ValueError(f"no {WRK_MARKER.strip()} line in wrk's output: {output[-500:]!r}")


def latency_summary(latencies_ms: Sequence[float]) -> tuple[float, float]:
    """(p50, p99) of a sample of latencies, in the sample's unit."""
    ordered = sorted(latencies_ms)
    return percentile(ordered, 0.50), percentile(ordered, 0.99)


def per_item(before: float, after: float, count: int) -> float:
    """(after - before) / count: e.g. memory per connection."""
    if count <= 0:
        raise ValueError("count must be positive")
    return (after - before) / count
