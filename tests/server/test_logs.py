"""The request log's direct line (``adapters.logs.info_line``) is the line ``logging`` writes
through ``JsonFormatter``, and its timestamp is ``isoformat``'s."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest

from adapters import logs


@pytest.mark.parametrize(
    "created",
    [
        1_764_800_000.0,
        1_764_800_000.0004995,
        1_764_800_000.0005,
        1_764_800_000.5029995,  # rounds up to .503 at the microsecond, as fromtimestamp does
        1_764_800_000.9994999,
        1_764_800_000.9999995,  # rounds into the next second
        1_764_800_059.9999999,  # and the next minute
        1_736_697_192.5029995,
    ],
)
def test_the_timestamp_is_isoformats(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert logs.timestamp(created) == expected
    assert logs.timestamp(created) == expected  # from the second it remembered


def test_a_direct_line_is_the_formatters_line() -> None:
    stream = io.StringIO()
    handler = logs.JsonHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    # A logger of its own, outside the tree other tests configure.
    logger = logging.Logger("hello.request", logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    fields = {"request_id": "r1", "operation": None, "duration_ms": 0.25, "status": 200}
    logs.info_line(logger, "graphql", fields)
    logger.info("graphql", extra=fields)
    direct, formatted = (json.loads(line) for line in stream.getvalue().splitlines())
    assert list(direct) == list(formatted)
    assert {**direct, "time": None} == {**formatted, "time": None}
    datetime.fromisoformat(direct["time"])
