"""Helpers the formats share."""

from __future__ import annotations

from resolvers.docs.blocks import Block, BlockType, Run


def merge_runs(runs: list[Run]) -> list[Run]:
    """Adjacent runs with the same marks as one; empty runs dropped."""
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and out[-1].marks == run.marks:
            out[-1] = Run(out[-1].text + run.text, out[-1].marks)
        else:
            out.append(Run(run.text, dict(run.marks)))
    return out


def plain(text: str) -> str:
    return text.replace("\n", " ")


def table_grid(table: Block) -> list[list[Block]]:
    """A table's cells as a rectangle (short rows padded with empty cells); [] for none."""
    rows = [
        [c for c in row.children if c.type == BlockType.TABLE_CELL]
        for row in table.children
        if row.type == BlockType.TABLE_ROW
    ]
    rows = [r for r in rows if r] or []
    if not rows:
        return []
    width = max(len(r) for r in rows)
    return [r + [Block(BlockType.TABLE_CELL) for _ in range(width - len(r))] for r in rows]


def lone_link(block: Block) -> Block:
    """A paragraph that is one link and nothing else is a link block, or a file or mention
    block when it links to a Hello file or person, chat or doc (how exports write those)."""
    from resolvers.docs.formats import reference_of, safe_url

    if block.type != BlockType.PARAGRAPH or len(block.runs) != 1 or block.children:
        return block
    run = block.runs[0]
    href = run.marks.get("link")
    if set(run.marks) != {"link"} or not isinstance(href, str):
        return block
    reference = reference_of(href)
    if reference is not None:
        kind, global_id = reference
        if kind == "File":
            return Block.of(BlockType.FILE, run.text, file_id=global_id)
        return Block.of(BlockType.MENTION, run.text, target=global_id)
    url = safe_url(href)
    return Block.of(BlockType.LINK, run.text, url=url) if url else block
