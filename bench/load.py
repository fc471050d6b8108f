"""HTTP load with wrk, pinned to the load core, and the interleaved comparison of a figure
with its baseline."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from bench.client import BenchError
from bench.report import Figure
from bench.servers import LOAD_CORE, Process, on_core
from bench.stats import WrkRun, paired_ratio, parse_wrk, summarize

REPORT_LUA = Path(__file__).resolve().parent / "report.lua"


def wrk_missing() -> str | None:
    if shutil.which("wrk") is None:
        return "wrk not found: `make bench` installs it (apt-get install -y wrk)"
    return None


@dataclass
class Target:
    """One HTTP request to hammer."""

    name: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    server: Process | None = None
    """The process that serves it, whose CPU per request the run reports."""

    @property
    def method(self) -> str:
        return "POST" if self.body is not None else "GET"


async def run_wrk(target: Target, *, seconds: float, connections: int) -> WrkRun:
    with tempfile.NamedTemporaryFile(suffix=".json") as body_file:
        env = {"BENCH_METHOD": target.method, "BENCH_BODY_FILE": ""}
        if target.body is not None:
            body_file.write(orjson.dumps(target.body))
            body_file.flush()
            env["BENCH_BODY_FILE"] = body_file.name
        headers = {"content-type": "application/json", **target.headers}
        argv = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
        ]
        for key, value in headers.items():
            argv += ["-H", f"{key}: {value}"]
        argv += ["-s", str(REPORT_LUA), target.url]
        cpu_before = target.server.cpu_seconds() if target.server else 0.0
        proc = await asyncio.create_subprocess_exec(
            *on_core(LOAD_CORE, argv),
            env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        cpu = target.server.cpu_seconds() - cpu_before if target.server else None
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}) on {target.name}: {text[-1000:]}")
    run = parse_wrk(text)
    if run.errors:
        raise BenchError(
            f"{run.errors} errors (socket errors or non-2xx answers) from {target.name}; "
            f"a figure with errors would be wrong:\n{text[-1000:]}"
        )
    if run.requests == 0:
        raise BenchError(f"no request completed against {target.name}")
    if cpu is not None:
        run = replace(run, cpu_us_per_request=cpu * 1e6 / run.requests)
    return run


@dataclass
class Timing:
    seconds: float
    warmup: float
    runs: int
    connections: int


async def measure_pair(
    hello: Target,
    baseline: Target,
    timing: Timing,
    log: Callable[[str], None],
) -> tuple[list[WrkRun], list[WrkRun]]:
    """Both targets, warmed up, then measured in alternation: run i of one right after run i
    of the other, so that whatever else the machine does affects both alike."""
    for t in (hello, baseline):
        await run_wrk(t, seconds=timing.warmup, connections=timing.connections)
    a: list[WrkRun] = []
    b: list[WrkRun] = []
    for i in range(timing.runs):
        a.append(await run_wrk(hello, seconds=timing.seconds, connections=timing.connections))
        b.append(await run_wrk(baseline, seconds=timing.seconds, connections=timing.connections))
        log(
            f"    run {i + 1}: {hello.name} {a[-1].rps:,.0f} req/s, "
            f"{baseline.name} {b[-1].rps:,.0f} req/s"
        )
    return a, b


def pair_figures(
    scenario: str, what: str, baseline_name: str, a: list[WrkRun], b: list[WrkRun]
) -> list[Figure]:
    """Throughput and latency of a measured pair, with Hello / baseline ratios; where both
    targets name their process, the CPU each spent per request, and what Hello spends beyond
    its baseline per request (the GraphQL overhead in µs, which a ratio hides once the shared
    work gets faster)."""
    out = []
    for label, get in (
        ("req/s", lambda r: r.rps),
        ("p50 ms", lambda r: r.p50_ms),
        ("p99 ms", lambda r: r.p99_ms),
    ):
        va, vb = [get(r) for r in a], [get(r) for r in b]
        out.append(
            Figure(
                scenario,
                f"{what}, {label}",
                summarize(va),
                baseline_name,
                summarize(vb),
                paired_ratio(va, vb),
            )
        )
    ca = [r.cpu_us_per_request for r in a]
    cb = [r.cpu_us_per_request for r in b]
    if all(c is not None for c in ca + cb):
        fa, fb = [float(c or 0) for c in ca], [float(c or 0) for c in cb]
        out.append(
            Figure(
                scenario,
                f"{what}, server CPU µs per request",
                summarize(fa),
                baseline_name,
                summarize(fb),
                paired_ratio(fa, fb),
            )
        )
        out.append(
            Figure(
                scenario,
                f"{what}, CPU µs per request beyond the baseline",
                summarize([x - y for x, y in zip(fa, fb, strict=True)]),
            )
        )
    return out
