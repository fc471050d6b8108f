"""Differential execution: every compiled query also runs through graphql-core, and the two
results must encode to the same bytes (``HELLO_DIFFERENTIAL_EXECUTION``, on in the tests).

The compiled executor (``server/compiled.py``) promises graphql-core's results exactly: data,
and errors with their message, path, locations and extensions, in the same order. The test
suite is the corpus that checks it: with this mode on, each query that compiles runs twice,
graphql-core first, then the compiled one whose result is served. A difference is a fault
of ours: the request fails loudly (``DifferentialMismatch``, which the endpoint lets through
to a 500), an ERROR log line shows both encodings, and ``mismatches`` keeps it for the test
that sent it (``tests/conftest.py`` fails any test that left one).

Running a query twice must not change what a test observes:

* the reference run's SQL statements are not logged (a ``tortoise.db_client`` filter for the
  task that runs it), so tests that count statements count the served run's only;
* the per-request loaders and cache are emptied between the runs, so the served run loads
  (and batches) exactly as it would alone;
* the status and headers resolvers set on the response are put back as they were.

Signed URLs (``File.downloadUrl``, an upload session's part URLs, presigned on S3 or signed by
Hello) carry the second they were signed, and the two runs may fall on either side of a second:
when the encodings differ, they are compared again with each URL's signing time, expiry and
signature blanked (``_unsigned``), so only a difference elsewhere is a mismatch.

Mutations are not compared: their resolvers write, and running one twice would do twice what
the client asked (or fail the second time); they run once, compiled. Re-running only a
mutation's payload selection is not possible in general: the payload object is built inside
the resolver that wrote, so graphql-core would have to call the mutation again to get it.
The few queries that change state (``UNREPEATABLE``, each with its reason) are treated alike.
"""

from __future__ import annotations

import contextvars
import logging
import re
from typing import Any

from graphql import ExecutionResult

from adapters.dbhealth import connection_lost
from server import jsonbody

log = logging.getLogger("hello.graphql")

_reference_run: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "hello_reference_run", default=False
)
UNREPEATABLE = {
    "sharedLink": "a wrong password counts toward the link's throttle (resolvers/drive/links.py)",
    "docSync": "answers the live doc, which its other editors change between any two runs "
    "(tests/interop/test_yjs_docs.py syncs while three clients type)",
}
"""Query root fields that change state, or whose answer moves under concurrent writes by
design, with why: a query selecting one runs once, compiled, like a mutation (running it twice
would count twice what the tests count, or compare two moments)."""
mismatches: list[str] = []
"""What each mismatch logged, since the process started (the tests read and clear it)."""
counts = {"compared": 0, "mutations": 0, "unrepeatable": 0}


_SIGNED = re.compile(
    rb"([?&](?:X-Amz-Date|X-Amz-Credential|X-Amz-Signature|X-Amz-Expires|exp|sig))=[^&\"]*"
)
"""The query parameters of a signed URL that depend on when it was signed."""


def _unsigned(encoded: bytes) -> bytes:
    return _SIGNED.sub(rb"\1=", encoded)


class DifferentialMismatch(Exception):
    """The compiled executor and graphql-core answered an operation differently."""


class _HideReferenceSql(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _reference_run.get()


_filter = _HideReferenceSql()


def install() -> None:
    """Hide the reference runs' statements from the SQL log (once per process)."""
    logger = logging.getLogger("tortoise.db_client")
    if _filter not in logger.filters:
        logger.addFilter(_filter)


def repeatable(root_fields: list[str]) -> bool:
    """Whether a query with these root fields may run twice."""
    return not any(name in UNREPEATABLE for name in root_fields)


def met_lost_connection(result: ExecutionResult) -> bool:
    """Whether a run failed on a lost database connection: then the compiled run would read on
    a fresh one and differ for that reason alone, so nothing is compared."""
    return any(
        e.original_error is not None and connection_lost(e.original_error)
        for e in result.errors or ()
    )


def encode(result: ExecutionResult) -> bytes:
    """A result as the comparison sees it: data and errors (message, locations, path,
    extensions) before Hello shapes them, JSON-encoded."""
    errors = [e.formatted for e in result.errors] if result.errors else None
    return jsonbody.dump_bytes({"data": result.data, "errors": errors})


async def reference(run: Any, context: Any) -> ExecutionResult:
    """Run ``run`` (graphql-core's execution of the operation) as the reference: its SQL
    unlogged, and the context's loaders, cache and response left as they were found."""
    install()
    response = getattr(context, "response", None)
    saved = None
    if response is not None and hasattr(response, "headers"):
        saved = (response.status_code, list(response.headers.raw))
    token = _reference_run.set(True)
    try:
        result: ExecutionResult = await run()
    finally:
        _reference_run.reset(token)
        if context is not None:
            context.loaders.clear()
            context.cache.clear()
        if saved is not None and response is not None:
            response.status_code = saved[0]
            response.headers.raw[:] = saved[1]
    return result


def compare(
    expected: ExecutionResult, actual: ExecutionResult, query: str, name: str | None
) -> None:
    """Raise ``DifferentialMismatch`` (and log it) unless both results encode alike."""
    counts["compared"] += 1
    want, got = encode(expected), encode(actual)
    if want == got or _unsigned(want) == _unsigned(got):
        return
    message = (
        f"differential execution mismatch for operation {name!r}: graphql-core {want!r}, "
        f"compiled {got!r}; document: {query!r}"
    )
    mismatches.append(message)
    log.error(message)
    raise DifferentialMismatch(message)
