"""What other modules do when Drive copies their items. Drive stores files and folders itself;
an item of another kind (a doc) is a Drive row plus what its module keeps about it, so a copy
of one needs that module to copy its part. Such modules register here (Drive does not import
them: the modules contract in ``pyproject.toml``), and ``fileCopy`` calls ``items_copied``
inside its transaction, after the copied rows exist and before commit. A hook that raises
refuses the whole copy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from models.drive import DriveItem, ItemKind
from resolvers.core.tx import Transaction


@dataclass(slots=True)
class ItemsCopied:
    kind: ItemKind
    pairs: list[tuple[DriveItem, DriveItem]]
    """(original, copy) for every copied item of ``kind``, originals as committed now."""
    user_id: int
    """Who copied (the copies' owner)."""


Hook = Callable[[Transaction, ItemsCopied], Awaitable[None]]
_hooks: dict[ItemKind, list[tuple[str, Hook]]] = {}


def on_items_copied(kind: ItemKind, name: str) -> Callable[[Hook], Hook]:
    """Register a hook for copies of items of ``kind`` (once per name)."""

    def register(hook: Hook) -> Hook:
        hooks = _hooks.setdefault(kind, [])
        for i, (known, _) in enumerate(hooks):
            if known == name:
                hooks[i] = (name, hook)
                return hook
        hooks.append((name, hook))
        return hook

    return register


async def items_copied(
    tx: Transaction, pairs: list[tuple[DriveItem, DriveItem]], user_id: int
) -> None:
    """Tell each kind's hooks about its copies."""
    by_kind: dict[ItemKind, list[tuple[DriveItem, DriveItem]]] = {}
    for original, copy in pairs:
        by_kind.setdefault(ItemKind(original.kind), []).append((original, copy))
    for kind, kind_pairs in by_kind.items():
        for _, hook in list(_hooks.get(kind, [])):
            await hook(tx, ItemsCopied(kind, kind_pairs, user_id))
