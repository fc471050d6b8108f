"""The registry of event types apps may subscribe to with webhooks (``webhookEventTypes``).

A module registers its kinds where it declares them (its ``events.py``), naming who may receive
an event of that kind, so that later modules add theirs without touching the webhooks code:

- ``CHAT``: an event on a chat's channel (it names ``chatId``); only apps whose bot is a
  member of that chat receive it, checked when it is enqueued and again before each attempt;
- ``ORGANIZATION``: an event on the organization's channel (it names ``organizationId``);
  every app of that organization that subscribes receives it;
- ``USERS``: an event published on the user channels of the people who may see it (Drive's);
  an app receives it if its bot is one of them.

The webhook payload's ``data`` is the bus event itself: the same snapshot the GraphQL
subscriptions deliver."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WebhookAudience(StrEnum):
    CHAT = "chat"
    ORGANIZATION = "org"
    USERS = "user"
    """The prefix of the channels whose events count (``chat:``, ``org:``, ``user:``)."""


@dataclass(frozen=True)
class WebhookEventType:
    name: str
    description: str
    module: str
    audience: WebhookAudience


_types: dict[str, WebhookEventType] = {}


def register_webhook_event(
    name: str, description: str, *, module: str, audience: WebhookAudience
) -> None:
    """Make events of kind ``name`` available to webhooks (once per name)."""
    known = _types.get(name)
    entry = WebhookEventType(name, description, module, audience)
    if known is not None and known != entry:
        raise ValueError(f"two webhook event types are named {name!r}")
    _types[name] = entry


def webhook_event_type(name: str) -> WebhookEventType | None:
    return _types.get(name)


def webhook_event_types() -> list[WebhookEventType]:
    """Every registered type, by name."""
    return sorted(_types.values(), key=lambda t: t.name)
