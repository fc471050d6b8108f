"""Issue 10, item 9: no bidirectional overrides or other invisible format characters in names.

``invoice<U+202E>txt.exe`` was stored as given and shown as ``invoiceexe.txt``. Every name input
(file, folder, chat, display name, department, group, organization) is refused with
INVALID_NAME on its field, and nothing is written; a zero width joiner inside an emoji sequence
(and the tags of a subdivision flag) still works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from models.admin import Department, Group
from models.drive import DriveItem
from models.identity import Organization, User
from models.messenger import Chat
from tests.client import PASSWORD, Account, Api, unique_email
from tests.drive.helpers import upload
from tests.drive.sharing_helpers import folder
from tests.messenger.helpers import group

HIDDEN = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # isolates
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u061c",  # ARABIC LETTER MARK
    "\u200b",  # ZERO WIDTH SPACE (Cf)
    "\ufeff",  # BYTE ORDER MARK (Cf)
    "\u00ad",  # SOFT HYPHEN (Cf)
    "\u200d",  # a ZERO WIDTH JOINER between Latin letters: not an emoji sequence
    "\u200c",  # a ZERO WIDTH NON-JOINER between Latin letters, which never need it
    "\u2028",  # LINE SEPARATOR
]
# Emoji that need format characters: technologist (ZWJ), family (ZWJ), heart on fire (VS16 +
# ZWJ), technologist with a skin tone (modifier + ZWJ), Scotland's flag (tag characters).
EMOJI = [
    "\U0001f469\u200d\U0001f4bb",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u2764\ufe0f\u200d\U0001f525",
    "\U0001f469\U0001f3fd\u200d\U0001f4bb",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    # and words whose script needs joiners: Persian with a non-joiner, Devanagari half forms
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    "\u0915\u094d\u200d\u0937",
]


@dataclass
class NameInput:
    """One mutation that takes a name: how to call it with ``name``, and where it failed."""

    label: str
    call: Callable[[Api, dict[str, Any], str], Awaitable[dict[str, Any]]]
    field: str


async def _mutate(api: Api, who: Account | None, doc: str, inp: dict[str, Any]) -> dict[str, Any]:
    data = await api.gql(doc, {"i": inp}, token=who.access_token if who else None)
    return dict(next(iter(data.values())))


def simple(label: str, op: str, input_type: str, field: str, **fixed: Any) -> NameInput:
    doc = f"mutation($i: {input_type}!) {{ {op}(input: $i) {{ errors {{ code field }} }} }}"

    async def call(api: Api, w: dict[str, Any], name: str) -> dict[str, Any]:
        values = {k: (v(w) if callable(v) else v) for k, v in fixed.items()}
        return await _mutate(api, w["owner"], doc, {**values, field: name})

    return NameInput(label, call, field)


async def _sign_up(api: Api, w: dict[str, Any], name: str, field: str) -> dict[str, Any]:
    inp = {
        "email": unique_email(),
        "password": PASSWORD,
        "displayName": "Ada",
        "organizationName": "Acme",
    }
    doc = "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code field } } }"
    return await _mutate(api, None, doc, {**inp, field: name})


async def _upload(api: Api, w: dict[str, Any], name: str) -> dict[str, Any]:
    return await upload(api, w["owner"], b"x", name=name)


INPUTS = [
    NameInput(
        "signUp displayName", lambda a, w, n: _sign_up(a, w, n, "displayName"), "displayName"
    ),
    NameInput(
        "signUp organizationName",
        lambda a, w, n: _sign_up(a, w, n, "organizationName"),
        "organizationName",
    ),
    simple("viewerUpdate", "viewerUpdate", "ViewerUpdateInput", "displayName"),
    simple(
        "userUpdate",
        "userUpdate",
        "UserUpdateInput",
        "displayName",
        userId=lambda w: w["bob"].user_id,
    ),
    simple("userCreate", "userCreate", "UserCreateInput", "displayName", email=unique_email()),
    simple("organizationUpdate", "organizationUpdate", "OrganizationUpdateInput", "name"),
    simple("departmentCreate", "departmentCreate", "DepartmentCreateInput", "name"),
    simple("groupCreate", "groupCreate", "GroupCreateInput", "name"),
    simple(
        "chatCreate",
        "chatCreate",
        "ChatCreateInput",
        "name",
        kind="GROUP",
        memberIds=lambda w: [w["bob"].user_id],
    ),
    simple("chatUpdate", "chatUpdate", "ChatUpdateInput", "name", chatId=lambda w: w["chat"]),
    simple("folderCreate", "folderCreate", "FolderCreateInput", "name"),
    simple("fileRename", "fileRename", "FileRenameInput", "name", fileId=lambda w: w["folder"]),
    NameInput("fileUpload", _upload, "name"),
]


async def names_in_store() -> tuple[Any, ...]:
    """Every stored name, to assert that a refused name wrote nothing."""
    return (
        sorted(await User.all().values_list("display_name", flat=True)),
        sorted(await Organization.all().values_list("name", flat=True)),
        sorted(await Department.all().values_list("name", flat=True)),
        sorted(await Group.all().values_list("name", flat=True)),
        sorted(await Chat.all().values_list("name", flat=True)),
        sorted(await DriveItem.all().values_list("name", flat=True)),
    )


async def world(api: Api) -> dict[str, Any]:
    owner = await api.sign_up()
    bob = await api.add_member(owner, name="Bob")
    return {
        "owner": owner,
        "bob": bob,
        "chat": await group(api, owner, [bob], name="Team"),
        "folder": await folder(api, owner, "Folder"),
    }


async def test_every_name_input_refuses_hidden_characters(api: Api) -> None:
    # Given an organization with a chat and a folder to rename
    w = await world(api)
    before = await names_in_store()
    for ni in INPUTS:
        for ch in HIDDEN:
            # When a name with a hidden character is given
            p = await ni.call(api, w, f"invoice{ch}txt.exe")
            # Then it is refused on its field
            got = [(e["code"], e["field"]) for e in p["errors"]]
            assert got == [("INVALID_NAME", ni.field)], (ni.label, ch, p)
    # and nothing was written anywhere
    assert await names_in_store() == before


@pytest.mark.parametrize("emoji", EMOJI)
async def test_joiners_that_emoji_and_scripts_need_are_kept(api: Api, emoji: str) -> None:
    # Given an organization
    w = await world(api)
    name = f"{emoji} team"
    # When names hold emoji that need a joiner, a selector, a modifier or tags, or words
    # whose script needs a joiner
    for ni in (INPUTS[2], INPUTS[7], INPUTS[10]):  # display name, group, folder
        p = await ni.call(api, w, name)
        # Then they are taken as given
        assert p["errors"] == [], (ni.label, p)
    assert await User.filter(display_name=name).exists()
    assert await Group.filter(name=name).exists()
    assert await DriveItem.filter(name=name).exists()
