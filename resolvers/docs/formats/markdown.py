"""Blocks to Markdown and back: CommonMark with GitHub's tables, strikethrough and task lists.

Export writes what CommonMark reads back as the same blocks: text is escaped (a ``*`` typed in
a doc stays a star), a line break inside a block is a hard break, underline (which Markdown
lacks) is ``<u>…</u>``, images, files and mentions are links to ``hello:<global ID>`` (see
``formats``), and only safe URLs become links. Import parses with markdown-it-py; raw HTML
blocks go through the HTML import (sanitized), inline HTML other than ``<u>`` and ``<br>`` is
dropped, and whatever has no block (a footnote, an HTML comment) is left out.

Known limits: leading spaces of a line and emphasis next to punctuation on both sides may not
survive a round trip (CommonMark's flanking rules)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from resolvers.docs.blocks import Block, BlockType, Run
from resolvers.docs.formats import reference_of, reference_url, safe_url
from resolvers.docs.formats.common import lone_link, merge_runs, plain, table_grid

# --- export ---------------------------------------------------------------------------------

_DELIMITERS = {"bold": "**", "italic": "*", "strike": "~~", "underline": "<u>"}
_CLOSERS = {"bold": "**", "italic": "*", "strike": "~~", "underline": "</u>"}
_ORDER = ("underline", "bold", "italic", "strike")
_ESCAPE = re.compile(r"([\\`*_\[\]<>~|&])")
_LINE_START = re.compile(r"^(\s*)(?:([#+\-=])|(\d+)([.)]))")


def _escape(text: str) -> str:
    out = _ESCAPE.sub(r"\\\1", text)
    if out.endswith("!"):
        out = out[:-1] + "\\!"  # would make an image of a link right after it
    return out


def _code_span(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.strip() == "" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _styled(runs: list[Run], breaks: bool) -> str:
    """Runs sharing one link: marks opened and closed as a stack, white space kept outside
    the delimiters (CommonMark ignores ``** x**``)."""
    pieces: list[str] = []
    stack: list[str] = []

    def close_to(keep: set[str]) -> None:
        while stack and any(m not in keep for m in stack):
            trailing = _take_trailing_space(pieces)
            pieces.append(_CLOSERS[stack.pop()])
            pieces.append(trailing)

    for run in runs:
        wanted = {m for m in _ORDER if run.marks.get(m)} if run.text.strip() else set(stack)
        close_to(wanted)
        text = run.text
        leading = text[: len(text) - len(text.lstrip())]
        if leading and any(m not in stack for m in wanted):
            pieces.append(_line_breaks(leading, breaks))
            text = text[len(leading) :]
        for mark in _ORDER:
            if mark in wanted and mark not in stack:
                stack.append(mark)
                pieces.append(_DELIMITERS[mark])
        if run.marks.get("code"):
            parts = text.split("\n")
            pieces.append(
                _line_breaks("\n", breaks).join(
                    _code_span(p) for p in parts if p or len(parts) == 1
                )
            )
        else:
            pieces.append(_line_breaks(_escape(text), breaks))
    close_to(set())
    return "".join(pieces)


def _take_trailing_space(pieces: list[str]) -> str:
    if not pieces:
        return ""
    last = pieces[-1]
    stripped = last.rstrip(" \t")
    if stripped.endswith("\\"):  # an escaped space is not white space to move
        return ""
    pieces[-1] = stripped
    return last[len(stripped) :]


def _line_breaks(text: str, breaks: bool) -> str:
    if not breaks:
        return text.replace("\n", " ")
    return "\n".join(
        _escape_line_start(line) if i else line for i, line in enumerate(text.split("\n"))
    ).replace("\n", "\\\n")


def _escape_line_start(line: str) -> str:
    def escaped(m: re.Match[str]) -> str:
        if m.group(2):
            return m.group(1) + "\\" + m.group(2)
        return m.group(1) + m.group(3) + "\\" + m.group(4)

    return _LINE_START.sub(escaped, line, count=1)


def _destination(url: str) -> str:
    if any(c in url for c in " ()<>") or not url:
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def inline(runs: list[Run], *, breaks: bool = True) -> str:
    """A block's text as Markdown inline content."""
    out: list[str] = []
    for link, group in groupby(runs, key=lambda r: r.marks.get("link")):
        part = list(group)
        url = safe_url(link) if isinstance(link, str) else None
        text = _styled(part, breaks)
        out.append(f"[{text}]({_destination(url)})" if url else text)
    result = "".join(out)
    return _escape_line_start(result) if result else result


def _label(block: Block) -> str:
    return _escape(plain(block.text))


def _block_lines(block: Block, number: int) -> tuple[list[str], str]:
    """The lines of one block, and the prefix of its continuation lines (list items)."""
    kind = block.type
    if kind == BlockType.HEADING:
        level = min(max(block.level or 1, 1), 6)
        text = inline(block.runs, breaks=False)
        return [("#" * level + " " + text).rstrip()], ""
    if kind in (BlockType.BULLETED_LIST_ITEM, BlockType.TODO, BlockType.NUMBERED_LIST_ITEM):
        if kind == BlockType.NUMBERED_LIST_ITEM:
            marker = f"{number}. "
        elif kind == BlockType.TODO:
            marker = "- [x] " if block.checked else "- [ ] "
        else:
            marker = "- "
        indent = " " * (len(marker) if kind != BlockType.TODO else 2)
        lines = (marker + inline(block.runs)).rstrip().split("\n")
        if block.children:
            lines.extend(to_lines(block.children))
        return [lines[0], *[(indent + x) if x else x for x in lines[1:]]], indent
    if kind == BlockType.QUOTE:
        body: list[str] = []
        if block.runs:
            body.extend(inline(block.runs).split("\n"))
        if block.children:
            if body:
                body.append("")
            body.extend(to_lines(block.children))
        return [("> " + x) if x else ">" for x in (body or [""])], ""
    if kind == BlockType.CODE:
        text = block.text
        longest = max((len(m) for m in re.findall(r"^`{3,}", text, re.M)), default=2)
        fence = "`" * (longest + 1)
        language = re.sub(r"[^\w+#.-]", "", block.language or "")
        return [fence + language, *text.split("\n"), fence], ""
    if kind == BlockType.DIVIDER:
        return ["---"], ""
    if kind == BlockType.TABLE:
        grid = table_grid(block)
        if not grid:
            return [], ""
        cells = [[inline(c.runs, breaks=False) for c in row] for row in grid]
        width = len(grid[0])
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
        lines.extend("| " + " | ".join(row) + " |" for row in cells[1:])
        return lines, ""
    if kind in (BlockType.IMAGE, BlockType.FILE, BlockType.MENTION, BlockType.LINK):
        target = (
            block.url
            if kind == BlockType.LINK
            else (block.target if kind == BlockType.MENTION else block.file_id)
        )
        if kind == BlockType.LINK:
            url = safe_url(target)
        else:
            url = reference_url(target) if target and reference_of(reference_url(target)) else None
        if url is None:
            return ([_label(block)] if block.text else []), ""
        bang = "!" if kind == BlockType.IMAGE else ""
        return [f"{bang}[{_label(block)}]({_destination(url)})"], ""
    text = inline(block.runs)
    return (text.split("\n") if text else []), ""


_LIST_TYPES = (BlockType.BULLETED_LIST_ITEM, BlockType.TODO, BlockType.NUMBERED_LIST_ITEM)


def _same_list(a: Block, b: Block) -> bool:
    bullets = (BlockType.BULLETED_LIST_ITEM, BlockType.TODO)
    return (a.type in bullets and b.type in bullets) or (
        a.type == b.type == BlockType.NUMBERED_LIST_ITEM
    )


def to_lines(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    previous: Block | None = None
    number = 0
    for block in blocks:
        if block.type == BlockType.NUMBERED_LIST_ITEM:
            number = number + 1 if previous is not None and _same_list(previous, block) else 1
        lines, _ = _block_lines(block, number)
        if not lines:
            continue
        if out and not (previous is not None and _same_list(previous, block)):
            out.append("")
        out.extend(lines)
        previous = block
    return out


def to_markdown(blocks: list[Block]) -> str:
    """The blocks as a Markdown document (ending with a newline, empty for no content)."""
    lines = to_lines(blocks)
    return "\n".join(lines) + "\n" if lines else ""


# --- import ---------------------------------------------------------------------------------

_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_TASK = re.compile(r"^\[([ xX])\](?:\s+|$)")


def from_markdown(text: str) -> list[Block]:
    """The blocks of a Markdown document."""
    tree = SyntaxTreeNode(_PARSER.parse(text))
    return _blocks(tree.children)


def _blocks(nodes: Iterable[SyntaxTreeNode]) -> list[Block]:
    out: list[Block] = []
    for node in nodes:
        out.extend(_block(node))
    return out


def _block(node: SyntaxTreeNode) -> list[Block]:
    kind = node.type
    if kind == "paragraph":
        return [_paragraph(node)]
    if kind == "heading":
        level = int(node.tag[1:]) if node.tag[1:].isdigit() else 1
        return [Block(BlockType.HEADING, runs=_runs_of(node), level=level)]
    if kind in ("bullet_list", "ordered_list"):
        item_type = (
            BlockType.NUMBERED_LIST_ITEM if kind == "ordered_list" else BlockType.BULLETED_LIST_ITEM
        )
        return [_list_item(item, item_type) for item in node.children if item.type == "list_item"]
    if kind == "blockquote":
        children = list(node.children)
        quote = Block(BlockType.QUOTE)
        if children and children[0].type == "paragraph":
            quote.runs = _runs_of(children[0])
            children = children[1:]
        quote.children = _blocks(children)
        return [quote]
    if kind in ("fence", "code_block"):
        language = (node.info or "").strip().split(" ")[0] if kind == "fence" else ""
        code = node.content[:-1] if node.content.endswith("\n") else node.content
        return [Block(BlockType.CODE, runs=[Run(code)] if code else [], language=language or None)]
    if kind == "hr":
        return [Block(BlockType.DIVIDER)]
    if kind == "table":
        return [_table(node)]
    if kind == "html_block":
        from resolvers.docs.formats.html import from_html

        return from_html(node.content)
    return []


def _list_item(item: SyntaxTreeNode, item_type: BlockType) -> Block:
    children = list(item.children)
    block = Block(item_type)
    if children and children[0].type == "paragraph":
        block.runs = _runs_of(children[0])
        children = children[1:]
        if item_type == BlockType.BULLETED_LIST_ITEM and block.runs:
            found = _TASK.match(block.runs[0].text)
            if found and not block.runs[0].marks:
                block.type = BlockType.TODO
                block.checked = found.group(1) != " "
                block.runs[0].text = block.runs[0].text[found.end() :]
                block.runs = [r for r in block.runs if r.text]
    block.children = _blocks(children)
    return block


def _table(node: SyntaxTreeNode) -> Block:
    table = Block(BlockType.TABLE)
    for section in node.children:
        for tr in section.children:
            row = Block(BlockType.TABLE_ROW)
            row.children = [
                Block(BlockType.TABLE_CELL, runs=_runs_of(cell)) for cell in tr.children
            ]
            table.children.append(row)
    return table


def _inline_of(node: SyntaxTreeNode) -> list[SyntaxTreeNode]:
    for child in node.children:
        if child.type == "inline":
            return list(child.children)
    return []


def _runs_of(node: SyntaxTreeNode) -> list[Run]:
    runs: list[Run] = []
    _collect(_inline_of(node), {}, runs)
    return merge_runs(runs)


def _paragraph(node: SyntaxTreeNode) -> Block:
    parts = [p for p in _inline_of(node) if not (p.type == "text" and not p.content.strip())]
    if len(parts) == 1 and parts[0].type == "image":
        return _image(parts[0])
    return lone_link(Block(BlockType.PARAGRAPH, runs=_runs_of(node)))


def _image(node: SyntaxTreeNode) -> Block:
    src = str(node.attrs.get("src") or "")
    alt = node.content
    reference = reference_of(src)
    if reference is not None and reference[0] == "File":
        return Block.of(BlockType.IMAGE, alt, file_id=reference[1])
    url = safe_url(src)
    # An image elsewhere is not a Drive file: keep it as a link to where it is.
    if url is not None:
        return Block.of(BlockType.LINK, alt, url=url)
    return Block.of(BlockType.PARAGRAPH, alt)


def _collect(nodes: Iterable[SyntaxTreeNode], marks: dict[str, Any], runs: list[Run]) -> None:
    for node in nodes:
        kind = node.type
        if kind == "text":
            runs.append(Run(node.content, dict(marks)))
        elif kind == "softbreak":
            runs.append(Run(" ", dict(marks)))
        elif kind == "hardbreak":
            runs.append(Run("\n", dict(marks)))
        elif kind == "code_inline":
            runs.append(Run(node.content, {**marks, "code": True}))
        elif kind in ("strong", "em", "s"):
            mark = {"strong": "bold", "em": "italic", "s": "strike"}[kind]
            _collect(node.children, {**marks, mark: True}, runs)
        elif kind == "link":
            url = safe_url(str(node.attrs.get("href") or ""))
            _collect(node.children, {**marks, "link": url} if url else marks, runs)
        elif kind == "image":
            runs.append(Run(node.content, dict(marks)))
        elif kind == "html_inline":
            tag = node.content.strip().lower().replace(" ", "")
            if tag == "<u>":
                marks = {**marks, "underline": True}
            elif tag == "</u>":
                marks = {k: v for k, v in marks.items() if k != "underline"}
            elif tag in ("<br>", "<br/>"):
                runs.append(Run("\n", dict(marks)))
