"""One benchmark run: options, timings, the stacks and their servers (started and seeded on
first use), the scenarios, the table and the results file."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.client import BenchError
from bench.load import Timing, wrk_missing
from bench.memory import write_fixture
from bench.report import Figure, format_table, results_document
from bench.seed import Dataset, seed
from bench.servers import (
    SERVER_CORE,
    Process,
    Stack,
    cores,
    create_stack,
    drop_stack,
    pin_self_to_load_core,
    pinning,
    start_hello,
)

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Options:
    quick: bool = False
    services: bool = False
    only: str | None = None


@dataclass
class Settings:
    """How long and how much: full runs for the published table, quick ones while
    developing. Every figure has at least three runs either way."""

    http: Timing
    latency_messages: int
    fanout_start_rate: float
    """Messages per second of the first step; the search doubles it until a step fails, then
    bisects between the best passing and the lowest failing rate."""
    fanout_step_seconds: float
    memory_counts: list[int]
    sends: int
    send_concurrency: int = 16
    runs: int = 3

    @classmethod
    def of(cls, quick: bool) -> Settings:
        if quick:
            return cls(
                http=Timing(seconds=3, warmup=1, runs=3, connections=8),
                latency_messages=4,
                fanout_start_rate=2,
                fanout_step_seconds=3,
                memory_counts=[1000, 5000],
                sends=1000,
            )
        return cls(
            http=Timing(seconds=10, warmup=3, runs=3, connections=8),
            latency_messages=10,
            fanout_start_rate=2,
            fanout_step_seconds=6,
            memory_counts=[1000, 5000],
            sends=10_000,
        )


@dataclass
class StackRun:
    """A stack with its main server, seeded."""

    stack: Stack
    server: Process
    data: Dataset

    @property
    def label(self) -> str:
        return " (PostgreSQL)" if self.stack.services else ""


@dataclass
class Bench:
    options: Options
    settings: Settings
    tmp: Path
    fixture: Path
    figures: list[Figure] = field(default_factory=list)
    _servers: dict[bool, tuple[Stack, Process]] = field(default_factory=dict)
    _data: dict[bool, Dataset] = field(default_factory=dict)
    _processes: list[Process] = field(default_factory=list)

    def log(self, message: str) -> None:
        print(message, flush=True)

    def stack_kinds(self) -> list[bool]:
        """False: the embedded stack; True: PostgreSQL and Redis (with --services)."""
        return [False, True] if self.options.services else [False]

    async def server(self, services: bool = False) -> tuple[Stack, Process]:
        """The stack's main server, started on first use (not seeded)."""
        found = self._servers.get(services)
        if found is not None:
            return found
        stack = await create_stack(services=services, fixture=self.fixture)
        self.log(f"Stack: {stack.name} in {stack.data_dir}")
        try:
            server = await self.start_server(stack)
        except BaseException:
            await drop_stack(stack)
            raise
        self._servers[services] = (stack, server)
        return stack, server

    async def stack(self, services: bool = False) -> StackRun:
        """The stack's main server over seeded data."""
        stack, server = await self.server(services)
        data = self._data.get(services)
        if data is None:
            started = time.monotonic()
            self.log("  seeding through the GraphQL API…")
            data = self._data[services] = await seed(server.url, log=self.log)
            self.log(f"  seeded in {time.monotonic() - started:.0f} s")
        return StackRun(stack, server, data)

    async def start_server(
        self, stack: Stack, name: str = "hello", core: int = SERVER_CORE
    ) -> Process:
        process = await start_hello(stack, name, core)
        self._processes.append(process)
        return process

    def track(self, process: Process) -> Process:
        self._processes.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self._processes:
            self._processes.remove(process)

    async def _stop_all(self) -> None:
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()

    async def close(self) -> None:
        await self._stop_all()
        for stack, _ in self._servers.values():
            await drop_stack(stack)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unavailable"


def machine() -> dict[str, Any]:
    return {
        "cpus": cores(),
        "pinned": pinning(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "wrk": _version(["wrk", "--version"]),
    }


def parse_args(argv: list[str]) -> Options:
    from bench.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Hello against plain endpoints in the same process and against "
        "graphql-yoga; print one table and write bench/results/<date>.json.",
    )
    parser.add_argument(
        "--services",
        action="store_true",
        help="Also on PostgreSQL (HELLO_BENCH_DATABASE_URL) and Redis (HELLO_BENCH_REDIS_URL).",
    )
    parser.add_argument("--quick", action="store_true", help="Short runs, for development.")
    parser.add_argument(
        "--only",
        choices=[s.name for s in SCENARIOS],
        help="Run one scenario.",
    )
    args = parser.parse_args(argv)
    return Options(quick=args.quick, services=args.services, only=args.only)


async def run(options: Options, argv: list[str]) -> int:
    from bench.scenarios import SCENARIOS

    if missing := wrk_missing():
        print(missing, file=sys.stderr)
        return 2
    pin_self_to_load_core()
    tmp = Path(tempfile.mkdtemp(prefix="hello-bench-run-"))
    bench = Bench(options, Settings.of(options.quick), tmp, write_fixture(tmp / "fixture.json"))
    started = time.monotonic()
    if not pinning():
        bench.log("warning: fewer than 2 cores or no taskset; load and server share CPUs")
    failed: list[str] = []
    try:
        for scenario in SCENARIOS:
            if options.only and scenario.name != options.only:
                continue
            bench.log(f"== {scenario.title}")
            try:
                bench.figures += await scenario.run(bench)
            except Exception as e:
                # Loudly, but the other scenarios still run: their figures stay valid.
                if not isinstance(e, BenchError):
                    traceback.print_exc()
                print(f"\n{scenario.title} FAILED: {e}\n", file=sys.stderr)
                failed.append(scenario.name)
                bench.figures.append(
                    Figure(scenario.title, "FAILED", None, note=str(e).splitlines()[0][:160])
                )
    finally:
        await bench.close()
    minutes = (time.monotonic() - started) / 60
    command = "python -m bench " + " ".join(argv)
    print()
    print(format_table(bench.figures))
    print(f"\n{command.strip()}: {'quick' if options.quick else 'full'} run, {minutes:.1f} min")
    today = dt.date.today().isoformat()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{today}.json"
    meta = {
        "date": today,
        "command": command.strip(),
        "quick": options.quick,
        "services": options.services,
        "only": options.only,
        "minutes": round(minutes, 1),
        "failed": failed,
        "machine": machine(),
    }
    path.write_bytes(
        orjson.dumps(results_document(bench.figures, meta), option=orjson.OPT_INDENT_2) + b"\n"
    )
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_args(argv)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(run(options, argv))
    return uvloop.run(run(options, argv))
