"""Issue 11: every expected failure of a mutation arrives in its payload.

NOT_FOUND and FORBIDDEN (and other domain codes) used to arrive as top-level errors whenever a
mutation's enum did not list them, silently: 108 raised codes and 49 enums were never compared.
Now the comparison is made from the source (``tests/security/raised_codes.py`` follows each
mutation's resolver through the call graph of our packages to every ``DomainError`` it can
build), and at run time ``PayloadErrors`` refuses, loudly, a code that slipped through.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import Enum, auto
from functools import cache
from typing import Any, get_type_hints

import pytest
import strawberry
from strawberry.types.base import StrawberryList, get_object_definition

from graphql_schema.core.payload import (
    REQUEST_LEVEL_CODES,
    MutationError,
    UndeclaredErrorCode,
    add_payload_errors,
    error_code,
    mutate,
)
from graphql_schema.schema import create_schema
from models.messenger import ChatMember
from resolvers.core.errors import CoreErrorCode, DomainError, ErrorCode, NotFound
from tests.client import Api
from tests.drive.sharing_helpers import pk
from tests.errors import payload_code, payload_error
from tests.messenger.helpers import group, send
from tests.security.raised_codes import Analysis


@cache
def analysis() -> Analysis:
    return Analysis.load()


def mutations() -> list[tuple[str, str, type[Enum]]]:
    """(field name, qualified resolver, error code enum) of every root mutation field."""
    out = []
    schema = create_schema()
    for field in get_object_definition(schema.mutation, strict=True).fields:
        func = field.base_resolver.wrapped_func  # type: ignore[union-attr]
        payload = get_object_definition(field.type, strict=True)
        errors = next((f for f in payload.fields if f.python_name == "errors"), None)
        assert errors is not None, f"{field.name}: {payload.name} has no `errors`"
        assert isinstance(errors.type, StrawberryList), field.name
        enum = get_type_hints(errors.type.of_type)["code"]
        name = schema.config.name_converter.get_graphql_name(field)
        out.append((name, f"{func.__module__}.{func.__qualname__}", enum))
    return out


MUTATIONS = mutations()


@pytest.mark.parametrize(("name", "resolver", "enum"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_every_code_a_mutation_can_raise_is_in_its_enum(
    name: str, resolver: str, enum: type[Enum]
) -> None:
    # Given every code the resolver can raise, through everything it calls
    raised = analysis().codes(resolver)
    # Then each one is the mutation's own (payload) or request-level (top-level)
    missing = sorted(raised - set(enum.__members__) - REQUEST_LEVEL_CODES)
    assert not missing, f"{name} can raise {missing}: add them to {enum.__name__}"
    # And the source was read completely: no `code=` the analysis could not follow
    assert not analysis().unresolved, analysis().unresolved


@pytest.mark.parametrize(
    ("name", "code", "how"),
    [
        ("messageSend", "CANNOT_ATTACH", "an import inside a function, in another module"),
        ("messageSend", "NOT_FOUND", "require_id in the schema layer"),
        ("invitationAccept", "INVITATION_EXPIRED", "a code held in a module-level dict"),
        ("signUp", "INVALID_NAME", "a parameter's default, passed on through two functions"),
        ("departmentCreate", "INVALID_NAME", "a parameter's default in a shared helper"),
        ("uploadSessionComplete", "QUOTA_EXCEEDED", "a subclass's class-level code"),
        ("chatMemberSettingsUpdate", "TOO_MANY_PINNED", "a code= argument"),
        ("userCreate", "PASSWORD_CHANGE_REQUIRED", "require_principal, request-level"),
        ("folderCreate", "IDEMPOTENCY_KEY_REUSED", "a class-level enum member, inherited"),
    ],
)
def test_the_analysis_sees_through_each_way_codes_are_raised(
    name: str, code: str, how: str
) -> None:
    # A blind analysis would pass the test above vacuously: each way a code reaches a mutation
    # is checked once against a mutation known to raise it that way.
    resolver = next(r for n, r, _ in MUTATIONS if n == name)
    assert code in analysis().codes(resolver), how


def _domain_codes(cls: type[ErrorCode] = ErrorCode) -> set[str]:
    found = {member.name for member in cls}
    for sub in cls.__subclasses__():
        found |= _domain_codes(sub)
    return found


def test_every_value_of_an_error_enum_is_a_domain_code() -> None:
    # The schema exposes the domains' own enums: each value is a member of some module's
    # ErrorCode under the same name (written with error_code), never a string of its own.
    domain = _domain_codes()
    for name, _, enum in MUTATIONS:
        strays = sorted(set(enum.__members__) - domain)
        assert not strays, f"{name}: {enum.__name__} lists {strays}, which no ErrorCode declares"


# Declared but raised by no mutation that uses the enum, and why that is left as it is.
NEVER_RAISED = {
    ("UserReactivateErrorCode", "OWNER_PROTECTED"): "the owner is never deactivated (kept: "
    "removing an enum value breaks clients that switch over it)",
    ("EventCreateErrorCode", "ROOM_NOT_BOOKABLE"): "raised by the rooms save hook "
    "(resolvers/calendar/room_booking.py), which runs through the hook registry that the "
    "static analysis does not follow; tests/calendar/test_rooms_booking.py sees it raised",
    ("EventUpdateErrorCode", "ROOM_NOT_BOOKABLE"): "raised by the rooms save hook when a room "
    "is added or the times move (as for eventCreate)",
}


def test_every_declared_code_is_raised_by_a_mutation_using_it() -> None:
    # The other direction: a code nobody raises is either dead documentation or a way of
    # raising that the analysis does not see (how a class-level constant code was found).
    raised: dict[type[Enum], set[str]] = {}
    for _, resolver, enum in MUTATIONS:
        raised.setdefault(enum, set()).update(analysis().codes(resolver))
    unused = {
        (enum.__name__, code)
        for enum, codes in raised.items()
        for code in enum.__members__
        if code not in codes
    }
    assert unused == set(NEVER_RAISED)


def test_request_level_codes_are_what_the_edge_and_authentication_say() -> None:
    # Expected failures of a mutation are not request-level, so they can never hide there.
    domain = {"NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT", "THROTTLED", "CONFLICT"}
    assert not domain & REQUEST_LEVEL_CODES
    assert {"UNAUTHENTICATED", "RATE_LIMITED", "INTERNAL_SERVER_ERROR"} <= REQUEST_LEVEL_CODES


# --- at run time: the guard, on a schema of one mutation ------------------------------------


class OnlyDomainCode(ErrorCode):
    """The test domain's own code."""

    DECLARED = auto()


def _member(code: str) -> ErrorCode:
    return OnlyDomainCode[code] if code in OnlyDomainCode.__members__ else CoreErrorCode[code]


@strawberry.enum(description="Test codes.")
class OnlyCode(Enum):
    DECLARED = error_code(OnlyDomainCode.DECLARED, "The one code declared.")


@strawberry.type(description="A test error.")
class OnlyError(MutationError):
    code: OnlyCode = strawberry.field(description="The code.")


@strawberry.type(description="A test payload.")
class OnlyPayload:
    done: bool = strawberry.field(default=False, description="Whether it worked.")
    errors: list[OnlyError] = strawberry.field(description="Why not.")


async def _fail(code: str) -> bool:
    raise DomainError("No.", code=_member(code))


@strawberry.type
class OnlyMutation:
    @strawberry.mutation(description="Fails with `code` inside `mutate`.")
    async def inside(self, code: str) -> OnlyPayload:
        return await mutate(OnlyPayload, OnlyError, _fail(code), lambda done: {"done": done})

    @strawberry.mutation(description="Fails before `mutate` (as `require_id` does).")
    async def before(self, code: str) -> OnlyPayload:
        if code == "NOT_FOUND":
            raise NotFound(field="id")
        raise DomainError("No.", field="id", code=_member(code))


@strawberry.type
class OnlyQuery:
    ok: bool = strawberry.field(default=True, description="Something to query.")


def one_mutation_schema(*, strict: bool) -> strawberry.Schema:
    add_payload_errors(OnlyMutation, strict=strict)
    return strawberry.Schema(query=OnlyQuery, mutation=OnlyMutation)


async def test_a_declared_code_is_a_payload_error_wherever_the_resolver_raises_it() -> None:
    schema = one_mutation_schema(strict=True)
    for field in ("inside", "before"):
        got = await schema.execute(
            f'mutation {{ {field}(code: "DECLARED") {{ errors {{ code }} }} }}'
        )
        assert got.errors is None, got.errors
        assert got.data == {field: {"errors": [{"code": "DECLARED"}]}}
    # NOT_FOUND is not OnlyCode's: before `mutate` too it is refused as undeclared.
    got = await schema.execute('mutation { before(code: "NOT_FOUND") { errors { code } } }')
    assert got.errors and isinstance(got.errors[0].original_error, UndeclaredErrorCode)


async def test_a_request_level_code_stays_top_level() -> None:
    schema = one_mutation_schema(strict=True)
    got = await schema.execute('mutation { inside(code: "UNAUTHENTICATED") { errors { code } } }')
    assert got.errors and got.errors[0].extensions == {"code": "UNAUTHENTICATED"}


async def test_an_undeclared_code_is_logged_and_fails_outside_production(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Strict (development, tests): an internal error, never a quiet top-level NOT_FOUND
    schema = one_mutation_schema(strict=True)
    with caplog.at_level(logging.ERROR, logger="hello.graphql"):
        got = await schema.execute('mutation { inside(code: "NOT_FOUND") { errors { code } } }')
    assert got.errors and isinstance(got.errors[0].original_error, UndeclaredErrorCode)
    assert "inside raised NOT_FOUND, missing from its error enum OnlyCode" in caplog.text
    # Production: still logged, and the client gets the code top-level as before
    caplog.clear()
    schema = one_mutation_schema(strict=False)
    with caplog.at_level(logging.ERROR, logger="hello.graphql"):
        got = await schema.execute('mutation { inside(code: "NOT_FOUND") { errors { code } } }')
    assert got.errors and got.errors[0].extensions == {"code": "NOT_FOUND"}
    assert "missing from its error enum" in caplog.text


# --- end to end: the payloads that had no errors, and IDs refused before the domain ----------

MARK_READ = """mutation($i: ChatMarkReadInput!) { chatMarkRead(input: $i) {
  chat { id } readSeq errors { code field message } } }"""
SETTINGS = """mutation($i: ChatMemberSettingsUpdateInput!) { chatMemberSettingsUpdate(input: $i) {
  chat { id pinnedToTop } errors { code field message } } }"""


async def member_state(chat: str) -> list[Any]:
    return sorted(
        await ChatMember.filter(chat_id=pk(chat)).values_list(
            "user_id", "read_seq", "muted", "pinned_at"
        )
    )


async def test_mark_read_and_settings_of_a_chat_you_are_not_in_are_payload_errors(
    api: Api,
) -> None:
    # Given Ada's chat with a message, and Eve of another organization
    ada = await api.sign_up()
    eve = await api.sign_up(organization="Elsewhere")
    chat = await group(api, ada, [])
    await send(api, ada, chat, "hello")
    before = await member_state(chat)
    for doc, name, inp in (
        (MARK_READ, "chatMarkRead", {"chatId": chat, "seq": 1}),
        (SETTINGS, "chatMemberSettingsUpdate", {"chatId": chat, "muted": True}),
        (MARK_READ, "chatMarkRead", {"chatId": "garbage", "seq": 1}),
        (SETTINGS, "chatMemberSettingsUpdate", {"chatId": "garbage", "pinnedToTop": True}),
    ):
        # When Eve (or anyone, with an ID that is no chat's) tries
        body = (await api.post(doc, {"i": inp}, token=eve.access_token)).json()
        # Then it is NOT_FOUND in the payload, with nothing else, and nothing changed
        assert payload_error(body, name) == {
            "code": "NOT_FOUND",
            "field": "chatId",
            "message": "No such object.",
        }
        assert body["data"][name]["chat"] is None
    assert await member_state(chat) == before
    # And Ada's own call succeeds with an empty list
    body = (
        await api.post(MARK_READ, {"i": {"chatId": chat, "seq": 1}}, token=ada.access_token)
    ).json()
    assert body["data"]["chatMarkRead"] == {"chat": {"id": chat}, "readSeq": 1, "errors": []}


async def test_the_pin_limit_is_a_typed_error(api: Api) -> None:
    # Given Ada with 50 pinned chats and one more
    ada = await api.sign_up()
    chats = [await group(api, ada, [], name=f"G{i}") for i in range(51)]
    await ChatMember.filter(
        user_id=pk(ada.user_id), chat_id__in=[pk(c) for c in chats[:50]]
    ).update(pinned_at=datetime.now(UTC))
    # When she pins the 51st
    body = (
        await api.post(
            SETTINGS, {"i": {"chatId": chats[50], "pinnedToTop": True}}, token=ada.access_token
        )
    ).json()
    # Then it is TOO_MANY_PINNED for pinnedToTop, and the chat stays unpinned
    assert payload_error(body, "chatMemberSettingsUpdate")["field"] == "pinnedToTop"
    assert payload_code(body, "chatMemberSettingsUpdate") == "TOO_MANY_PINNED"
    last = await ChatMember.get(user_id=pk(ada.user_id), chat_id=pk(chats[50]))
    assert last.pinned_at is None


async def test_unauthenticated_stays_a_top_level_error(api: Api) -> None:
    ada = await api.sign_up()
    chat = await group(api, ada, [])
    body = (await api.post(MARK_READ, {"i": {"chatId": chat, "seq": 1}})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
