"""GraphQL types of the Open Platform: apps, scopes, and the apps a person authorized."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graphql_schema.core.node import VisibleNode
from graphql_schema.identity.types import User, visible_user
from models.apps import App as AppModel
from resolvers.apps import queries


@strawberry.federation.type(
    keys=["id"],
    description="A third-party or in-house integration of one organization: it acts through "
    "OAuth 2.1 tokens, for people who consented (authorization code grant with PKCE) or as "
    "its bot user (client credentials grant). Owners and admins manage apps; members may read "
    "one by ID; guests see none.",
)
class App(VisibleNode):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="1 to 100 characters; also its bot's name.")
    description: str = strawberry.field(
        description="Shown on the consent page; at most 500 characters."
    )
    scopes: list[str] = strawberry.field(
        description="The scopes the app may ask for (see `scopes`); no token it gets carries more."
    )
    redirect_uris: list[str] = strawberry.field(
        description="Exact redirect URIs of the authorization code grant (https, or http on "
        "a loopback host)."
    )
    client_id: str = strawberry.field(description="The app's public OAuth client ID, `hlc_…`.")
    created_at: datetime = strawberry.field(description="When the app was created.")
    updated_at: datetime = strawberry.field(description="When the app last changed.")
    disabled_at: datetime | None = strawberry.field(
        description="When an admin disabled the app (its tokens stopped working then); null "
        "while it is enabled."
    )
    trusted_documents_only: bool = strawberry.field(
        description="Whether the app's tokens run only its trusted documents, by id "
        "(`appTrustedDocumentsOnlySet`; `OrganizationSettings.trustedDocumentsRequired` imposes "
        "it on every app)."
    )
    bot_user_id: strawberry.Private[int]

    @strawberry.field(
        description="The app's bot: a user with `isBot` set, which can be added to chats like a "
        "person and never signs in with a password."
    )
    async def bot_user(self, info: Info) -> User | None:
        return await visible_user(info, self.bot_user_id)

    @classmethod
    def from_model(cls, app: AppModel) -> App:
        return cls(
            id=app.id,
            name=app.name,
            description=app.description,
            scopes=list(app.scopes),
            redirect_uris=list(app.redirect_uris),
            client_id=app.client_id,
            created_at=app.created_at,
            updated_at=app.updated_at,
            disabled_at=app.disabled_at,
            trusted_documents_only=app.trusted_documents_only,
            bot_user_id=app.bot_user_id,
        )

    fetch_visible = staticmethod(queries.visible_apps)


@strawberry.type(description="A permission an app may ask for, named `<area>:<read|write>`.")
class Scope:
    name: str = strawberry.field(description="The scope, e.g. `messenger:read`.")
    description: str = strawberry.field(description="What it allows, as the consent page says.")
    admin_only: bool = strawberry.field(
        description="Only tokens of owners and admins carry it; a member's never does."
    )


@strawberry.type(description="An app you let act for you, while it holds a live token.")
class AppAuthorization:
    app: App = strawberry.field(description="The app.")
    scopes: list[str] = strawberry.field(description="What its tokens may do for you.")
    first_granted_at: datetime = strawberry.field(
        description="When you first allowed it (of its live grants)."
    )
    last_granted_at: datetime = strawberry.field(description="When you last allowed it.")
    session_count: int = strawberry.field(
        description="How many live grants it holds (one per consent)."
    )

    @classmethod
    def from_domain(cls, a: queries.Authorization) -> AppAuthorization:
        return cls(
            app=App.from_model(a.app),
            scopes=a.scopes,
            first_granted_at=a.first_granted_at,
            last_granted_at=a.last_granted_at,
            session_count=a.session_count,
        )
