"""What Hello changes in the SFU's descriptions: each subscribed track is labelled with the
participant who publishes it, so that a client knows whose video it shows."""

from __future__ import annotations

import base64
from typing import Any


def participant_gid(participant_id: int) -> str:
    """The participant's GraphQL ID (a relay global ID) as clients know it."""
    return base64.b64encode(f"MeetingParticipant:{participant_id}".encode()).decode()


def ufrag(sdp: str) -> str | None:
    """The first ICE username fragment of a description."""
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line.removeprefix("a=ice-ufrag:").strip()
    return None


def label_streams(sdp: str, streams: list[dict[str, Any]]) -> str:
    """Janus's subscriber offer with each media section's ``a=msid`` set to the publishing
    participant's ID (the stream) and that ID, a dash and the mid (the track), from the
    ``streams`` (mid, feed_id) Janus answered the subscription with."""
    feeds = {str(s["mid"]): int(s["feed_id"]) for s in streams if s.get("feed_id") is not None}
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    sections: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    session = [x for x in sections[0] if not x.startswith("a=msid-semantic")]
    session.append("a=msid-semantic: WMS *")
    out = session
    for section in sections[1:]:
        mid = next((x[len("a=mid:") :] for x in section if x.startswith("a=mid:")), None)
        feed = feeds.get(mid) if mid is not None else None
        if feed is None:
            out.extend(section)
            continue
        gid = participant_gid(feed)
        kept = [
            x
            for x in section
            if not x.startswith("a=msid:")
            and not (
                x.startswith("a=ssrc:") and (" msid:" in x or " mslabel:" in x or " label:" in x)
            )
        ]
        at = next(i for i, x in enumerate(kept) if x.startswith("a=mid:")) + 1
        kept.insert(at, f"a=msid:{gid} {gid}-{mid}")
        out.extend(kept)
    return "\r\n".join(out) + "\r\n"
