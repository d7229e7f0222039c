"""Statistics of a period: documents in and out, paper and electronic, signed, and how incoming documents
were handled — per unit, per assignee and per year, the figures a procuracy's units report each year.

Pure domain: SQLAlchemy queries over the caller's session, nothing else. What is counted:

* **Incoming** documents (``direction = "in"``) by their arrival date (``doc_date``, the local date they
  were registered), split into paper (a clerk's ``Giấy:`` scan) and electronic; a cancelled one (hủy số
  đến) is not counted.
* **Outgoing** numbers (``direction = "out"``) by the date the number was given (``doc_date``): given and
  still valid (status ``reserved`` or ``issued``), cancelled, and signed. An outgoing document counts as
  digitally signed once it is ``issued`` — issuing outgoing documents by mail is not built yet, so that
  share is 0 today, and :attr:`Statistics.notes` says so.
* **Handling** of the period's incoming documents, per unit: the current main assignment (the latest open
  or done one, as in the case timeline) decides done, late and overdue; time to assign runs from arrival
  (``Document.received_at``) to the document's first main assignment, time to finish from that assignment
  to the document's completion.
* **Per assignee** (a person, or a unit given a document as a whole): the main assignments made in the
  period, whatever became of them; time to assign runs from the document's arrival to the assignee's first
  main assignment of it, time to finish from an assignment to its completion.

Dates are local dates in the configured time zone; timestamps are compared as the UTC instants of the local
midnights that bound the period. Medians are :func:`statistics.median` of hours; a figure with nothing to
measure is ``None``, never a made-up zero.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import statistics as pystats
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vanthu.models.tables import Assignment, Document, Person, Register, Unit
from vanthu.models.text import fold

# --- periods ---------------------------------------------------------------------------------------------

MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    """A span of whole local days, ``start`` to ``end`` inclusive, with its Vietnamese label."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def slug(self) -> str:
        """A short ASCII name for files: ``2026-11`` (a month), ``2026`` (a year), else ``2026-10-01_2026-10-31``."""
        s, e = self.start, self.end
        if s.day == 1 and e == _month_end(s.year, s.month):
            return f"{s.year}-{s.month:02d}"
        if (s.month, s.day, e.month, e.day) == (1, 1, 12, 31):
            return f"{s.year}" if s.year == e.year else f"{s.year}-{e.year}"
        return f"{s.isoformat()}_{e.isoformat()}"

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants of local midnight at the start of ``start`` and after ``end`` (half-open)."""
        first = dt.datetime.combine(self.start, dt.time(), tzinfo=tz)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _fmt(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def month_period(year: int, month: int) -> Period:
    """The calendar month ``month/year``, labelled ``tháng 11/2026``."""
    return Period(dt.date(year, month, 1), _month_end(year, month), f"tháng {month}/{year}")


def year_period(first: int, last: int | None = None) -> Period:
    """The calendar years ``first``..``last`` (default: one year), labelled ``năm 2026``."""
    last = first if last is None else last
    label = f"năm {first}" if first == last else f"từ năm {first} đến năm {last}"
    return Period(dt.date(first, 1, 1), dt.date(last, 12, 31), label)


def range_period(start: dt.date, end: dt.date) -> Period:
    """The days ``start``..``end``, labelled ``từ 01/10/2026 đến 31/10/2026``."""
    return Period(start, end, f"từ {_fmt(start)} đến {_fmt(end)}")


_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_TO = r"\s*(?:-|~|den|toi)\s*"
_MONTH = re.compile(r"(?:thang\s*)?(\d{1,2})(?:\s*[/.-]\s*|\s+nam\s+)(\d{4})")
_MONTH_ONLY = re.compile(r"thang\s*(\d{1,2})")
_YEAR = re.compile(r"(?:nam\s*)?(\d{4})")
_YEARS = re.compile(r"(?:tu\s*)?(?:nam\s*)?(\d{4})" + _TO + r"(?:nam\s*)?(\d{4})")
_RANGE = re.compile(r"(?:tu\s*)?(?:ngay\s*)?" + _DATE + _TO + r"(?:ngay\s*)?" + _DATE)


def _date(day: str, month: str, year: str) -> dt.date | None:
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def _valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def parse_period(text: str, today: dt.date) -> Period | None:
    """The period ``text`` names, or None when it names none (or an impossible one).

    Accepted, with or without diacritics, in any case: a month ``11/2026`` (also ``tháng 11/2026``,
    ``11-2026``); a year ``2026`` (``năm 2026``); a range of days ``01/10/2026-31/10/2026`` (also with
    spaces, ``–``, ``đến`` or ``tới`` between, and a leading ``từ``); a range of years ``2020-2023``. Relative
    to ``today``: ``tháng này``, ``tháng trước``, ``năm nay``, ``năm trước`` / ``năm ngoái``, and ``tháng 11``
    (of today's year). A range that ends before it starts, a month outside 1–12 or a date that does not
    exist gives None.
    """
    t = fold(text).strip(" .;:,")
    if not t:
        return None
    relative = _relative_period(t, today)
    if relative is not None:
        return relative
    return _written_period(t, today)


def _relative_period(t: str, today: dt.date) -> Period | None:
    """``tháng này``, ``tháng trước``, ``năm nay``, ``năm trước`` / ``năm ngoái`` (``t`` folded)."""
    if t == "thang nay":
        return month_period(today.year, today.month)
    if t == "thang truoc":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return month_period(last.year, last.month)
    if t == "nam nay":
        return year_period(today.year)
    if t in ("nam truoc", "nam ngoai"):
        return year_period(today.year - 1)
    return None


def _written_period(t: str, today: dt.date) -> Period | None:
    """A range of days, a month, a month of this year, a range of years or a year, written out (``t`` folded)."""
    if m := _RANGE.fullmatch(t):
        start, end = _date(*m.group(1, 2, 3)), _date(*m.group(4, 5, 6))
        if start is None or end is None or end < start:
            return None
        return range_period(start, end)
    if m := _MONTH.fullmatch(t):
        month, year = int(m.group(1)), int(m.group(2))
        return month_period(year, month) if 1 <= month <= 12 and _valid_year(year) else None
    if m := _MONTH_ONLY.fullmatch(t):
        month = int(m.group(1))
        return month_period(today.year, month) if 1 <= month <= 12 else None
    if m := _YEARS.fullmatch(t):
        first_year, last_year = int(m.group(1)), int(m.group(2))
        valid = _valid_year(first_year) and _valid_year(last_year) and first_year <= last_year
        return year_period(first_year, last_year) if valid else None
    if m := _YEAR.fullmatch(t):
        year = int(m.group(1))
        return year_period(year) if _valid_year(year) else None
    return None


# --- figures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFigures:
    """One unit's documents of the period (its own registers), or the totals when ``unit_id`` is None."""

    unit_id: int | None
    code: str
    name: str
    incoming: int
    incoming_electronic: int
    incoming_paper: int
    outgoing: int  # numbers given and not cancelled (reserved or issued)
    cancelled: int
    signed: int  # outgoing documents issued (digitally signed)
    signed_share: float | None  # signed / outgoing
    assigned: int  # incoming documents of the period with a main assignment (open or done)
    done: int
    done_late: int
    open_overdue: int  # main assignment still open and past its deadline at ``now``
    median_hours_to_assign: float | None  # arrival → first main assignment
    median_hours_to_finish: float | None  # first main assignment → document done
    overdue_rate: float | None  # (done_late + open_overdue) / assigned


PERSON, UNIT, TOTAL = "person", "unit", "total"


@dataclass(frozen=True)
class AssigneeFigures:
    """The main assignments made in the period to one person (or one unit as a whole), or all of them."""

    kind: str  # PERSON | UNIT | TOTAL
    assignee_id: int | None  # Person.id or Unit.id; None for the totals
    name: str
    email: str
    unit_name: str
    received: int
    done: int
    on_time: int  # done at or before the deadline, or without a deadline
    late: int  # done after the deadline
    open: int
    open_overdue: int  # still open and past the deadline at ``now``
    passed_on: int  # forwarded, superseded by a new assignment, or given back
    median_hours_to_assign: float | None  # document arrival → this assignee's first main assignment of it
    median_hours_to_finish: float | None  # assignment → done
    overdue_rate: float | None  # (late + open_overdue) / (done + open)


@dataclass(frozen=True)
class YearFigures:
    """Documents of one calendar year within the period (``year`` None: the totals)."""

    year: int | None
    incoming_paper: int
    incoming_electronic: int
    incoming: int
    outgoing: int  # numbers given and not cancelled
    signed: int


@dataclass(frozen=True)
class Statistics:
    """Everything :func:`compute` found; rows are in a stable order and totals pool every row's data."""

    period: Period
    generated_at: dt.datetime  # ``now``, in the period's time zone
    units: list[UnitFigures]
    unit_total: UnitFigures
    assignees: list[AssigneeFigures]
    assignee_total: AssigneeFigures
    years: list[YearFigures]
    year_total: YearFigures
    notes: list[str] = field(default_factory=list)


SIGNED_DEFINITION = (
    "Văn bản đi được tính là đã ký số khi đã phát hành qua hệ thống (trạng thái «đã phát hành»); "
    "tỷ lệ ký số = số văn bản đã ký số / số văn bản đi đã cấp số (không tính số đã hủy)."
)
SIGNED_NOT_BUILT = (
    "Chức năng phát hành văn bản đi qua thư điện tử chưa được triển khai, nên chưa có văn bản đi nào "
    "được ghi nhận là đã ký số và tỷ lệ ký số hiện bằng 0; đây là số liệu thực, không phải ước tính."
)
COUNTING_NOTES = (
    "Văn bản đến tính theo ngày vào sổ đến, văn bản đi theo ngày cấp số (giờ Việt Nam); "
    "văn bản mật chỉ được đếm số lượng.",
    "Giải quyết văn bản đến: tính trên các văn bản đến trong kỳ, theo lần giao xử lý chính hiện hành; "
    "trễ hạn = hoàn thành sau thời hạn hoặc quá hạn mà chưa hoàn thành tại thời điểm lập thống kê; "
    "văn bản được giao tự động theo quy tắc phân công có thời gian từ khi đến đến khi giao bằng 0.",
    "Theo cán bộ: các lần giao xử lý chính trong kỳ; dòng «(giao cả đơn vị)» là văn bản giao cho "
    "phòng, đơn vị chưa giao tiếp cho cán bộ nào; «Đã chuyển/trả lại» là lần giao đã chuyển người khác, "
    "được giao lại hoặc bị trả lại.",
)


def _median(values: Sequence[float]) -> float | None:
    return float(pystats.median(values)) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours(later: dt.datetime, earlier: dt.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 3600)


def _tree_order(units: Iterable[Unit]) -> list[Unit]:
    """Units depth-first from the roots, children in id order (a province, its departments, its regions)."""
    by_parent: dict[int | None, list[Unit]] = defaultdict(list)
    every = sorted(units, key=lambda u: u.id)
    known = {u.id for u in every}
    for u in every:
        by_parent[u.parent_id if u.parent_id in known else None].append(u)
    out: list[Unit] = []
    stack = list(reversed(by_parent[None]))
    while stack:
        u = stack.pop()
        out.append(u)
        stack.extend(reversed(by_parent.get(u.id, [])))
    return out


def descendant_units(session: Session, unit_id: int) -> list[int]:
    """The ids of ``unit_id`` and every unit below it (departments and regional procuracies), sorted."""
    children: dict[int, list[int]] = defaultdict(list)
    for uid, parent in session.execute(select(Unit.id, Unit.parent_id)):
        if parent is not None:
            children[parent].append(uid)
    found, stack = {unit_id}, [unit_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return sorted(found)


@dataclass
class _DocCounts:
    incoming_paper: int = 0
    incoming_electronic: int = 0
    outgoing: int = 0
    cancelled: int = 0
    signed: int = 0

    def add(self, direction: str, paper: bool, status: str, n: int) -> None:
        if direction == "in" and status == "cancelled":
            return  # taken out of the incoming register (hủy số đến): junk or registered by mistake
        if direction == "in":
            if paper:
                self.incoming_paper += n
            else:
                self.incoming_electronic += n
        elif status == "cancelled":
            self.cancelled += n
        elif status in ("reserved", "issued"):
            self.outgoing += n
            if status == "issued":
                self.signed += n


@dataclass
class _Handling:
    assigned: int = 0
    done: int = 0
    done_late: int = 0
    open_overdue: int = 0
    to_assign: list[float] = field(default_factory=list)
    to_finish: list[float] = field(default_factory=list)


@dataclass
class _Assignee:
    received: int = 0
    done: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0
    passed_on: int = 0
    to_assign: list[float] = field(default_factory=list)
    to_finish: list[float] = field(default_factory=list)
    seen_documents: set[int] = field(default_factory=set)


def _unit_figures(unit: Unit | None, c: _DocCounts, h: _Handling) -> UnitFigures:
    return UnitFigures(
        unit_id=unit.id if unit else None,
        code=unit.code if unit else "",
        name=unit.name if unit else "Tổng cộng",
        incoming=c.incoming_paper + c.incoming_electronic,
        incoming_electronic=c.incoming_electronic,
        incoming_paper=c.incoming_paper,
        outgoing=c.outgoing,
        cancelled=c.cancelled,
        signed=c.signed,
        signed_share=_share(c.signed, c.outgoing),
        assigned=h.assigned,
        done=h.done,
        done_late=h.done_late,
        open_overdue=h.open_overdue,
        median_hours_to_assign=_median(h.to_assign),
        median_hours_to_finish=_median(h.to_finish),
        overdue_rate=_share(h.done_late + h.open_overdue, h.assigned),
    )


def _assignee_figures(
    kind: str, ident: int | None, name: str, email: str, unit_name: str, a: _Assignee
) -> AssigneeFigures:
    return AssigneeFigures(
        kind=kind,
        assignee_id=ident,
        name=name,
        email=email,
        unit_name=unit_name,
        received=a.received,
        done=a.done,
        on_time=a.on_time,
        late=a.late,
        open=a.open,
        open_overdue=a.open_overdue,
        passed_on=a.passed_on,
        median_hours_to_assign=_median(a.to_assign),
        median_hours_to_finish=_median(a.to_finish),
        overdue_rate=_share(a.late + a.open_overdue, a.done + a.open),
    )


def _document_counts(
    session: Session, ids: list[int], period: Period
) -> tuple[dict[int, _DocCounts], dict[int, _DocCounts]]:
    """Counts per unit and per calendar year of ``doc_date``, from one grouped query."""
    per_unit: dict[int, _DocCounts] = defaultdict(_DocCounts)
    per_year: dict[int, _DocCounts] = defaultdict(_DocCounts)
    rows = session.execute(
        select(Document.unit_id, Document.direction, Document.paper, Document.status, Document.doc_date, func.count())
        .where(Document.unit_id.in_(ids), Document.doc_date >= period.start, Document.doc_date <= period.end)
        .group_by(Document.unit_id, Document.direction, Document.paper, Document.status, Document.doc_date)
    )
    for unit_id, direction, paper, status, day, n in rows:
        per_unit[unit_id].add(direction, bool(paper), status, int(n))
        per_year[day.year].add(direction, bool(paper), status, int(n))
    return per_unit, per_year


def _handling(session: Session, ids: list[int], period: Period, now: dt.datetime) -> dict[int, _Handling]:
    """How the period's incoming documents of each unit were handled (see the module docstring)."""
    docs = {
        d.id: d
        for d in session.execute(
            select(Document.id, Document.unit_id, Document.received_at, Document.done_at, Document.status).where(
                Document.unit_id.in_(ids),
                Document.direction == "in",
                Document.status != "cancelled",
                Document.doc_date >= period.start,
                Document.doc_date <= period.end,
            )
        )
    }
    mains = session.execute(
        select(
            Assignment.document_id,
            Assignment.status,
            Assignment.assigned_at,
            Assignment.deadline_at,
            Assignment.done_at,
        )
        .join(Document, Document.id == Assignment.document_id)
        .where(
            Document.unit_id.in_(ids),
            Document.direction == "in",
            Document.doc_date >= period.start,
            Document.doc_date <= period.end,
            Assignment.role == "main",
            Assignment.status != "cancelled",
        )
        .order_by(Assignment.assigned_at, Assignment.id)
    ).all()
    first: dict[int, dt.datetime] = {}
    current: dict[int, tuple[str, dt.datetime | None, dt.datetime | None]] = {}
    for doc_id, status, assigned_at, deadline_at, done_at in mains:
        first.setdefault(doc_id, assigned_at)
        if status in ("open", "done"):
            current[doc_id] = (status, deadline_at, done_at)
    out: dict[int, _Handling] = defaultdict(_Handling)
    for doc_id, d in docs.items():
        h = out[d.unit_id]
        first_at = first.get(doc_id)
        if first_at is not None and d.received_at is not None:
            h.to_assign.append(_hours(first_at, d.received_at))
        if doc_id not in current:
            continue
        status, deadline, done_at = current[doc_id]
        h.assigned += 1
        if status == "done" or d.status == "done":
            h.done += 1
            finished = done_at or d.done_at
            if finished is not None and first_at is not None:
                h.to_finish.append(_hours(finished, first_at))
            if deadline is not None and finished is not None and finished > deadline:
                h.done_late += 1
        elif deadline is not None and now > deadline:
            h.open_overdue += 1
    return out


def _assignees(
    session: Session, ids: list[int], period: Period, tz: dt.tzinfo, now: dt.datetime
) -> dict[tuple[str, int], _Assignee]:
    """The period's main assignments of the units' documents, per assignee (see the module docstring)."""
    start, after = period.bounds(tz)
    rows = session.execute(
        select(Assignment, Document.received_at)
        .join(Document, Document.id == Assignment.document_id)
        .where(
            Document.unit_id.in_(ids),
            Assignment.role == "main",
            Assignment.status != "cancelled",
            Assignment.assigned_at >= start,
            Assignment.assigned_at < after,
        )
        .order_by(Assignment.assigned_at, Assignment.id)
    ).all()
    out: dict[tuple[str, int], _Assignee] = defaultdict(_Assignee)
    for a, received_at in rows:
        if a.person_id is not None:
            key = (PERSON, a.person_id)
        elif a.unit_id is not None:
            key = (UNIT, a.unit_id)
        else:
            continue
        f = out[key]
        f.received += 1
        if a.document_id not in f.seen_documents:
            f.seen_documents.add(a.document_id)
            if received_at is not None:
                f.to_assign.append(_hours(a.assigned_at, received_at))
        if a.status == "done":
            f.done += 1
            if a.done_at is not None:
                f.to_finish.append(_hours(a.done_at, a.assigned_at))
            if a.deadline_at is not None and a.done_at is not None and a.done_at > a.deadline_at:
                f.late += 1
            else:
                f.on_time += 1
        elif a.status == "open":
            f.open += 1
            if a.deadline_at is not None and now > a.deadline_at:
                f.open_overdue += 1
        else:
            f.passed_on += 1
    return out


def _pool(parts: Iterable[_Assignee]) -> _Assignee:
    total = _Assignee()
    for p in parts:
        for name in ("received", "done", "on_time", "late", "open", "open_overdue", "passed_on"):
            setattr(total, name, getattr(total, name) + getattr(p, name))
        total.to_assign += p.to_assign
        total.to_finish += p.to_finish
    return total


def compute(session: Session, unit_ids: Sequence[int], period: Period, tz: dt.tzinfo, now: dt.datetime) -> Statistics:
    """The statistics of ``period`` over the documents of ``unit_ids``, with overdue judged at ``now``.

    Guarantees: every unit of ``unit_ids`` that keeps a register or has a figure gets a row, in tree order;
    totals are computed from the pooled data (sums of counts, medians of all values), so a totals row equals
    the sum of its rows' counts; years cover every calendar year the period touches; nothing is written.
    """
    ids = sorted(set(unit_ids))
    all_units = {u.id: u for u in session.execute(select(Unit)).scalars()}
    doc_counts, year_counts = _document_counts(session, ids, period)
    handling = _handling(session, ids, period, now)
    with_register = set(session.execute(select(Register.unit_id).where(Register.unit_id.in_(ids))).scalars())

    units = [
        _unit_figures(unit, doc_counts.get(unit.id, _DocCounts()), handling.get(unit.id, _Handling()))
        for unit in _tree_order(all_units[i] for i in ids if i in all_units)
        if unit.id in with_register or unit.id in doc_counts or unit.id in handling
    ]
    unit_total = _unit_figures(None, _pool_counts(doc_counts.values()), _pool_handling(handling.values()))
    per_assignee = _assignees(session, ids, period, tz, now)
    assignees = _assignee_rows(session, all_units, per_assignee)
    assignee_total = _assignee_figures(TOTAL, None, "Tổng cộng", "", "", _pool(per_assignee.values()))
    years = _year_rows(period, year_counts)
    year_total = YearFigures(
        year=None,
        incoming_paper=sum(y.incoming_paper for y in years),
        incoming_electronic=sum(y.incoming_electronic for y in years),
        incoming=sum(y.incoming for y in years),
        outgoing=sum(y.outgoing for y in years),
        signed=sum(y.signed for y in years),
    )
    notes = [SIGNED_DEFINITION]
    if unit_total.signed == 0:
        notes.append(SIGNED_NOT_BUILT)
    notes.extend(COUNTING_NOTES)
    return Statistics(
        period=period,
        generated_at=now.astimezone(tz),
        units=units,
        unit_total=unit_total,
        assignees=assignees,
        assignee_total=assignee_total,
        years=years,
        year_total=year_total,
        notes=notes,
    )


def _pool_counts(counts: Iterable[_DocCounts]) -> _DocCounts:
    total = _DocCounts()
    for c in counts:
        for name in ("incoming_paper", "incoming_electronic", "outgoing", "cancelled", "signed"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total


def _pool_handling(handling: Iterable[_Handling]) -> _Handling:
    total = _Handling()
    for h in handling:
        total.assigned += h.assigned
        total.done += h.done
        total.done_late += h.done_late
        total.open_overdue += h.open_overdue
        total.to_assign += h.to_assign
        total.to_finish += h.to_finish
    return total


def _assignee_rows(
    session: Session, all_units: dict[int, Unit], per_assignee: dict[tuple[str, int], _Assignee]
) -> list[AssigneeFigures]:
    """One row per person or whole unit assigned, people first, by unit name then name (folded)."""
    people = {
        p.id: p
        for p in session.execute(
            select(Person).where(Person.id.in_([i for kind, i in per_assignee if kind == PERSON]))
        ).scalars()
    }
    assignees: list[AssigneeFigures] = []
    for (kind, ident), f in per_assignee.items():
        if kind == PERSON:
            p = people[ident]
            unit_name = all_units[p.unit_id].name if p.unit_id in all_units else ""
            assignees.append(_assignee_figures(PERSON, ident, p.full_name, p.email, unit_name, f))
        else:
            u = all_units[ident]
            assignees.append(_assignee_figures(UNIT, ident, f"{u.name} (giao cả đơn vị)", "", u.name, f))
    assignees.sort(key=lambda r: (r.kind != PERSON, fold(r.unit_name), fold(r.name), r.assignee_id or 0))
    return assignees


def _year_rows(period: Period, year_counts: dict[int, _DocCounts]) -> list[YearFigures]:
    """One row per calendar year the period touches, empty years included."""
    years = []
    for year in range(period.start.year, period.end.year + 1):
        c = year_counts.get(year, _DocCounts())
        years.append(
            YearFigures(
                year=year,
                incoming_paper=c.incoming_paper,
                incoming_electronic=c.incoming_electronic,
                incoming=c.incoming_paper + c.incoming_electronic,
                outgoing=c.outgoing,
                signed=c.signed,
            )
        )
    return years
