"""Queries and mutations over plain HTTP, run by our own small endpoint over graphql-core.

The view (``server/view.py``) does the edge for every request: media type, CSRF and body
limits, authentication, the request log line, ``x-request-id``. What it then hands here
(``handles``: a POST that is not a multipart upload, a GET with a ``query``) is read, checked
and executed without strawberry's view and extension runner: the Guard's checks as plain
functions (``server/limits.py``: the parse and validation caches, limits, cost and its
``extensions.cost``, the rate limit and its 429), the same execution context class
(``server/execution.py``), and the rules every operation runs under (``run_under_rules``: the
timeout, the database retry, 503 with ``Retry-After``), which the view's own execution shares.

Strawberry still serves what this does not: WebSockets, subscriptions over HTTP
(``server/http_streams.py``), multipart uploads and GraphiQL. So does a request whose body or
content type is unusual (``read`` returns None: a batch, a ``query`` that is not a string, a
content type strawberry would parse differently): the view answers those as it always did.
The answers are the view's, byte for byte: strawberry's operation resolution (the name sent,
else the first operation), a mutation over GET 405, a subscription without a stream 406,
``process_result``'s shape, ``server/negotiation.py``'s status codes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, execute
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.utils.await_maybe import await_maybe

from adapters import runtime
from adapters.aio import within
from adapters.dbhealth import RETRY_AFTER_SECONDS, recording, renew_connections
from adapters.settings import Settings
from resolvers.core.context import Context
from server import compiled, differential, jsonbody, negotiation, persisted
from server.answers import JsonAnswer, SubResponse, answers_directly
from server.differential import DifferentialMismatch
from server.error_shaping import shape_errors
from server.http_streams import StreamGate, negotiate, stream_required
from server.limits import (
    Admission,
    Guard,
    admit,
    operation_of,
    parse_document,
    shape_outcome,
)
from server.rejections import unavailable_in

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from server.view import HelloGraphQL

log = logging.getLogger("hello.request")

# Content types a browser may send cross-site without a CORS preflight.
JSON_TYPES = ("application/json", "application/graphql-response+json")
MULTIPART = "multipart/form-data"
EXTENSIONS = {Guard, StreamGate}
"""The schema extensions this path does the work of; a schema with others keeps strawberry's."""


def serves(schema: Schema) -> bool:
    """Whether this path can stand in for strawberry's execution of ``schema``."""
    return (
        set(schema.extensions) == EXTENSIONS
        and not schema.directives
        and not schema.config.enable_experimental_incremental_execution
    )


def media_base(request: Request) -> str:
    """The request's content type without parameters, lower case."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def handles(request: Request, content_type: str) -> bool:
    """Cheap header checks: a POST but a multipart upload (``content_type`` is the request's
    ``media_base``), or a GET with a query or a document's id (a GET of neither is a browser
    asking for GraphiQL, or a 400 strawberry words), and neither asking for a stream
    (``server/http_streams.py``)."""
    method = request.method
    if method == "POST":
        if content_type == MULTIPART:
            return False
    elif method != "GET" or not _names_document(request.query_params):
        return False
    return negotiate(request.headers.get("accept", "")) is None


def _names_document(params: Any) -> bool:
    # A document sent, or named by id (server/persisted.py): a GET of neither is a browser
    # asking for GraphiQL, or a 400 strawberry words.
    return "query" in params or "extensions" in params or "documentId" in params


def get_only() -> HTTPException:
    return HTTPException(405, "Only queries may be sent with GET; send mutations with POST.")


def unresolved(message: str, context: Context | None) -> PreExecutionError:
    """An operationName the document does not define: a request error like a document of
    several operations and no name (``server/operation_checks.py``, ``check_operation``)."""
    if context is not None:
        context.outcome = "OPERATION_RESOLUTION_FAILURE"
    error = GraphQLError(message, extensions={"code": "OPERATION_RESOLUTION_FAILURE"})
    return PreExecutionError(data=None, errors=[error])


# -- the rules every operation runs under ------------------------------------------------------


async def run_under_rules(
    settings: Settings,
    attempt: Callable[[], Awaitable[ExecutionResult]],
    context: Context | None,
    sub_response: Any,
) -> ExecutionResult:
    """Run ``attempt`` within the operation timeout, once more where a lost database
    connection allows it (``retrying``); 503 with ``Retry-After`` if the database stayed away."""
    try:
        # The timer is armed only if the operation waits on something (adapters/aio.py).
        result = await within(settings.operation_timeout_seconds, retrying(attempt, context))
    except TimeoutError:
        return ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"The operation took longer than "
                    f"{settings.operation_timeout_seconds:g} s and was cancelled.",
                    extensions={"code": "TIMEOUT"},
                )
            ],
        )
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is None or task.cancelling():
            raise  # the request itself is being cancelled (shutdown, disconnect)
        # A cancellation that escaped from inside the execution (a shared future
        # cancelled under another field) is a fault of ours, not the client's.
        request_id = context.meta.request_id if context is not None else ""
        log.error("stray cancellation", exc_info=True, extra={"request_id": request_id})
        return ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"Internal server error (request {request_id}).",
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            ],
        )
    if unavailable_in(result) and sub_response is not None:
        sub_response.status_code = 503
        sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return result


async def retrying(
    attempt: Callable[[], Awaitable[ExecutionResult]], context: Context | None
) -> ExecutionResult:
    """Run the operation; if it met a dead database connection and nothing it did can
    have been committed, run it once more on a fresh one (the pool replaces dead ones)."""
    with recording() as ledger:
        result = await attempt()
    if not unavailable_in(result) or ledger.may_have_written:
        return result
    if context is not None:
        context.loaders.clear()  # rows and failures of the first attempt
        context.cache.clear()
        context.outcome = "ok"
    log.info("retrying after a lost database connection")
    await renew_connections()
    with recording():
        return await attempt()


def answer_body(
    result: ExecutionResult, context: Any, media: str | None, sub_response: Any
) -> GraphQLHTTPResponse:
    """The body of an answer (strawberry's ``process_result``). Errors raised before the Guard
    could shape them (a fault in a check) still get a code, and internal ones are masked; a
    request error takes ``server/negotiation.py``'s shape and status."""
    if result.errors and any(not (e.extensions or {}).get("code") for e in result.errors):
        result.errors = shape_errors(result.errors, context)
    body = process_result(result)
    if isinstance(result, PreExecutionError):  # a request error: nothing executed
        negotiation.request_error(media, sub_response, result.errors or [], body)
    return body


# -- the endpoint ------------------------------------------------------------------------------


async def respond(
    view: HelloGraphQL, request: Request, context: Context, media: str
) -> Response | None:
    """The answer to a query or mutation ``handles`` accepted, or None: the view answers."""
    data = await read(view, request)
    if data is None:
        return None
    query, variables, operation_name, extensions, document_id = data
    schema = cast("Schema", view.schema)
    resolved = await persisted.resolve(query, extensions, document_id, context, schema._schema)
    if resolved.query is not None:
        query = resolved.query
    sub_response = SubResponse()
    context.response = sub_response  # type: ignore[assignment]
    method = request.method
    result = await run_under_rules(
        view.settings,
        lambda: run(schema, query, variables, operation_name, extensions, context, method),
        context,
        sub_response,
    )
    body = jsonbody.dump_bytes(answer_body(result, context, media, sub_response))
    status = sub_response.status_code or 200
    if resolved.by_id and method == "GET" and status == 200:
        # A GET by id alone is cacheable: an ETag of the body, private since answers depend
        # on who asks; a client revalidating with it gets 304 and no body.
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        headers = sub_response.headers
        headers["ETag"] = etag
        headers["Cache-Control"] = "private, no-cache"
        headers["Vary"] = "Accept, Authorization"
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=dict(headers))
    extra = sub_response.raw_headers()
    if answers_directly(extra):
        return JsonAnswer(body, status, media, extra)
    response = Response(body, status_code=status, media_type=negotiation.JSON)
    response.headers.raw.extend(extra)
    return response


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*``, or the tag among those listed (weak comparison)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def read(
    view: HelloGraphQL, request: Request
) -> tuple[str | None, dict[str, Any] | None, str | None, dict[str, Any] | None, Any] | None:
    """query, variables, operationName, extensions and documentId, or None for the view to
    answer. JSON that does not parse is the view's 400 (the same ``parse_json``)."""
    if request.method == "GET":
        data: Any = view.parse_query_params(request.query_params)
    else:
        raw = request.headers.get("content-type", "").split(";", 1)[0].strip()
        if raw != "application/json" and raw.lower() in JSON_TYPES:
            # Strawberry reads these through its own content-type parser, case and all.
            return None
        # application/json, or another type with the CSRF header (the view checked it).
        data = view.parse_json(await request.body())
    if not isinstance(data, dict):
        return None  # a batch, or not an object: the view's 400s
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    extensions = data.get("extensions")
    if not (
        isinstance(query, str | None)
        and isinstance(variables, dict | None)
        and isinstance(operation_name, str | None)
        and isinstance(extensions, dict | None)
    ):
        return None  # the view's 400s, in its words
    return query, variables, operation_name, extensions, data.get("documentId")


async def run(
    schema: Schema,
    query: str | None,
    variables: dict[str, Any] | None,
    provided_name: str | None,
    extensions: dict[str, Any] | None,
    context: Context,
    method: str,
) -> ExecutionResult:
    """What ``schema.execute`` does with the Guard and the StreamGate, and how the view
    answers strawberry's exceptions (an unknown operation, an operation type not allowed)."""
    if not query:
        raise HTTPException(400, "No GraphQL query found in the request")
    admission = Admission()
    try:
        document = parse_document(query)
    except Exception as e:
        error = e if isinstance(e, GraphQLError) else GraphQLError(str(e), original_error=e)
        return refused(schema, [error], admission, context)
    operation = operation_of(document, provided_name)
    if operation is None:
        return unresolved(
            CannotGetOperationTypeError(provided_name).as_http_error_reason(), context
        )
    kind = operation.operation.value
    if kind == "subscription":
        raise stream_required()  # without a streaming Accept (server/http_streams.py)
    if kind == "mutation" and method == "GET":
        raise get_only()
    try:
        await admit(admission, schema._schema, document, query, provided_name, variables, context)
        if admission.errors:
            return refused(schema, admission.errors, admission, context)
        executed = await execute_operation(
            schema, document, query, variables, admission.operation_name, extensions, context, kind
        )
    except DifferentialMismatch:
        raise  # a fault of ours the tests must see: a 500 (server/differential.py)
    except Exception as e:
        error = e if isinstance(e, GraphQLError) else GraphQLError(str(e), original_error=e)
        schema._process_errors([error])
        return PreExecutionError(data=None, errors=[error], extensions=admission.results())
    errors = executed.errors
    if errors:
        schema._process_errors(errors)
        errors = shape_outcome(errors, context)
    return ExecutionResult(data=executed.data, errors=errors, extensions=admission.results())


async def execute_operation(
    schema: Schema,
    document: DocumentNode,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    extensions: dict[str, Any] | None,
    context: Context,
    kind: str,
) -> GraphQLExecutionResult:
    """Execute an admitted operation: compiled (``server/compiled.py``) when the setting is on
    and the compiler takes the document, else through graphql-core. In differential mode a
    compiled query runs through both, and they must agree (``server/differential.py``).
    ``operation_name`` is the one to run, as ``admit`` resolved it."""

    async def reference() -> GraphQLExecutionResult:
        return await await_maybe(
            execute(
                schema._schema,
                document,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                executor_class=schema.execution_context_class,
                operation_extensions=extensions,
            )
        )

    settings = runtime.current().settings
    found = (
        compiled.compiled_for(schema, document, query, operation_name, variables)
        if settings.compiled_execution
        else None
    )
    if found is None:
        return await reference()
    plan, values = found
    if not settings.differential_execution:
        return await compiled.execute(plan, values, context, extensions)
    if kind != "query" or not differential.repeatable(plan.root_names):
        differential.counts["mutations" if kind != "query" else "unrepeatable"] += 1
        return await compiled.execute(plan, values, context, extensions)
    expected = await differential.reference(reference, context)
    if differential.met_lost_connection(expected):
        # The database went away under the reference run: answer that, so the retry rule
        # (``retrying``) runs the whole operation again, comparison included.
        return expected
    actual = await compiled.execute(plan, values, context, extensions)
    differential.compare(expected, actual, query, operation_name)
    return actual


def refused(
    schema: Schema, errors: list[GraphQLError], admission: Admission, context: Context
) -> PreExecutionError:
    """A request error found before execution, shaped, with the cost if it was taken."""
    schema._process_errors(errors)
    return PreExecutionError(
        data=None, errors=shape_outcome(errors, context), extensions=admission.results()
    )
