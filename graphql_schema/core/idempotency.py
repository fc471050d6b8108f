"""The error code every mutation that takes an ``idempotencyKey`` lists in its error enum
(the rule is in resolvers/core/idempotency.py)."""

from __future__ import annotations

import strawberry

from resolvers.core.idempotency import KEY_REUSED, KEY_REUSED_DESCRIPTION

IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(KEY_REUSED, description=KEY_REUSED_DESCRIPTION)
