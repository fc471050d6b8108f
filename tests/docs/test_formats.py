"""Import and export formats as pure functions over blocks: Markdown round trips on a rich
fixture, HTML carries every block and mark, hostile HTML (and a doc a hostile Yjs client wrote)
exports nothing executable."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from resolvers.docs.blocks import Block, BlockType, Run, new_content, read_blocks
from resolvers.docs.formats import reference_of, safe_url
from resolvers.docs.formats.html import from_html, to_html, to_html_document
from resolvers.docs.formats.markdown import from_markdown, to_markdown
from resolvers.docs.formats.text import to_text

FIXTURES = Path(__file__).parent / "fixtures"
RICH = (FIXTURES / "rich.md").read_text()
HOSTILE = (FIXTURES / "hostile.html").read_text()


def shape(blocks: list[Block]) -> list[tuple]:  # type: ignore[type-arg]
    """Blocks without ids, for comparing."""
    return [
        (
            b.type,
            [(r.text, sorted(r.marks.items())) for r in b.runs],
            shape(b.children),
            b.level,
            b.checked,
            b.language,
            b.file_id,
            b.url,
            b.target,
        )
        for b in blocks
    ]


def test_rich_markdown_round_trips_unchanged() -> None:
    blocks = from_markdown(RICH)
    assert to_markdown(blocks) == RICH
    kinds = {b.type for b in _walk(blocks)}
    assert kinds == set(BlockType)  # the fixture has every block type
    marks = {m for b in _walk(blocks) for r in b.runs for m in r.marks}
    assert marks == {"bold", "italic", "underline", "strike", "code", "link"}


def test_markdown_reads_each_construct_as_its_block() -> None:
    blocks = from_markdown(RICH)
    by_type = {b.type: b for b in reversed(list(_walk(blocks)))}
    assert blocks[0].type == BlockType.HEADING and blocks[0].level == 1
    assert blocks[0].text == "Launch plan"
    todo = [b for b in _walk(blocks) if b.type == BlockType.TODO]
    assert [(t.text, t.checked) for t in todo] == [("an open task", False), ("a done task", True)]
    code = by_type[BlockType.CODE]
    assert code.language == "python" and code.text.endswith("# ``` inside")
    assert by_type[BlockType.IMAGE].file_id == "RmlsZToxMg=="
    assert by_type[BlockType.IMAGE].text == "The diagram"
    assert by_type[BlockType.FILE].file_id == "RmlsZToxMw=="
    assert by_type[BlockType.MENTION].target == "VXNlcjo1"
    assert by_type[BlockType.LINK].url == "https://example.org/"
    table = by_type[BlockType.TABLE]
    assert [[c.text for c in row.children] for row in table.children] == [
        ["Name", "Role", "Note"],
        ["Ada", "Owner", "wrote x"],
        ["Bob", "Editor", ""],
    ]
    escaped = blocks[1].text
    assert "2 * 3 = 6, _not italic_, [not a link], <not a tag>, a | pipe and &amp;." in escaped
    assert blocks[-1].text == "Line one\nline two after a hard break."


@pytest.mark.parametrize(
    "runs",
    [
        [Run("a", {"bold": True}), Run("b", {"italic": True})],
        [Run("hello "), Run("world", {"italic": True}), Run("!")],
        [Run("bold ", {"bold": True}), Run("both", {"bold": True, "italic": True})],
        [Run("x*y_z`w [a](b) <i>"), Run("co`de", {"code": True})],
        [Run("1. not a list\n# not a heading\n- nor a bullet\n> nor a quote")],
        [Run("a", {"underline": True, "strike": True}), Run("b", {"strike": True})],
        [Run("ends with!"), Run("link", {"link": "https://x.example/(p)"})],
        [Run("tab\tand  two spaces")],
    ],
)
def test_blocks_survive_markdown(runs: list[Run]) -> None:
    blocks = [Block(BlockType.PARAGRAPH, runs=runs)]
    assert shape(from_markdown(to_markdown(blocks))) == shape(blocks)


def test_html_export_and_import_keep_every_block() -> None:
    blocks = from_markdown(RICH)
    again = from_html(to_html(blocks))
    assert shape(again) == shape(blocks)
    assert to_markdown(again) == RICH
    page = to_html_document("A <title>", blocks)
    assert "<title>A &lt;title&gt;</title>" in page and page.startswith("<!DOCTYPE html>")


def test_plain_text() -> None:
    text = to_text(from_markdown(RICH))
    assert text.startswith("Launch plan\nA paragraph with bold, italic, struck, code,")
    assert "• second bullet with inline code\n  • nested bullet\n" in text
    assert "    1. deep numbered\n    2. deep numbered two\n" in text
    assert "[ ] an open task\n[x] a done task\n1. one\n" in text
    assert "Name\tRole\tNote\nAda\tOwner\twrote x\n" in text
    assert "**" not in text and "<u>" not in text


ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "hr",
    "table", "thead", "tbody", "tr", "td", "th", "strong", "em", "u", "s", "a", "img", "br",
    "input", "html", "head", "meta", "title", "body",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "href", "src", "alt", "class", "type", "disabled", "checked", "data-hello", "charset",
}  # fmt: skip


class Audit(HTMLParser):
    """Every tag, attribute and URL of an HTML text, against what our exports may write."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES:
                self.problems.append(f"attribute {name} on {tag}")
            if name in ("href", "src") and safe_url(value) is None:
                self.problems.append(f"url {value!r}")
        if tag == "input" and dict(attrs).get("type") != "checkbox":
            self.problems.append("an input that is not a disabled check box")
        if tag == "meta" and set(dict(attrs)) != {"charset"}:
            self.problems.append("meta")


def audit(html: str) -> list[str]:
    parser = Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
"""How a Markdown export could be shown at worst: a renderer that passes raw HTML through."""


def audited_exports(blocks: list[Block]) -> dict[str, list[str]]:
    markdown = to_markdown(blocks)
    return {
        "html": audit(to_html(blocks)),
        "page": audit(to_html_document("<script>t</script>", blocks)),
        "markdown rendered": audit(RENDERER.render(markdown)),
        "markdown re-imported": audit(to_html(from_markdown(markdown))),
    }


def test_hostile_html_imports_as_harmless_blocks() -> None:
    blocks = from_html(HOSTILE)
    assert audited_exports(blocks) == {key: [] for key in audited_exports(blocks)}
    text = to_text(blocks)
    for kept in ("Quarterly report", "Kept text", "a good link", "Span text", "done item",
                 "plain item bold", "cell", "stays text", "unclosed bold both"):  # fmt: skip
        assert kept in text, kept
    for dropped in ("alert('head')", "injected", "iframe text", "svg text", "template",
                    "noscript", "evil title", "alert('comment')", "alert(2)"):  # fmt: skip
        assert dropped not in text, dropped
    links = [r.marks["link"] for b in _walk(blocks) for r in b.runs if "link" in r.marks]
    assert links == ["https://example.com/ok"]
    all_blocks = list(_walk(blocks))
    assert [b.url for b in all_blocks if b.type == BlockType.LINK] == ["https://example.com/i.png"]
    assert [b.file_id for b in all_blocks if b.type == BlockType.FILE] == ["RmlsZToxMg=="]
    todo = [b for b in all_blocks if b.type == BlockType.TODO]
    assert [(t.text, t.checked) for t in todo] == [("done item", True)]
    code = [b for b in all_blocks if b.type == BlockType.CODE]
    assert code[0].text == "<script>alert('as text')</script>" and code[0].language == "js"
    assert "&lt;script&gt;alert('as text')&lt;/script&gt;" in to_html(blocks)


def test_a_doc_written_with_hostile_values_exports_safely() -> None:
    """A Yjs client can store anything in a block: exports still hold nothing executable."""
    evil = [
        Block.of(BlockType.LINK, "click", url="javascript:alert(1)"),
        Block.of(
            BlockType.LINK,
            '"><script>alert(1)</script>',
            url='https://x.example/"onmouseover="alert(1)',
        ),
        Block(BlockType.PARAGRAPH, runs=[Run("x", {"link": " JAVASCRIPT:alert(1)"})]),
        Block.of(BlockType.IMAGE, "pic", file_id='"><img src=x onerror=alert(1)>'),
        Block.of(BlockType.MENTION, "who", target="javascript:alert(1)"),
        Block.of(BlockType.CODE, "</code></pre><script>alert(1)</script>", language='"><script>'),
        Block.of(BlockType.HEADING, "<img src=x onerror=alert(1)>", level=99),
    ]
    ydoc = new_content("t", evil)
    blocks = read_blocks(ydoc)
    assert audited_exports(blocks) == {key: [] for key in audited_exports(blocks)}
    # Same check, shown to be able to fail: an unescaped export would be caught.
    assert audit('<a href="javascript:x" onclick="y">z</a><script></script>') == [
        "url 'javascript:x'",
        "attribute onclick on a",
        "tag script",
    ]
    assert "<h6>" in to_html(blocks)


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com", True),
        ("mailto:a@b.example", True),
        ("/relative/path", True),
        ("#anchor", True),
        ("page?x=javascript:1", True),
        ("hello:RmlsZToxMg==", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\x00script:alert(1)", False),
        ("data:text/html,x", False),
        ("vbscript:x", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_safe_url(url: str, safe: bool) -> None:
    assert (safe_url(url) is not None) == safe


def test_references() -> None:
    assert reference_of("hello:RmlsZToxMg==") == ("File", "RmlsZToxMg==")
    assert reference_of("hello:VXNlcjo1") == ("User", "VXNlcjo1")
    assert reference_of("hello:bm9wZTox") is None  # "nope:1": not a type we link to
    assert reference_of("https://x.example") is None


def _walk(blocks: list[Block]):  # type: ignore[no-untyped-def]
    for b in blocks:
        yield b
        yield from _walk(b.children)


def test_marks_survive_a_yjs_document() -> None:
    """Written into a Yjs doc and read back: Yjs gives inserted text the formatting before it,
    so a plain run after a bold one must say it is not bold (``blocks._fill``)."""
    assert to_markdown(read_blocks(new_content("t", from_markdown(RICH)))) == RICH
