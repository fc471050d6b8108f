"""Types of a schema module that imports this one, named without importing it.

The schema modules form one graph of types (a ``User`` has chats, a ``Chat`` has members who
are users), but imports must not run in a circle. The lower module (``identity.types`` below
everyone; ``drive.types`` below Drive's sharing and links; ``messenger.types`` below its group
chats) names the higher one's types with Strawberry's lazy types, and its resolvers reach the
class through the same alias, so one declaration serves the schema and the code:

    ChatRef = Annotated["Chat", strawberry.lazy("graphql_schema.messenger.types")]

    def chats(self) -> Connection[ChatRef]:
        return connection(page, lazy_class(ChatRef).from_model)

Every other schema import goes at the top of its file."""

from __future__ import annotations

from typing import Any, ForwardRef, get_args

from strawberry.types.lazy_type import StrawberryLazyReference


def lazy_class(ref: Any) -> Any:
    """The class an ``Annotated["Name", strawberry.lazy("module")]`` alias names, importing its
    module on first use (at run time, when every schema module is loaded)."""
    name, *metadata = get_args(ref)
    lazy = next(m for m in metadata if isinstance(m, StrawberryLazyReference))
    forward = name if isinstance(name, ForwardRef) else ForwardRef(name)
    return lazy.resolve_forward_ref(forward).resolve_type()
