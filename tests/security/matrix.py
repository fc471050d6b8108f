"""The machinery of the role matrix: a ``Case`` (one row of the table), how its IDs are chosen,
and running it for the five roles. The table itself is ``role_matrix.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strawberry.relay import GlobalID

from tests.security import calls
from tests.security.calls import EMPTY, NOT_FOUND, NULL, OK, IdPath
from tests.security.world import ACCOUNT_SLOTS, ROLES, World, pk

# The slot an ID input takes when its case does not say, by the input's name. Names that mean
# different things in different places (``id``, ``ids``, ``parentId``) are left out on purpose:
# each case names their slot, and a new one fails until someone decides.
SLOT_BY_NAME = {
    "appId": "app",
    "subscriptionId": "webhook_subscription",
    "deliveryId": "webhook_delivery",
    "chatId": "chat",
    "chatIds": "chat",
    "messageId": "message",
    "replyToId": "message",
    "threadRootId": "message",
    "userId": "colleague",
    "userIds": "colleague",
    "memberIds": "colleague",
    "mentionedUserIds": "admin",
    "leaderId": "member",
    "managerId": "member",
    "actorId": "member",
    "senderId": "member",
    "departmentId": "department",
    "departmentIds": "department",
    "groupId": "group",
    "invitationId": "invitation",
    "sessionId": "session",
    "personalAccessTokenId": "personal_token",
    "fileId": "file",
    "fileIds": "file",
    "folderId": "folder",
    "versionId": "version",
    "permissionId": "permission",
    "buildingId": "building",
    "roomId": "room",
    "attendeeId": "room_booking",
    "docId": "doc",
    "commentId": "doc_comment",
    "meetingId": "meeting",
    "to": "meeting_participant",
    "participantId": "meeting_participant",
    "participantIds": "meeting_participant",
}
# Slots a fresh object of which needs fresh ones of these first, because a call on it changes
# what reads of the shared one see (a pin shows in the chat's pinned messages). A fresh file may
# sit in the shared folder: nothing done to one file changes what the folder answers.
DEPENDS = {
    "message": ("chat",),
    "version": ("file",),
    "permission": ("folder", "group"),
    "share_link": ("file",),
    "trusted_document": ("app",),
    # A fresh booking on the shared room would find its time taken (declined, not pending).
    "room_booking": ("room",),
    # A fresh comment or version is on a fresh doc: resolving or restoring changes the doc.
    "doc_comment": ("doc",),
    "doc_version": ("doc",),
    # The colleague in a fresh meeting is a participant of that meeting.
    "meeting_participant": ("meeting",),
    "meeting_recording": ("meeting",),
}
# Shared by every call, never made fresh: the accounts, their organization, a past audit entry.
FIXED_SLOTS = (*ACCOUNT_SLOTS, "organization", "audit_entry")
SELF = "self"  # the caller's own user
# What another organization's owner may see of organization A: nothing, in every form.
NOTHING = (NOT_FOUND, NULL, EMPTY)

Value = Any | Callable[[World, dict[str, str]], Any]


@dataclass(frozen=True)
class Case:
    """One row: the expected outcome per role, and how the call is made.

    ``ids`` maps an ID input (its name, or its dotted path) to a slot, or to None to leave it
    out; ``values`` sets other inputs by dotted path (a callable gets the world and the slots
    of the call). Mutations run on fresh objects unless ``fresh=False``; queries read the
    shared ones."""

    owner: str
    admin: str
    member: str
    guest: str
    stranger: str
    ids: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    select: str | None = None
    # Reads an OK result further: (the field's data, the caller's user id) -> outcome word.
    judge: Callable[[Any, str], str] | None = None
    fresh: bool | None = None
    why: str = ""

    def expected(self, role: str) -> str:
        return str(getattr(self, role))


# Short words for the table; any other word is an error code as it is.
SHORT = {"NF": NOT_FOUND, "F": "FORBIDDEN"}


def X(row: str, **kw: Any) -> Case:
    """A case from a row of five words: owner, admin, member, guest, stranger."""
    words = [SHORT.get(w, w) for w in row.split()]
    assert len(words) == len(ROLES), f"five outcomes, one per role: {row!r}"
    return Case(*words, **kw)


def slot_for(case: Case, path: IdPath, returns: str = "") -> str | None:
    """The slot of an ID input, or raise with what to add. A lookup's own ``id`` (``chat(id:)``)
    names an object of the type it returns."""
    for key in (path.dotted, path.name):
        if key in case.ids:
            return case.ids[key]
    if path.name in SLOT_BY_NAME:
        return SLOT_BY_NAME[path.name]
    if path.path == ("id",) and returns in TYPE_SLOTS:
        return TYPE_SLOTS[returns]
    raise LookupError(
        f"ID input `{path.dotted}` has no slot: name one in the case's ids={{...}} "
        f"(or add `{path.name}` to SLOT_BY_NAME in tests/security/matrix.py if it means the "
        "same everywhere)"
    )


def is_self_case(case: Case) -> bool:
    return SELF in case.ids.values()


@dataclass
class Result:
    role: str
    expected: str
    got: str
    detail: str
    query: str
    variables: dict[str, Any]


async def prepare(
    world: World, root: str, name: str, case: Case, role: str
) -> tuple[str, dict[str, Any], list[str], dict[IdPath, str | None]]:
    """The document, variables and upload paths of one call, making fresh objects if due."""
    paths = calls.id_paths(root, name)
    returns = calls.return_type_name(root, name)
    wanted = {p: slot_for(case, p, returns) for p in paths}
    slots = dict(world.slots)
    fresh = case.fresh if case.fresh is not None else root == "Mutation"
    if fresh:
        todo: set[str] = set()
        stack = [s for s in wanted.values() if s and s not in FIXED_SLOTS and s != SELF]
        while stack:
            s = stack.pop()
            if s not in todo:
                todo.add(s)
                stack += DEPENDS.get(s, ())
        from tests.security.world import FACTORY_ORDER

        for s in FACTORY_ORDER:
            if s in todo:
                await world.make(s, slots)
    slots[SELF] = world.accounts[role].user_id
    ids = {p: (slots[s] if s is not None else None) for p, s in wanted.items()}
    values = {k: (v(world, slots) if callable(v) else v) for k, v in case.values.items()}
    variables, uploads = calls.build_variables(root, name, ids, values)
    return calls.document(root, name, variables, case.select), variables, uploads, ids


async def run_call(
    world: World,
    role: str,
    query: str,
    variables: dict[str, Any],
    uploads: list[str],
    name: str,
    judge: Callable[[Any, str], str] | None = None,
) -> tuple[str, str]:
    r = await calls.send(world.api, world.accounts[role].access_token, query, variables, uploads)
    try:
        body = r.json()
    except ValueError:
        body = r.text
    got, detail = calls.outcome(r.status_code, body, name)
    if got == OK and judge is not None:
        got = judge(body["data"][name], world.accounts[role].user_id)
    return got, detail


def made_up(ids: dict[IdPath, str | None]) -> dict[IdPath, str | None]:
    """The same IDs, each replaced by an ID of the same type that names nothing."""
    out: dict[IdPath, str | None] = {}
    for path, value in ids.items():
        if value is None:
            out[path] = None
        else:
            type_name = GlobalID.from_id(value).type_name
            out[path] = str(GlobalID(type_name, str(pk(value) + 10**12)))
    return out


VOLATILE = {
    "BackgroundJob": ("id", "name", "key", "organization_id", "args"),
    # A redelivery's attempt runs in the background and settles the delivery's state; which
    # deliveries exist and how often they were redelivered is what a refused call must keep.
    "WebhookDelivery": ("id", "subscription_id", "event_id", "generation"),
    # A doc's search index, compaction and version marks are written by its jobs (docs.index
    # runs two seconds after an earlier case's edit); its content is its revision and its log.
    "Document": ("id", "item_id", "organization_id", "revision"),
}
"""Models whose rows change in the background: only these fields are fingerprinted."""

BACKGROUND_ROWS = {
    # Written only by delivery jobs, which run whenever the worker gets to them (a redelivery
    # of an earlier case, a retry of a failed delivery after its back-off): not by any call. A
    # refused redelivery shows in its delivery's ``generation`` instead.
    "WebhookAttempt": {},
    "BackgroundJob": {"name": "webhooks.deliver"},
}
"""Rows that background work adds on its own schedule, left out of the fingerprint."""


async def fingerprint() -> list[Any]:
    """Every row of every model: what a refused call must leave as it was."""
    from tortoise import Tortoise

    rows: list[Any] = []
    for app in Tortoise.apps.values():
        for model_name in sorted(app):
            model = app[model_name]
            # Jobs change state on their own, as the server's worker runs them (a delayed
            # publish of an earlier call): which jobs exist is what a refused call must not
            # change.
            fields = VOLATILE.get(model_name, ())
            query = model.all()
            background = BACKGROUND_ROWS.get(model_name)
            if background == {}:
                continue
            if background:
                query = query.exclude(**background)
            rows.append((model_name, sorted(map(repr, await query.values(*fields)))))
    # A fingerprint of nothing would make "changed nothing" a check that cannot fail.
    assert "User" in dict(rows) and dict(rows)["User"], "the fingerprint sees no users"
    return rows


__all__ = ["NOTHING", "OK", "ROLES", "Case", "Result", "X"]

# The slot whose object each Node type's `node` case looks up.
NODE_SLOTS = {
    "AuditEntry": "audit_entry",
    "BackgroundJob": "background_job",
    "WebhookDelivery": "webhook_delivery",
    "WebhookSubscription": "webhook_subscription",
    "Chat": "chat",
    "Department": "department",
    "File": "file",
    "Group": "group",
    "Invitation": "invitation",
    "Message": "message",
    "Organization": "organization",
    "Session": "session",
    "TrustedDocument": "trusted_document",
    "PersonalAccessToken": "personal_token",
    "User": "member",
    "App": "app",
    "Calendar": "calendar",
    "Event": "event",
    "EventOccurrence": "occurrence",
    "Building": "building",
    "Room": "room",
    "Doc": "doc",
    "Meeting": "meeting",
    "MeetingParticipant": "meeting_participant",
    "MeetingRecording": "meeting_recording",
}
# Besides Node types, the other objects with IDs, for lookups like ``uploadSession(id:)``.
TYPE_SLOTS = {
    **NODE_SLOTS,
    "UploadSession": "upload_session",
    "ShareLink": "share_link",
    "FileVersion": "version",
    "FilePermission": "permission",
}
