"""Error shaping after execution: every error leaves with a stable ``extensions.code``. Domain
errors and errors that already carry a code pass as they are; an error without an original
exception is a validation failure; a lost database connection is SERVICE_UNAVAILABLE (an
outage to wait out, logged as a warning); anything else is masked, in development too, to
INTERNAL_SERVER_ERROR with the request id that the log line carries, so the driver's words
(SQL, hosts, paths) never reach the client.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from adapters.dbhealth import connection_lost, unavailable_error
from resolvers.core.errors import DomainError

log = logging.getLogger("hello.graphql")


def shape_errors(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    meta = getattr(context, "meta", None)
    request_id = getattr(meta, "request_id", "")
    shaped: list[GraphQLError] = []
    for error in errors:
        original = error.original_error
        if isinstance(original, DomainError) or (error.extensions or {}).get("code"):
            shaped.append(error)
        elif original is None:
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
            shaped.append(error)
        elif connection_lost(original):
            # Not a bug to mask but an outage to wait out; the driver's words stay in the log.
            log.warning(
                "database connection lost",
                exc_info=original,
                extra={"request_id": request_id, "path": error.path},
            )
            shaped.append(unavailable_error(error))
        else:
            log.error(
                "internal error",
                exc_info=original,
                extra={"request_id": request_id, "path": error.path},
            )
            # In development too: the driver's words (SQL, hosts, paths) stay in the log.
            shaped.append(
                GraphQLError(
                    f"Internal server error (request {request_id}).",
                    nodes=error.nodes,
                    positions=error.positions,
                    source=error.source,
                    path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            )
    return shaped
