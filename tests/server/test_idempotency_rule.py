"""One idempotency rule for every mutation that takes an ``idempotencyKey``, through the API:
the same key and input return the first result (no second object), the same key with other
input is the typed IDEMPOTENCY_KEY_REUSED (never a constraint error: reusing a messageSend key
in another chat answered INTERNAL_SERVER_ERROR with the SQL), keys are scoped per principal and
operation, concurrent retries make one object, and keys expire after a week."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry.relay import GlobalID

from adapters import runtime
from adapters.settings import get_settings
from models.admin import AuditEntry, Department, Group, Invitation
from models.apps import App
from models.calendar import Building, Calendar, CalendarImport, Room
from models.calendar import Event as CalendarEvent
from models.core import IdempotencyRecord
from models.docs import DocComment, Document, DocUpdate, DocVersion
from models.drive import DriveItem, FileVersion, ShareLink, UploadSession
from models.identity import AuthSession, SessionKind, User
from models.jobs import BackgroundJob, JobState
from models.meetings import Meeting
from models.messenger import Chat, Message
from models.persisted import TrustedDocument
from models.webhooks import (
    ChatIncomingWebhook,
    DeliveryState,
    WebhookDelivery,
    WebhookSubscription,
)
from resolvers.apps.webhook_crypto import encrypt_secret
from resolvers.apps.webhooks import SECRET_PURPOSE
from resolvers.core.idempotency import KEEP, sweep_expired
from resolvers.messenger.events import MessengerEventKind, chat_channel
from tests.apps.helpers import app_global_id, create_app
from tests.apps.receiver import receiving
from tests.calendar.rooms_helpers import building_ok
from tests.client import Account, Api, unique_email
from tests.drive.helpers import CSRF, upload_ok
from tests.messenger.helpers import group, send
from tests.timing import eventually

REUSED = {"code": "IDEMPOTENCY_KEY_REUSED", "field": "idempotencyKey"}
TYPES = (
    "{ __schema { mutationType { fields { name args { name type { name ofType { name } } } } } } }"
)


def pk(gid: str) -> int:
    return int(GlobalID.from_id(gid).node_id)


@dataclass
class World:
    """An owner (who may do everything here) and what the inputs refer to."""

    api: Api
    ada: Account
    bob: Account
    org: int = 0
    chat: str = ""
    other_chat: str = ""
    message: str = ""
    file: str = ""
    versions: list[str] = field(default_factory=list)
    dead_jobs: list[str] = field(default_factory=list)
    app: str = ""
    deliveries: list[str] = field(default_factory=list)
    building: str = ""
    doc: str = ""
    comment: str = ""


@pytest.fixture(autouse=True)
async def hook_receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """A receiver on loopback, allowed, for ``webhookSubscriptionCreate``'s URL check."""
    monkeypatch.setattr(get_settings(), "webhook_allowed_hosts", ["127.0.0.1"])
    async with receiving() as receiver:
        RECEIVER["url"] = receiver.url
        yield


RECEIVER: dict[str, str] = {}


async def world(api: Api) -> World:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    w = World(api, ada, bob, org=pk(ada.organization_id))
    w.chat = await group(api, ada, [bob], name="One")
    w.other_chat = await group(api, ada, [bob], name="Two")
    w.message = (await send(api, ada, w.chat, "to forward"))["message"]["id"]
    w.file = (await upload_ok(api, ada, b"v1", name="doc.txt"))["id"]
    for data in (b"v2", b"v3"):
        await upload_ok(api, ada, data, name="doc.txt", onConflict="NEW_VERSION")
    versions = await FileVersion.filter(item_id=pk(w.file)).order_by("id")
    w.versions = [str(GlobalID("FileVersion", str(v.id))) for v in versions]
    w.building = (await building_ok(api, ada, name="Idempotency HQ"))["id"]
    w.doc = (
        await api.gql(
            'mutation { docCreate(input: {title: "Idem"}) { doc { id } } }', token=ada.access_token
        )
    )["docCreate"]["doc"]["id"]
    w.comment = (
        await api.gql(
            "mutation($i: DocCommentCreateInput!) { docCommentCreate(input: $i) { comment { id } } }",
            {"i": {"docId": w.doc, "body": "thread"}},
            token=ada.access_token,
        )
    )["docCommentCreate"]["comment"]["id"]
    # Two DEAD jobs to retry, written through the ORM (no call of the API makes a job fail);
    # their handler exists nowhere, so a retried one dies again, harmlessly.
    for _ in range(2):
        job = await BackgroundJob.create(
            name="idempotency.nothing",
            key=uuid.uuid4().hex,
            organization_id=w.org,
            state=JobState.DEAD,
            run_at=datetime.now(UTC),
            attempts=1,
            max_attempts=1,
        )
        w.dead_jobs.append(str(GlobalID("BackgroundJob", str(job.id))))
    # An app and two deliveries to redeliver, of a type its subscription does not want: a
    # redelivered one is cancelled at once, and sends nothing.
    created = await create_app(ada)
    w.app = app_global_id(created)
    sub = await WebhookSubscription.create(
        organization_id=w.org,
        app_id=created.app.id,
        url="http://127.0.0.1:9/none",
        event_types=[str(MessengerEventKind.MESSAGE_ADDED)],
        secret_encrypted=encrypt_secret("whsec_x", SECRET_PURPOSE),
    )
    for _ in range(2):
        delivery = await WebhookDelivery.create(
            subscription_id=sub.id,
            organization_id=w.org,
            event_id=f"evt_{uuid.uuid4().hex}",
            event_type=str(MessengerEventKind.MESSAGE_UPDATED),
            body="{}",
            state=DeliveryState.FAILED,
            retry_until=datetime.now(UTC),
        )
        w.deliveries.append(str(GlobalID("WebhookDelivery", str(delivery.id))))
    return w


_input_types: dict[str, str] = {}


async def input_type(api: Api, mutation: str) -> str:
    """The mutation's input type, read from the schema (names of inputs are still moving)."""
    if not _input_types:
        data = await api.gql(TYPES)
        for f in data["__schema"]["mutationType"]["fields"]:
            for arg in f["args"]:
                if arg["name"] == "input":
                    t = arg["type"]
                    _input_types[f["name"]] = (
                        f"{t['ofType']['name']}!" if t["ofType"] else t["name"]
                    )
    return _input_types[mutation]


async def call(w: World, mutation: str, result: str, input: dict[str, Any]) -> dict[str, Any]:
    """Run ``mutation(input:)`` as Ada; the payload with ``result { id }`` and ``errors``."""
    type_name = await input_type(w.api, mutation)
    query = (
        f"mutation($i: {type_name}) {{ {mutation}(input: $i) {{ {result} {{ id }} "
        "errors { code field } } }"
    )
    return (await w.api.gql(query, {"i": input}, token=w.ada.access_token))[mutation]


async def call_upload(w: World, mutation: str, result: str, input: dict[str, Any]) -> Any:
    """``fileUpload`` is multipart; ``input["data"]`` holds the bytes."""
    fields = {k: v for k, v in input.items() if k != "data"}
    query = "mutation($i: FileUploadInput!) { fileUpload(input: $i) { file { id } errors { code field } } }"
    operations = {"query": query, "variables": {"i": {"file": None, **fields}}}
    r = await w.api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": ("up.bin", input["data"], "application/octet-stream")},
        headers={**w.ada.headers, **CSRF},
    )
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, body
    return body["data"]["fileUpload"]


_docs: dict[int, str] = {}


async def call_in_doc(w: World, mutation: str, result: str, input: dict[str, Any]) -> Any:
    """Block mutations need a doc: one per world, made on first use."""
    if w.org not in _docs:
        made = await w.api.gql(
            'mutation { docCreate(input: {title: "Blocks"}) { doc { id } } }',
            token=w.ada.access_token,
        )
        _docs[w.org] = made["docCreate"]["doc"]["id"]
    return await call(w, mutation, result, {**input, "docId": _docs[w.org]})


def sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


@dataclass
class Case:
    mutation: str
    result: str
    inputs: Callable[[World], tuple[dict[str, Any], list[dict[str, Any]]]]
    count: Callable[[World], Awaitable[int]]
    call: Callable[[World, str, str, dict[str, Any]], Awaitable[Any]] = call


def _ics(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def call_import(w: World, mutation: str, result: str, input: dict[str, Any]) -> Any:
    """``calendarImport`` into Ada's primary calendar."""
    found = await w.api.gql("query { calendars { id isPrimary } }", token=w.ada.access_token)
    calendar = next(c["id"] for c in found["calendars"] if c["isPrimary"])
    return await call(w, mutation, result, {**input, "calendarId": calendar})


def _user(w: World, tag: str) -> dict[str, Any]:
    return {
        "email": f"{tag}-{w.org}@example.test",
        "displayName": "Zed",
        "password": "a long passphrase 1",
    }


CASES = [
    Case(
        "messageSend",
        "message",
        lambda w: (
            {"chatId": w.chat, "text": "hello"},
            [{"chatId": w.other_chat, "text": "hello"}, {"chatId": w.chat, "text": "hullo"}],
        ),
        lambda w: Message.filter(sender_id=pk(w.ada.user_id)).count(),
    ),
    Case(
        "messageForward",
        "messages",
        lambda w: (
            {"messageId": w.message, "chatIds": [w.other_chat]},
            [{"messageId": w.message, "chatIds": [w.chat]}],
        ),
        lambda w: Message.filter(sender_id=pk(w.ada.user_id)).count(),
    ),
    Case(
        "chatCreate",
        "chat",
        lambda w: (
            {"kind": "GROUP", "name": "Team", "memberIds": [w.bob.user_id]},
            [{"kind": "GROUP", "name": "Team", "memberIds": []}],
        ),
        lambda w: Chat.filter(organization_id=w.org).count(),
    ),
    Case(
        "departmentCreate",
        "department",
        lambda w: ({"name": "Sales"}, [{"name": "Ops"}]),
        lambda w: Department.filter(organization_id=w.org).count(),
    ),
    Case(
        "userCreate",
        "user",
        lambda w: (_user(w, "zed"), [_user(w, "zoe")]),
        lambda w: User.filter(organization_id=w.org).count(),
    ),
    Case(
        "groupCreate",
        "group",
        lambda w: ({"name": "Readers"}, [{"name": "Writers", "memberIds": [w.bob.user_id]}]),
        lambda w: Group.filter(organization_id=w.org).count(),
    ),
    Case(
        "invitationCreate",
        "invitation",
        lambda w: (
            {"email": f"inv-{w.org}@example.test", "role": "MEMBER"},
            [{"email": f"inv2-{w.org}@example.test", "role": "ADMIN"}],
        ),
        lambda w: Invitation.filter(organization_id=w.org).count(),
    ),
    Case(
        "folderCreate",
        "folder",
        lambda w: ({"name": "Plans"}, [{"name": "Plans 2"}]),
        lambda w: DriveItem.filter(organization_id=w.org).count(),
    ),
    Case(
        "meetingCreate",
        "meeting",
        lambda w: ({"topic": "Standup"}, [{"topic": "Standup 2"}]),
        lambda w: Meeting.filter(organization_id=w.org).count(),
    ),
    Case(
        "docCreate",
        "doc",
        lambda w: ({"title": "Plan"}, [{"title": "Plan 2"}]),
        lambda w: Document.filter(organization_id=w.org).count(),
    ),
    Case(
        "docBlocksInsert",
        "blocks",
        lambda w: (
            {"revision": 1, "blocks": [{"type": "PARAGRAPH", "text": "hi"}]},
            [{"revision": 1, "blocks": [{"type": "PARAGRAPH", "text": "other"}]}],
        ),
        lambda w: DocUpdate.filter(document__organization_id=w.org).count(),
        call=call_in_doc,
    ),
    Case(
        "docCommentCreate",
        "comment",
        lambda w: ({"docId": w.doc, "body": "Hi"}, [{"docId": w.doc, "body": "Hi 2"}]),
        lambda w: DocComment.filter(organization_id=w.org).count(),
    ),
    Case(
        "docCommentReply",
        "comment",
        lambda w: (
            {"commentId": w.comment, "body": "Re"},
            [{"commentId": w.comment, "body": "Re 2"}],
        ),
        lambda w: DocComment.filter(organization_id=w.org).count(),
    ),
    Case(
        "docVersionCreate",
        "version",
        lambda w: ({"docId": w.doc, "name": "V"}, [{"docId": w.doc, "name": "V 2"}]),
        lambda w: DocVersion.filter(document__organization_id=w.org).count(),
    ),
    Case(
        "docImport",
        "doc",
        lambda w: (
            {"format": "MARKDOWN", "content": "# Plan"},
            [
                {"format": "MARKDOWN", "content": "# Plan 2"},
                {"format": "HTML", "content": "# Plan"},
            ],
        ),
        lambda w: Document.filter(organization_id=w.org).count(),
    ),
    Case(
        "fileCopy",
        "file",
        lambda w: (
            {"fileId": w.file, "name": "copy.txt"},
            [{"fileId": w.file, "name": "copy2.txt"}],
        ),
        lambda w: DriveItem.filter(organization_id=w.org).count(),
    ),
    Case(
        "fileVersionRestore",
        "version",
        lambda w: (
            {"fileId": w.file, "versionId": w.versions[0]},
            [{"fileId": w.file, "versionId": w.versions[1]}],
        ),
        lambda w: FileVersion.filter(item_id=pk(w.file)).count(),
    ),
    Case(
        "shareLinkCreate",
        "shareLink",
        lambda w: ({"fileId": w.file}, [{"fileId": w.file, "role": "EDITOR"}]),
        lambda w: ShareLink.filter(organization_id=w.org).count(),
    ),
    Case(
        "uploadSessionCreate",
        "session",
        lambda w: (
            {"size": 10, "sha256": sha(1), "name": "big.bin"},
            [{"size": 10, "sha256": sha(2), "name": "big.bin"}],
        ),
        lambda w: UploadSession.filter(organization_id=w.org).count(),
    ),
    Case(
        "backgroundJobRetry",
        "job",
        lambda w: ({"id": w.dead_jobs[0]}, [{"id": w.dead_jobs[1]}]),
        lambda w: AuditEntry.filter(organization_id=w.org, action="background_job.retry").count(),
    ),
    Case(
        "appTrustedDocumentsUpload",
        "documents",
        lambda w: (
            {"appId": w.app, "manifest": {"q1": "{ __typename }"}},
            [
                {"appId": w.app, "manifest": {"q2": "{ __typename }"}},
                {"appId": w.app, "manifest": {"q1": "query Other { __typename }"}},
            ],
        ),
        lambda w: TrustedDocument.filter(app__organization_id=w.org).count(),
    ),
    Case(
        "chatIncomingWebhookCreate",
        "chatIncomingWebhook",
        lambda w: ({"chatId": w.chat, "name": "Hook"}, [{"chatId": w.chat, "name": "Other"}]),
        lambda w: ChatIncomingWebhook.filter(organization_id=w.org).count(),
    ),
    Case(
        "webhookSubscriptionCreate",
        "webhookSubscription",
        lambda w: (
            {"appId": w.app, "url": RECEIVER["url"], "eventTypes": ["message.added"]},
            [{"appId": w.app, "url": RECEIVER["url"], "eventTypes": ["chat.updated"]}],
        ),
        lambda w: WebhookSubscription.filter(organization_id=w.org).count(),
    ),
    Case(
        "webhookRedeliver",
        "webhookDelivery",
        lambda w: ({"deliveryId": w.deliveries[0]}, [{"deliveryId": w.deliveries[1]}]),
        lambda w: BackgroundJob.filter(name="webhooks.deliver", organization_id=w.org).count(),
    ),
    Case(
        "fileUpload",
        "file",
        lambda w: ({"data": b"same", "name": "up.bin"}, [{"data": b"else", "name": "up2.bin"}]),
        lambda w: DriveItem.filter(organization_id=w.org).count(),
        call_upload,
    ),
    Case(
        "appCreate",
        "app",
        lambda w: (
            {"name": "Bot", "scopes": ["messenger:read"]},
            [{"name": "Bot", "scopes": ["messenger:write"]}],
        ),
        lambda w: App.filter(organization_id=w.org).count(),
    ),
    Case(
        "personalAccessTokenCreate",
        "personalAccessToken",
        lambda w: (
            {"name": "script", "scopes": ["profile:read"]},
            [{"name": "script", "scopes": ["profile:read", "drive:read"]}],
        ),
        lambda w: AuthSession.filter(
            user__organization_id=w.org, kind=SessionKind.PERSONAL
        ).count(),
    ),
    Case(
        "eventCreate",
        "event",
        lambda w: (
            {"title": "Sync", "startAt": "2026-06-01T09:00:00Z", "endAt": "2026-06-01T10:00:00Z"},
            [{"title": "Sync", "startAt": "2026-06-01T09:00:00Z", "endAt": "2026-06-01T11:00:00Z"}],
        ),
        lambda w: CalendarEvent.filter(organization_id=w.org).count(),
    ),
    Case(
        "buildingCreate",
        "building",
        lambda w: ({"name": "Annex"}, [{"name": "Annex 2"}]),
        lambda w: Building.filter(organization_id=w.org).count(),
    ),
    Case(
        "roomCreate",
        "room",
        lambda w: (
            {"buildingId": w.building, "name": "Blue"},
            [{"buildingId": w.building, "name": "Green"}],
        ),
        lambda w: Room.filter(organization_id=w.org).count(),
    ),
    Case(
        "calendarCreate",
        "calendar",
        lambda w: ({"name": "Team"}, [{"name": "Team", "color": "#00ff00"}]),
        lambda w: Calendar.filter(organization_id=w.org).count(),
    ),
    Case(
        "calendarImport",
        "result",
        lambda w: ({"ics": _ics("one@example.test")}, [{"ics": _ics("two@example.test")}]),
        lambda w: CalendarImport.filter(calendar__organization_id=w.org).count(),
        call=call_import,
    ),
]


def ids(payload: dict[str, Any], result: str) -> list[str]:
    got = payload[result]
    return [m["id"] for m in got] if isinstance(got, list) else [got["id"]]


async def test_every_mutation_with_a_key_is_covered(api: Api) -> None:
    data = await api.gql("{ __schema { types { name inputFields { name } } } }")
    keyed = {
        t["name"]
        for t in data["__schema"]["types"]
        if any(f["name"] == "idempotencyKey" for f in t["inputFields"] or [])
    }
    covered = {(await input_type(api, c.mutation)).rstrip("!") for c in CASES}
    assert keyed == covered


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.mutation)
async def test_same_key_same_input_first_result_other_input_refused(api: Api, case: Case) -> None:
    w = await world(api)
    first_input, others = case.inputs(w)
    key = f"k-{uuid.uuid4().hex}"

    first = await case.call(w, case.mutation, case.result, {**first_input, "idempotencyKey": key})
    assert first["errors"] == [], first
    made = await case.count(w)

    again = await case.call(w, case.mutation, case.result, {**first_input, "idempotencyKey": key})
    assert again["errors"] == [] and ids(again, case.result) == ids(first, case.result)
    assert await case.count(w) == made

    for other in others:
        refused = await case.call(w, case.mutation, case.result, {**other, "idempotencyKey": key})
        assert refused["errors"] == [REUSED], (other, refused)
        assert not refused[case.result]
    assert await case.count(w) == made

    # The key is the only thing in the way: a new key with the other input works.
    fresh = await case.call(w, case.mutation, case.result, {**others[0], "idempotencyKey": "new"})
    assert fresh["errors"] == [], fresh


async def test_a_retried_send_publishes_one_event(api: Api) -> None:
    w = await world(api)
    got: list[dict[str, Any]] = []
    bus = runtime.current().bus
    channel = chat_channel(pk(w.chat))
    # Published after the calls, which publish before they answer: once it is here, so is
    # any event of theirs, a late duplicate too.
    marker = {"type": "test.marker", "id": uuid.uuid4().hex}
    async with bus.subscribe(channel) as sub:

        async def pump() -> None:
            async for event in sub:
                got.append(event)

        task = asyncio.create_task(pump())
        try:
            for text in ("once", "once", "twice"):
                await call(
                    w,
                    "messageSend",
                    "message",
                    {"chatId": w.chat, "text": text, "idempotencyKey": "k"},
                )
            await bus.publish(channel, marker)
            await eventually(lambda: marker in got, what="the marker event")
        finally:
            task.cancel()
    got.remove(marker)
    assert len(got) == 1, got


async def test_keys_are_scoped_per_principal_and_operation(api: Api) -> None:
    w = await world(api)
    mine = await send(api, w.ada, w.chat, "hi", idempotencyKey="shared")
    theirs = await send(api, w.bob, w.chat, "hi", idempotencyKey="shared")
    assert mine["errors"] == theirs["errors"] == []
    assert mine["message"]["id"] != theirs["message"]["id"]
    folder = await call(w, "folderCreate", "folder", {"name": "hi", "idempotencyKey": "shared"})
    department = await call(
        w, "departmentCreate", "department", {"name": "Hi", "idempotencyKey": "shared"}
    )
    assert folder["errors"] == department["errors"] == []


CONCURRENT = [
    ("messageSend", "message", lambda w, i: {"chatId": w.chat, "text": f"t{i}"}),
    ("folderCreate", "folder", lambda w, i: {"name": f"F{i}"}),
    ("departmentCreate", "department", lambda w, i: {"name": f"D{i}"}),
]


@pytest.mark.parametrize(("mutation", "result", "make"), CONCURRENT, ids=[c[0] for c in CONCURRENT])
async def test_concurrent_retries_make_one_object(
    api: Api, mutation: str, result: str, make: Callable[[World, int], dict[str, Any]]
) -> None:
    w = await world(api)
    same = make(w, 0)
    payloads = await asyncio.gather(
        *(call(w, mutation, result, {**same, "idempotencyKey": "race"}) for _ in range(8))
    )
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p[result]["id"] for p in payloads}) == 1
    assert await IdempotencyRecord.filter(user_id=pk(w.ada.user_id), key="race").count() == 1

    # Racing with different inputs: one wins, every other is refused, one object.
    raced = await asyncio.gather(
        *(call(w, mutation, result, {**make(w, i), "idempotencyKey": "race2"}) for i in range(1, 7))
    )
    won = [p for p in raced if p["errors"] == []]
    assert len(won) == 1, raced
    assert all(p["errors"] == [REUSED] for p in raced if p is not won[0])


async def test_keys_expire_after_a_week_and_are_swept(api: Api) -> None:
    w = await world(api)
    first = await send(api, w.ada, w.chat, "old", idempotencyKey="weekly")
    record = await IdempotencyRecord.get(user_id=pk(w.ada.user_id), key="weekly")
    aged = datetime.now(UTC) - KEEP - timedelta(minutes=1)
    await IdempotencyRecord.filter(id=record.id).update(created_at=aged)

    # Expired: the key is free again, even before any sweep.
    later = await send(api, w.ada, w.other_chat, "new", idempotencyKey="weekly")
    assert later["errors"] == [] and later["message"]["id"] != first["message"]["id"]

    stale = await send(api, w.ada, w.chat, "stale", idempotencyKey="to-sweep")
    assert stale["errors"] == []
    await IdempotencyRecord.filter(user_id=pk(w.ada.user_id), key="to-sweep").update(
        created_at=aged
    )
    assert await sweep_expired() >= 1
    keys = await IdempotencyRecord.filter(user_id=pk(w.ada.user_id)).values_list("key", flat=True)
    assert "to-sweep" not in keys and "weekly" in keys


async def test_a_key_whose_object_is_gone_is_refused_not_recreated(api: Api) -> None:
    w = await world(api)
    made = await call(w, "departmentCreate", "department", {"name": "Gone", "idempotencyKey": "g"})
    await Department.filter(id=pk(made["department"]["id"])).delete()
    again = await call(w, "departmentCreate", "department", {"name": "Gone", "idempotencyKey": "g"})
    assert again["errors"] == [REUSED] and again["department"] is None
    assert await Department.filter(organization_id=w.org, name="Gone").count() == 0


async def test_records_from_before_fingerprints_still_answer_retries(api: Api) -> None:
    """Rows written before the migration have no fingerprint: they keep answering retries."""
    w = await world(api)
    first = await send(api, w.ada, w.chat, "legacy", idempotencyKey="legacy")
    await IdempotencyRecord.filter(user_id=pk(w.ada.user_id), key="legacy").update(fingerprint="")
    again = await send(api, w.ada, w.chat, "legacy", idempotencyKey="legacy")
    assert again["message"]["id"] == first["message"]["id"]


async def test_user_create_fingerprint_holds_no_password(api: Api) -> None:
    w = await world(api)
    secret = "a long passphrase 1"
    email = unique_email("fp")
    made = await call(
        w,
        "userCreate",
        "user",
        {"email": email, "displayName": "Fp", "password": secret, "idempotencyKey": "fp"},
    )
    assert made["errors"] == []
    record = await IdempotencyRecord.get(user_id=pk(w.ada.user_id), key="fp")
    assert len(record.fingerprint) == 64
    for guess in (secret, f'"password":"{secret}"'):
        assert record.fingerprint != hashlib.sha256(guess.encode()).hexdigest()


async def test_a_retry_answers_even_when_the_name_was_taken_since(api: Api) -> None:
    """uploadSessionCreate checked the name before the key: once the upload had completed (so
    its file held the name), a retry answered NAME_TAKEN instead of the first session."""
    w = await world(api)
    asked = {"size": 10, "sha256": sha(3), "name": "late.bin", "idempotencyKey": "late"}
    first = await call(w, "uploadSessionCreate", "session", asked)
    assert first["errors"] == []
    await upload_ok(api, w.ada, b"now the name is taken", name="late.bin")
    again = await call(w, "uploadSessionCreate", "session", asked)
    assert again == first
    fresh = await call(w, "uploadSessionCreate", "session", {**asked, "idempotencyKey": "new"})
    assert fresh["errors"] == [{"code": "NAME_TAKEN", "field": "name"}]
