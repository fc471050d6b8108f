"""The SFU of large meetings: Hello between its participants and a Janus VideoRoom
(``adapters.janus`` drives Janus's HTTP API). Without ``HELLO_MEETINGS_JANUS_URL`` there is no
SFU: a mesh is full at ``meetings_mesh_max``.

The room: the first participant who signals the SFU gives the meeting its ``janus_room`` (a
random id); Janus creates it then (``is_private``, a ``secret`` and an ``allowed`` list, both
derived from the server's secret key) and again should Janus have lost it (a restart). The
room goes when the meeting ends (``do_sfu_end``).

A participant in Janus (``MeetingParticipant.janus``): their own Janus session, joined to the
room as publisher with feed id = their participant id and with their token (added to
``allowed`` then; Janus refuses anyone else), a subscriber handle, and the device ``session``
they belong to (a new device gets a new Janus session; the former one is destroyed).

Signals to the SFU (``to`` omitted), and from it (``fromId`` null, on the participant's
channel like any signal, numbered as the sender 0):

* the participant's OFFER publishes their media: Janus's ANSWER comes back;
* the SFU's OFFER subscribes them to every other participant who publishes: answer it (ANSWER
  to the SFU) on a new RTCPeerConnection, replacing the one of any earlier SFU offer. Each
  track's stream id (``a=msid``) is the publishing participant's ID, its track id that ID,
  a dash and the mid;
* new publishers: when someone starts publishing or leaves, Hello sends each other
  participant a fresh OFFER covering every current publisher. A participant has one such
  offer outstanding at a time: one that comes while they have not answered the previous is
  sent once they do (or after ``OFFER_PATIENCE`` seconds). A client may ask for one at any time
  with RENEGOTIATE (a reason, no description) to the SFU;
* ICE_CANDIDATE to the SFU trickles to the publisher or the subscriber handle, the one whose
  ICE ufrag the candidate's ``usernameFragment`` names (the publisher without one). Janus puts
  its own candidates in its descriptions and trickles none.

Keepalive: Janus ends a session nobody kept alive for 60 s. The participant's meetingEvents
stream calls ``do_sfu_keepalive`` with its presence heartbeat (every 15 s), so a session lives
as long as its participant streams; ``do_sfu_leave`` destroys it when they leave.

Several Hello processes: a participant's signals and the offers refreshed for them are
serialized in one process only; two processes working on one participant at the same moment
may send an offer too many, which the client answers like any other."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from adapters import runtime
from adapters.janus import NO_SUCH_ROOM, NO_SUCH_SESSION, Janus, JanusError
from adapters.settings import get_settings
from models.meetings import Meeting, MeetingParticipant, ParticipantState
from resolvers.core.errors import DomainError
from resolvers.meetings.errors import MeetingsErrorCode
from resolvers.meetings.sfu_sdp import label_streams, ufrag

if TYPE_CHECKING:
    # aiortc (and PyAV, FFmpeg) load only in a process that records or talks to Janus.
    from aiortc import MediaStreamTrack

log = logging.getLogger("hello.meetings.sfu")
OFFER_PATIENCE = 10.0
"""Seconds a participant has to answer the SFU's offer before a newer one is sent anyway."""
ROOM_EXISTS = 427

_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
_clients: dict[tuple[str, str, int], Janus] = {}
_tasks: set[asyncio.Task[Any]] = set()


class SfuUnavailable(DomainError):
    code = MeetingsErrorCode.SFU_UNAVAILABLE
    default_message = "The media server (SFU) cannot be reached right now; try again shortly."


def sfu_configured() -> bool:
    return bool(get_settings().meetings_janus_url)


def janus() -> Janus:
    """The Janus client of this event loop."""
    settings = get_settings()
    key = (
        settings.meetings_janus_url,
        settings.meetings_janus_admin_key,
        id(asyncio.get_running_loop()),
    )
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = Janus(key[0], key[1])
    return client


def _derive(purpose: str, room: int, who: object = "") -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, f"janus.{purpose}:{room}:{who}".encode(), hashlib.sha256).hexdigest()


def room_secret(room: int) -> str:
    return _derive("secret", room)


def participant_token(room: int, participant_id: int | str) -> str:
    """The token that lets this participant (or ``recorder``) into the room."""
    return _derive("token", room, participant_id)


def _unavailable(e: JanusError) -> SfuUnavailable:
    return SfuUnavailable(f"The media server (SFU) failed: {e.reason}.")


def spawn(coro: Awaitable[Any]) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


# The room.


async def do_assign_room(meeting: Meeting) -> int:
    """The meeting's room id, given to it now if it has none (one wins a race)."""
    if meeting.janus_room is None:
        room = secrets.randbits(52) or 1
        await Meeting.filter(id=meeting.id, janus_room__isnull=True).update(janus_room=room)
        row = await Meeting.get(id=meeting.id).only("id", "janus_room")
        meeting.janus_room = row.janus_room
    assert meeting.janus_room is not None
    return meeting.janus_room


async def _in_room(
    room: int, session: int, handle: int, action: Callable[[], Awaitable[Any]]
) -> Any:
    """Run ``action``; if Janus has no such room (never created, or lost in a restart),
    create it and run it again."""
    try:
        return await action()
    except JanusError as e:
        if e.code != NO_SUCH_ROOM:
            raise
    try:
        await janus().create_room(session, handle, room, room_secret(room), [])
    except JanusError as e:
        if e.code != ROOM_EXISTS:
            raise
    return await action()


# A participant's Janus session.


async def do_save_janus(p: MeetingParticipant, state: dict[str, Any] | None) -> None:
    p.janus = state
    await MeetingParticipant.filter(id=p.id).update(janus=state)


async def do_enter_janus(meeting: Meeting, p: MeetingParticipant) -> dict[str, Any]:
    """The participant's Janus state for their current device, made now if needed: a
    session, the publisher handle joined to the room with their token."""
    j = p.janus
    room = await do_assign_room(meeting)
    if j and j.get("s") == p.session and j.get("room") == room:
        return dict(j)
    if j:
        await _destroy_session(int(j["session"]))
    client = janus()
    session = await client.create_session()
    pub = await client.attach(session)
    token = participant_token(room, p.id)
    await _in_room(
        room, session, pub, lambda: client.allow(session, pub, room, room_secret(room), [token])
    )
    await client.join_publisher(session, pub, room, p.id, token, p.display_name)
    state = {"room": room, "session": session, "pub": pub, "sub": None, "s": p.session}
    await do_save_janus(p, state)
    return state


async def _destroy_session(session: int) -> None:
    try:
        await janus().destroy_session(session)
    except JanusError as e:
        log.info("janus session %s: %s", session, e)


# Signals.


async def do_sfu_signal(
    meeting: Meeting, participant: MeetingParticipant, kind: str, payload: str
) -> None:
    """Relay a participant's signal addressed to the SFU (``to`` omitted in an SFU meeting):
    their publisher offer, their answer to a subscriber offer, a trickled candidate, a request
    for a fresh subscriber offer (RENEGOTIATE with a reason). Janus's answers and offers come
    back as signals from the SFU (``fromId`` null) on the participant's channel."""
    if not sfu_configured():
        raise SfuUnavailable("This server has no SFU (HELLO_MEETINGS_JANUS_URL is not set).")
    published = False
    try:
        async with _locks[participant.id]:
            # What a refresh of this participant wrote meanwhile (a pending offer, dirty).
            row = await MeetingParticipant.get(id=participant.id).only("id", "janus")
            participant.janus = row.janus
            if kind == "OFFER" or (kind == "RENEGOTIATE" and payload.startswith("v=0")):
                try:
                    await do_publish(meeting, participant, payload)
                except JanusError as e:
                    if e.code != NO_SUCH_SESSION:
                        raise
                    # Janus restarted or let the session time out: start over.
                    await do_save_janus(participant, None)
                    await do_publish(meeting, participant, payload)
                published = True
            elif kind == "ANSWER":
                await do_start(meeting, participant, payload)
            elif kind == "ICE_CANDIDATE":
                await _trickle(participant, payload)
            else:
                await do_offer_subscription(meeting, participant)
    except JanusError as e:
        raise _unavailable(e) from e
    if published:
        await do_refresh_others(meeting, participant.id, include_self=True)


async def do_publish(meeting: Meeting, p: MeetingParticipant, offer: str) -> None:
    j = await do_enter_janus(meeting, p)
    answer = await janus().publish(int(j["session"]), int(j["pub"]), offer)
    j["pub_ufrag"] = ufrag(offer)
    await do_save_janus(p, j)
    await do_sfu_send(meeting, p, "ANSWER", answer)


async def do_start(meeting: Meeting, p: MeetingParticipant, answer: str) -> None:
    j = dict(p.janus or {})
    if not j.get("sub") or j.get("s") != p.session:
        raise SfuUnavailable("The SFU sent you no offer to answer (ask with RENEGOTIATE).")
    await janus().start(int(j["session"]), int(j["sub"]), answer)
    j["sub_ufrag"] = ufrag(answer)
    dirty = j.pop("dirty", False)
    j.pop("pending", None)
    await do_save_janus(p, j)
    if dirty:
        await do_offer_subscription(meeting, p)


async def _trickle(p: MeetingParticipant, payload: str) -> None:
    j = p.janus or {}
    if not j.get("session") or j.get("s") != p.session:
        return  # nothing negotiated yet: the candidate is in the description to come
    init = orjson.loads(payload)
    handle: int = int(j["pub"])
    if j.get("sub") and init.get("usernameFragment") == j.get("sub_ufrag") is not None:
        handle = int(j["sub"])
    await janus().trickle(int(j["session"]), handle, init)


async def do_offer_subscription(meeting: Meeting, p: MeetingParticipant) -> None:
    """Send the participant a fresh subscriber offer covering every other publisher, unless
    they have an offer of ours to answer still (then once they answer it)."""
    j = await do_enter_janus(meeting, p)
    client = janus()
    session = int(j["session"])
    pending = j.get("pending")
    if pending and time.time() - float(pending) < OFFER_PATIENCE:
        j["dirty"] = True
        await do_save_janus(p, j)
        return
    room = int(j["room"])
    feeds = [f for f in await client.publishers(session, int(j["pub"]), room) if f != p.id]
    if j.get("sub"):
        try:
            await client.detach(session, int(j["sub"]))
        except JanusError as e:
            log.info("janus detach: %s", e)
    j.update(sub=None, pending=None, dirty=None)
    if not feeds:
        await do_save_janus(p, j)
        return
    sub = await client.attach(session)
    result = await client.subscribe(session, sub, room, feeds, participant_token(room, p.id))
    assert result.jsep is not None
    offer = label_streams(str(result.jsep["sdp"]), result.data.get("streams", []))
    j.update(sub=sub, pending=time.time())
    await do_save_janus(p, j)
    await do_sfu_send(meeting, p, "OFFER", offer)


async def do_refresh_others(meeting: Meeting, participant_id: int, include_self: bool) -> None:
    """Publishers changed: a fresh subscriber offer for each participant in Janus (in the
    background)."""
    rows = await MeetingParticipant.filter(
        meeting_id=meeting.id, state=ParticipantState.JOINED, janus__not_isnull=True
    ).all()
    for q in rows:
        if q.id != participant_id or include_self:
            spawn(_refresh(meeting, q.id))


async def _refresh(meeting: Meeting, participant_id: int) -> None:
    async with _locks[participant_id]:
        q = await MeetingParticipant.get_or_none(id=participant_id)
        if q is None or q.state != ParticipantState.JOINED or not q.janus:
            return
        try:
            await do_offer_subscription(meeting, q)
        except (JanusError, SfuUnavailable) as e:
            log.warning("meeting %s: no fresh offer for participant %s: %s", meeting.id, q.id, e)


async def do_sfu_send(meeting: Meeting, p: MeetingParticipant, kind: str, payload: str) -> None:
    """A signal from the SFU to the participant, numbered as sender 0."""
    from resolvers.meetings.events import MeetingsEventKind, MeetingSignal
    from resolvers.meetings.signal import SEQ_WINDOW_SECONDS, SFU, do_relay

    key = f"meetings.seq:{SFU}.0:{p.id}.{p.session}"
    seq = await runtime.current().store.hit(key, SEQ_WINDOW_SECONDS)
    event: MeetingSignal = {
        "type": MeetingsEventKind.SIGNAL,
        "meetingId": meeting.id,
        "organizationId": meeting.organization_id,
        "fromId": SFU,
        "fromSession": 0,
        "toId": p.id,
        "toSession": p.session,
        "kind": kind,
        "payload": payload,
        "seq": seq,
    }
    await do_relay(event)


async def do_sfu_keepalive(participant_id: int) -> None:
    """Keep the participant's Janus session alive (from their stream's heartbeat)."""
    if not sfu_configured():
        return
    row = await MeetingParticipant.filter(id=participant_id).only("id", "janus").first()
    j = row.janus if row is not None else None
    if j and j.get("session"):
        try:
            await janus().keepalive(int(j["session"]))
        except JanusError as e:
            log.info("janus keepalive of participant %s: %s", participant_id, e)


async def do_sfu_leave(meeting: Meeting, participant: MeetingParticipant) -> None:
    """The participant left an SFU meeting: end their Janus session, take their token out of
    the room (after commit), and offer the others a subscription without them."""
    j = participant.janus
    if not j or not sfu_configured():
        return
    async with _locks[participant.id]:
        await do_save_janus(participant, None)
        client = janus()
        room = int(j["room"])
        try:
            await client.allow(
                int(j["session"]),
                int(j["pub"]),
                room,
                room_secret(room),
                [participant_token(room, participant.id)],
                add=False,
            )
        except JanusError as e:
            log.info("janus allowed remove: %s", e)
        await _destroy_session(int(j["session"]))
    _locks.pop(participant.id, None)
    try:
        await do_refresh_others(meeting, participant.id, include_self=False)
    except Exception:
        log.exception("meeting %s: refreshing subscriptions", meeting.id)


async def do_sfu_end(meeting: Meeting) -> None:
    """The meeting ended: destroy its Janus room and every Janus session of its
    participants (after commit)."""
    if meeting.janus_room is None or not sfu_configured():
        return
    rows = await MeetingParticipant.filter(meeting_id=meeting.id, janus__not_isnull=True).all()
    for p in rows:
        j = p.janus
        await do_save_janus(p, None)
        await _destroy_session(int(j["session"]))
    room = meeting.janus_room
    client = janus()
    try:
        session = await client.create_session()
        try:
            handle = await client.attach(session)
            await client.destroy_room(session, handle, room, room_secret(room))
        finally:
            await _destroy_session(session)
    except JanusError as e:
        log.warning("meeting %s: destroying Janus room %s: %s", meeting.id, room, e)


TrackSink = Callable[["MediaStreamTrack", int], Awaitable[None] | None]
"""Called with each remote track and the participant id it comes from."""


async def do_sfu_record(meeting: Meeting, on_track: TrackSink, stop: asyncio.Event) -> None:
    """The recorder's way into an SFU meeting: subscribe through Janus to every publisher of
    the meeting (and to each that starts publishing later), hand each track received to
    ``on_track``, until ``stop`` is set; then leave Janus."""
    from resolvers.meetings.sfu_record import do_record

    if not sfu_configured():
        raise SfuUnavailable("This server has no SFU (HELLO_MEETINGS_JANUS_URL is not set).")
    try:
        await do_record(meeting, on_track, stop)
    except JanusError as e:
        raise _unavailable(e) from e
