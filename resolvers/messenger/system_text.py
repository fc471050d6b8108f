"""System messages ("Ada added Bob and Cy") rendered for each reader.

A chat's readers do not all see the same people: a guest sees only itself (``can_see_user``),
so a text written once with every name in it told a guest the names of people it may not see,
and with sequential ids that was a name oracle. So a system message stores who did what to whom
as ids (``content["system"]``) and a neutral text that names nobody (what search and any other
raw reader get); the API renders the text per reader, naming only the people that reader may
see and counting the others ("Someone added Gus and 2 others").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAMES_IN_TEXT = 5
ADDED = "members.added"
REMOVED = "members.removed"
LEFT = "member.left"
DISBANDED = "chat.disbanded"


def system_content(action: str, actor_id: int, user_ids: list[int] | None = None) -> dict[str, Any]:
    """What a system message stores in ``content``: the act and the people, as ids."""
    return {"system": {"action": action, "actorId": actor_id, "userIds": list(user_ids or [])}}


def system_part(content: Any) -> dict[str, Any] | None:
    part = content.get("system") if isinstance(content, dict) else None
    return part if isinstance(part, dict) and "action" in part else None


def people_of(content: Any) -> list[int]:
    """Everyone a system message names, actor first (to load their names in one batch)."""
    part = system_part(content)
    if part is None:
        return []
    return [int(part["actorId"]), *(int(u) for u in part.get("userIds", []))]


def _list(names: list[str], hidden: int) -> str:
    """``Bob``, ``Bob and Cy``, ``Bob, Cy and 2 others``, ``someone``, ``3 people``."""
    shown = names[:NAMES_IN_TEXT]
    rest = len(names) - len(shown) + hidden
    if not shown:
        return "someone" if rest == 1 else f"{rest} people"
    if rest:
        return f"{', '.join(shown)} and {rest} other{'s' if rest > 1 else ''}"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def render(content: Any, names: Mapping[int, str | None]) -> str | None:
    """The text of a system message for a reader; ``names`` maps each id of ``people_of`` to
    the name the reader may see, or None for someone hidden from (or unknown to) them. None if
    ``content`` is not a system message's."""
    part = system_part(content)
    if part is None:
        return None
    actor = names.get(int(part["actorId"])) or "Someone"
    users = [int(u) for u in part.get("userIds", [])]
    visible = [n for u in users if (n := names.get(u))]
    whom = _list(visible, len(users) - len(visible))
    action = part["action"]
    if action == ADDED:
        return f"{actor} added {whom}"
    if action == REMOVED:
        return f"{actor} removed {whom}"
    if action == LEFT:
        return f"{actor} left"
    if action == DISBANDED:
        return f"{actor} disbanded the group"
    return None


def neutral_text(content: dict[str, Any]) -> str:
    """The stored text: the rendering for a reader who sees nobody."""
    return render(content, {}) or ""
