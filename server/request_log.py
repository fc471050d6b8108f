"""The request log: one structured line per HTTP request (request id, operation name, user,
duration, cost, outcome, status, method), written by the view (``server/view.py``) after the
response is built, whatever the outcome. No tokens, variables or query texts: what identifies
a request is its id, which the client also receives in ``x-request-id`` and which masked errors
quote. WebSocket sign-ins log their own line (``server/ws_signin.py``).
"""

from __future__ import annotations

import logging
import time

from starlette.requests import Request

from adapters import logs
from resolvers.core.context import Context

log = logging.getLogger("hello.request")


def write(
    request: Request,
    request_id: str,
    context: Context | None,
    started: float,
    outcome: str,
    status: int,
) -> None:
    """One JSON line per HTTP request, whatever its outcome."""
    if not log.isEnabledFor(logging.INFO):
        return
    principal = context.principal if context else None
    logs.info_line(
        log,
        "graphql",
        {
            "request_id": request_id,
            "operation": context.operation_name if context else None,
            "user_id": principal.user_id if principal else None,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "cost": context.cost if context else None,
            "outcome": outcome,
            "status": status,
            "method": request.method,
        },
    )
