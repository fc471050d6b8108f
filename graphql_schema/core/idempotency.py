"""The error code every mutation that takes an ``idempotencyKey`` lists in its error enum
(the rule is in resolvers/core/idempotency.py)."""

from __future__ import annotations

from graphql_schema.core.payload import error_code
from resolvers.core.errors import CoreErrorCode
from resolvers.core.idempotency import KEY_REUSED_DESCRIPTION

IDEMPOTENCY_KEY_REUSED = error_code(CoreErrorCode.IDEMPOTENCY_KEY_REUSED, KEY_REUSED_DESCRIPTION)
