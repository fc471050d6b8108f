"""Blocks to PDF with fpdf2, in the DejaVu fonts (Debian's ``fonts-dejavu-core``): Latin,
Greek, Cyrillic and many symbols render; scripts DejaVu lacks (CJK among them) do not, unless
a CJK font is installed where ``FALLBACKS`` looks (it is then used for the missing glyphs).
Headings, lists, to-dos, quotes, code (monospaced), rules, tables (plain cell text) and the
inline marks bold, italic, underline and strike; links are live (safe URLs only). Images,
files and mentions are shown by their text and link to ``hello:<global ID>``."""

from __future__ import annotations

import logging
from pathlib import Path

from fpdf import FPDF

from resolvers.docs.blocks import Block, BlockType, Run
from resolvers.docs.formats import reference_of, reference_url, safe_url
from resolvers.docs.formats.common import table_grid

CONTENT_TYPE = "application/pdf"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FACES = {
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("sans", "I"): "DejaVuSans-Oblique.ttf",
    ("sans", "BI"): "DejaVuSans-BoldOblique.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
}
FALLBACKS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
SIZES = {1: 20, 2: 17, 3: 15, 4: 13, 5: 12, 6: 11}
BODY = 11
LINE = 6.0


def font_dir() -> Path | None:
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in FACES.values()):
            return folder
    return None


def available() -> bool:
    """Whether PDF export can run here (the DejaVu fonts are installed)."""
    return font_dir() is not None


class _Pdf:
    def __init__(self) -> None:
        folder = font_dir()
        if folder is None:
            raise RuntimeError("PDF export needs the DejaVu fonts (Debian: fonts-dejavu-core)")
        # fpdf2 logs every glyph a font lacks; the module docstring says which scripts do.
        logging.getLogger("fpdf").setLevel(logging.ERROR)
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        for (family, style), name in FACES.items():
            self.pdf.add_font(family, style, str(folder / name))
        fallbacks = []
        for i, path in enumerate(p for p in FALLBACKS if p.is_file()):
            self.pdf.add_font(f"fallback{i}", "", str(path))
            fallbacks.append(f"fallback{i}")
        if fallbacks:
            self.pdf.set_fallback_fonts(fallbacks)
        self.pdf.add_page()
        self.margin = self.pdf.l_margin

    def font(self, marks: dict[str, object], size: float = BODY, mono: bool = False) -> None:
        if mono or marks.get("code"):
            self.pdf.set_font("mono", "", size)
        else:
            style = ("B" if marks.get("bold") else "") + ("I" if marks.get("italic") else "")
            self.pdf.set_font("sans", style, size)
        self.pdf.underline = bool(marks.get("underline") or marks.get("link"))
        self.pdf.strikethrough = bool(marks.get("strike"))

    def runs(self, runs: list[Run], size: float = BODY, mono: bool = False) -> None:
        for run in runs:
            link = run.marks.get("link")
            url = safe_url(link) if isinstance(link, str) else None
            self.font(run.marks, size, mono)
            self.pdf.write(size * 0.5, run.text, link=url or "")
        self.font({}, size)
        self.pdf.ln(size * 0.5 + 1.5)

    def indent(self, depth: int) -> None:
        self.pdf.set_left_margin(self.margin + 7 * depth)
        self.pdf.set_x(self.margin + 7 * depth)

    def blocks(self, blocks: list[Block], depth: int) -> None:
        number = 0
        for block in blocks:
            kind = block.type
            number = number + 1 if kind == BlockType.NUMBERED_LIST_ITEM else 0
            self.indent(depth)
            if kind == BlockType.HEADING:
                size = SIZES.get(min(max(block.level or 1, 1), 6), BODY)
                self.pdf.ln(2)
                self.runs([Run(r.text, {**r.marks, "bold": True}) for r in block.runs], size)
            elif kind in (
                BlockType.BULLETED_LIST_ITEM,
                BlockType.NUMBERED_LIST_ITEM,
                BlockType.TODO,
            ):
                if kind == BlockType.TODO:
                    marker = "☑ " if block.checked else "☐ "
                elif kind == BlockType.NUMBERED_LIST_ITEM:
                    marker = f"{number}. "
                else:
                    marker = "• "
                self.runs([Run(marker), *block.runs])
            elif kind == BlockType.QUOTE:
                self.indent(depth + 1)
                self.runs([Run(r.text, {**r.marks, "italic": True}) for r in block.runs])
            elif kind == BlockType.CODE:
                self.font({}, BODY - 1, mono=True)
                self.pdf.multi_cell(0, LINE - 1, block.text, fill=False)
                self.pdf.ln(1.5)
            elif kind == BlockType.DIVIDER:
                y = self.pdf.get_y() + 2
                self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
                self.pdf.ln(5)
            elif kind == BlockType.TABLE:
                self.table(block)
            elif kind in (BlockType.IMAGE, BlockType.FILE, BlockType.MENTION, BlockType.LINK):
                self.reference(block)
            else:
                self.runs(block.runs)
            if block.children and kind != BlockType.TABLE:
                self.blocks(block.children, depth + 1)
        self.indent(depth)

    def table(self, block: Block) -> None:
        grid = table_grid(block)
        if not grid:
            return
        self.font({}, BODY - 1)
        with self.pdf.table(first_row_as_headings=False) as table:
            for row in grid:
                cells = table.row()
                for cell in row:
                    cells.cell(cell.text.replace("\n", " "))
        self.pdf.ln(2)

    def reference(self, block: Block) -> None:
        if block.type == BlockType.LINK:
            url = safe_url(block.url)
        else:
            target = block.target if block.type == BlockType.MENTION else block.file_id
            url = reference_url(target) if target else None
            url = url if url and reference_of(url) else None
        label = block.text or url or ""
        if block.type == BlockType.IMAGE:
            label = f"[image: {label}]"
        self.runs([Run(label, {"link": url} if url else {})])


def to_pdf(title: str, blocks: list[Block]) -> bytes:
    doc = _Pdf()
    doc.pdf.set_title(title)
    doc.runs([Run(title, {"bold": True})], 24)
    doc.pdf.ln(2)
    doc.blocks(blocks, 0)
    return bytes(doc.pdf.output())
