"""The ICE servers a participant gets with ``meetingJoin``: the STUN servers as configured,
and the TURN servers with credentials by the TURN REST convention (draft-uberti-behave-turn-
rest): the username is ``<expiry unix time>:<id>`` and the credential the base64 HMAC-SHA1 of
the username keyed by the secret shared with the TURN server, which coturn checks with
``use-auth-secret`` and ``static-auth-secret``. Nothing is stored: the TURN server checks the
HMAC and the expiry itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from adapters.settings import get_settings


@dataclass(frozen=True, slots=True)
class IceServer:
    urls: list[str]
    username: str | None = None
    credential: str | None = None


def turn_credential(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(who: str, *, at: float | None = None) -> list[IceServer]:
    """STUN and TURN servers for ``who`` (a participant's stable id, never a name)."""
    settings = get_settings()
    servers: list[IceServer] = []
    if settings.meetings_stun_urls:
        servers.append(IceServer(urls=list(settings.meetings_stun_urls)))
    if settings.meetings_turn_urls and settings.meetings_turn_secret:
        expiry = int((time.time() if at is None else at) + settings.meetings_turn_ttl_seconds)
        username = f"{expiry}:{who}"
        servers.append(
            IceServer(
                urls=list(settings.meetings_turn_urls),
                username=username,
                credential=turn_credential(settings.meetings_turn_secret, username),
            )
        )
    return servers
