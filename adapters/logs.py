"""Structured logs: one JSON object per line. Tokens and passwords are never logged: request
logs carry ids, names, durations and outcomes only."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

# uvicorn adds color_message, a copy of the message with terminal colours.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


_second: list[Any] = [None, ""]
"""The last whole second a line was written in, and its text up to the seconds."""


def timestamp(created: float) -> str:
    """``datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")``, with the
    date and time up to the second formatted once per second rather than for every line (a
    third of a request line's cost). The same text: rounded to the microsecond first, as
    fromtimestamp rounds, then cut to the millisecond, as isoformat cuts."""
    second = int(created)
    micros = round((created - second) * 1_000_000)
    if micros >= 1_000_000:
        second += 1
        micros -= 1_000_000
    if _second[0] != second:
        _second[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second[0] = second
    return f"{_second[1]}.{micros // 1000:03d}+00:00"


def _line(created: float, level: str, logger: str, message: str) -> dict[str, object]:
    return {"time": timestamp(created), "level": level, "logger": logger, "message": message}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = _line(record.created, record.levelname.lower(), record.name, record.getMessage())
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class JsonHandler(logging.StreamHandler[TextIO]):
    """The stream handler of ``configure``; ``info_line`` writes to it directly."""


def _direct_handlers(logger: logging.Logger, level: int) -> list[JsonHandler] | None:
    """The handlers a record of ``level`` from ``logger`` would reach, if every one of them is
    our JSON stream handler and nothing on the way filters (or logging is off); else None,
    and the caller goes through ``logging`` itself. Asked on every line, so handlers added or
    removed later (tests capture logs this way) are always honoured."""
    if logger.disabled or logger.manager.disable >= level or not logger.isEnabledFor(level):
        return None
    found: list[JsonHandler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if type(handler) is not JsonHandler or handler.filters:
                return None
            if level >= handler.level:
                found.append(handler)
        current = current.parent if current.propagate else None
    return found


def info_line(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """Log ``message`` with ``fields`` at INFO, the same line ``logger.info(message,
    extra=fields)`` writes through ``JsonFormatter``, but built once with orjson and written
    straight to the handler's stream: no LogRecord, formatter or ``extra`` merging, which cost
    about as much as a small request's own work. The level, the logger tree and the handlers
    are honoured as ``logging`` would; anything else configured falls back to ``logging``."""
    handlers = _direct_handlers(logger, logging.INFO)
    if handlers is None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(message, extra=fields)
        return
    if not handlers:
        return
    entry = {"time": timestamp(time.time()), "level": "info", "logger": logger.name}
    entry["message"] = message
    entry.update(fields)
    data = orjson.dumps(entry, default=str).decode() + "\n"
    for handler in handlers:
        handler.acquire()
        try:
            stream = handler.stream
            stream.write(data)
            stream.flush()  # what StreamHandler.flush does, under the lock already held
        except Exception:
            handler.handleError(logging.makeLogRecord({"msg": message, "name": logger.name}))
        finally:
            handler.release()


def configure(level: str = "INFO") -> None:
    # Our lines carry no caller, thread or process fields, so logging need not look them up
    # for every record (the logging HOWTO's "Optimization"): a fifth of a request line's cost.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log would repeat our request line without the GraphQL details.
    logging.getLogger("uvicorn.access").disabled = True
    # taskiq's receiver logs every message it runs at INFO; our job line (hello.jobs) says more.
    logging.getLogger("taskiq").setLevel(max(root.level, logging.WARNING))
