"""The statistics of a period as an Excel workbook (XLSX), in Vietnamese.

Three sheets, one per table of :class:`models.statistics.Statistics`: ``Tổng hợp`` (per unit), ``Theo cán
bộ`` (per assignee) and ``Theo năm`` (per calendar year, like the yearly tables the procuracy's units
publish). Each sheet starts with a title row naming the unit and a row naming the period, then a two-level
header, the data rows and a ``Tổng cộng`` row. Counts are integers, hours are numbers shown with one
decimal, shares are fractions shown as percentages; a figure with nothing to measure is an empty cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from vanthu.models.statistics import AssigneeFigures, Statistics, UnitFigures, YearFigures

SHEET_UNITS, SHEET_PEOPLE, SHEET_YEARS = "Tổng hợp", "Theo cán bộ", "Theo năm"
TOTAL_LABEL = "Tổng cộng"
FIRST_HEADER_ROW = 4  # rows 1–2: title and period; row 3 empty

FORMATS = {"count": "#,##0", "hours": "0.0", "share": "0.0%", "year": "0", "text": "@"}
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")


@dataclass(frozen=True)
class Column:
    """A column: its header, the merged group heading above it ("" = none), width and kind of value."""

    header: str
    kind: str  # text | count | hours | share | year
    width: float
    group: str = ""


def _fmt_date(stats: Statistics) -> str:
    p = stats.period
    return f"{p.start:%d/%m/%Y} – {p.end:%d/%m/%Y}"


def _write_table(
    ws: Worksheet,
    *,
    title: str,
    unit_name: str,
    stats: Statistics,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    total: Sequence[Any],
    notes: Sequence[str] = (),
) -> None:
    """Fill ``ws``: title, period, headers, rows, the totals row (bold) and the notes below it."""
    width = len(columns)
    last = get_column_letter(width)
    ws["A1"] = f"{title} — {unit_name}"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    ws["A2"] = (
        f"Kỳ thống kê: {stats.period.label} ({_fmt_date(stats)}); "
        f"lập lúc {stats.generated_at:%H:%M} ngày {stats.generated_at:%d/%m/%Y}"
    )
    ws["A2"].font = Font(italic=True)
    ws.merge_cells(f"A2:{last}2")

    top, sub = FIRST_HEADER_ROW, FIRST_HEADER_ROW + 1
    i = 0
    while i < width:
        col = columns[i]
        letter = get_column_letter(i + 1)
        if not col.group:
            ws.cell(row=top, column=i + 1, value=col.header)
            ws.merge_cells(f"{letter}{top}:{letter}{sub}")
            i += 1
            continue
        j = i
        while j + 1 < width and columns[j + 1].group == col.group:
            j += 1
        ws.cell(row=top, column=i + 1, value=col.group)
        if j > i:
            ws.merge_cells(f"{letter}{top}:{get_column_letter(j + 1)}{top}")
        for k in range(i, j + 1):
            ws.cell(row=sub, column=k + 1, value=columns[k].header)
        i = j + 1
    for r in (top, sub):
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.border = _BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[sub].height = 45

    def put(row_index: int, values: Sequence[Any], *, bold: bool = False) -> None:
        for c, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = ws.cell(row=row_index, column=c, value=value)
            cell.border = _BOX
            if col.kind != "text":
                cell.number_format = FORMATS[col.kind]
                cell.alignment = Alignment(horizontal="right" if col.kind != "year" else "center")
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if bold:
                cell.font = Font(bold=True)
                cell.fill = _TOTAL_FILL

    row_index = sub + 1
    for values in rows:
        put(row_index, values)
        row_index += 1
    put(row_index, total, bold=True)
    if notes:
        row_index += 2
        ws.cell(row=row_index, column=1, value="Ghi chú:").font = Font(bold=True)
        for note in notes:
            row_index += 1
            ws.cell(row=row_index, column=1, value=f"– {note}").alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(f"A{row_index}:{last}{row_index}")
            ws.row_dimensions[row_index].height = 15 * (1 + len(note) // 150)
    for c, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.freeze_panes = ws.cell(row=sub + 1, column=2)


UNIT_COLUMNS = (
    Column("Đơn vị", "text", 44),
    Column("Tổng số", "count", 10, "Văn bản đến"),
    Column("Điện tử", "count", 10, "Văn bản đến"),
    Column("Nền giấy", "count", 10, "Văn bản đến"),
    Column("Số đã cấp", "count", 10, "Văn bản đi"),
    Column("Số đã hủy", "count", 10, "Văn bản đi"),
    Column("Đã ký số", "count", 10, "Văn bản đi"),
    Column("Tỷ lệ ký số", "share", 11, "Văn bản đi"),
    Column("Đã giao xử lý", "count", 11, "Giải quyết văn bản đến trong kỳ"),
    Column("Hoàn thành", "count", 11, "Giải quyết văn bản đến trong kỳ"),
    Column("Hoàn thành trễ hạn", "count", 11, "Giải quyết văn bản đến trong kỳ"),
    Column("Quá hạn chưa xong", "count", 11, "Giải quyết văn bản đến trong kỳ"),
    Column("Từ khi đến đến khi giao, trung vị (giờ)", "hours", 14, "Giải quyết văn bản đến trong kỳ"),
    Column("Từ khi giao đến khi xong, trung vị (giờ)", "hours", 14, "Giải quyết văn bản đến trong kỳ"),
    Column("Tỷ lệ trễ hạn", "share", 11, "Giải quyết văn bản đến trong kỳ"),
)


def _unit_values(u: UnitFigures) -> list[Any]:
    return [
        u.name,
        u.incoming,
        u.incoming_electronic,
        u.incoming_paper,
        u.outgoing,
        u.cancelled,
        u.signed,
        u.signed_share,
        u.assigned,
        u.done,
        u.done_late,
        u.open_overdue,
        u.median_hours_to_assign,
        u.median_hours_to_finish,
        u.overdue_rate,
    ]


PEOPLE_COLUMNS = (
    Column("Cán bộ / đơn vị được giao", "text", 34),
    Column("Thư điện tử", "text", 32),
    Column("Đơn vị", "text", 36),
    Column("Được giao", "count", 10),
    Column("Tổng số", "count", 10, "Hoàn thành"),
    Column("Đúng hạn", "count", 10, "Hoàn thành"),
    Column("Trễ hạn", "count", 10, "Hoàn thành"),
    Column("Đang xử lý", "count", 10, "Chưa hoàn thành"),
    Column("Trong đó quá hạn", "count", 10, "Chưa hoàn thành"),
    Column("Đã chuyển / trả lại", "count", 11),
    Column("Từ khi đến đến khi giao", "hours", 13, "Thời gian, trung vị (giờ)"),
    Column("Từ khi giao đến khi xong", "hours", 13, "Thời gian, trung vị (giờ)"),
    Column("Tỷ lệ trễ hạn", "share", 11),
)


def _person_values(a: AssigneeFigures) -> list[Any]:
    return [
        a.name,
        a.email,
        a.unit_name,
        a.received,
        a.done,
        a.on_time,
        a.late,
        a.open,
        a.open_overdue,
        a.passed_on,
        a.median_hours_to_assign,
        a.median_hours_to_finish,
        a.overdue_rate,
    ]


YEAR_COLUMNS = (
    Column("Năm", "year", 10),
    Column("Nền giấy", "count", 12, "Văn bản đến"),
    Column("Điện tử", "count", 12, "Văn bản đến"),
    Column("Cộng", "count", 12, "Văn bản đến"),
    Column("Số đã cấp", "count", 12, "Văn bản đi"),
    Column("Trong đó đã ký số", "count", 12, "Văn bản đi"),
)


def _year_values(y: YearFigures) -> list[Any]:
    return [y.year, y.incoming_paper, y.incoming_electronic, y.incoming, y.outgoing, y.signed]


def _total_row(values: list[Any]) -> list[Any]:
    return [TOTAL_LABEL, *values[1:]]


def build_workbook(stats: Statistics, *, unit_name: str) -> Workbook:
    """The workbook of ``stats``: sheets ``Tổng hợp``, ``Theo cán bộ``, ``Theo năm``, in that order."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_UNITS
    tables: list[tuple[Worksheet, str, Sequence[Column], list[list[Any]], list[Any], Sequence[str]]] = [
        (
            ws,
            "Thống kê văn bản đến, văn bản đi",
            UNIT_COLUMNS,
            [_unit_values(u) for u in stats.units],
            _total_row(_unit_values(stats.unit_total)),
            stats.notes,
        ),
        (
            wb.create_sheet(SHEET_PEOPLE),
            "Giải quyết văn bản theo cán bộ",
            PEOPLE_COLUMNS,
            [_person_values(a) for a in stats.assignees],
            _total_row(_person_values(stats.assignee_total)),
            (),
        ),
        (
            wb.create_sheet(SHEET_YEARS),
            "Số liệu văn bản đi, đến theo năm",
            YEAR_COLUMNS,
            [_year_values(y) for y in stats.years],
            _total_row(_year_values(stats.year_total)),
            (),
        ),
    ]
    for sheet, title, columns, rows, total, notes in tables:
        _write_table(
            sheet, title=title, unit_name=unit_name, stats=stats, columns=columns, rows=rows, total=total, notes=notes
        )
    wb.properties.title = f"Thống kê {stats.period.label} — {unit_name}"
    wb.properties.creator = "vanthu"
    return wb


def write_xlsx(stats: Statistics, path_or_buffer: str | Path | IO[bytes], *, unit_name: str) -> None:
    """Write the workbook of ``stats`` to a file path or a binary buffer; raises on an unwritable target."""
    save: Callable[[Any], None] = build_workbook(stats, unit_name=unit_name).save
    save(str(path_or_buffer) if isinstance(path_or_buffer, Path) else path_or_buffer)
