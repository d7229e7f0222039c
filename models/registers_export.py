"""Registers for inspection, in the layouts of Nghị định 30/2020 Phụ lục IV, as rows of strings.

Three registers can be exported for one register (or one unit) and one period of arrival or issue
dates, both ends included:

* the incoming register (sổ đăng ký văn bản đến), 10 columns;
* the outgoing register (sổ đăng ký văn bản đi), 10 columns, cancelled numbers kept with
  ``Đã hủy: <lý do>`` and inserted numbers (``15a``) in their place after 15;
* the follow-up register (sổ theo dõi giải quyết văn bản đến), 7 columns, from the assignments.

Columns vanthu keeps no data for (``Ký nhận``, a signature; ``Số lượng bản``; ``Nơi nhận văn bản``
and ``Ngày chuyển`` of outgoing documents) stay empty, for handwriting on the printed copy. A secret
register is never exported: its documents stay on the paper register.

This module is pure domain code over the caller's session: it writes nothing and imports neither
``worker`` nor ``mailflows``; turning a :class:`RegisterTable` into XLSX or PDF is ``cron``'s job.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from unidecode import unidecode

from vanthu.models.documents import issuing_unit
from vanthu.models.search import deadline_status, main_assignments
from vanthu.models.tables import Assignment, Document, ExtensionRequest, Person, Register, Unit
from vanthu.models.text import fold, nfc


class RegisterKind(enum.Enum):
    """Which register of Phụ lục IV; the value is how the command line names it."""

    INCOMING = "incoming"  # sổ đăng ký văn bản đến
    OUTGOING = "outgoing"  # sổ đăng ký văn bản đi
    FOLLOW_UP = "follow_up"  # sổ theo dõi giải quyết văn bản đến

    @property
    def direction(self) -> str:
        """The direction (``in``/``out``) of the registers this kind is read from."""
        return "out" if self is RegisterKind.OUTGOING else "in"


# The column headings of Phụ lục IV, exactly as the forms print them.
INCOMING_HEADERS: tuple[str, ...] = (
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)
OUTGOING_HEADERS: tuple[str, ...] = (
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)
FOLLOW_UP_HEADERS: tuple[str, ...] = (
    "Số đến",
    "Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành",
    "Đơn vị hoặc người nhận",
    "Thời hạn giải quyết",
    "Tiến độ giải quyết",
    "Số, ký hiệu văn bản trả lời",
    "Ghi chú",
)

HEADERS: dict[RegisterKind, tuple[str, ...]] = {
    RegisterKind.INCOMING: INCOMING_HEADERS,
    RegisterKind.OUTGOING: OUTGOING_HEADERS,
    RegisterKind.FOLLOW_UP: FOLLOW_UP_HEADERS,
}

# Relative column widths, in spreadsheet characters (the PDF scales them to the page width).
WIDTHS: dict[RegisterKind, tuple[float, ...]] = {
    RegisterKind.INCOMING: (12, 7, 22, 15, 12, 40, 20, 12, 12, 18),
    RegisterKind.OUTGOING: (16, 12, 34, 16, 20, 24, 8, 12, 12, 22),
    RegisterKind.FOLLOW_UP: (8, 38, 22, 14, 26, 16, 32),
}

TITLES: dict[RegisterKind, str] = {
    RegisterKind.INCOMING: "Sổ đăng ký văn bản đến",
    RegisterKind.OUTGOING: "Sổ đăng ký văn bản đi",
    RegisterKind.FOLLOW_UP: "Sổ theo dõi giải quyết văn bản đến",
}

# Which columns are the empty signature column (the PDF gives its cells room to sign).
SIGNATURE_HEADER = "Ký nhận"


class RegisterExportError(Exception):
    """The register cannot be exported as asked; ``str(exc)`` is the reason, in Vietnamese."""


class SecretRegisterError(RegisterExportError):
    """A secret register was asked for: it is kept on paper only and never exported."""


class RegisterChoiceError(RegisterExportError):
    """More than one register fits; ``choices`` are ``"<code> — <name>"`` to choose from."""

    def __init__(self, message: str, choices: Sequence[str]) -> None:
        super().__init__(message)
        self.choices = list(choices)


@dataclass(frozen=True)
class RegisterTable:
    """One register over one period, ready to print: every cell is a string ("" when empty).

    ``rows`` are in register order (register year, number, suffix); each row has one cell per header.
    ``widths`` are relative column widths, one per header.
    """

    title: str  # "Sổ đăng ký văn bản đến", or the outgoing register's own name
    unit_name: str  # the unit keeping the register
    period_label: str  # "Tháng 11 năm 2026", "Năm 2026", "Từ ngày 01/10/2026 đến ngày 31/10/2026"
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    kind: RegisterKind = RegisterKind.INCOMING
    unit_code: str = ""
    register_code: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    widths: tuple[float, ...] = ()

    @property
    def file_stem(self) -> str:
        """An ASCII file name without extension: ``so-den-VKSQN-DEN-2026-11``."""
        prefix = {
            RegisterKind.INCOMING: "so-den",
            RegisterKind.OUTGOING: "so-di",
            RegisterKind.FOLLOW_UP: "so-theo-doi",
        }[self.kind]
        parts = [prefix, _ascii(self.unit_code), _ascii(self.register_code), _period_slug(self)]
        return "-".join(p for p in parts if p)


def _ascii(text: str) -> str:
    """``KV1``, ``QĐ`` → ``QD``: letters and digits only, without diacritics, case kept."""
    return "".join(c for c in unidecode(text) if c.isascii() and c.isalnum())


def _period_slug(table: RegisterTable) -> str:
    start, end = table.period_start, table.period_end
    if start is None or end is None:
        return ""
    if start.day == 1 and end == _month_end(start.year, start.month):
        return f"{start.year}-{start.month:02d}"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


# --- periods ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpec:
    """A period as typed: a month (``11/2026``), a year (``2026``) or a range of dates."""

    kind: str  # month | year | range
    year: int = 0
    month: int = 0
    start: dt.date | None = None  # range only
    end: dt.date | None = None  # range only

    def dates(self, register: Register | None = None) -> tuple[dt.date, dt.date]:
        """First and last day, both included.

        A year is the register year of ``register`` (named by the calendar year it ends in, so year 2026
        of a procedural register starting on 1 December runs 01/12/2025–30/11/2026); without a register,
        or for one starting on 1 January, the calendar year.
        """
        if self.kind == "month":
            return dt.date(self.year, self.month, 1), _month_end(self.year, self.month)
        if self.kind == "year":
            month, day = (register.year_start_month, register.year_start_day) if register else (1, 1)
            return year_bounds(self.year, month, day)
        assert self.start is not None and self.end is not None
        return self.start, self.end


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def year_bounds(year: int, start_month: int = 1, start_day: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of register year ``year`` for a register year starting on ``start_month-start_day``."""
    if (start_month, start_day) == (1, 1):
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = dt.date(year - 1, start_month, start_day)
    return start, dt.date(year, start_month, start_day) - dt.timedelta(days=1)


_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_RANGE = re.compile(r"(?:tu\s+(?:ngay\s+)?)?" + _DATE + r"\s*(?:-|–|—|den\s+(?:ngay\s+)?)\s*" + _DATE)
_MONTH = re.compile(r"(?:thang\s+)?(?<![\d/.-])(\d{1,2})\s*[/.-]\s*(\d{4})(?![\d/.-])")
_MONTH_WORDS = re.compile(r"thang\s+(\d{1,2})\s+nam\s+(\d{4})(?!\d)")
_YEAR = re.compile(r"(?:nam\s+)?(?<![\d/.-])(\d{4})(?![\d/.-])")


def _date(day: str, month: str, year: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_period(text: str) -> tuple[PeriodSpec, str] | None:
    """The period written in ``text`` and the text around it (spaces folded), or None.

    Recognised, with or without diacritics: ``01/10/2026-31/10/2026`` (also ``từ 01/10/2026 đến
    31/10/2026``), ``11/2026`` (also ``tháng 11/2026``, ``tháng 11 năm 2026``) and ``2026`` (also
    ``năm 2026``). A range that ends before it starts, an impossible date or month is not a period.
    The rest is returned with its diacritics, so that ``đến 11/2026`` gives ``đến``.
    """
    original = nfc(text)
    # Folded one character for one character, so that positions in it are positions in the original.
    folded = "".join((unidecode(c)[:1] or " ").lower() for c in original)
    for pattern, kind in ((_RANGE, "range"), (_MONTH_WORDS, "month"), (_MONTH, "month"), (_YEAR, "year")):
        m = pattern.search(folded)
        if not m:
            continue
        spec: PeriodSpec | None
        if kind == "range":
            start, end = _date(*m.group(1, 2, 3)), _date(*m.group(4, 5, 6))
            spec = PeriodSpec("range", start=start, end=end) if start and end and start <= end else None
        elif kind == "month":
            month, year = int(m.group(1)), int(m.group(2))
            spec = PeriodSpec("month", year=year, month=month) if 1 <= month <= 12 and year >= 1900 else None
        else:
            year = int(m.group(1))
            spec = PeriodSpec("year", year=year) if year >= 1900 else None
        if spec is None:
            return None
        rest = nfc(original[: m.start()] + " " + original[m.end() :])
        return spec, rest
    return None


def parse_period(text: str) -> PeriodSpec | None:
    """The period when ``text`` is nothing but a period (see :func:`find_period`), else None."""
    found = find_period(text)
    return found[0] if found is not None and not found[1] else None


def period_label(start: dt.date, end: dt.date, year_start: tuple[int, int] = (1, 1)) -> str:
    """``Tháng 11 năm 2026``, ``Năm 2026`` (with its dates when the register year is not the calendar
    year), or ``Từ ngày 01/10/2026 đến ngày 31/10/2026``."""
    if start.day == 1 and end == _month_end(start.year, start.month):
        return f"Tháng {start.month} năm {start.year}"
    year = end.year
    if (start, end) == year_bounds(year, *year_start):
        if year_start == (1, 1):
            return f"Năm {year}"
        return f"Năm {year} (từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y})"
    if (start, end) == year_bounds(year):
        return f"Năm {year}"
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


# --- registers -------------------------------------------------------------------------------------------


def registers_of(session: Session, unit: Unit, kind: RegisterKind) -> list[Register]:
    """The non-secret registers of ``unit``'s issuing unit (a department uses its parent's) that ``kind``
    reads, in code order."""
    owner = issuing_unit(unit)
    regs = session.execute(
        select(Register)
        .where(Register.unit_id == owner.id, Register.direction == kind.direction, Register.secret.is_(False))
        .order_by(Register.code)
    ).scalars()
    return list(regs)


def resolve_register(session: Session, register_or_unit: Register | Unit, kind: RegisterKind) -> Register:
    """The one register to export for ``kind``.

    A register is checked against the kind (the incoming and follow-up registers read an incoming
    register, the outgoing register an outgoing one) and must not be secret. A unit resolves to its only
    non-secret register of that direction; with none, or several (an administrative and a procedural
    register of outgoing documents), :class:`RegisterExportError` / :class:`RegisterChoiceError` say so.
    """
    if isinstance(register_or_unit, Register):
        reg = register_or_unit
        if reg.secret:
            raise SecretRegisterError(
                f"{reg.name} là sổ văn bản mật: không xuất qua hệ thống, tra cứu trên sổ giấy tại văn thư."
            )
        if reg.direction != kind.direction:
            wanted = "văn bản đi" if kind.direction == "out" else "văn bản đến"
            raise RegisterExportError(f"Sổ {reg.code} ({reg.name}) không phải sổ {wanted}.")
        return reg
    regs = registers_of(session, register_or_unit, kind)
    owner = issuing_unit(register_or_unit)
    if not regs:
        raise RegisterExportError(f"{owner.name} không có {TITLES[kind].lower()} trong hệ thống.")
    if len(regs) > 1:
        raise RegisterChoiceError(
            f"{owner.name} có {len(regs)} sổ {'văn bản đi' if kind.direction == 'out' else 'văn bản đến'}: "
            "ghi mã sổ cần xuất.",
            [f"{r.code} — {r.name}" for r in regs],
        )
    return regs[0]


# --- cells -----------------------------------------------------------------------------------------------


def _d(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


def _local_date(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).strftime("%d/%m/%Y") if value is not None else ""


def _deadline(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    """``25/11/2026`` for a deadline at the end of a day, else ``21:00 20/11/2026``."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    if (local.hour, local.minute) == (23, 59):
        return local.strftime("%d/%m/%Y")
    return local.strftime("%H:%M %d/%m/%Y")


def type_and_summary(doc: Document) -> str:
    """``Tên loại và trích yếu nội dung``: the type name and the summary, without saying the type twice.

    A summary that already starts with the type name (``Quyết định về việc …``) stands alone, with a
    capital first letter; one that starts in lower case (``về việc …``) follows the type name; any other
    follows it after a colon.
    """
    type_name, summary = nfc(doc.type_name), nfc(doc.summary)
    if not summary:
        return type_name
    if not type_name or fold(summary).startswith(fold(type_name)):
        return summary[0].upper() + summary[1:]
    if summary[0].islower():
        return f"{type_name} {summary}"
    return f"{type_name}: {summary}"


def _notes(*parts: str) -> str:
    return "; ".join(p for p in (nfc(x) for x in parts) if p)


class _Names:
    """Names of people and units, loaded once per export."""

    def __init__(self, session: Session) -> None:
        self.people = {p.id: p for p in session.execute(select(Person)).scalars()}
        self.units = {u.id: u for u in session.execute(select(Unit)).scalars()}

    def assignee(self, a: Assignment) -> str:
        """The person's full name, or the unit's name (``Lãnh đạo …`` for a decision by the leaders)."""
        if a.person_id is not None and a.person_id in self.people:
            return self.people[a.person_id].full_name
        if a.unit_id is not None and a.unit_id in self.units:
            name = self.units[a.unit_id].name
            return f"Lãnh đạo {name}" if a.role == "decide" else name
        return ""

    def keeper(self, doc: Document) -> str:
        """``Đơn vị, người nhận bản lưu``: the requester, and their department when it drafted the document."""
        if doc.requester_id is None or doc.requester_id not in self.people:
            return ""
        person = self.people[doc.requester_id]
        unit = self.units.get(person.unit_id)
        if unit is not None and unit.level == "department":
            return f"{unit.name} ({person.full_name})"
        return person.full_name


def _documents(session: Session, register: Register, start: dt.date, end: dt.date) -> list[Document]:
    docs = session.execute(
        select(Document).where(
            Document.register_id == register.id,
            Document.secret.is_(False),
            Document.doc_date >= start,
            Document.doc_date <= end,
        )
    ).scalars()
    return sorted(docs, key=lambda d: (d.register_year, d.number, d.suffix, d.id))


def _assignments(session: Session, docs: Iterable[Document], role: str) -> dict[int, list[Assignment]]:
    ids = [d.id for d in docs]
    out: dict[int, list[Assignment]] = {}
    if not ids:
        return out
    for a in session.execute(
        select(Assignment)
        .where(Assignment.document_id.in_(ids), Assignment.role == role)
        .order_by(Assignment.assigned_at, Assignment.id)
    ).scalars():
        out.setdefault(a.document_id, []).append(a)
    return out


def _recipient(doc: Document, mains: dict[int, Assignment], decides: dict[int, list[Assignment]]) -> Assignment | None:
    """The main assignment; failing that, the leaders' decision (the document went to them first)."""
    main = mains.get(doc.id)
    if main is not None:
        return main
    pending = decides.get(doc.id, [])
    return pending[-1] if pending else None


def _cancelled_note(doc: Document, tz: dt.tzinfo) -> str:
    """``Đã hủy ngày 21/11/2026: <lý do>`` (local date in ``tz``) for a cancelled incoming document, else ""."""
    if doc.status != "cancelled":
        return ""
    when = f" ngày {_local_date(doc.cancelled_at, tz)}" if doc.cancelled_at else ""
    return f"Đã hủy{when}: {nfc(doc.cancel_reason)}" if doc.cancel_reason else f"Đã hủy{when}"


def _incoming_rows(session: Session, docs: list[Document], tz: dt.tzinfo, names: _Names) -> list[tuple[str, ...]]:
    mains = main_assignments(session, docs)
    decides = _assignments(session, docs, "decide")
    out: list[tuple[str, ...]] = []
    for doc in docs:
        to = _recipient(doc, mains, decides)
        notes = _notes(
            doc.urgency,
            "Bản giấy" if doc.paper else "",
            f"Vụ án {doc.case_ref}" if doc.case_ref else "",
            _cancelled_note(doc, tz),
        )
        out.append(
            (
                _d(doc.doc_date),
                doc.number_str,
                nfc(doc.issuer) or doc.sender_email,
                nfc(doc.orig_number),
                _d(doc.orig_date),
                type_and_summary(doc),
                names.assignee(to) if to else "",
                _local_date(to.assigned_at, tz) if to else "",
                "",
                notes,
            )
        )
    return out


def _outgoing_rows(docs: list[Document], names: _Names) -> list[tuple[str, ...]]:
    by_key = {(d.register_year, d.number): d for d in docs if not d.suffix}
    out: list[tuple[str, ...]] = []
    for doc in docs:
        notes: list[str] = []
        if doc.status == "cancelled":
            notes.append(f"Đã hủy: {nfc(doc.cancel_reason)}" if doc.cancel_reason else "Đã hủy")
        if doc.suffix:
            after = by_key.get((doc.register_year, doc.number))
            where = f"Số chèn sau {after.number_str}" if after else "Số chèn"
            notes.append(f"{where}: {nfc(doc.insert_reason)}" if doc.insert_reason else where)
        if doc.case_ref:
            notes.append(f"Vụ án {doc.case_ref}")
        out.append(
            (
                doc.number_str,
                _d(doc.doc_date),
                type_and_summary(doc),
                nfc(doc.signer_name),
                "",
                names.keeper(doc),
                "",
                "",
                "",
                _notes(*notes),
            )
        )
    return out


def _origin(doc: Document) -> str:
    """``Quyết định số 123/QĐ-CSĐT ngày 05/04/2026 — CÔNG AN …``: type, number, date, issuing body."""
    head = nfc(doc.type_name)
    if doc.orig_number:
        head = f"{head} số {nfc(doc.orig_number)}" if head else f"Số {nfc(doc.orig_number)}"
    if doc.orig_date:
        head = f"{head} ngày {_d(doc.orig_date)}" if head else f"Ngày {_d(doc.orig_date)}"
    issuer = nfc(doc.issuer) or doc.sender_email
    return f"{head} — {issuer}" if head and issuer else head or issuer


def _progress(
    doc: Document, main: Assignment | None, decide: Assignment | None, returned: Assignment | None, now: dt.datetime
) -> str:
    tz = now.tzinfo or dt.UTC
    if doc.status == "cancelled":
        return _cancelled_note(doc, tz)
    if main is None:
        if returned is not None:
            return f"Bị trả lại ngày {_local_date(returned.done_at, tz)}, chờ phân công lại"
        if decide is not None and decide.status == "open":
            return "Chờ lãnh đạo phân công"
        return "Chưa phân công"
    status, _late = deadline_status(doc, main, now, tz)
    if main.status == "done" or doc.status == "done":
        done_at = main.done_at or doc.done_at
        text = f"Đã giải quyết ngày {_local_date(done_at, tz)}" if done_at else "Đã giải quyết"
        return f"{text} — {status}" if main.deadline_at is not None and done_at else text
    if main.deadline_at is None:
        return "Đang giải quyết"
    return f"Đang giải quyết — {status}"


def _follow_up_rows(
    session: Session, docs: list[Document], tz: dt.tzinfo, now: dt.datetime, names: _Names
) -> list[tuple[str, ...]]:
    mains = main_assignments(session, docs)
    decides = _assignments(session, docs, "decide")
    all_mains = _assignments(session, docs, "main")
    main_ids = [a.id for rows in all_mains.values() for a in rows]
    approved: dict[int, list[ExtensionRequest]] = {}
    if main_ids:
        for ext in session.execute(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id.in_(main_ids), ExtensionRequest.state == "approved")
            .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
        ).scalars():
            approved.setdefault(ext.assignment_id, []).append(ext)
    local_now = now.astimezone(tz)
    out: list[tuple[str, ...]] = []
    for doc in docs:
        main = mains.get(doc.id)
        decide_history = decides.get(doc.id, [])
        decide = decide_history[-1] if decide_history else None
        history = all_mains.get(doc.id, [])
        returned = history[-1] if history and history[-1].status == "returned" else None
        notes: list[str] = []
        if main is not None:
            if main.deadline_label or main.legal_basis:
                notes.append(", ".join(p for p in (main.deadline_label, main.legal_basis) if p))
            for ext in approved.get(main.id, []):
                notes.append(f"Gia hạn đến {_deadline(ext.new_deadline, tz)}")
        if doc.case_ref:
            notes.append(f"Vụ án {doc.case_ref}")
        deadline = main.deadline_at if main is not None else None
        out.append(
            (
                doc.number_str,
                _origin(doc),
                names.assignee(main) if main is not None else "",
                _deadline(deadline, tz),
                _progress(doc, main, decide, returned, local_now),
                nfc(main.answer_number) if main is not None else "",
                _notes(*notes),
            )
        )
    return out


def rows(
    session: Session,
    register_or_unit: Register | Unit,
    kind: RegisterKind,
    period_start: dt.date,
    period_end: dt.date,
    tz: dt.tzinfo,
    *,
    now: dt.datetime,
) -> RegisterTable:
    """The register ``kind`` of ``register_or_unit`` for the documents dated ``period_start``–``period_end``.

    Guarantees: only documents of the one resolved register (see :func:`resolve_register`), never a
    secret register or a secret document; arrival dates (incoming) or dates of issue (outgoing) within
    the period, both ends included; rows in register order — register year, number, then suffix, so
    ``15a`` follows 15 — with cancelled numbers kept; dates ``dd/mm/yyyy`` in ``tz``; one cell per
    header, ``""`` where vanthu has nothing to say. ``now`` (aware; the caller's clock) is when the
    follow-up register judges whether an open deadline has passed.
    """
    if period_end < period_start:
        raise RegisterExportError(
            f"Kỳ không hợp lệ: ngày kết thúc {_d(period_end)} trước ngày bắt đầu {_d(period_start)}."
        )
    register = resolve_register(session, register_or_unit, kind)
    unit = session.get(Unit, register.unit_id)
    assert unit is not None
    docs = _documents(session, register, period_start, period_end)
    names = _Names(session)
    if kind is RegisterKind.INCOMING:
        body = _incoming_rows(session, docs, tz, names)
        title = TITLES[kind]
    elif kind is RegisterKind.OUTGOING:
        body = _outgoing_rows(docs, names)
        title = nfc(register.name) or TITLES[kind]
    else:
        body = _follow_up_rows(session, docs, tz, now, names)
        title = TITLES[kind]
    return RegisterTable(
        title=title,
        unit_name=nfc(unit.name),
        period_label=period_label(period_start, period_end, (register.year_start_month, register.year_start_day)),
        headers=HEADERS[kind],
        rows=body,
        kind=kind,
        unit_code=unit.code,
        register_code=register.code,
        period_start=period_start,
        period_end=period_end,
        widths=WIDTHS[kind],
    )


__all__ = [
    "FOLLOW_UP_HEADERS",
    "HEADERS",
    "INCOMING_HEADERS",
    "OUTGOING_HEADERS",
    "SIGNATURE_HEADER",
    "TITLES",
    "WIDTHS",
    "PeriodSpec",
    "RegisterChoiceError",
    "RegisterExportError",
    "RegisterKind",
    "RegisterTable",
    "SecretRegisterError",
    "find_period",
    "parse_period",
    "period_label",
    "registers_of",
    "resolve_register",
    "rows",
    "type_and_summary",
    "year_bounds",
]
