"""Blocks to plain text: what a person reads without formatting. One line per block (its line
breaks kept), children indented by two spaces, list items with a bullet, a number or a check
box, table cells separated by tabs; images, files and mentions show their text."""

from __future__ import annotations

from resolvers.docs.blocks import Block, BlockType
from resolvers.docs.formats.common import table_grid


def _lines(blocks: list[Block], indent: str) -> list[str]:
    out: list[str] = []
    number = 0
    for block in blocks:
        kind = block.type
        number = number + 1 if kind == BlockType.NUMBERED_LIST_ITEM else 0
        if kind == BlockType.BULLETED_LIST_ITEM:
            prefix = "• "
        elif kind == BlockType.NUMBERED_LIST_ITEM:
            prefix = f"{number}. "
        elif kind == BlockType.TODO:
            prefix = "[x] " if block.checked else "[ ] "
        else:
            prefix = ""
        if kind == BlockType.DIVIDER:
            out.append(indent + "---")
        elif kind == BlockType.TABLE:
            out.extend(
                indent + "\t".join(c.text.replace("\n", " ") for c in row)
                for row in table_grid(block)
            )
        elif kind == BlockType.LINK and not block.text and block.url:
            out.append(indent + block.url)
        elif block.text or prefix:
            first, *rest = block.text.split("\n")
            out.append(indent + prefix + first)
            pad = indent + " " * len(prefix)
            out.extend(pad + line for line in rest)
        if block.children and kind != BlockType.TABLE:
            out.extend(_lines(block.children, indent + "  "))
    return out


def to_text(blocks: list[Block]) -> str:
    lines = _lines(blocks, "")
    return "\n".join(lines) + "\n" if lines else ""
