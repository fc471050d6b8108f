"""The Open Platform's shared ground: an app's bot token is a scoped principal of its bot."""

from __future__ import annotations

from tests.apps.helpers import bot_token, create_app
from tests.client import Api

VIEWER = "{ viewer { id displayName } }"


async def test_a_bot_token_signs_in_as_the_bot_with_the_apps_scopes(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    created = await create_app(owner, name="Deploy bot", scopes=["messenger:read"])
    assert created.client_secret.startswith("hls_")
    token = await bot_token(created)
    body = (await api.post(VIEWER, token=token)).json()
    assert body["data"]["viewer"]["displayName"] == "Deploy bot"
    assert body["data"]["viewer"]["id"] != owner.user_id
    assert "Bearer" not in str(body)


async def test_an_owner_token_is_not_a_bot_token(api: Api) -> None:
    owner = await api.sign_up(name="Olga")
    r = await api.post(VIEWER, headers=owner.headers)
    assert r.json()["data"]["viewer"]["id"] == owner.user_id
