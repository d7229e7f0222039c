"""A register (:class:`models.registers_export.RegisterTable`) as a printable PDF.

A4 landscape. Every page carries the unit's name, the register's title and the period on top and
``Trang X/Y`` at the bottom; the table's heading rows (the headings of Phụ lục IV and their column
numbers) are repeated on every page, and cells wrap. The text is set in DejaVu Serif, which has every
Vietnamese glyph, embedded (subset) in the file, so the PDF shows and copies the same on any machine.
The font comes from Debian's ``fonts-dejavu-core``; without it :class:`FontMissingError` says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from vanthu.models.registers_export import SIGNATURE_HEADER, RegisterTable

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"
REGULAR, BOLD = "VanthuSerif", "VanthuSerif-Bold"
_FILES = {REGULAR: "DejaVuSerif.ttf", BOLD: "DejaVuSerif-Bold.ttf"}

PAGE = landscape(A4)
MARGIN_X = 12 * mm
MARGIN_TOP = 30 * mm  # room for the heading drawn on every page
MARGIN_BOTTOM = 14 * mm
SIGNATURE_ROOM = 8 * mm  # the least height of a row, so that the Ký nhận cell can be signed
CELL_PADDING = 3  # points, left and right of every cell
EMPTY_NOTE = "(Không có văn bản trong kỳ)"


class FontMissingError(RuntimeError):
    """The DejaVu Serif font files are not installed."""


def register_fonts(font_dir: Path = FONT_DIR) -> tuple[str, str]:
    """Register DejaVu Serif (regular and bold) with reportlab once; return their names.

    Raises :class:`FontMissingError` naming the Debian package when a file is missing: a PDF in a
    font without Vietnamese glyphs would print boxes in place of letters, which is worse than none.
    """
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FILES.items():
        if name in registered:
            continue
        path = font_dir / filename
        if not path.is_file():
            raise FontMissingError(
                f"font {path} not found: the register PDF needs DejaVu Serif for Vietnamese; "
                f"install Debian's {FONT_PACKAGE} (apt-get install {FONT_PACKAGE})"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def _numbered_canvas() -> type[Canvas]:
    """A canvas that writes ``Trang X/Y`` on every page once the number of pages is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Start every page in DejaVu Serif, so that no unembedded standard font is referenced at all.
            kwargs["initialFontName"] = kwargs.get("initialFontName") or REGULAR
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab calls it by this name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(REGULAR, 9)
                self.drawCentredString(PAGE[0] / 2, 7 * mm, f"Trang {self._pageNumber}/{total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _heading(table: RegisterTable) -> Any:
    """The page callback drawing the unit, the title and the period at the top of every page."""

    def draw(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        width, height = PAGE
        canvas.saveState()
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN_X, height - 12 * mm, table.unit_name.upper())
        canvas.setFont(BOLD, 14)
        canvas.drawCentredString(width / 2, height - 19 * mm, table.title.upper())
        canvas.setFont(REGULAR, 11)
        canvas.drawCentredString(width / 2, height - 25 * mm, table.period_label)
        canvas.restoreState()

    return draw


def _column_widths(table: RegisterTable, available: float, font: str, size: float, padding: float) -> list[float]:
    """Widths in proportion to ``table.widths``, but never narrower than a column's longest word
    (a date, a number and symbol) so that ``10/11/2026`` or ``123/QĐ-CSĐT`` is never broken; the other
    columns give up the room, in proportion."""
    n = len(table.headers)
    weights = list(table.widths) if len(table.widths) == n else [1.0] * n
    total = sum(weights)
    widths = [available * w / total for w in weights]
    longest = [0.0] * n
    for values in table.rows:
        for i, value in enumerate(values):
            for word in value.split():
                longest[i] = max(longest[i], stringWidth(word, font, size))
    need = [min(longest[i] + padding, available / 4) for i in range(n)]
    fixed = [i for i in range(n) if widths[i] < need[i]]
    if not fixed:
        return widths
    room = available - sum(need[i] for i in fixed)
    free = [i for i in range(n) if i not in fixed]
    free_weight = sum(weights[i] for i in free)
    if room <= 0 or free_weight <= 0:
        return widths
    return [need[i] if i in fixed else room * weights[i] / free_weight for i in range(n)]


def build_story(table: RegisterTable) -> list[Flowable]:
    """The flowables of the register: the table (two heading rows repeated on every page), or a note
    when the period has no entries."""
    regular, bold = register_fonts()
    head = ParagraphStyle("head", fontName=bold, fontSize=8.5, leading=10.5, alignment=TA_CENTER)
    number = ParagraphStyle("number", fontName=regular, fontSize=7.5, leading=9, alignment=TA_CENTER)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5, splitLongWords=True)
    signature_col = table.headers.index(SIGNATURE_HEADER) if SIGNATURE_HEADER in table.headers else -1

    data: list[list[Any]] = [
        [Paragraph(escape(h), head) for h in table.headers],
        [Paragraph(f"({i})", number) for i in range(1, len(table.headers) + 1)],
    ]
    for values in table.rows:
        row: list[Any] = [Paragraph(escape(v), cell) if v else "" for v in values]
        if signature_col >= 0:
            row[signature_col] = Spacer(1, SIGNATURE_ROOM)
        data.append(row)

    widths = _column_widths(table, PAGE[0] - 2 * MARGIN_X, regular, cell.fontSize, 2 * CELL_PADDING + 1)
    grid = LongTable(data, colWidths=widths, repeatRows=2)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), regular),  # for plain-string cells: never a standard font
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#EEF2F7")),
                ("VALIGN", (0, 0), (-1, 1), "MIDDLE"),
                ("VALIGN", (0, 2), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story: list[Flowable] = [grid]
    if not table.rows:
        story += [Spacer(1, 6 * mm), Paragraph(EMPTY_NOTE, ParagraphStyle("note", parent=cell, alignment=TA_CENTER))]
    return story


def write_pdf(table: RegisterTable, out: str | os.PathLike[str] | BinaryIO) -> None:
    """Write ``table`` as an A4-landscape PDF to a path or a binary file.

    Guarantees: the fonts are embedded; every page has the heading (unit, title, period), the repeated
    column headings and ``Trang X/Y``; raises :class:`FontMissingError` before writing anything when
    DejaVu Serif is not installed.
    """
    story = build_story(table)
    target: Any = os.fspath(out) if isinstance(out, str | os.PathLike) else out
    doc = SimpleDocTemplate(
        target,
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{table.title} — {table.period_label}",
        author="vanthu",
        subject=table.unit_name,
        creator="vanthu",
    )
    draw = _heading(table)
    doc.build(story, onFirstPage=draw, onLaterPages=draw, canvasmaker=_numbered_canvas())
