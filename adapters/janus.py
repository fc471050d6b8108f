"""An async client of Janus's HTTP API (https://janus.conf.meetecho.com/docs/rest.html) and
its VideoRoom plugin, for the SFU of large meetings (``resolvers.meetings.sfu``).

A session (``create``) holds handles (``attach``) to the plugin; each handle sends plugin
``message``s. Synchronous VideoRoom requests (create, destroy, allowed, listparticipants)
answer at once; asynchronous ones (join, configure, start) answer ``ack`` and their result
comes later as an event of the session, read by long-polling ``GET /janus/<session>``; the
events of one session are read by one poller at a time in this process and handed to their
waiters by transaction. Janus ends a session nobody kept alive (a request, a long poll or a
``keepalive``) for its ``session_timeout`` (60 s by default).

Every failure (Janus unreachable, an error of Janus or of the plugin, no answer in time) is
a ``JanusError`` with Janus's error code where it gave one (VideoRoom's 433 is a refused
token, 426 no such room, 428 no such feed)."""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

PLUGIN = "janus.plugin.videoroom"
TIMEOUT = 10.0
"""Seconds to wait for an answer (or an asynchronous result)."""

NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
UNAUTHORIZED = 433
ID_EXISTS = 436
NO_SUCH_SESSION = 458


class JanusError(Exception):
    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(f"Janus: {reason}" + (f" ({code})" if code is not None else ""))
        self.code = code
        self.reason = reason


@dataclass(slots=True)
class Result:
    """A plugin's answer: its data and the JSEP (an offer or answer) it carries, if any."""

    data: dict[str, Any]
    jsep: dict[str, Any] | None = None


@dataclass
class _Session:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    stash: dict[str, dict[str, Any]] = field(default_factory=dict)


def _tx() -> str:
    return secrets.token_hex(8)


class Janus:
    """One Janus instance at ``url`` (its HTTP API base, e.g. http://host:8088/janus)."""

    def __init__(self, url: str, admin_key: str = "", timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.timeout = timeout
        self._sessions: dict[int, _Session] = defaultdict(_Session)

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 0
    ) -> Any:
        try:
            async with httpx.AsyncClient(timeout=timeout or self.timeout) as client:
                if method == "GET":
                    response = await client.get(f"{self.url}{path}")
                else:
                    response = await client.post(f"{self.url}{path}", json=body)
        except httpx.HTTPError as e:
            raise JanusError(f"cannot reach {self.url}: {type(e).__name__}") from e
        if response.status_code != 200:
            raise JanusError(f"HTTP {response.status_code} from {self.url}")
        try:
            return response.json()
        except ValueError as e:
            raise JanusError("an answer that is not JSON") from e

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": body.get("transaction") or _tx()}
        answer = await self._request("POST", path, body)
        if not isinstance(answer, dict):
            raise JanusError("an answer that is not an object")
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(str(error.get("reason", "error")), error.get("code"))
        return answer

    # Sessions and handles.

    async def create_session(self) -> int:
        answer = await self._post("", {"janus": "create"})
        return int(answer["data"]["id"])

    async def attach(self, session: int) -> int:
        answer = await self._post(f"/{session}", {"janus": "attach", "plugin": PLUGIN})
        return int(answer["data"]["id"])

    async def keepalive(self, session: int) -> None:
        await self._post(f"/{session}", {"janus": "keepalive"})

    async def detach(self, session: int, handle: int) -> None:
        await self._post(f"/{session}/{handle}", {"janus": "detach"})

    async def destroy_session(self, session: int) -> None:
        self._sessions.pop(session, None)
        await self._post(f"/{session}", {"janus": "destroy"})

    async def trickle(self, session: int, handle: int, candidate: dict[str, Any]) -> None:
        """A client's candidate (an RTCIceCandidateInit); an empty one ends them."""
        body: dict[str, Any] = {"janus": "trickle"}
        if candidate.get("candidate"):
            body["candidate"] = {
                k: candidate[k] for k in ("candidate", "sdpMid", "sdpMLineIndex") if k in candidate
            }
        else:
            body["candidate"] = {"completed": True}
        await self._post(f"/{session}/{handle}", body)

    # Plugin messages.

    async def message(
        self,
        session: int,
        handle: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
    ) -> Result:
        """Send a VideoRoom request and return its result (waiting for the event of an
        asynchronous one); a plugin error raises."""
        transaction = _tx()
        request: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self._post(f"/{session}/{handle}", request)
        if answer.get("janus") == "ack":
            answer = await self._event(session, transaction)
        return _plugin_result(answer)

    async def _event(self, session: int, transaction: str) -> dict[str, Any]:
        state = self._sessions[session]
        async with asyncio.timeout(self.timeout):
            while True:
                if transaction in state.stash:
                    return state.stash.pop(transaction)
                async with state.lock:
                    if transaction in state.stash:
                        continue
                    events = await self._request(
                        "GET", f"/{session}?maxev=10", timeout=self.timeout + 5
                    )
                    for event in events if isinstance(events, list) else [events]:
                        if not isinstance(event, dict):
                            continue
                        if event.get("janus") == "error":
                            error = event.get("error") or {}
                            raise JanusError(str(error.get("reason", "error")), error.get("code"))
                        t = event.get("transaction")
                        if t and event.get("janus") == "event":
                            state.stash[t] = event
                    # Results nobody waits for any more do not pile up.
                    while len(state.stash) > 64:
                        state.stash.pop(next(iter(state.stash)))

    # VideoRoom rooms (on a handle of a session of the caller).

    async def create_room(
        self, session: int, handle: int, room: int, secret: str, allowed: list[str]
    ) -> None:
        body: dict[str, Any] = {
            "request": "create",
            "room": room,
            "permanent": False,
            "is_private": True,
            "secret": secret,
            "allowed": allowed,
            "publishers": 100,
            "audiocodec": "opus",
            "videocodec": "vp8,h264",
            "notify_joining": False,
        }
        if self.admin_key:
            body["admin_key"] = self.admin_key
        await self.message(session, handle, body)

    async def destroy_room(self, session: int, handle: int, room: int, secret: str) -> None:
        await self.message(session, handle, {"request": "destroy", "room": room, "secret": secret})

    async def allow(
        self, session: int, handle: int, room: int, secret: str, tokens: list[str], add: bool = True
    ) -> None:
        """Add (or remove) tokens to the room's ``allowed`` list."""
        await self.message(
            session,
            handle,
            {
                "request": "allowed",
                "room": room,
                "secret": secret,
                "action": "add" if add else "remove",
                "allowed": tokens,
            },
        )

    async def publishers(self, session: int, handle: int, room: int) -> list[int]:
        """The ids of the room's participants that publish media now."""
        result = await self.message(session, handle, {"request": "listparticipants", "room": room})
        return [int(p["id"]) for p in result.data.get("participants", []) if p.get("publisher")]

    # Publishing and subscribing.

    async def join_publisher(
        self, session: int, handle: int, room: int, feed: int, token: str, display: str = ""
    ) -> Result:
        return await self.message(
            session,
            handle,
            {
                "request": "join",
                "ptype": "publisher",
                "room": room,
                "id": feed,
                "token": token,
                "display": display,
            },
        )

    async def publish(self, session: int, handle: int, offer: str) -> str:
        """Configure the publisher with the client's offer; Janus's answer."""
        result = await self.message(
            session,
            handle,
            {"request": "configure", "audio": True, "video": True},
            {"type": "offer", "sdp": offer},
        )
        if result.jsep is None or result.jsep.get("type") != "answer":
            raise JanusError("no answer to the publisher offer")
        return str(result.jsep["sdp"])

    async def subscribe(
        self, session: int, handle: int, room: int, feeds: list[int], token: str
    ) -> Result:
        """Join as a subscriber to ``feeds``: Janus's offer (``jsep``) and its ``streams``
        (each ``mid`` with its ``feed_id``) in ``data``."""
        result = await self.message(
            session,
            handle,
            {
                "request": "join",
                "ptype": "subscriber",
                "room": room,
                "streams": [{"feed": f} for f in feeds],
                "token": token,
            },
        )
        if result.jsep is None or result.jsep.get("type") != "offer":
            raise JanusError("no offer for the subscriber")
        return result

    async def start(self, session: int, handle: int, answer: str) -> None:
        """Start a subscription with the client's answer to Janus's offer."""
        await self.message(session, handle, {"request": "start"}, {"type": "answer", "sdp": answer})


def _plugin_result(answer: dict[str, Any]) -> Result:
    plugindata = answer.get("plugindata") or {}
    data = plugindata.get("data") or {}
    if "error_code" in data or "error" in data:
        raise JanusError(str(data.get("error", "plugin error")), data.get("error_code"))
    return Result(data, answer.get("jsep"))
