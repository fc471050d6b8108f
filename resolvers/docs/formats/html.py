"""Blocks to HTML and back.

Export writes only our own tags and attributes, every text and attribute value escaped, and
only safe URLs (``formats.safe_url``) in ``href``; images, files and mentions link to
``hello:<global ID>`` with a ``data-hello`` attribute saying which.

Import is sanitized by construction: the parser (the standard library's ``html.parser``) feeds
a builder that knows only what maps to the block model (paragraphs, headings, lists, to-dos,
quotes, code, rules, tables, images and links, and the inline marks), so anything else cannot
reach a doc: ``<script>``, ``<style>`` and other non-content elements are dropped with their
content, every other unknown tag is dropped and its text kept, no attribute is kept but the
few read (``href``, ``src``, ``alt``, a code ``class``, a checkbox's ``checked``), and URLs
with other schemes than ``formats.SAFE_SCHEMES`` are dropped."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Any

from resolvers.docs.blocks import CHILD_TYPES, Block, BlockType, Run
from resolvers.docs.formats import reference_of, reference_url, safe_url
from resolvers.docs.formats.common import lone_link, merge_runs, table_grid

# --- export ---------------------------------------------------------------------------------

_MARK_TAGS = (("bold", "strong"), ("italic", "em"), ("underline", "u"), ("strike", "s"))


def _text(text: str) -> str:
    return escape(text, quote=False).replace("\n", "<br>")


def inline(runs: list[Run]) -> str:
    out: list[str] = []
    for run in runs:
        piece = _text(run.text)
        if run.marks.get("code"):
            piece = f"<code>{piece}</code>"
        for mark, tag in reversed(_MARK_TAGS):
            if run.marks.get(mark):
                piece = f"<{tag}>{piece}</{tag}>"
        link = run.marks.get("link")
        url = safe_url(link) if isinstance(link, str) else None
        if url:
            piece = f'<a href="{escape(url)}">{piece}</a>'
        out.append(piece)
    return "".join(out)


def _list_tag(kind: BlockType) -> str:
    return "ol" if kind == BlockType.NUMBERED_LIST_ITEM else "ul"


def to_html(blocks: list[Block]) -> str:
    """The blocks as an HTML fragment."""
    out: list[str] = []
    open_list: str | None = None
    for block in blocks:
        wanted = _list_tag(block.type) if block.type in _LIST_ITEMS else None
        if wanted != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if wanted:
                out.append(f"<{wanted}>")
            open_list = wanted
        out.append(_block(block))
    if open_list:
        out.append(f"</{open_list}>")
    return "\n".join(out)


_LIST_ITEMS = (BlockType.BULLETED_LIST_ITEM, BlockType.NUMBERED_LIST_ITEM, BlockType.TODO)


def _block(block: Block) -> str:
    kind = block.type
    text = inline(block.runs)
    children = to_html(block.children) if block.children else ""
    if kind == BlockType.HEADING:
        level = min(max(block.level or 1, 1), 6)
        return f"<h{level}>{text}</h{level}>"
    if kind in _LIST_ITEMS:
        box = ""
        if kind == BlockType.TODO:
            box = '<input type="checkbox" disabled' + (" checked" if block.checked else "") + "> "
        return f"<li>{box}{text}{children}</li>"
    if kind == BlockType.QUOTE:
        return f"<blockquote>{f'<p>{text}</p>' if text else ''}{children}</blockquote>"
    if kind == BlockType.CODE:
        language = re.sub(r"[^\w+#.-]", "", block.language or "")
        attr = f' class="language-{language}"' if language else ""
        return f"<pre><code{attr}>{escape(block.text, quote=False)}</code></pre>"
    if kind == BlockType.DIVIDER:
        return "<hr>"
    if kind == BlockType.TABLE:
        grid = table_grid(block)
        rows = "".join(
            "<tr>" + "".join(f"<td>{inline(c.runs)}</td>" for c in row) + "</tr>" for row in grid
        )
        return f"<table><tbody>{rows}</tbody></table>"
    if kind == BlockType.IMAGE:
        ref = _reference(block.file_id)
        if ref is None:
            return f"<p>{text}</p>" if text else ""
        # The caption is the alt text (a figcaption would come back as a paragraph).
        return f'<p><img src="{escape(ref)}" alt="{escape(block.text)}" data-hello="file"></p>'
    if kind in (BlockType.FILE, BlockType.MENTION, BlockType.LINK):
        if kind == BlockType.LINK:
            url, data = safe_url(block.url), ""
        else:
            url = _reference(block.file_id if kind == BlockType.FILE else block.target)
            data = f' data-hello="{kind.value}"'
        label = text or escape(url or "")
        return f'<p><a href="{escape(url)}"{data}>{label}</a></p>' if url else f"<p>{text}</p>"
    return f"<p>{text}</p>" + children


def _reference(global_id: str | None) -> str | None:
    url = reference_url(global_id) if global_id else None
    return url if url and reference_of(url) else None


def to_html_document(title: str, blocks: list[Block]) -> str:
    """A whole HTML page: the title and the blocks."""
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{to_html(blocks)}\n</body>\n</html>\n"
    )


# --- import ---------------------------------------------------------------------------------

_CONTAINERS = frozenset(
    {"div", "section", "article", "main", "header", "footer", "aside", "nav", "figure", "body",
     "html", "address", "details", "summary", "dl", "center"}
)  # fmt: skip
"""Elements that only group blocks: a block ends at their edges."""
_DROPPED = frozenset(
    {
        "script", "style", "template", "iframe", "object", "embed", "noscript", "svg", "math",
        "head", "title", "canvas", "audio", "video", "select", "textarea", "button", "frame",
        "frameset", "noembed", "noframes", "xmp", "plaintext", "applet", "form", "meta", "link",
        "base",
    }
)  # fmt: skip
"""Elements whose content is not document text (or is code): dropped with it."""
_VOID = frozenset(
    {"area", "br", "col", "hr", "img", "input", "source", "track", "wbr", "param", "meta", "link",
     "base", "embed"}
)  # fmt: skip
_INLINE_MARKS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins":
    "underline", "s": "strike", "strike": "strike", "del": "strike", "code": "code", "kbd":
    "code", "tt": "code", "samp": "code",
}  # fmt: skip
_TEXT_BLOCKS = {
    "p": BlockType.PARAGRAPH, "h1": BlockType.HEADING, "h2": BlockType.HEADING,
    "h3": BlockType.HEADING, "h4": BlockType.HEADING, "h5": BlockType.HEADING,
    "h6": BlockType.HEADING, "figcaption": BlockType.PARAGRAPH, "dt": BlockType.PARAGRAPH,
    "dd": BlockType.PARAGRAPH, "caption": BlockType.PARAGRAPH,
}  # fmt: skip
MAX_DEPTH = 64
"""Deeper nesting is flattened: a hostile page cannot make a doc too deep to read."""


class _Builder(HTMLParser):
    """Blocks from HTML, one event at a time. ``containers`` is the stack of blocks that take
    children (lists items, quotes, tables and rows), ``current`` the block taking text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Block] = []
        self.containers: list[tuple[str, Block]] = []
        self.current: Block | None = None
        self.marks: list[tuple[str, dict[str, Any]]] = []
        self.lists: list[str] = []
        self.dropping: list[str] = []
        self.pre: Block | None = None
        self.depth = 0

    # where blocks go
    def _siblings(self) -> list[Block]:
        return self.containers[-1][1].children if self.containers else self.root

    def _add(self, block: Block) -> Block:
        self._siblings().append(block)
        return block

    def _text_target(self) -> Block:
        """The block taking text now: the current one, else the innermost text-taking
        container with no children yet, else a new paragraph."""
        if self.current is not None:
            return self.current
        if self.containers:
            tag, holder = self.containers[-1]
            if tag in ("li", "blockquote", "td") and not holder.children:
                return holder
            if tag in ("table", "tr"):
                return holder  # text directly in a table or row is dropped in handle_data
        self.current = self._add(Block(BlockType.PARAGRAPH))
        return self.current

    def _marks(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _, marks in self.marks:
            out.update(marks)
        return out

    # parser events
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag not in _VOID:
                self.dropping.append(tag)
            return
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropping.append(tag)
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if self.pre is not None:
            language = values.get("class", "")
            if tag == "code" and language.startswith("language-") and not self.pre.language:
                self.pre.language = language[len("language-") :].split()[0][:64] or None
            return  # inside <pre>: only text counts
        if tag in _INLINE_MARKS:
            self.marks.append((tag, {_INLINE_MARKS[tag]: True}))
        elif tag == "a":
            url = safe_url(values.get("href"))
            self.marks.append((tag, {"link": url} if url else {}))
        elif tag == "br":
            self._text_target().runs.append(Run("\n", self._marks()))
        elif tag in _TEXT_BLOCKS:
            level = int(tag[1]) if tag[0] == "h" and tag[1:].isdigit() else None
            holder = self._in_container_text_slot()
            self.current = holder or self._add(Block(_TEXT_BLOCKS[tag], level=level))
            if holder is not None and level is not None and holder.type == BlockType.PARAGRAPH:
                holder.type, holder.level = BlockType.HEADING, level
        elif tag in ("ul", "ol", "menu"):
            self.current = None
            self.lists.append(tag)
        elif tag == "li":
            kind = (
                BlockType.NUMBERED_LIST_ITEM
                if self.lists and self.lists[-1] == "ol"
                else BlockType.BULLETED_LIST_ITEM
            )
            self._open_container(tag, Block(kind))
        elif tag == "input" and values.get("type", "").lower() == "checkbox":
            if self.containers and self.containers[-1][0] == "li":
                item = self.containers[-1][1]
                if item.type == BlockType.BULLETED_LIST_ITEM and not item.runs:
                    item.type, item.checked = BlockType.TODO, "checked" in values
        elif tag == "blockquote":
            self._open_container(tag, Block(BlockType.QUOTE))
        elif tag == "pre":
            self.current = None
            self.pre = self._add(Block(BlockType.CODE))
        elif tag == "hr":
            self.current = None
            self._add(Block(BlockType.DIVIDER))
        elif tag == "table":
            self._open_container(tag, Block(BlockType.TABLE))
        elif tag == "tr":
            if self.containers and self.containers[-1][0] == "table":
                self._open_container(tag, Block(BlockType.TABLE_ROW))
        elif tag in ("td", "th"):
            if self.containers and self.containers[-1][0] == "tr":
                self._open_container("td", Block(BlockType.TABLE_CELL))
        elif tag == "img":
            self._image(values)
        elif tag in _CONTAINERS:
            self.current = None

    def _in_container_text_slot(self) -> Block | None:
        """A list item, quote or cell still without text takes a ``<p>``'s text itself."""
        if not self.containers:
            return None
        tag, holder = self.containers[-1]
        if tag in ("li", "blockquote", "td") and not holder.runs and not holder.children:
            return holder
        return None

    def _open_container(self, tag: str, block: Block) -> None:
        if len(self.containers) >= MAX_DEPTH:
            return
        if (
            tag not in ("tr", "td")
            and self.containers
            and self.containers[-1][0] in ("table", "tr")
        ):
            return  # only rows in tables and cells in rows
        self.current = None
        self._add(block)
        self.containers.append((tag, block))

    def _image(self, values: dict[str, str]) -> None:
        src, alt = values.get("src"), " ".join(values.get("alt", "").split())
        reference = reference_of(src)
        self.current = None
        if reference is not None and reference[0] == "File":
            self._add(Block.of(BlockType.IMAGE, alt, file_id=reference[1]))
            return
        url = safe_url(src)
        # An image elsewhere is not a Drive file: a link to it, if it is on the web (a
        # relative address means nothing once imported).
        if url is not None and url.lower().startswith(("http://", "https://")):
            self._add(Block.of(BlockType.LINK, alt, url=url))

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag == "pre":
            self.pre = None
            return
        if self.pre is not None:
            return
        if tag in _INLINE_MARKS or tag == "a":
            for i in range(len(self.marks) - 1, -1, -1):
                if self.marks[i][0] == tag:
                    del self.marks[i]
                    break
        elif tag in _TEXT_BLOCKS:
            self.current = None
        elif tag in ("ul", "ol", "menu"):
            self.current = None
            if self.lists:
                self.lists.pop()
            self._close_to("li", stop_at=("blockquote", "table"))
        elif tag in ("li", "blockquote", "table", "tr", "td", "th"):
            self._close_to("td" if tag == "th" else tag)
        elif tag in _CONTAINERS:
            self.current = None

    def _close_to(self, tag: str, stop_at: tuple[str, ...] = ()) -> None:
        """Close the innermost open ``tag`` container and those inside it (browsers close
        unclosed elements alike)."""
        for i in range(len(self.containers) - 1, -1, -1):
            if self.containers[i][0] in stop_at:
                return
            if self.containers[i][0] == tag:
                del self.containers[i:]
                self.current = None
                return

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.pre is not None:
            self.pre.runs.append(Run(data))
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not text.strip() and (self.current is None or not self.current.runs):
            return  # white space between blocks
        target = self._text_target()
        if target.type in (BlockType.TABLE, BlockType.TABLE_ROW):
            return
        if not target.runs:
            text = text.lstrip()
        target.runs.append(Run(text, self._marks()))


def _tidy(blocks: list[Block]) -> list[Block]:
    """Trim text, merge runs, drop empty paragraphs and children where the type has none."""
    out: list[Block] = []
    for block in blocks:
        if block.type == BlockType.CODE:
            text = "".join(r.text for r in block.runs)
            text = text[1:] if text.startswith("\n") else text
            text = text[:-1] if text.endswith("\n") else text
            block.runs = [Run(text)] if text else []
        else:
            block.runs = merge_runs(block.runs)
            if block.runs:
                last = block.runs[-1]
                last.text = last.text.rstrip(" ")
                block.runs = [r for r in block.runs if r.text]
        block.children = _tidy(block.children)
        if block.type not in CHILD_TYPES and block.children:
            out.append(block)
            out.extend(block.children)
            block.children = []
            continue
        if block.type == BlockType.PARAGRAPH and not block.runs:
            continue
        out.append(lone_link(block))
    return out


def from_html(text: str) -> list[Block]:
    """The blocks an HTML document or fragment holds (see the module docstring)."""
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return _tidy(builder.root)
