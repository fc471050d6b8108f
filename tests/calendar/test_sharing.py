"""Sharing a calendar: each role shows what it should of events (through ``node(id:)``),
department grants reach sub-departments, guests, other organizations, owners only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from adapters import runtime
from graphql_schema.core.node import global_id
from models.admin import Department, DepartmentMember, Group, GroupMember
from models.calendar import CalendarGrant
from models.identity import Role, User
from resolvers.core.channels import user_channel
from tests.calendar.helpers import create_event, event_ok, pk, primary
from tests.client import Account, Api
from tests.timing import eventually

SHARE = (
    "mutation($i: CalendarShareInput!) { calendarShare(input: $i) { calendar { id grants { "
    "role granteeKind grantee { __typename ... on User { id } } } } grant { id role } "
    "errors { code field } } }"
)
UNSHARE = (
    "mutation($i: CalendarUnshareInput!) { calendarUnshare(input: $i) { calendar { id } "
    "errors { code field } } }"
)
NODE = (
    "query($id: ID!) { node(id: $id) { ... on Event { title hasDetails location "
    "attendees { kind } } } }"
)
GRANTS = "query($id: ID!) { node(id: $id) { ... on Calendar { viewerRole grants { role } } } }"
WHEN = {"startAt": "2026-03-02T14:00:00Z", "endAt": "2026-03-02T15:00:00Z"}


async def share(api: Api, who: Account, **i: Any) -> dict[str, Any]:
    return (await api.gql(SHARE, {"i": i}, token=who.access_token))["calendarShare"]


async def seen(api: Api, who: Account, event_id: str) -> dict[str, Any] | None:
    return (await api.gql(NODE, {"id": event_id}, token=who.access_token))["node"]


async def setup(api: Api) -> tuple[Account, Account, str, dict[str, Any], dict[str, Any]]:
    ada = await api.sign_up()
    bob = await api.add_member(ada)
    cal = (await primary(api, ada))["id"]
    normal = await event_ok(api, ada, title="Plan", location="Room 1", **WHEN)
    private = await event_ok(api, ada, title="Doctor", visibility="PRIVATE", **WHEN)
    return ada, bob, cal, normal, private


async def test_free_busy_sees_busy_blocks(api: Api) -> None:
    _ada, bob, _cal, normal, private = await setup(api)
    # The primary calendar's organization role is FREE_BUSY.
    for event in (normal, private):
        assert await seen(api, bob, event["id"]) == {
            "title": "Busy",
            "hasDetails": False,
            "location": "",
            "attendees": [],
        }


async def test_reader_sees_details_but_private_as_busy(api: Api) -> None:
    ada, bob, cal, normal, private = await setup(api)
    p = await share(api, ada, calendarId=cal, userId=bob.user_id, role="READER")
    assert p["errors"] == [] and p["grant"]["role"] == "READER"
    assert p["calendar"]["grants"] == [
        {
            "role": "READER",
            "granteeKind": "USER",
            "grantee": {"__typename": "User", "id": bob.user_id},
        }
    ]
    assert (await seen(api, bob, normal["id"]))["title"] == "Plan"  # type: ignore[index]
    assert (await seen(api, bob, private["id"]))["title"] == "Busy"  # type: ignore[index]
    # Only owners see the grants.
    got = (await api.gql(GRANTS, {"id": cal}, token=bob.access_token))["node"]
    assert got == {"viewerRole": "READER", "grants": []}


async def test_writer_creates_events_and_sees_private_ones(api: Api) -> None:
    ada, bob, cal, normal, private = await setup(api)
    refused = await create_event(api, bob, calendarId=cal, title="Mine", **WHEN)
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    p = await share(api, ada, calendarId=cal, userId=bob.user_id, role="WRITER")
    assert p["errors"] == []
    made = await event_ok(api, bob, calendarId=cal, title="By Bob", **WHEN)
    assert made["calendar"]["id"] == cal
    assert (await seen(api, bob, private["id"]))["title"] == "Doctor"  # type: ignore[index]
    # Sharing again changes the role; unsharing takes it away.
    p = await share(api, ada, calendarId=cal, userId=bob.user_id, role="READER")
    assert p["grant"]["role"] == "READER"
    assert await CalendarGrant.filter(calendar_id=pk(cal)).count() == 1
    u = await api.gql(
        UNSHARE, {"i": {"calendarId": cal, "userId": bob.user_id}}, token=ada.access_token
    )
    assert u["calendarUnshare"]["errors"] == []
    assert (await seen(api, bob, normal["id"]))["title"] == "Busy"  # type: ignore[index]


async def test_department_grant_reaches_sub_departments(api: Api) -> None:
    ada, bob, cal, normal, _private = await setup(api)
    org = pk(ada.organization_id)
    top = await Department.create(organization_id=org, name="Eng")
    sub = await Department.create(organization_id=org, name="Backend", parent_id=top.id)
    await DepartmentMember.create(department_id=sub.id, user_id=pk(bob.user_id))
    p = await share(
        api, ada, calendarId=cal, departmentId=global_id("Department", top.id), role="READER"
    )
    assert p["errors"] == []
    assert (await seen(api, bob, normal["id"]))["title"] == "Plan"  # type: ignore[index]


async def test_group_grant(api: Api) -> None:
    ada, bob, cal, normal, _private = await setup(api)
    group = await Group.create(organization_id=pk(ada.organization_id), name="Friends")
    await GroupMember.create(group_id=group.id, user_id=pk(bob.user_id))
    p = await share(api, ada, calendarId=cal, groupId=global_id("Group", group.id), role="READER")
    assert p["errors"] == []
    assert (await seen(api, bob, normal["id"]))["title"] == "Plan"  # type: ignore[index]


async def test_guests_see_only_what_is_shared_with_them(api: Api) -> None:
    ada, bob, cal, normal, _private = await setup(api)
    await User.filter(id=pk(bob.user_id)).update(role=Role.GUEST)
    assert await seen(api, bob, normal["id"]) is None  # no organization role for guests
    assert (await share(api, ada, calendarId=cal, userId=bob.user_id, role="READER"))[
        "errors"
    ] == []
    assert (await seen(api, bob, normal["id"]))["title"] == "Plan"  # type: ignore[index]
    # A guest shares nothing, even a calendar they own.
    own = (await primary(api, bob))["id"]
    p = await share(api, bob, calendarId=own, userId=ada.user_id, role="READER")
    assert p["errors"] == [{"code": "FORBIDDEN", "field": "calendarId"}]
    assert await CalendarGrant.filter(calendar_id=pk(own)).count() == 0


async def test_owners_only_and_other_organizations(api: Api) -> None:
    ada, bob, cal, normal, _private = await setup(api)
    cy = await api.add_member(ada, name="Cy")
    stranger = await api.sign_up(organization="Other")
    p = await share(api, bob, calendarId=cal, userId=cy.user_id, role="WRITER")
    assert p["errors"] == [{"code": "FORBIDDEN", "field": "calendarId"}]
    p = await share(api, stranger, calendarId=cal, userId=stranger.user_id, role="WRITER")
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "calendarId"}]
    assert await seen(api, stranger, normal["id"]) is None
    p = await share(api, ada, calendarId=cal, userId=stranger.user_id, role="READER")
    assert p["errors"] == [{"code": "NOT_FOUND", "field": "userId"}]
    p = await share(api, ada, calendarId=cal, userId=ada.user_id, role="READER")
    assert p["errors"] == [{"code": "CANNOT_CHANGE_OWNER", "field": "userId"}]
    p = await share(api, ada, calendarId=cal, role="READER")
    assert p["errors"] == [{"code": "INVALID_GRANTEE", "field": "userId"}]
    assert await CalendarGrant.filter(calendar_id=pk(cal)).count() == 0


async def test_sharing_is_published_to_the_grantee(api: Api) -> None:
    ada, bob, cal, _, _ = await setup(api)
    got: list[dict[str, Any]] = []
    bus = runtime.current().bus
    channel = user_channel(pk(bob.user_id))
    marker = {"type": "test.marker", "id": uuid.uuid4().hex}
    async with bus.subscribe(channel) as sub:

        async def pump() -> None:
            async for event in sub:
                got.append(event)

        task = asyncio.create_task(pump())
        try:
            await share(api, ada, calendarId=cal, userId=bob.user_id, role="READER")
            await bus.publish(channel, marker)
            await eventually(lambda: marker in got, what="the marker event")
        finally:
            task.cancel()
    changes = [e for e in got if e.get("type") == "calendar.calendar.changed"]
    assert changes == [
        {
            "type": "calendar.calendar.changed",
            "change": "SHARED",
            "calendarId": pk(cal),
            "organizationId": pk(ada.organization_id),
            "actorId": pk(ada.user_id),
        }
    ]
