"""A seeded organization for the security nets: an owner, an admin, a member and a guest of
organization A, the owner of organization B (the stranger), and real objects of A, most of them
the member's. Every object has a *slot* name and a factory, so that a test can take the shared
one or make a fresh one (for calls that change or destroy what they touch).

Everything is made through the public API, as a client would, except ``heal``, which puts the
five accounts back through the ORM when a call that should have been refused changed them: one
broken expectation must not cascade into every later one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strawberry.relay import GlobalID

from tests.client import PASSWORD, Account, Api, unique_email

ROLES = ("owner", "admin", "member", "guest", "stranger")
# Slots that name the five accounts' own users: never made fresh.
ACCOUNT_SLOTS = ("owner", "admin", "member", "guest")
FILE_BYTES = b"hello, security matrix\n"


class SetupFailed(AssertionError):
    pass


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


@dataclass
class World:
    api: Api
    accounts: dict[str, Account]
    slots: dict[str, str] = field(default_factory=dict)
    # Side values some calls need besides ids (a share link's token), by slot.
    extra: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    session_ids: dict[str, int] = field(default_factory=dict)

    async def gql(self, who: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        r = await self.api.post(query, variables, token=self.accounts[who].access_token)
        body = r.json() if r.status_code == 200 else None
        if body is None or body.get("errors"):
            raise SetupFailed(f"setup call failed ({r.status_code}): {r.text[:500]}\n{query}")
        data = body["data"]
        payload = next(iter(data.values()))
        if isinstance(payload, dict) and payload.get("errors"):
            raise SetupFailed(f"setup call refused: {payload['errors']}\n{query}")
        return payload

    async def make(self, slot: str, into: dict[str, str]) -> str:
        """A fresh object for ``slot``; objects it depends on are read from ``into`` (so a fresh
        message lands in the fresh chat when both are fresh)."""
        value = await FACTORIES[slot](self, into)
        into[slot] = value
        return value

    async def heal(self) -> None:
        """Undo what a wrongly allowed call did to the five accounts: roles, activity, forced
        password changes, revoked sessions (then sign in again). Two queries when all is well."""
        from models.identity import AuthSession, Role, User

        users = {
            u.id: u
            for u in await User.filter(id__in=[pk(a.user_id) for a in self.accounts.values()])
        }
        dead = set(
            await AuthSession.filter(
                id__in=list(self.session_ids.values()), revoked_at__not_isnull=True
            ).values_list("id", flat=True)
        )
        for who, account in list(self.accounts.items()):
            user = users[pk(account.user_id)]
            want = Role(self.roles[who])
            if user.role != want or not user.is_active or user.must_change_password:
                if want == Role.OWNER:
                    # An ownership transfer that happened must not leave two owners behind.
                    await (
                        User.filter(organization_id=user.organization_id, role=Role.OWNER)
                        .exclude(id=user.id)
                        .update(role=Role.MEMBER)
                    )
                await User.filter(id=user.id).update(
                    role=want, is_active=True, must_change_password=False
                )
            if self.session_ids[who] in dead or not user.is_active or user.must_change_password:
                await set_password(user.id)
                await self.sign_in(who, account.email)

    async def sign_in(self, who: str, email: str) -> None:
        account = await self.api.sign_in(email)
        r = await self.api.post(
            "{ viewer { sessions { id current } } }", token=account.access_token
        )
        sessions = r.json()["data"]["viewer"]["sessions"]
        self.accounts[who] = account
        self.session_ids[who] = pk(next(s["id"] for s in sessions if s["current"]))


async def set_password(user_id: int) -> None:
    """Back to the suite's password (a wrongly allowed reset may have changed it)."""
    from models.identity import User
    from resolvers.identity.passwords import hash_password

    await User.filter(id=user_id).update(password_hash=await hash_password(PASSWORD))


USER_CREATE = """mutation($i: UserCreateInput!) { userCreate(input: $i) {
  user { id } errors { code field message } } }"""


async def create_user(world: World, role: str, name: str) -> tuple[str, str]:
    """A user of organization A made by its owner; returns (global id, email)."""
    email = unique_email(role.lower())
    p = await world.gql(
        "owner",
        USER_CREATE,
        {"i": {"email": email, "displayName": name, "password": PASSWORD, "role": role}},
    )
    return p["user"]["id"], email


async def build_world(api: Api) -> World:
    owner = await api.sign_up(organization="Matrix A", name="Olga Owner")
    stranger = await api.sign_up(organization="Matrix B", name="Sam Stranger")
    world = World(api, {"owner": owner, "stranger": stranger})
    for who, account in (("owner", owner), ("stranger", stranger)):
        await world.sign_in(who, account.email)
    for role, name in (("ADMIN", "Adam Admin"), ("MEMBER", "Mia Member"), ("GUEST", "Gus Guest")):
        _, email = await create_user(world, role, name)
        await world.sign_in(role.lower(), email)
    world.roles = {"owner": "OWNER", "admin": "ADMIN", "member": "MEMBER", "guest": "GUEST"}
    world.roles["stranger"] = "OWNER"
    for who in ACCOUNT_SLOTS:
        world.slots[who] = world.accounts[who].user_id
    world.slots["organization"] = owner.organization_id
    for slot in FACTORY_ORDER:
        await world.make(slot, world.slots)
    return world


# --- factories: one per slot, in dependency order -------------------------------------------

Factory = Callable[[World, dict[str, str]], Awaitable[str]]


async def _colleague(world: World, into: dict[str, str]) -> str:
    user_id, email = await create_user(world, "MEMBER", "Cleo Colleague")
    world.extra.setdefault("emails", {})[user_id] = email
    return user_id


async def _department(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "owner",
        """mutation($i: DepartmentCreateInput!) { departmentCreate(input: $i) {
          department { id } errors { code } } }""",
        {"i": {"name": f"Dept {uuid.uuid4().hex[:8]}"}},
    )
    dept = p["department"]["id"]
    await world.gql(
        "owner",
        """mutation($i: DepartmentMembersAddInput!) { departmentMembersAdd(input: $i) {
          errors { code } } }""",
        {"i": {"departmentId": dept, "userIds": [into["member"]]}},
    )
    return dept


async def _empty_department(world: World, into: dict[str, str]) -> str:
    """A department with nobody in it: one that may be deleted."""
    p = await world.gql(
        "owner",
        """mutation($i: DepartmentCreateInput!) { departmentCreate(input: $i) {
          department { id } errors { code } } }""",
        {"i": {"name": f"Empty {uuid.uuid4().hex[:8]}"}},
    )
    return p["department"]["id"]


async def _group(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "owner",
        """mutation($i: GroupCreateInput!) { groupCreate(input: $i) {
          group { id } errors { code } } }""",
        {"i": {"name": f"Group {uuid.uuid4().hex[:8]}", "memberIds": [into["member"]]}},
    )
    return p["group"]["id"]


async def _invitation(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "owner",
        """mutation($i: InvitationCreateInput!) { invitationCreate(input: $i) {
          invitation { id } errors { code } } }""",
        {"i": {"email": unique_email("invitee"), "role": "MEMBER"}},
    )
    return p["invitation"]["id"]


async def _audit_entry(world: World, into: dict[str, str]) -> str:
    r = await world.api.post(
        "{ auditLog(first: 1) { nodes { id } } }", token=world.accounts["owner"].access_token
    )
    return r.json()["data"]["auditLog"]["nodes"][0]["id"]


async def _session(world: World, into: dict[str, str]) -> str:
    """Another session of the member (signing in once more), so revoking it leaves the
    member's own token alive."""
    again = await world.api.sign_in(world.accounts["member"].email)
    r = await world.api.post("{ viewer { sessions { id current } } }", token=again.access_token)
    sessions = r.json()["data"]["viewer"]["sessions"]
    return next(s["id"] for s in sessions if s["current"])


async def _personal_token(world: World, into: dict[str, str]) -> str:
    """A personal access token of the member's."""
    r = await world.api.post(
        """mutation { personalAccessTokenCreate(input: {name: "script", scopes: ["profile:read"]})
          { personalAccessToken { id } errors { code } } }""",
        token=world.accounts["member"].access_token,
    )
    p = r.json()["data"]["personalAccessTokenCreate"]
    assert p["errors"] == [], p
    return p["personalAccessToken"]["id"]


async def _chat(world: World, into: dict[str, str]) -> str:
    """The member's group chat, with the guest and the admin in it (as plain members)."""
    p = await world.gql(
        "member",
        """mutation($i: ChatCreateInput!) { chatCreate(input: $i) {
          chat { id } errors { code } } }""",
        {
            "i": {
                "kind": "GROUP",
                "name": f"Chat {uuid.uuid4().hex[:8]}",
                "memberIds": [into["guest"], into["admin"]],
            }
        },
    )
    return p["chat"]["id"]


async def _message(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "member",
        """mutation($i: MessageSendInput!) { messageSend(input: $i) {
          message { id } errors { code } } }""",
        {"i": {"chatId": into["chat"], "text": "a message of the member"}},
    )
    return p["message"]["id"]


async def _folder(world: World, into: dict[str, str]) -> str:
    """The member's folder, shared with the guest as viewer (files in it inherit that)."""
    p = await world.gql(
        "member",
        """mutation($i: FolderCreateInput!) { folderCreate(input: $i) {
          folder { id } errors { code } } }""",
        {"i": {"name": f"Folder {uuid.uuid4().hex[:8]}"}},
    )
    folder = p["folder"]["id"]
    await world.gql(
        "member",
        """mutation($i: FileShareInput!) { fileShare(input: $i) { errors { code } } }""",
        {"i": {"fileId": folder, "userId": into["guest"], "role": "VIEWER"}},
    )
    return folder


async def upload(world: World, who: str, *, folder: str | None, name: str) -> str:
    from tests.drive.helpers import upload_ok

    fields: dict[str, Any] = {"name": name}
    if folder:
        fields["folderId"] = folder
    file = await upload_ok(world.api, world.accounts[who], FILE_BYTES, **fields)
    return str(file["id"])


async def _file(world: World, into: dict[str, str]) -> str:
    return await upload(world, "member", folder=into["folder"], name=f"{uuid.uuid4().hex}.txt")


async def _trashed_file(world: World, into: dict[str, str]) -> str:
    file = await upload(world, "member", folder=into["folder"], name=f"{uuid.uuid4().hex}.txt")
    await world.gql(
        "member",
        "mutation($i: FileDeleteInput!) { fileDelete(input: $i) { errors { code } } }",
        {"i": {"fileId": file}},
    )
    return file


async def _version(world: World, into: dict[str, str]) -> str:
    r = await world.api.post(
        "query($id: ID!) { file(id: $id) { versions { nodes { id } } } }",
        {"id": into["file"]},
        token=world.accounts["member"].access_token,
    )
    return r.json()["data"]["file"]["versions"]["nodes"][0]["id"]


async def _permission(world: World, into: dict[str, str]) -> str:
    """A permission on the member's folder that is not the guest's: the group's, as viewer."""
    p = await world.gql(
        "member",
        """mutation($i: FileShareInput!) { fileShare(input: $i) {
          permission { id } errors { code } } }""",
        {"i": {"fileId": into["folder"], "groupId": into["group"], "role": "VIEWER"}},
    )
    return str(p["permission"]["id"])


async def _share_link(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "member",
        """mutation($i: ShareLinkCreateInput!) { shareLinkCreate(input: $i) {
          shareLink { id } token errors { code } } }""",
        {"i": {"fileId": into["file"], "role": "VIEWER", "scope": "ORGANIZATION"}},
    )
    world.extra.setdefault("link_tokens", {})[p["shareLink"]["id"]] = p["token"]
    return p["shareLink"]["id"]


async def _upload_session(world: World, into: dict[str, str]) -> str:
    p = await world.gql(
        "member",
        """mutation($i: UploadSessionCreateInput!) { uploadSessionCreate(input: $i) {
          session { id } errors { code } } }""",
        {
            "i": {
                "name": f"{uuid.uuid4().hex}.bin",
                "size": len(FILE_BYTES),
                "sha256": hashlib.sha256(FILE_BYTES).hexdigest(),
            }
        },
    )
    return p["session"]["id"]


async def _background_job(world: World, into: dict[str, str]) -> str:
    """A DEAD job of organization A that the member started. Written through the ORM: no call
    of the API makes a job fail. Its handler exists nowhere, so a retry dies again, harmlessly."""
    from graphql_schema.admin.jobs import BackgroundJob as BackgroundJobType
    from models.jobs import BackgroundJob, JobState

    job = await BackgroundJob.create(
        name="matrix.nothing",
        key=uuid.uuid4().hex,
        organization_id=pk(into["organization"]),
        requested_by_id=pk(into["member"]),
        state=JobState.DEAD,
        run_at=datetime.now(UTC),
        attempts=1,
        max_attempts=1,
        last_error="LookupError: no handler",
    )
    return str(BackgroundJobType.global_id(job.id))


async def _app(world: World, into: dict[str, str]) -> str:
    """An app of organization A, created by the owner."""
    p = await world.gql(
        "owner",
        """mutation($i: AppCreateInput!) { appCreate(input: $i) {
          app { id } errors { code } } }""",
        {
            "i": {
                "name": f"App {uuid.uuid4().hex[:8]}",
                "scopes": ["messenger:read"],
                "redirectUris": ["https://app.example.test/callback"],
            }
        },
    )
    return p["app"]["id"]


async def _trusted_document(world: World, into: dict[str, str]) -> str:
    """A trusted document of that app, uploaded by the owner."""
    text = f"query Matrix{uuid.uuid4().hex} {{ __typename }}"
    p = await world.gql(
        "owner",
        """mutation($i: AppTrustedDocumentsUploadInput!) { appTrustedDocumentsUpload(input: $i) {
          documents { id } errors { code } } }""",
        {
            "i": {
                "appId": into["app"],
                "manifest": {hashlib.sha256(text.encode()).hexdigest(): text},
            }
        },
    )
    return str(p["documents"][0]["id"])


async def _webhook_subscription(world: World, into: dict[str, str]) -> str:
    """A subscription of A's app, written through the ORM (creation would verify its URL)."""
    from graphql_schema.apps.webhooks import WebhookSubscription as Type
    from models.webhooks import WebhookSubscription
    from resolvers.apps.webhook_crypto import encrypt_secret
    from resolvers.apps.webhooks import SECRET_PURPOSE

    sub = await WebhookSubscription.create(
        organization_id=pk(into["organization"]),
        app_id=pk(into["app"]),
        url="http://127.0.0.1:9/matrix",
        event_types=["message.added"],
        secret_encrypted=encrypt_secret("whsec_matrix", SECRET_PURPOSE),
    )
    return str(Type.global_id(sub.id))


async def _webhook_delivery(world: World, into: dict[str, str]) -> str:
    """A FAILED delivery of that subscription, of a type it no longer wants: a redelivery's
    attempt cancels it at once, and sends and enqueues nothing more."""
    from graphql_schema.apps.webhooks import WebhookDelivery as Type
    from models.webhooks import DeliveryState, WebhookDelivery

    delivery = await WebhookDelivery.create(
        subscription_id=pk(into["webhook_subscription"]),
        organization_id=pk(into["organization"]),
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type="message.updated",
        body="{}",
        state=DeliveryState.FAILED,
        retry_until=datetime.now(UTC),
    )
    return str(Type.global_id(delivery.id))


async def _incoming_webhook(world: World, into: dict[str, str]) -> str:
    """An incoming webhook of the member's chat, made by the member (its owner)."""
    p = await world.gql(
        "member",
        """mutation($i: ChatIncomingWebhookCreateInput!) { chatIncomingWebhookCreate(input: $i) {
          chatIncomingWebhook { id } errors { code } } }""",
        {"i": {"chatId": into["chat"], "name": "Matrix hook"}},
    )
    return str(p["chatIncomingWebhook"]["id"])


async def _doc(world: World, into: dict[str, str]) -> str:
    """A doc of the member's in the member's folder (so the guest views it)."""
    p = await world.gql(
        "member",
        """mutation($i: DocCreateInput!) { docCreate(input: $i) {
          doc { id } errors { code } } }""",
        {"i": {"folderId": into["folder"], "title": f"Doc {uuid.uuid4().hex[:8]}"}},
    )
    return str(p["doc"]["id"])


async def _meeting(world: World, into: dict[str, str]) -> str:
    """A meeting the member hosts, with the member, the admin, the guest and the colleague in
    it (the owner is not invited)."""
    from resolvers.meetings.join import do_meeting_join

    p = await world.gql(
        "member",
        """mutation($i: MeetingCreateInput!) { meetingCreate(input: $i) {
          meeting { id number } errors { code } } }""",
        {"i": {"topic": f"Meeting {uuid.uuid4().hex[:8]}"}},
    )
    meeting = p["meeting"]
    for who, how in (
        ("member", {"meetingId": meeting["id"]}),
        ("admin", {"number": meeting["number"]}),
        ("guest", {"number": meeting["number"]}),
    ):
        joined = await world.gql(
            who,
            """mutation($i: MeetingJoinInput!) { meetingJoin(input: $i) {
              participant { state } errors { code } } }""",
            {"i": how},
        )
        assert joined["participant"]["state"] == "JOINED", joined
    await do_meeting_join(pk(meeting["id"]), user_id=pk(into["colleague"]))
    return str(meeting["id"])


async def _meeting_participant(world: World, into: dict[str, str]) -> str:
    """The colleague in the member's meeting (whom signals are addressed to)."""
    from models.meetings import MeetingParticipant

    p = await MeetingParticipant.get(meeting_id=pk(into["meeting"]), user_id=pk(into["colleague"]))
    return str(GlobalID("MeetingParticipant", str(p.id)))


async def _meeting_recording(world: World, into: dict[str, str]) -> str:
    """A READY recording of the member's meeting, made through the ORM (a real recorder per
    world would cost seconds of media; tests/meetings/test_recording.py runs one)."""
    from models.meetings import Meeting, MeetingRecording, RecordingState

    meeting = await Meeting.get(id=pk(into["meeting"]))
    r = await MeetingRecording.create(
        meeting_id=meeting.id,
        organization_id=meeting.organization_id,
        started_by_id=meeting.host_id,
        state=RecordingState.READY,
        duration_ms=1000,
    )
    return str(GlobalID("MeetingRecording", str(r.id)))


async def _recorded_meeting(world: World, into: dict[str, str]) -> str:
    """A meeting like ``meeting`` whose recording runs (a RECORDING row made through the ORM,
    with no recorder job: nothing records in the background of the matrix)."""
    from models.meetings import Meeting, MeetingRecording, RecordingState

    meeting_id = await _meeting(world, into)
    meeting = await Meeting.get(id=pk(meeting_id))
    await MeetingRecording.create(
        meeting_id=meeting.id,
        organization_id=meeting.organization_id,
        started_by_id=meeting.host_id,
        state=RecordingState.RECORDING,
    )
    return meeting_id


async def _doc_comment(world: World, into: dict[str, str]) -> str:
    """A whole-doc comment thread of the member's on the member's doc."""
    p = await world.gql(
        "member",
        """mutation($i: DocCommentCreateInput!) { docCommentCreate(input: $i) {
          comment { id } errors { code } } }""",
        {"i": {"docId": into["doc"], "body": "Matrix comment"}},
    )
    return str(p["comment"]["id"])


async def _doc_version(world: World, into: dict[str, str]) -> str:
    """A named version of the member's doc."""
    p = await world.gql(
        "member",
        """mutation($i: DocVersionCreateInput!) { docVersionCreate(input: $i) {
          version { id } errors { code } } }""",
        {"i": {"docId": into["doc"], "name": "Matrix version"}},
    )
    return str(p["version"]["id"])


async def _calendar(world: World, into: dict[str, str]) -> str:
    """The member's primary calendar (its free/busy visible to colleagues, not to guests)."""
    found = await world.gql("member", "query { calendars { id isPrimary } }")
    return str(next(c["id"] for c in found if c["isPrimary"]))


async def _team_calendar(world: World, into: dict[str, str]) -> str:
    """A calendar the member made, readable by the organization (not by guests), which
    nobody has subscribed to or been granted."""
    p = await world.gql(
        "member",
        """mutation($i: CalendarCreateInput!) { calendarCreate(input: $i) {
          calendar { id } errors { code } } }""",
        {"i": {"name": "Matrix team", "organizationRole": "READER"}},
    )
    return str(p["calendar"]["id"])


async def _event(world: World, into: dict[str, str]) -> str:
    """An event on the member's primary calendar, the guest invited."""
    p = await world.gql(
        "member",
        """mutation($i: EventCreateInput!) { eventCreate(input: $i) {
          event { id } errors { code } } }""",
        {
            "i": {
                "calendarId": into["calendar"],
                "title": "Matrix meeting",
                "startAt": "2026-06-01T09:00:00Z",
                "endAt": "2026-06-01T10:00:00Z",
                "attendees": [{"userId": into["guest"]}],
            }
        },
    )
    return str(p["event"]["id"])


async def _occurrence(world: World, into: dict[str, str]) -> str:
    """The one occurrence of the member's event (``events`` lists it with this id)."""
    from strawberry.relay import GlobalID

    event_pk = GlobalID.from_id(into["event"]).node_id
    return str(GlobalID("EventOccurrence", f"{event_pk}_20260601T090000Z"))


async def _building(world: World, into: dict[str, str]) -> str:
    """A building of organization A (made by the owner: admins manage buildings)."""
    p = await world.gql(
        "owner",
        """mutation($i: BuildingCreateInput!) { buildingCreate(input: $i) {
          building { id } errors { code } } }""",
        {"i": {"name": f"Matrix HQ {uuid.uuid4().hex[:8]}", "floors": ["1"]}},
    )
    return str(p["building"]["id"])


async def _room(world: World, into: dict[str, str]) -> str:
    """A room of the building whose bookings wait for approval (by the organization's admins:
    it has no admin of its own)."""
    p = await world.gql(
        "owner",
        """mutation($i: RoomCreateInput!) { roomCreate(input: $i) {
          room { id } errors { code } } }""",
        {
            "i": {
                "buildingId": into["building"],
                "name": f"Matrix room {uuid.uuid4().hex[:8]}",
                "requiresApproval": True,
            }
        },
    )
    return str(p["room"]["id"])


async def _room_booking(world: World, into: dict[str, str]) -> str:
    """The member's pending booking of the room (its ``EventAttendee`` id)."""
    p = await world.gql(
        "member",
        """mutation($i: EventCreateInput!) { eventCreate(input: $i) {
          event { id } errors { code } } }""",
        {
            "i": {
                "title": "Matrix booking",
                "startAt": "2030-06-03T09:00:00Z",
                "endAt": "2030-06-03T10:00:00Z",
                "attendees": [{"roomId": into["room"]}],
            }
        },
    )
    found = await world.gql(
        "owner",
        "query($r: ID!) { roomBookings(roomId: $r, status: PENDING) { attendee { id } } }",
        {"r": into["room"]},
    )
    assert p["errors"] == [] and len(found) == 1, (p, found)
    return str(found[0]["attendee"]["id"])


FACTORIES: dict[str, Factory] = {
    "colleague": _colleague,
    "department": _department,
    "empty_department": _empty_department,
    "group": _group,
    "invitation": _invitation,
    "audit_entry": _audit_entry,
    "session": _session,
    "personal_token": _personal_token,
    "chat": _chat,
    "message": _message,
    "folder": _folder,
    "file": _file,
    "trashed_file": _trashed_file,
    "version": _version,
    "permission": _permission,
    "share_link": _share_link,
    "upload_session": _upload_session,
    "background_job": _background_job,
    "app": _app,
    "trusted_document": _trusted_document,
    "webhook_subscription": _webhook_subscription,
    "webhook_delivery": _webhook_delivery,
    "incoming_webhook": _incoming_webhook,
    "calendar": _calendar,
    "team_calendar": _team_calendar,
    "event": _event,
    "occurrence": _occurrence,
    "building": _building,
    "room": _room,
    "room_booking": _room_booking,
    "doc": _doc,
    "doc_comment": _doc_comment,
    "doc_version": _doc_version,
    "meeting": _meeting,
    "meeting_participant": _meeting_participant,
    "meeting_recording": _meeting_recording,
    "recorded_meeting": _recorded_meeting,
}
# Dependencies first: a message needs its chat, a version its file.
FACTORY_ORDER = tuple(FACTORIES)
