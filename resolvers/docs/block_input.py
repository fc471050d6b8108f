"""What a block mutation may write: the rules of the block model (``resolvers.docs.blocks``)
checked on blocks sent by bots, before anything is written.

- Nesting: children only under the types in ``CHILD_TYPES``; a table holds rows only, a row
  cells only, and rows and cells go nowhere else.
- Attributes: each only on its type (``level`` on headings, 1 to 6; ``checked`` on to-dos;
  ``language`` on code; ``fileId`` on images and files; ``url`` on links; ``target`` on
  mentions). A heading without a level is level 1, a to-do without ``checked`` is not done;
  images, files, links and mentions need theirs.
- References: ``fileId`` is a Drive file the caller can see, ``target`` a User, Chat or Doc
  the caller can see; anything else is NOT_FOUND on that field (whether it exists or not).
- Limits: ``MAX_LIST`` blocks in one list, ``MAX_TOTAL`` blocks in one mutation (children
  included), ``MAX_DEPTH`` levels of nesting, ``MAX_TEXT`` characters of text per block and
  ``MAX_TOTAL_TEXT`` in all (so that one mutation stays a reasonable Yjs update).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from resolvers.core.errors import NotFound, ValidationFailed
from resolvers.docs.blocks import CHILD_TYPES, MARKS, TEXT_TYPES, Block, BlockType

MAX_LIST = 100
MAX_TOTAL = 500
MAX_DEPTH = 8
MAX_TEXT = 10_000
MAX_TOTAL_TEXT = 100_000
MAX_RUNS = 500
MAX_LANGUAGE = 64
MAX_URL = 2048

ATTRIBUTES_OF: dict[BlockType, frozenset[str]] = {
    BlockType.HEADING: frozenset({"level"}),
    BlockType.TODO: frozenset({"checked"}),
    BlockType.CODE: frozenset({"language"}),
    BlockType.IMAGE: frozenset({"fileId"}),
    BlockType.FILE: frozenset({"fileId"}),
    BlockType.LINK: frozenset({"url"}),
    BlockType.MENTION: frozenset({"target"}),
}
REQUIRED: dict[BlockType, str] = {
    BlockType.IMAGE: "fileId",
    BlockType.FILE: "fileId",
    BlockType.LINK: "url",
    BlockType.MENTION: "target",
}
FILE_KINDS = frozenset({"File"})
TARGET_KINDS = frozenset({"User", "Chat", "Doc"})
ATTRIBUTE_OF_FIELD = {
    "level": "level",
    "checked": "checked",
    "language": "language",
    "fileId": "file_id",
    "url": "url",
    "target": "target",
}

Visible = Callable[[list[str]], Awaitable[list[str | None]]]
"""What the caller can see of global IDs: per ID, its kind ("File" for a Drive file, "User",
"Chat", "Doc"...) or None when it names nothing the caller can see. The API layer answers it
(it knows every type's visibility rules); block mutations only ask."""


@dataclass(frozen=True, slots=True)
class Reference:
    global_id: str
    kinds: frozenset[str]
    field: str


def allowed_under(parent: BlockType | None, child: BlockType) -> bool:
    """Whether ``child`` may be a child of ``parent`` (None: the top level)."""
    if child == BlockType.TABLE_ROW:
        return parent == BlockType.TABLE
    if child == BlockType.TABLE_CELL:
        return parent == BlockType.TABLE_ROW
    if parent is None:
        return True
    if parent == BlockType.TABLE:
        return False
    if parent == BlockType.TABLE_ROW:
        return False
    return parent in CHILD_TYPES


def where(parent: BlockType | None) -> str:
    return "at the top level" if parent is None else f"in a {parent.value}"


def check_url(url: str, field: str) -> str:
    parts = urlsplit(url)
    if (
        len(url) > MAX_URL
        or parts.scheme not in ("http", "https", "mailto")
        or (parts.scheme != "mailto" and not parts.netloc)
        or any(c.isspace() for c in url)
    ):
        raise ValidationFailed(
            f"A URL is http, https or mailto, at most {MAX_URL} characters.", field=field
        )
    return url


def check_attributes(
    kind: BlockType, values: dict[str, Any], path: str, refs: list[Reference]
) -> dict[str, Any]:
    """The attributes of a block of type ``kind``, with defaults, checked (references are
    added to ``refs`` for ``check_references``). ``values`` maps API field names to values,
    None for absent."""
    allowed = ATTRIBUTES_OF.get(kind, frozenset())
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name not in allowed:
            raise ValidationFailed(f"A {kind.value} block has no {name}.", field=f"{path}{name}")
        out[name] = value
    if kind == BlockType.HEADING:
        level = out.setdefault("level", 1)
        if not isinstance(level, int) or not 1 <= level <= 6:
            raise ValidationFailed("A heading's level is 1 to 6.", field=f"{path}level")
    if kind == BlockType.TODO:
        out.setdefault("checked", False)
    if (language := out.get("language")) is not None and len(language) > MAX_LANGUAGE:
        raise ValidationFailed(
            f"A language has at most {MAX_LANGUAGE} characters.", field=f"{path}language"
        )
    if (url := out.get("url")) is not None:
        check_url(url, f"{path}url")
    required = REQUIRED.get(kind)
    if required is not None and not out.get(required):
        raise ValidationFailed(f"A {kind.value} block needs {required}.", field=f"{path}{required}")
    if (file_id := out.get("fileId")) is not None:
        refs.append(Reference(file_id, FILE_KINDS, f"{path}fileId"))
    if (target := out.get("target")) is not None:
        refs.append(Reference(target, TARGET_KINDS, f"{path}target"))
    return out


def check_runs(kind: BlockType, block: Block, path: str) -> None:
    if not block.runs:
        return
    if kind not in TEXT_TYPES:
        raise ValidationFailed(f"A {kind.value} block has no text.", field=f"{path}text")
    if len(block.runs) > MAX_RUNS:
        raise ValidationFailed(f"At most {MAX_RUNS} runs per block.", field=f"{path}runs")
    if len(block.text) > MAX_TEXT:
        raise ValidationFailed(
            f"A block has at most {MAX_TEXT} characters of text.", field=f"{path}text"
        )
    for i, run in enumerate(block.runs):
        unknown = set(run.marks) - set(MARKS)
        if unknown:
            raise ValidationFailed("Unknown formatting.", field=f"{path}runs.{i}")
        link = run.marks.get("link")
        if link is not None:
            check_url(str(link), f"{path}runs.{i}.link")


def _values(block: Block) -> dict[str, Any]:
    return {name: getattr(block, attr) for name, attr in ATTRIBUTE_OF_FIELD.items()}


def check_blocks(
    blocks: list[Block],
    parent: BlockType | None,
    refs: list[Reference],
    *,
    path: str = "blocks",
    depth: int = 1,
    seen: list[int] | None = None,
) -> None:
    """Check ``blocks`` (and their children) as children of ``parent``; sets defaults."""
    counter = seen if seen is not None else [0, 0]  # blocks, characters
    if not blocks and depth == 1:
        raise ValidationFailed("Give at least one block.", field=path)
    if len(blocks) > MAX_LIST:
        raise ValidationFailed(f"At most {MAX_LIST} blocks in one list.", field=path)
    if depth > MAX_DEPTH:
        raise ValidationFailed(f"Blocks nest at most {MAX_DEPTH} deep.", field=path)
    for i, block in enumerate(blocks):
        counter[0] += 1
        if counter[0] > MAX_TOTAL:
            raise ValidationFailed(f"At most {MAX_TOTAL} blocks at once.", field=path)
        at = f"{path}.{i}."
        if not allowed_under(parent, block.type):
            raise ValidationFailed(
                f"A {block.type.value} block cannot go {where(parent)}.", field=f"{at}type"
            )
        check_runs(block.type, block, at)
        counter[1] += len(block.text)
        if counter[1] > MAX_TOTAL_TEXT:
            raise ValidationFailed(
                f"At most {MAX_TOTAL_TEXT} characters of text at once.", field=f"{at}text"
            )
        attrs = check_attributes(block.type, _values(block), at, refs)
        for name, attr in ATTRIBUTE_OF_FIELD.items():
            setattr(block, attr, attrs.get(name))
        if block.children:
            if block.type not in CHILD_TYPES:
                raise ValidationFailed(
                    f"A {block.type.value} block has no children.", field=f"{at}children"
                )
            check_blocks(
                block.children,
                block.type,
                refs,
                path=f"{at}children",
                depth=depth + 1,
                seen=counter,
            )


async def check_references(refs: list[Reference], visible: Visible) -> None:
    """Every reference names something of its kinds the caller can see, or NOT_FOUND there."""
    if not refs:
        return
    kinds = await visible([r.global_id for r in refs])
    for ref, kind in zip(refs, kinds, strict=True):
        if kind is None or kind not in ref.kinds:
            raise NotFound(field=ref.field)
