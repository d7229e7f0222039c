"""A register (:class:`models.registers_export.RegisterTable`) as an XLSX workbook, ready to print.

One sheet: the unit, the register's title and the period on top, then the column headings of
Phụ lục IV in bold with their column numbers ``(1)`` … ``(n)`` below them, then one row per entry.
Every cell is text (``01`` stays ``01``), wrapped, top-aligned and framed. The sheet prints on A4
landscape, fitted to the page width, with the heading rows repeated on every page and ``Trang X/Y``
in the footer.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from vanthu.models.registers_export import RegisterKind, RegisterTable

FONT_NAME = "Times New Roman"  # what Vietnamese offices print registers in; Excel and LibreOffice have it
HEADER_ROW = 5  # the row of the column headings; the column numbers are on the next row
FIRST_DATA_ROW = HEADER_ROW + 2
EMPTY_NOTE = "(Không có văn bản trong kỳ)"

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_HEADING_FILL = PatternFill("solid", fgColor="EEF2F7")


def _merged_line(ws: Worksheet, row: int, columns: int, text: str, *, size: int, bold: bool, align: str) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    cell = ws.cell(row=row, column=1, value=text)
    cell.font = Font(name=FONT_NAME, size=size, bold=bold)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)


def _sheet_title(table: RegisterTable) -> str:
    """A short tab name (Excel allows 31 characters): ``Sổ đến``, ``Sổ đi HC``, ``Sổ theo dõi``."""
    if table.kind is RegisterKind.OUTGOING:
        return f"Sổ đi {table.register_code}".strip()[:31]
    return "Sổ đến" if table.kind is RegisterKind.INCOMING else "Sổ theo dõi"


def build_workbook(table: RegisterTable) -> Workbook:
    """The workbook of ``table``: heading rows 1–3 (unit, title, period), column headings on row
    ``HEADER_ROW`` exactly as ``table.headers``, their numbers on the next row, and the entries from row
    ``FIRST_DATA_ROW`` in order, every cell a string."""
    columns = len(table.headers)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_title(table)
    wb.properties.title = f"{table.title} — {table.period_label}"
    wb.properties.creator = "vanthu"

    _merged_line(ws, 1, columns, table.unit_name.upper(), size=12, bold=True, align="left")
    _merged_line(ws, 2, columns, table.title.upper(), size=14, bold=True, align="center")
    _merged_line(ws, 3, columns, table.period_label, size=12, bold=False, align="center")
    ws.row_dimensions[2].height = 22

    heading_font = Font(name=FONT_NAME, size=11, bold=True)
    for col, header in enumerate(table.headers, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=header)
        cell.font, cell.alignment, cell.border, cell.fill = heading_font, _WRAP_CENTER, _BOX, _HEADING_FILL
        number = ws.cell(row=HEADER_ROW + 1, column=col, value=f"({col})")
        number.font = Font(name=FONT_NAME, size=9, italic=True)
        number.alignment, number.border = _WRAP_CENTER, _BOX

    body_font = Font(name=FONT_NAME, size=11)
    for r, values in enumerate(table.rows, start=FIRST_DATA_ROW):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.font, cell.alignment, cell.border = body_font, _WRAP_TOP, _BOX
            cell.number_format = "@"
    if not table.rows:
        _merged_line(ws, FIRST_DATA_ROW, columns, EMPTY_NOTE, size=11, bold=False, align="center")

    widths = table.widths or tuple(15.0 for _ in table.headers)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width

    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.left.text = table.unit_name
    ws.oddHeader.right.text = f"{table.title} — {table.period_label}"
    ws.oddFooter.center.text = "Trang &P/&N"
    return wb


def write_xlsx(table: RegisterTable, out: str | os.PathLike[str] | BinaryIO) -> None:
    """Write ``table`` as an XLSX workbook (see :func:`build_workbook`) to a path or a binary file."""
    wb = build_workbook(table)
    wb.save(out)
