"""Blocks to DOCX with python-docx: the title as the document's Title (and its core
property), headings, lists (bulleted and numbered, nested up to three levels by Word's list
styles), to-dos with a check box character, quotes, code in a monospaced font, rules, tables,
and the inline marks; links (safe URLs only) are real hyperlinks. Images, files and mentions
are hyperlinks to ``hello:<global ID>`` with their caption: the bytes of a Drive image are not
embedded."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from resolvers.docs.blocks import Block, BlockType, Run
from resolvers.docs.formats import reference_of, reference_url, safe_url
from resolvers.docs.formats.common import table_grid

MONO = "Courier New"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _text_run(paragraph: Paragraph, text: str, marks: dict[str, object]) -> None:
    parts = text.split("\n")
    for i, part in enumerate(parts):
        run = paragraph.add_run(part)
        run.bold = bool(marks.get("bold")) or None
        run.italic = bool(marks.get("italic")) or None
        run.underline = bool(marks.get("underline")) or None
        if marks.get("strike"):
            run.font.strike = True
        if marks.get("code"):
            run.font.name = MONO
        if i < len(parts) - 1:
            run.add_break(WD_BREAK.LINE)


def _hyperlink(paragraph: Paragraph, url: str, text: str, marks: dict[str, object]) -> None:
    """A ``w:hyperlink`` to an external target (python-docx has no API to add one)."""
    rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    for mark, tag in (("bold", "w:b"), ("italic", "w:i"), ("strike", "w:strike")):
        if marks.get(mark):
            props.append(OxmlElement(tag))
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text.replace("\n", " ")
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _runs(paragraph: Paragraph, runs: list[Run]) -> None:
    for run in runs:
        link = run.marks.get("link")
        url = safe_url(link) if isinstance(link, str) else None
        if url:
            _hyperlink(paragraph, url, run.text, run.marks)
        else:
            _text_run(paragraph, run.text, run.marks)


def _rule(paragraph: Paragraph) -> None:
    props = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    props.append(borders)


def _style(doc: object, name: str, fallback: str = "Normal") -> str:
    styles = doc.styles  # type: ignore[attr-defined]
    return name if name in [s.name for s in styles] else fallback


def _blocks(doc: object, blocks: list[Block], depth: int) -> None:
    add = doc.add_paragraph  # type: ignore[attr-defined]
    for block in blocks:
        kind = block.type
        level = min(depth, 2)
        suffix = f" {level + 1}" if level else ""
        if kind == BlockType.HEADING:
            heading = doc.add_heading("", min(max(block.level or 1, 1), 6))  # type: ignore[attr-defined]
            _runs(heading, block.runs)
        elif kind == BlockType.BULLETED_LIST_ITEM:
            _runs(add(style=_style(doc, "List Bullet" + suffix, "List Bullet")), block.runs)
        elif kind == BlockType.NUMBERED_LIST_ITEM:
            _runs(add(style=_style(doc, "List Number" + suffix, "List Number")), block.runs)
        elif kind == BlockType.TODO:
            paragraph = add(style=_style(doc, "List Paragraph"))
            paragraph.paragraph_format.left_indent = Pt(18 * (depth + 1))
            paragraph.add_run("☑ " if block.checked else "☐ ")
            _runs(paragraph, block.runs)
        elif kind == BlockType.QUOTE:
            _runs(add(style=_style(doc, "Quote")), block.runs)
        elif kind == BlockType.CODE:
            paragraph = add()
            _text_run(paragraph, block.text, {"code": True})
        elif kind == BlockType.DIVIDER:
            _rule(add())
        elif kind == BlockType.TABLE:
            grid = table_grid(block)
            if grid:
                table = doc.add_table(rows=len(grid), cols=len(grid[0]))  # type: ignore[attr-defined]
                table.style = _style(doc, "Table Grid", "Normal Table")
                for r, row in enumerate(grid):
                    for c, cell in enumerate(row):
                        _runs(table.cell(r, c).paragraphs[0], cell.runs)
        elif kind in (BlockType.IMAGE, BlockType.FILE, BlockType.MENTION, BlockType.LINK):
            if kind == BlockType.LINK:
                url = safe_url(block.url)
            else:
                target = block.target if kind == BlockType.MENTION else block.file_id
                url = reference_url(target) if target else None
                url = url if url and reference_of(url) else None
            label = block.text or (url or "")
            if kind == BlockType.IMAGE:
                label = f"[image: {label}]"
            paragraph = add()
            if url:
                _hyperlink(paragraph, url, label, {})
            else:
                _text_run(paragraph, label, {})
        else:
            _runs(add(), block.runs)
        if block.children and kind != BlockType.TABLE:
            _blocks(doc, block.children, depth + 1)


def to_docx(title: str, blocks: list[Block]) -> bytes:
    doc = new_docx()
    doc.core_properties.title = title
    doc.add_heading(title, 0)
    _blocks(doc, blocks, 0)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
