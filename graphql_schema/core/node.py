"""``node(id:)`` and ``nodes(ids:)``: fetch any object by its global ID.

Every Node type implements ``resolve_nodes`` with the tenancy check, so an ID of another
organization resolves to null exactly like an ID that does not exist (no existence leaks)."""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any, ClassVar, Protocol, overload

import strawberry
from strawberry import relay
from strawberry.federation.schema_directives import Key
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition

from graphql_schema.core.scopes import NODE_SCOPES
from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.core.scopes import effective_scopes

MAX_IDS = 100


def _decode(raw: str) -> relay.GlobalID | None:
    try:
        return relay.GlobalID.from_id(raw)
    except Exception:  # any malformed ID is simply "not found"
        return None


def node_type(info: Info, type_name: str) -> type[relay.Node] | None:
    """The object type implementing Node that ``type_name`` names, or None: an unknown name,
    a type that is not a Node, or the ``Node`` interface itself (whose ``resolve_nodes`` is
    abstract), as in the global ID "Node:1"."""
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
        return None
    origin = definition.origin
    if isinstance(origin, type) and issubclass(origin, relay.Node) and origin is not relay.Node:
        return origin
    return None


def _readable(info: Info) -> frozenset[str] | None:
    """The scopes of a token, whose ``node`` reads only the types its scopes cover
    (``NODE_SCOPES``); None for a person's own sign-in, which reads what its role lets it."""
    principal = getattr(info.context, "principal", None)
    if principal is None or principal.scopes is None:
        return None
    return effective_scopes(principal)


async def resolve_global_ids(info: Info, ids: list[str]) -> list[Any]:
    wanted: dict[type[relay.Node], list[tuple[int, str]]] = defaultdict(list)
    readable = _readable(info)
    for i, raw in enumerate(ids):
        gid = _decode(raw)
        found_type = node_type(info, gid.type_name) if gid is not None else None
        if gid is None or found_type is None:
            continue
        if readable is not None and NODE_SCOPES.get(gid.type_name) not in readable:
            continue  # null, as if hidden: the token may not read this type
        wanted[found_type].append((i, gid.node_id))
    results: list[Any] = [None] * len(ids)
    for node_type_, pairs in wanted.items():
        found = node_type_.resolve_nodes(
            info=info, node_ids=[nid for _, nid in pairs], required=False
        )
        if inspect.isawaitable(found):
            found = await found
        for (i, _), obj in zip(pairs, found, strict=True):
            results[i] = obj
    return results


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The object with this global ID, or null if it does not exist or you "
        "may not see it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> relay.Node | None:
        return (await resolve_global_ids(info, [id]))[0]

    @strawberry.field(
        description=f"Objects by global ID, in the same order; null where one does not exist or "
        f"is not visible to you. At most {MAX_IDS} IDs."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description=f"At most {MAX_IDS} global IDs.")
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_IDS:
            raise ValidationFailed(f"Ask for at most {MAX_IDS} IDs at once.", field="ids")
        return await resolve_global_ids(info, list(ids))


def global_id(type_name: str, pk: int) -> strawberry.ID:
    """The global ID of the object ``pk`` of ``type_name`` (what ``decode_id`` reads back)."""
    return strawberry.ID(str(relay.GlobalID(type_name, str(pk))))


def decode_id(raw: str | None, type_name: str) -> int | None:
    """The database id behind a global ID of ``type_name``; None when it is missing, malformed
    or of another type, which callers answer like an id that does not exist (NOT_FOUND)."""
    gid = _decode(raw) if raw is not None else None
    if gid is None or gid.type_name != type_name:
        return None
    return parse_node_ids([gid.node_id])[0]


@overload
def require_id(raw: str, type_name: str, field: str) -> int: ...
@overload
def require_id(raw: None, type_name: str, field: str) -> None: ...
def require_id(raw: str | None, type_name: str, field: str) -> int | None:
    """Like ``decode_id`` for an input field: None stays None, anything that is not an ID of
    ``type_name`` is NOT_FOUND for that field, exactly like an ID that does not exist."""
    if raw is None:
        return None
    pk = decode_id(raw, type_name)
    if pk is None:
        raise NotFound("No such object.", field=field)
    return pk


async def resolve_visible(
    node_ids: Iterable[str],
    fetch: Callable[[list[int]], Awaitable[Sequence[Any]]],
    convert: Callable[[Any], Any],
) -> list[Any]:
    """The body of every ``resolve_nodes``: parse the ids, fetch what the viewer may see (one
    batch, in order, None where hidden), convert; malformed ids resolve to None."""
    parsed = parse_node_ids(node_ids)
    found = iter(await fetch([i for i in parsed if i is not None]))
    return [
        convert(row) if (i is not None and (row := next(found)) is not None) else None
        for i in parsed
    ]


def parse_node_ids(node_ids: Any) -> list[int | None]:
    """Database ids from the node part of global IDs; None for anything malformed."""
    out: list[int | None] = []
    for n in node_ids:
        # Digits only and within BIGINT: anything else would reach the database as an error.
        ok = isinstance(n, str) and n.isascii() and n.isdigit() and 0 < len(n) <= 19
        value = int(n) if ok else 0
        out.append(value if 0 < value < 2**63 else None)
    return out


async def resolve_reference(node_type: type[relay.Node], info: Info, global_id: str) -> Any:
    """Resolve a federation entity reference ``{__typename, id}`` like ``node(id:)``."""
    gid = _decode(global_id)
    if gid is None or gid.type_name != node_type.__name__:
        return None
    found = node_type.resolve_nodes(info=info, node_ids=[gid.node_id], required=False)
    if inspect.isawaitable(found):
        found = await found
    return next(iter(found), None)


async def resolve_entities(info: Info, representations: list[Any]) -> list[Any]:
    """``_entities``: every ``@key(fields: "id")`` type resolves like ``node(id:)``, in one
    batch per type, so an entity that does not exist or is not visible is null (as the
    federation spec allows), never an error. A representation that names no entity of this
    subgraph, or has no ``id``, is the caller's error: BAD_USER_INPUT at its index."""
    if len(representations) > MAX_IDS:
        raise ValidationFailed(
            f"Ask for at most {MAX_IDS} entities at once.", field="representations"
        )
    invalid: dict[int, Exception] = {}
    ids: list[str] = []
    for i, rep in enumerate(representations):
        rep = rep if isinstance(rep, dict) else {}
        type_name, raw_id = rep.get("__typename"), rep.get("id")
        found = node_type(info, type_name) if isinstance(type_name, str) else None
        if found is None or not _is_entity(found) or not isinstance(raw_id, str):
            invalid[i] = ValidationFailed(
                "Each representation is {__typename, id} of an entity of this subgraph.",
                field=f"representations.{i}",
            )
        gid = _decode(raw_id) if isinstance(raw_id, str) else None
        # An id of another type than __typename names nothing: null, like node(id:).
        ids.append(str(raw_id) if gid is not None and gid.type_name == type_name else "")
    found_all = await resolve_global_ids(info, ids)
    return [invalid.get(i, obj) for i, obj in enumerate(found_all)]


class VisibleFetch(Protocol):
    """A domain look-up such as ``resolvers.identity.queries.visible_users(ctx, ids)``: the rows
    in the order asked, None where one does not exist or the viewer may not see it."""

    def __call__(self, ctx: Any, ids: list[int], /) -> Awaitable[Sequence[Any]]: ...


class VisibleNode(relay.Node):
    """A Node type whose objects ``node(id:)``, ``nodes(ids:)`` and federation references find
    through one batched, tenancy-checked look-up. A subclass names the look-up and converts
    rows with its own ``from_model``::

        class User(VisibleNode):
            fetch_visible = staticmethod(queries.visible_users)
    """

    fetch_visible: ClassVar[VisibleFetch]

    @classmethod
    def from_model(cls, model: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_visible(
            node_ids, lambda ids: cls.fetch_visible(info.context, ids), cls.from_model
        )

    @classmethod
    def global_id(cls, pk: int) -> strawberry.ID:
        return global_id(cls.__name__, pk)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        """Federation: another subgraph's reference, with the same tenancy as ``node``."""
        return await resolve_reference(cls, info, id)


def _is_entity(cls: type[relay.Node]) -> bool:
    definition = getattr(cls, "__strawberry_definition__", None)
    return any(isinstance(d, Key) for d in getattr(definition, "directives", None) or ())
