"""Issue 10, item 8: "not yours" and "not there" answer alike, byte for byte.

Message operations said "No such chat." for another organization's message and "No such
message." for a made-up id; ``shareLinkRevoke`` by a guest differed the same way. Every case
below is asked three ways (another organization's object, an id that never existed, and
something of the caller's own organization that a guest may not see) and the raw responses
must be the same bytes: the ids are only in the request.
"""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from models.drive import ShareLink
from models.identity import Role
from models.messenger import Message, MessagePin, Reaction
from tests.client import Account, Api
from tests.drive.sharing_helpers import LINK_CREATE, folder, payload, pk, with_role
from tests.messenger.helpers import group, send

ERR = "errors { code field message }"
MESSAGE_OPS = {
    "messageEdit": ("MessageEditInput", {"text": "changed"}),
    "messageRecall": ("MessageRecallInput", {}),
    "messageReactionToggle": ("MessageReactionToggleInput", {"emoji": "👍"}),
    "messagePin": ("MessagePinInput", {}),
    "messageUnpin": ("MessageUnpinInput", {}),
    "messageForward": ("MessageForwardInput", {"chatIds": []}),
}
LINK_REVOKE = f"""mutation($i: ShareLinkRevokeInput!) {{ shareLinkRevoke(input: $i) {{
  shareLink {{ id }} {ERR} }} }}"""
MADE_UP = 987_654_321


def made_up(type_name: str) -> str:
    return str(GlobalID(type_name, str(MADE_UP)))


async def raw(api: Api, doc: str, inp: dict[str, Any], who: Account) -> bytes:
    r = await api.post(doc, {"i": inp}, token=who.access_token)
    assert r.status_code == 200, r.text
    return r.content


async def message_state() -> tuple[Any, ...]:
    rows = await Message.all().order_by("id").values_list("id", "text", "recalled_at")
    return tuple(rows), await Reaction.all().count(), await MessagePin.all().count()


async def test_message_operations_answer_alike_for_missing_foreign_and_hidden(api: Api) -> None:
    # Given Ada's organization with a chat the guest Gus is not in, a member Mia who sits in a
    # chat of her own (for forwarding), and another organization with a message of its own
    ada = await api.sign_up()
    bob = await api.add_member(ada, name="Bob")
    mia = await api.add_member(ada, name="Mia")
    gus = await with_role(api, ada, Role.GUEST, "Gus")
    inside = await group(api, ada, [bob], name="Inside")
    hidden = (await send(api, bob, inside, "ours"))["message"]["id"]
    mias = await group(api, ada, [mia], name="Mia's")
    zed = await api.sign_up(organization="Other")
    theirs_chat = await group(api, zed, [await api.add_member(zed, name="Yan")], name="Theirs")
    foreign = (await send(api, zed, theirs_chat, "theirs"))["message"]["id"]
    before = await message_state()

    for op, (input_type, extra) in MESSAGE_OPS.items():
        doc = f"mutation($i: {input_type}!) {{ {op}(input: $i) {{ {ERR} }} }}"
        if op == "messageForward":
            extra = {"chatIds": [mias]}
        # When a member tries another organization's message and one that never existed, and a
        # guest tries a message of its own organization it may not see, and one never existed
        answers = {
            "foreign": await raw(api, doc, {"messageId": foreign, **extra}, mia),
            "made up": await raw(api, doc, {"messageId": made_up("Message"), **extra}, mia),
            "hidden from a guest": await raw(api, doc, {"messageId": hidden, **extra}, gus),
            "made up, by a guest": await raw(
                api, doc, {"messageId": made_up("Message"), **extra}, gus
            ),
        }
        # Then every answer is the same bytes, a NOT_FOUND on messageId
        assert len(set(answers.values())) == 1, (op, answers)
        assert b'"NOT_FOUND"' in answers["foreign"] and b'"messageId"' in answers["foreign"]
    # and nothing changed anywhere
    assert await message_state() == before


async def test_share_link_revoke_answers_a_guest_alike_whatever_the_id(api: Api) -> None:
    # Given a link Ada made on her folder, another organization's link, and a guest
    ada = await api.sign_up()
    gus = await with_role(api, ada, Role.GUEST, "Gus")
    mia = await api.add_member(ada, name="Mia")
    ours = await payload(api, LINK_CREATE, {"fileId": await folder(api, ada, "Ours")}, ada)
    zed = await api.sign_up(organization="Other")
    theirs = await payload(api, LINK_CREATE, {"fileId": await folder(api, zed, "Theirs")}, zed)
    ours_id, theirs_id = ours["shareLink"]["id"], theirs["shareLink"]["id"]
    made = made_up("ShareLink")

    # When the guest revokes its organization's link, another's, and one that never existed
    by_guest = {
        await raw(api, LINK_REVOKE, {"shareLinkId": i}, gus) for i in (ours_id, theirs_id, made)
    }
    # and a member who cannot see Ada's folder does the same with the last two and Ada's
    by_member = {
        await raw(api, LINK_REVOKE, {"shareLinkId": i}, mia) for i in (ours_id, theirs_id, made)
    }

    # Then each caller gets one answer whatever the id (the guest is refused outright)
    assert len(by_guest) == 1 and b'"FORBIDDEN"' in next(iter(by_guest))
    assert len(by_member) == 1 and b'"NOT_FOUND"' in next(iter(by_member))
    # and no link was revoked
    live = await ShareLink.filter(
        id__in=[pk(ours_id), pk(theirs_id)], revoked_at__isnull=True
    ).count()
    assert live == 2
