"""The `organization` root field and `organizationUpdate`: validation, permissions, tenancy and
the audit entry with the values before and after."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.admin import AuditEntry
from models.identity import Organization, Role, User
from tests.client import Account, Api
from tests.errors import refusal

ORG = """{ organization { id name domain settings { allowedEmailDomains defaultTimeZone
  messageEditWindowMinutes messageRecallWindowMinutes } } }"""
UPDATE = """mutation($input: OrganizationUpdateInput!) { organizationUpdate(input: $input) {
  organization { id name domain settings { allowedEmailDomains defaultTimeZone
    messageEditWindowMinutes messageRecallWindowMinutes } }
  errors { code field } } }"""


def pk(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


async def update(api: Api, who: Account, **values: Any) -> dict[str, Any]:
    return (await api.gql(UPDATE, {"input": values}, token=who.access_token))["organizationUpdate"]


def state(org: Organization) -> tuple[Any, ...]:
    return (
        org.name,
        org.domain,
        org.allowed_email_domains,
        org.default_time_zone,
        org.message_edit_window_minutes,
        org.message_recall_window_minutes,
    )


async def test_organization_is_the_viewers_and_null_when_signed_out(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    guest = await api.add_member(a, name="Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    got = (await api.gql(ORG, token=a.access_token))["organization"]
    assert got == {
        "id": a.organization_id,
        "name": "Alpha",
        "domain": None,
        "settings": {
            "allowedEmailDomains": [],
            "defaultTimeZone": "UTC",
            "messageEditWindowMinutes": 1440,
            "messageRecallWindowMinutes": 1440,
        },
    }
    assert (await api.gql(ORG, token=guest.access_token))["organization"]["id"] == a.organization_id
    assert (await api.gql(ORG))["organization"] is None


async def test_admin_updates_settings_and_the_change_is_audited(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    admin = await api.add_member(owner, name="Admin")
    await User.filter(id=pk(admin.user_id)).update(role=Role.ADMIN)

    result = await update(
        api,
        admin,
        name=" Alpha Inc ",
        domain="Alpha.Example",
        allowedEmailDomains=["alpha.example", "ALPHA.example", "beta.example"],
        defaultTimeZone="Europe/Berlin",
        messageEditWindowMinutes=0,
        messageRecallWindowMinutes=10080,
    )

    assert result == {
        "organization": {
            "id": owner.organization_id,
            "name": "Alpha Inc",
            "domain": "alpha.example",
            "settings": {
                "allowedEmailDomains": ["alpha.example", "beta.example"],
                "defaultTimeZone": "Europe/Berlin",
                "messageEditWindowMinutes": 0,
                "messageRecallWindowMinutes": 10080,
            },
        },
        "errors": [],
    }
    assert (await api.gql(ORG, token=owner.access_token))["organization"] == result["organization"]
    entries = await AuditEntry.filter(organization_id=pk(owner.organization_id))
    assert len(entries) == 1
    e = entries[0]
    assert (e.action, e.actor_id, e.target_type, e.target_id) == (
        "organization.update",
        pk(admin.user_id),
        "organization",
        pk(owner.organization_id),
    )
    assert e.before == {
        "name": "Alpha",
        "domain": None,
        "allowed_email_domains": [],
        "default_time_zone": "UTC",
        "message_edit_window_minutes": 1440,
        "message_recall_window_minutes": 1440,
    }
    assert e.after == {
        "name": "Alpha Inc",
        "domain": "alpha.example",
        "allowed_email_domains": ["alpha.example", "beta.example"],
        "default_time_zone": "Europe/Berlin",
        "message_edit_window_minutes": 0,
        "message_recall_window_minutes": 10080,
    }


async def test_only_the_changed_fields_are_audited_and_no_op_writes_nothing(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    result = await update(api, owner, name="Alpha", messageEditWindowMinutes=30)
    assert result["errors"] == []
    assert result["organization"]["settings"]["messageEditWindowMinutes"] == 30
    entries = await AuditEntry.filter(organization_id=pk(owner.organization_id))
    assert [(e.before, e.after) for e in entries] == [
        ({"message_edit_window_minutes": 1440}, {"message_edit_window_minutes": 30})
    ]
    # Clearing the domain with null works; asking for what is already there records nothing.
    await update(api, owner, domain="alpha.example")
    cleared = await update(api, owner, domain=None)
    assert cleared["organization"]["domain"] is None
    await update(api, owner, domain="", messageEditWindowMinutes=30)
    assert await AuditEntry.filter(organization_id=pk(owner.organization_id)).count() == 3


async def test_validation_errors_change_nothing(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    org_before = state(await Organization.get(id=pk(owner.organization_id)))
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"name": "  "}, [("INVALID_NAME", "name")]),
        ({"name": "x" * 101}, [("INVALID_NAME", "name")]),
        ({"domain": "not a domain"}, [("INVALID_DOMAIN", "domain")]),
        (
            {"allowedEmailDomains": ["ok.example", "bad_domain"]},
            [("INVALID_DOMAIN", "allowedEmailDomains.1")],
        ),
        (
            {"allowedEmailDomains": [f"d{i}.example" for i in range(101)]},
            [("TOO_MANY_DOMAINS", "allowedEmailDomains")],
        ),
        ({"defaultTimeZone": "Mars/Olympus"}, [("INVALID_TIME_ZONE", "defaultTimeZone")]),
        ({"defaultTimeZone": "../../etc/passwd"}, [("INVALID_TIME_ZONE", "defaultTimeZone")]),
        ({"defaultTimeZone": ""}, [("INVALID_TIME_ZONE", "defaultTimeZone")]),
        ({"messageEditWindowMinutes": -1}, [("INVALID_WINDOW", "messageEditWindowMinutes")]),
        (
            {"messageRecallWindowMinutes": 10081, "name": ""},
            [("INVALID_NAME", "name"), ("INVALID_WINDOW", "messageRecallWindowMinutes")],
        ),
        ({"messageRecallWindowMinutes": None}, [("INVALID_WINDOW", "messageRecallWindowMinutes")]),
    ]
    for values, expected in cases:
        result = await update(api, owner, **values)
        assert result["organization"] is None, values
        assert sorted((e["code"], e["field"]) for e in result["errors"]) == expected, values
    assert state(await Organization.get(id=pk(owner.organization_id))) == org_before
    assert not await AuditEntry.filter(organization_id=pk(owner.organization_id)).exists()


async def test_members_guests_and_anonymous_may_not_update(api: Api) -> None:
    owner = await api.sign_up(organization="Alpha")
    member = await api.add_member(owner, name="Member")
    guest = await api.add_member(owner, name="Guest")
    await User.filter(id=pk(guest.user_id)).update(role=Role.GUEST)
    org_before = state(await Organization.get(id=pk(owner.organization_id)))
    for who, code in ((member, "FORBIDDEN"), (guest, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        r = await api.post(
            UPDATE, {"input": {"name": "Hijacked"}}, token=who.access_token if who else None
        )
        body = r.json()
        assert refusal(UPDATE, body) == code
        if who is None:
            assert body["data"] is None
        else:
            assert body["data"]["organizationUpdate"]["organization"] is None
    assert state(await Organization.get(id=pk(owner.organization_id))) == org_before
    assert not await AuditEntry.filter(organization_id=pk(owner.organization_id)).exists()


async def test_an_admin_changes_only_their_own_organization(api: Api) -> None:
    a = await api.sign_up(organization="Alpha")
    b = await api.sign_up(organization="Beta")
    await update(api, b, name="Beta 2")
    a_org = await Organization.get(id=pk(a.organization_id))
    assert a_org.name == "Alpha"
    assert (await Organization.get(id=pk(b.organization_id))).name == "Beta 2"
    assert not await AuditEntry.filter(organization_id=pk(a.organization_id)).exists()
    # B cannot read A's organization either.
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await api.gql(node, {"id": a.organization_id}, token=b.access_token))["node"] is None
    assert (await api.gql(ORG, token=b.access_token))["organization"]["id"] == b.organization_id
