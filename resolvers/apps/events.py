"""The Open Platform's own events on the bus: only what processes tell each other about apps."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, TypedDict, TypeGuard


class AppsEventKind(StrEnum):
    """The ``type`` of the Open Platform's events, as it travels on the bus."""

    WEBHOOK_SUBSCRIPTIONS_CHANGED = "webhook.subscriptions_changed"


class WebhookSubscriptionsChanged(TypedDict):
    """On the webhooks channel: some organization's subscriptions changed, so every process
    forgets which organizations subscribe to what (resolvers/apps/webhook_outbox.py)."""

    type: Literal[AppsEventKind.WEBHOOK_SUBSCRIPTIONS_CHANGED]


AppsEvent = WebhookSubscriptionsChanged

_KINDS = frozenset(AppsEventKind)


def is_apps_event(event: Mapping[str, Any]) -> TypeGuard[AppsEvent]:
    return event.get("type") in _KINDS


def webhook_subscriptions_changed() -> WebhookSubscriptionsChanged:
    return {"type": AppsEventKind.WEBHOOK_SUBSCRIPTIONS_CHANGED}
