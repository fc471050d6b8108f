"""Where a mutation's expected failure arrives: in its payload, never as a top-level error
(``graphql_schema/core/payload.py``; top-level errors are for request-level failures)."""

from __future__ import annotations

from typing import Any


def payload_error(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The first error in ``mutation``'s payload (select ``errors { code ... }``), after checking
    that the response has no top-level error."""
    assert not body.get("errors"), body["errors"]
    errors = body["data"][mutation]["errors"]
    assert errors, body
    return dict(errors[0])


def payload_code(body: dict[str, Any], mutation: str) -> str:
    """The code of the first error in ``mutation``'s payload (see ``payload_error``)."""
    return str(payload_error(body, mutation)["code"])


def refusal(document: str, body: dict[str, Any]) -> str:
    """Why an operation was refused, read where it must arrive (see ``refusal_at``)."""
    return refusal_at(document, body)[0]


def refusal_at(document: str, body: dict[str, Any]) -> tuple[str, str | None]:
    """(code, field) of a refused operation, read where it must arrive: a mutation's expected
    failure in its payload, a request-level code (``REQUEST_LEVEL_CODES``) or a query's refusal
    in the top-level ``errors``."""
    from graphql_schema.core.payload import REQUEST_LEVEL_CODES

    is_mutation = document.lstrip().startswith("mutation")
    if body.get("errors"):
        ext = body["errors"][0]["extensions"]
        code = str(ext["code"])
        assert not is_mutation or code in REQUEST_LEVEL_CODES, f"top-level {code}: {body}"
        return code, ext.get("field")
    assert is_mutation, body
    payload = next(iter(body["data"].values()))
    assert payload["errors"], body
    return str(payload["errors"][0]["code"]), payload["errors"][0].get("field")
