"""The leaders' daily digest: one email each working morning to every leader of a unit.

What a digest holds (all in Vietnamese, HTML with inline styles and a plain-text part):

* incoming documents since the previous working day's digest, by urgency (and by unit when the digest rolls
  up several units: a province's leaders see their departments and regional procuracies);
* documents waiting for the leaders' assignment (open ``decide`` assignments of the unit on documents no rule
  has routed yet, oldest first, with the tag to reply to; for a department, documents given to it and not
  yet to a person);
* deadlines due today and by the end of the next working day; overdue work by unit and by named person with
  days late (the users asked to name people and units, "nêu rõ đích danh cá nhân, đơn vị"); urgent deadlines
  (counted in hours, or Hỏa tốc / Thượng khẩn documents) in the next 24 hours;
* outgoing numbers given or cancelled in the period; signature problems of documents registered in it;
  mail waiting in quarantine for the clerk; mail the per-address cap held back ("thư bị giữ lại") since the
  period began — on such days the unit's clerks get the digest too;
* a 7-day trend of incoming documents per day, drawn as bars made of table cells (no scripts, no images).

The number of SQL statements a digest costs does not depend on how many documents there are: everything is
counted with ``GROUP BY``/aggregates in the database, and only the rows a digest lists are fetched, at most
:data:`LIST_CAP` per list ("và N văn bản khác" says how many more). No ORM relationship is lazily loaded.

The period a digest covers is "since the previous digest": the days from the previous working day up to the
day before, so Monday's digest covers Friday to Sunday and the first digest after Tết covers the whole break.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, extract, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from vanthu.cron.sinks import ReportSink
from vanthu.models import report_runs
from vanthu.models.authority import LEADER
from vanthu.models.calendar import WorkCalendar
from vanthu.models.deadlines import URGENT_LEVELS, URGENT_WITHIN
from vanthu.models.directory import nearest_clerks, own_leaders, unit_by_code
from vanthu.models.ports import ReportContext
from vanthu.models.search import late_text
from vanthu.models.tables import (
    Assignment,
    Document,
    DocumentFile,
    OutboxMessage,
    Person,
    QuarantineItem,
    SignatureCheck,
    Unit,
)

T = TypeVar("T")

DIGEST = "digest"
LIST_CAP = 20
TREND_DAYS = 7
URGENCY_ORDER = ("Hỏa tốc", "Thượng khẩn", "Khẩn", "")
URGENCY_LABELS = {"Hỏa tốc": "Hỏa tốc", "Thượng khẩn": "Thượng khẩn", "Khẩn": "Khẩn", "": "Thường"}
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
SHORT_WEEKDAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
HOUR_BASED_LIMIT = dt.timedelta(hours=24)
SIGNATURE_PROBLEMS = {
    "broken": "chữ ký bị hỏng, không kiểm tra được",
    "modified": "văn bản bị sửa đổi sau khi ký",
    "weak-hash": "chữ ký dùng thuật toán băm yếu (SHA-1)",
    "revoked": "chứng thư số đã bị thu hồi",
    "expired": "chứng thư số đã hết hạn",
    "revocation-unknown": "chưa kiểm tra được tình trạng thu hồi chứng thư",
    "untrusted": "chứng thư số không thuộc tổ chức cung cấp dịch vụ tin cậy",
    "invalid": "chữ ký không hợp lệ",
}

# A unit code → a ReportContext in a fresh transaction, for the mailbox the unit's reports come from. The
# job commits through its sink (``sink.commit(ctx)``); leaving the block without it rolls everything back.
ContextFactory = Callable[[str], AbstractContextManager[ReportContext]]


# --- the data of a digest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing(Generic[T]):
    """At most :data:`LIST_CAP` items of a list, and how many there are in all."""

    items: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        """How many are not listed ("và N văn bản khác")."""
        return self.total - len(self.items)


@dataclass(frozen=True)
class UnitIncoming:
    """Incoming documents of one unit in the period, by urgency."""

    unit_name: str
    total: int
    by_urgency: tuple[tuple[str, int], ...]  # (Vietnamese label, count), non-zero only, most urgent first


@dataclass(frozen=True)
class Waiting:
    """A document waiting for the leaders to assign it; ``tag`` is what a reply must quote."""

    tag: str
    title: str
    issuer: str
    urgency: str
    received_at: dt.datetime | None
    waiting: str  # "chờ 3 ngày", "chờ 5 giờ"
    deadline_at: dt.datetime | None


@dataclass(frozen=True)
class Task:
    """An open main assignment with a deadline, as one line of a list."""

    tag: str
    title: str
    urgency: str
    assignee: str  # the person's full name, or the unit's name when no person holds it
    unit_name: str  # the assignee's unit
    deadline_at: dt.datetime
    legal_basis: str
    hour_based: bool  # the deadline is counted in hours (under 24 hours from receipt)
    status: str  # "còn 5 giờ" or "trễ hạn 3 ngày"


@dataclass(frozen=True)
class LateGroup:
    """Overdue work of one person or one unit, with the lateness of its oldest item."""

    name: str
    unit_name: str  # for a person: their unit; for a unit: ""
    count: int
    oldest_deadline: dt.datetime
    late: str  # "trễ hạn 3 ngày"
    note: str = ""  # e.g. "chưa giao cá nhân; lãnh đạo: Đỗ Quang Tuấn"


@dataclass(frozen=True)
class NumberLine:
    """An outgoing number given or cancelled in the period."""

    number: str
    action: str  # "cấp" | "hủy"
    title: str
    person: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class SignatureIssue:
    tag: str
    number: str
    issuer: str
    signer: str
    problem: str  # in Vietnamese


@dataclass(frozen=True)
class Quarantined:
    tag: str
    sender: str
    subject: str
    reason: str
    created_at: dt.datetime


@dataclass(frozen=True)
class HeldBack:
    """A mail the per-address cap held back (state ``suppressed``): never sent."""

    to: str
    subject: str
    created_at: dt.datetime


@dataclass(frozen=True)
class TrendDay:
    day: dt.date
    label: str  # "T2 16/11"
    count: int
    percent: int  # bar length, 0–100, against the busiest day


@dataclass(frozen=True)
class Digest:
    """Everything one leader's digest says, ready for the templates."""

    unit_code: str
    unit_name: str
    leader_name: str
    leader_email: str
    day: dt.date
    day_label: str  # "thứ Hai 23/11/2026"
    now: dt.datetime
    time_label: str  # "07:00", local time of ``now``
    since: dt.date
    until: dt.date
    period_label: str  # "ngày 22/11/2026" or "từ 20/11 đến 22/11/2026"
    incoming_total: int
    incoming_by_urgency: tuple[tuple[str, int], ...]
    incoming_units: tuple[UnitIncoming, ...]  # only when more than one unit received documents
    waiting: Listing[Waiting]
    due_today: Listing[Task]
    next_day: dt.date
    next_day_label: str  # "ngày mai (thứ Ba 24/11)" or "đến hết thứ Hai 23/11 (ngày làm việc tiếp theo)"
    due_next: Listing[Task]
    urgent: Listing[Task]
    overdue: Listing[Task]
    overdue_units: tuple[LateGroup, ...]
    overdue_people: Listing[LateGroup]
    numbers_given: int
    numbers_cancelled: int
    numbers: Listing[NumberLine]
    signature_issues: Listing[SignatureIssue]
    quarantine: Listing[Quarantined]
    trend: tuple[TrendDay, ...]
    department: bool = False
    held: Listing[HeldBack] = Listing((), 0)

    @property
    def empty(self) -> bool:
        """True when there is nothing to report (the trend alone is not news): a one-line digest."""
        return not (
            self.incoming_total
            or self.waiting.total
            or self.due_today.total
            or self.due_next.total
            or self.urgent.total
            or self.overdue.total
            or self.numbers.total
            or self.signature_issues.total
            or self.quarantine.total
            or self.held.total
        )


# --- dates and windows -------------------------------------------------------------------------------------


def day_label(day: dt.date, *, year: bool = True) -> str:
    """``thứ Hai 23/11/2026`` (or ``thứ Hai 23/11``)."""
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}" if year else f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"


def start_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """00:00 local of ``day``, aware."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)


def previous_working_day(day: dt.date, calendar: WorkCalendar) -> dt.date:
    """The last working day strictly before ``day`` (``day - 1`` if none within 60 days)."""
    d = day - dt.timedelta(days=1)
    for _ in range(60):
        if calendar.is_working_day(d):
            return d
        d -= dt.timedelta(days=1)
    return day - dt.timedelta(days=1)


def digest_period(day: dt.date, calendar: WorkCalendar) -> tuple[dt.date, dt.date]:
    """The days the digest of ``day`` covers: from the previous working day to the day before, inclusive.

    Consecutive working days' digests cover consecutive, non-overlapping periods.
    """
    return previous_working_day(day, calendar), day - dt.timedelta(days=1)


def _period_label(since: dt.date, until: dt.date) -> str:
    if since >= until:
        return f"ngày {until:%d/%m/%Y}"
    if since.year == until.year:
        return f"từ {since:%d/%m} đến {until:%d/%m/%Y}"
    return f"từ {since:%d/%m/%Y} đến {until:%d/%m/%Y}"


def _hours(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 3600))


def time_left(deadline: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> str:
    """``còn 5 giờ`` before the deadline, ``trễ hạn …`` after it (see :func:`models.search.late_text`)."""
    if now > deadline:
        return late_text(deadline, now, tz)
    left = deadline - now
    if left < dt.timedelta(days=1):
        return f"còn {_hours(left)} giờ"
    return f"còn {(deadline.astimezone(tz).date() - now.astimezone(tz).date()).days} ngày"


# --- SQL building blocks -------------------------------------------------------------------------------------


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[Any]:
    """Seconds since 1970 of a UTC timestamp column, in SQL (PostgreSQL ``extract``, SQLite ``julianday``)."""
    if dialect == "postgresql":
        return extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def hour_based(dialect: str) -> ColumnElement[bool]:
    """SQL: the assignment's deadline is counted in hours — less than 24 hours after the document was received
    (or, for a document without a receipt time, after the assignment). Measured from receipt, so that a
    deadline carried over when a document is re-assigned or forwarded keeps its kind. Needs ``Assignment``
    joined to ``Document``."""
    start = func.coalesce(Document.received_at, Assignment.assigned_at)
    return epoch_seconds(Assignment.deadline_at, dialect) - epoch_seconds(start, dialect) < (
        HOUR_BASED_LIMIT.total_seconds()
    )


def open_main() -> ColumnElement[bool]:
    """SQL: an open main assignment with a deadline."""
    return and_(Assignment.role == "main", Assignment.status == "open", Assignment.deadline_at.is_not(None))


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class Directory:
    """The units and the leaders' names, loaded once (two statements, sized by the directory, not documents)."""

    units: dict[int, UnitInfo]
    leader_names: dict[int, tuple[str, ...]]

    @classmethod
    def load(cls, session: Session) -> Directory:
        units = {
            r.id: UnitInfo(r.id, r.code, r.name, r.level, r.parent_id)
            for r in session.execute(select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id))
        }
        leaders: dict[int, list[str]] = {}
        rows = session.execute(
            select(Person.unit_id, Person.full_name, Person.roles).where(Person.active.is_(True)).order_by(Person.email)
        )
        for unit_id, name, roles in rows:
            if LEADER in (roles or []):
                leaders.setdefault(unit_id, []).append(name)
        return cls(units, {k: tuple(v) for k, v in leaders.items()})

    def below(self, unit_id: int) -> tuple[int, ...]:
        """``unit_id`` and every unit under it (departments, regional procuracies and theirs), sorted."""
        children: dict[int, list[int]] = {}
        for u in self.units.values():
            if u.parent_id is not None:
                children.setdefault(u.parent_id, []).append(u.id)
        found = {unit_id}
        stack = [unit_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return tuple(sorted(found))

    def name(self, unit_id: int | None) -> str:
        return self.units[unit_id].name if unit_id is not None and unit_id in self.units else ""


@dataclass(frozen=True)
class Scope:
    """What a unit's reports cover.

    A province or regional procuracy: its own documents and those of every unit below it (departments issue
    in their parent's name; a province rolls up its regional units), and every assignment on them. A
    department registers nothing itself: it covers the documents given to it or to its people, and the
    outgoing numbers its people asked for.
    """

    unit_id: int
    unit_ids: tuple[int, ...]
    department: bool

    @classmethod
    def of(cls, directory: Directory, unit_id: int) -> Scope:
        department = directory.units[unit_id].level == "department"
        return cls(unit_id, (unit_id,) if department else directory.below(unit_id), department)

    def _members(self) -> Any:
        return select(Person.id).where(Person.unit_id == self.unit_id)

    def held(self, a: Any = Assignment) -> ColumnElement[bool]:
        """SQL: assignment ``a`` is held by the department or one of its people."""
        return or_(a.unit_id == self.unit_id, a.person_id.in_(self._members()))

    def documents(self) -> ColumnElement[bool]:
        """SQL condition on ``Document``."""
        if not self.department:
            return Document.unit_id.in_(self.unit_ids)
        other = aliased(Assignment)
        given = select(other.document_id).where(self.held(other), other.role.in_(("main", "copy")))
        return or_(Document.id.in_(given), Document.requester_id.in_(self._members()))

    def assignments(self) -> ColumnElement[bool]:
        """SQL condition on ``Assignment`` joined to ``Document``."""
        return self.held() if self.department else Document.unit_id.in_(self.unit_ids)

    def waiting(self) -> ColumnElement[bool]:
        """SQL: documents waiting for this unit's leaders to assign them: an open ``decide`` assignment of the
        unit on a document that no open main assignment holds yet (a document the routing rules already gave
        to a department is not waiting); for a department, work given to it and not yet to one of its people."""
        if self.department:
            return and_(
                Assignment.role == "main",
                Assignment.status == "open",
                Assignment.unit_id == self.unit_id,
                Assignment.person_id.is_(None),
            )
        # NOT IN over an uncorrelated subquery: evaluated once (through the status index), where a correlated
        # NOT EXISTS would scan the assignments for every waiting row (there is no index on document_id).
        routed = aliased(Assignment)
        held = select(routed.document_id).where(routed.role == "main", routed.status == "open")
        return and_(
            Assignment.role == "decide",
            Assignment.status == "open",
            Assignment.unit_id == self.unit_id,
            Assignment.document_id.not_in(held),
        )


def _title(summary: str | None, type_name: str | None) -> str:
    return (summary or type_name or "(chưa rõ trích yếu)").strip()


# --- the sections ---------------------------------------------------------------------------------------------


def _incoming(
    session: Session, scope: Scope, directory: Directory, since: dt.date, until: dt.date
) -> tuple[int, tuple[tuple[str, int], ...], tuple[UnitIncoming, ...]]:
    rows = session.execute(
        select(Document.unit_id, Document.urgency, func.count())
        .where(
            scope.documents(),
            Document.direction == "in",
            Document.status != "cancelled",
            Document.doc_date.between(since, until),
        )
        .group_by(Document.unit_id, Document.urgency)
    ).all()
    per_unit: dict[int, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for unit_id, urgency, count in rows:
        level = urgency if urgency in URGENCY_ORDER else ""
        per_unit.setdefault(unit_id, {}).setdefault(level, 0)
        per_unit[unit_id][level] += int(count)
        totals[level] = totals.get(level, 0) + int(count)

    def ordered(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
        return tuple((URGENCY_LABELS[u], counts[u]) for u in URGENCY_ORDER if counts.get(u))

    units = tuple(
        UnitIncoming(directory.name(uid), sum(c.values()), ordered(c))
        for uid, c in sorted(per_unit.items(), key=lambda kv: (kv[0] != scope.unit_id, directory.name(kv[0])))
    )
    return sum(totals.values()), ordered(totals), units if len(units) > 1 else ()


def _waiting(session: Session, scope: Scope, now: dt.datetime, tz: ZoneInfo) -> Listing[Waiting]:
    joined = select(func.count()).select_from(Assignment).join(Document, Document.id == Assignment.document_id)
    total = session.execute(joined.where(scope.waiting())).scalar_one()
    rows = session.execute(
        select(
            Document.tag,
            Document.summary,
            Document.type_name,
            Document.issuer,
            Document.urgency,
            Document.received_at,
            Assignment.assigned_at,
            Assignment.deadline_at,
        )
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .where(scope.waiting())
        .order_by(Assignment.assigned_at, Assignment.id)
        .limit(LIST_CAP)
    ).all()
    items = []
    for r in rows:
        since = r.assigned_at
        waited = now - since
        days = (now.astimezone(tz).date() - since.astimezone(tz).date()).days
        text = f"chờ {_hours(waited)} giờ" if waited < dt.timedelta(days=1) or days < 1 else f"chờ {days} ngày"
        items.append(
            Waiting(
                tag=r.tag or "",
                title=_title(r.summary, r.type_name),
                issuer=r.issuer or "",
                urgency=r.urgency or "",
                received_at=r.received_at,
                waiting=text,
                deadline_at=r.deadline_at,
            )
        )
    return Listing(tuple(items), int(total))


@dataclass(frozen=True)
class _Windows:
    now: dt.datetime
    today_end: dt.datetime  # 00:00 of tomorrow
    next_end: dt.datetime  # 00:00 of the day after the next working day
    urgent_end: dt.datetime  # now + 24 h


def _task_conditions(w: _Windows, dialect: str) -> dict[str, ColumnElement[bool]]:
    deadline = Assignment.deadline_at
    urgent_kind = or_(hour_based(dialect), Document.urgency.in_(URGENT_LEVELS))
    urgent = and_(deadline > w.now, deadline <= w.urgent_end, urgent_kind)
    return {
        "overdue": deadline <= w.now,
        "urgent": urgent,
        "due_today": and_(deadline > w.now, deadline < w.today_end, not_(urgent)),
        "due_next": and_(deadline >= w.today_end, deadline < w.next_end, not_(urgent)),
    }


def list_tasks(
    session: Session,
    scope: Scope,
    directory: Directory,
    condition: ColumnElement[bool],
    now: dt.datetime,
    tz: ZoneInfo,
    dialect: str,
    *,
    limit: int = LIST_CAP,
) -> tuple[Task, ...]:
    """At most ``limit`` open main assignments of ``scope`` meeting ``condition``, earliest deadline first.

    One statement (the assignee's name comes from a join, the unit names from ``directory``).
    """
    stmt = (
        select(
            Document.tag,
            Document.summary,
            Document.type_name,
            Document.urgency,
            Assignment.deadline_at,
            Assignment.legal_basis,
            Assignment.unit_id,
            Person.full_name,
            Person.unit_id.label("person_unit_id"),
            hour_based(dialect).label("hour_based"),
        )
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .outerjoin(Person, Person.id == Assignment.person_id)
        .where(open_main(), scope.assignments(), condition)
        .order_by(Assignment.deadline_at, Assignment.id)
        .limit(limit)
    )
    items = []
    for r in session.execute(stmt):
        unit_id = r.person_unit_id if r.full_name else r.unit_id
        items.append(
            Task(
                tag=r.tag or "",
                title=_title(r.summary, r.type_name),
                urgency=r.urgency or "",
                assignee=r.full_name or directory.name(r.unit_id) or "(chưa rõ)",
                unit_name=directory.name(unit_id),
                deadline_at=r.deadline_at,
                legal_basis=r.legal_basis or "",
                hour_based=bool(r.hour_based),
                status=time_left(r.deadline_at, now, tz),
            )
        )
    return tuple(items)


def _tasks(
    session: Session,
    scope: Scope,
    directory: Directory,
    w: _Windows,
    tz: ZoneInfo,
    dialect: str,
) -> dict[str, Listing[Task]]:
    conditions = _task_conditions(w, dialect)
    counts = session.execute(
        select(*(func.coalesce(func.sum(case((c, 1), else_=0)), 0).label(k) for k, c in conditions.items()))
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .where(open_main(), scope.assignments())
    ).one()
    return {
        key: Listing(list_tasks(session, scope, directory, condition, w.now, tz, dialect), int(getattr(counts, key)))
        for key, condition in conditions.items()
    }


def overdue_groups(
    session: Session,
    scope: Scope,
    directory: Directory,
    now: dt.datetime,
    tz: ZoneInfo,
) -> tuple[tuple[LateGroup, ...], tuple[LateGroup, ...]]:
    """Overdue open main assignments of ``scope`` at ``now``, grouped by holding unit and by named person.

    One statement. Units and people are sorted by lateness (oldest deadline first), then by count. Work given
    to a unit and not yet to a person is listed among the people as that unit, naming its leaders. Both
    tuples are complete (they grow with the directory, not with the documents).
    """
    holder_unit = func.coalesce(Person.unit_id, Assignment.unit_id)
    rows = session.execute(
        select(
            Assignment.person_id,
            Person.full_name,
            holder_unit.label("holder_unit"),
            func.count().label("n"),
            func.min(Assignment.deadline_at).label("oldest"),
        )
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .outerjoin(Person, Person.id == Assignment.person_id)
        .where(open_main(), scope.assignments(), Assignment.deadline_at <= now)
        .group_by(Assignment.person_id, Person.full_name, holder_unit)
    ).all()
    units: dict[int | None, tuple[int, dt.datetime]] = {}
    people: list[LateGroup] = []
    for r in rows:
        count, oldest = int(r.n), r.oldest
        prev = units.get(r.holder_unit)
        units[r.holder_unit] = (count, oldest) if prev is None else (prev[0] + count, min(prev[1], oldest))
        if r.person_id is not None:
            people.append(
                LateGroup(r.full_name, directory.name(r.holder_unit), count, oldest, late_text(oldest, now, tz))
            )
        else:
            leaders = directory.leader_names.get(r.holder_unit, ()) if r.holder_unit is not None else ()
            note = "chưa giao cá nhân" + (f"; lãnh đạo: {', '.join(leaders)}" if leaders else "")
            people.append(
                LateGroup(
                    directory.name(r.holder_unit) or "(chưa rõ)", "", count, oldest, late_text(oldest, now, tz), note
                )
            )
    unit_groups = [
        LateGroup(directory.name(uid) or "(chưa rõ)", "", count, oldest, late_text(oldest, now, tz))
        for uid, (count, oldest) in units.items()
    ]

    def lateness(g: LateGroup) -> tuple[dt.datetime, int, str]:
        return (g.oldest_deadline, -g.count, g.name)

    return tuple(sorted(unit_groups, key=lateness)), tuple(sorted(people, key=lateness))


def _numbers(
    session: Session, scope: Scope, start: dt.datetime, end: dt.datetime
) -> tuple[int, int, Listing[NumberLine]]:
    given = and_(Document.created_at >= start, Document.created_at < end)
    cancelled = and_(Document.cancelled_at.is_not(None), Document.cancelled_at >= start, Document.cancelled_at < end)
    where = and_(scope.documents(), Document.direction == "out")
    n_given, n_cancelled, n_rows = session.execute(
        select(
            func.coalesce(func.sum(case((given, 1), else_=0)), 0),
            func.coalesce(func.sum(case((cancelled, 1), else_=0)), 0),
            func.count(),
        ).where(where, or_(given, cancelled))
    ).one()
    requester = aliased(Person)
    rows = session.execute(
        select(
            Document.number_str,
            Document.summary,
            Document.type_name,
            Document.secret,
            Document.created_at,
            Document.cancelled_at,
            Document.cancel_reason,
            requester.full_name,
        )
        .outerjoin(requester, requester.id == Document.requester_id)
        .where(where, or_(given, cancelled))
        .order_by(Document.created_at, Document.id)
        .limit(LIST_CAP)
    ).all()
    items = []
    for r in rows:
        was_cancelled = r.cancelled_at is not None and start <= r.cancelled_at < end
        title = "(văn bản mật)" if r.secret else _title(r.summary, r.type_name)
        items.append(
            NumberLine(
                number=r.number_str,
                action="hủy" if was_cancelled else "cấp",
                title=title,
                person=r.full_name or "",
                at=r.cancelled_at if was_cancelled else r.created_at,
                reason=r.cancel_reason if was_cancelled else "",
            )
        )
    return int(n_given), int(n_cancelled), Listing(tuple(items), int(n_rows))


def _signature_issues(session: Session, scope: Scope, since: dt.date, until: dt.date) -> Listing[SignatureIssue]:
    where = and_(
        SignatureCheck.problem != "",
        scope.documents(),
        Document.direction == "in",
        Document.status != "cancelled",
        Document.doc_date.between(since, until),
    )

    def joins(stmt: Any) -> Any:
        return (
            stmt.select_from(SignatureCheck)
            .join(DocumentFile, DocumentFile.id == SignatureCheck.file_id)
            .join(Document, Document.id == DocumentFile.document_id)
        )

    total = session.execute(joins(select(func.count())).where(where)).scalar_one()
    rows = session.execute(
        joins(
            select(
                Document.tag,
                Document.number_str,
                Document.issuer,
                SignatureCheck.signer_name,
                SignatureCheck.field_name,
                SignatureCheck.problem,
            )
        )
        .where(where)
        .order_by(Document.id, SignatureCheck.id)
        .limit(LIST_CAP)
    ).all()
    items = tuple(
        SignatureIssue(
            tag=r.tag or "",
            number=r.number_str,
            issuer=r.issuer or "(chưa rõ)",
            signer=r.signer_name or r.field_name or "(chưa rõ)",
            problem=SIGNATURE_PROBLEMS.get(r.problem, r.problem),
        )
        for r in rows
    )
    return Listing(items, int(total))


def _quarantine(session: Session, scope: Scope) -> Listing[Quarantined]:
    where = and_(
        QuarantineItem.state == "pending", QuarantineItem.unit_id.in_(() if scope.department else scope.unit_ids)
    )
    total = session.execute(select(func.count()).select_from(QuarantineItem).where(where)).scalar_one()
    rows = session.execute(
        select(
            QuarantineItem.tag,
            QuarantineItem.sender,
            QuarantineItem.subject,
            QuarantineItem.reason_code,
            QuarantineItem.reason,
            QuarantineItem.created_at,
        )
        .where(where)
        .order_by(QuarantineItem.created_at, QuarantineItem.id)
        .limit(LIST_CAP)
    ).all()
    items = tuple(
        Quarantined(
            tag=r.tag or "",
            sender=r.sender or "(không rõ)",
            subject="(tài liệu mật — xử lý trên giấy)"
            if r.reason_code == "secret"
            else (r.subject or "(không tiêu đề)"),
            reason=r.reason or r.reason_code,
            created_at=r.created_at,
        )
        for r in rows
    )
    return Listing(items, int(total))


def _held(session: Session, scope: Scope, since: dt.datetime, now: dt.datetime) -> Listing[HeldBack]:
    """Mail from the scope's mailboxes that the per-address cap held back from ``since`` until ``now``."""
    if scope.department:
        return Listing((), 0)
    mailboxes = select(Unit.mailbox_address).where(Unit.id.in_(scope.unit_ids), Unit.mailbox_address.is_not(None))
    where = and_(
        OutboxMessage.state == "suppressed",
        OutboxMessage.from_addr.in_(mailboxes),
        OutboxMessage.created_at >= since,
        OutboxMessage.created_at < now,
    )
    total = session.execute(select(func.count()).select_from(OutboxMessage).where(where)).scalar_one()
    rows = session.execute(
        select(OutboxMessage.to_addr, OutboxMessage.subject, OutboxMessage.created_at)
        .where(where)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(LIST_CAP)
    ).all()
    return Listing(tuple(HeldBack(r.to_addr, r.subject, r.created_at) for r in rows), int(total))


def _trend(session: Session, scope: Scope, day: dt.date) -> tuple[TrendDay, ...]:
    first = day - dt.timedelta(days=TREND_DAYS)
    last = day - dt.timedelta(days=1)
    counts = {
        d: int(n)
        for d, n in session.execute(
            select(Document.doc_date, func.count())
            .where(
                scope.documents(),
                Document.direction == "in",
                Document.status != "cancelled",
                Document.doc_date.between(first, last),
            )
            .group_by(Document.doc_date)
        )
    }
    top = max(counts.values(), default=0)
    days = [first + dt.timedelta(days=i) for i in range(TREND_DAYS)]
    return tuple(
        TrendDay(
            day=d,
            label=f"{SHORT_WEEKDAYS[d.weekday()]} {d:%d/%m}",
            count=counts.get(d, 0),
            percent=round(100 * counts.get(d, 0) / top) if top else 0,
        )
        for d in days
    )


# --- building and sending -------------------------------------------------------------------------------------


def build_digest(
    session: Session,
    unit: Unit,
    leader: Person,
    day: dt.date,
    now: dt.datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
) -> Digest:
    """The digest of ``unit`` for ``leader`` on the local date ``day``, with deadlines judged at ``now``.

    Read-only. Issues a fixed number of SQL statements whatever the number of documents and assignments
    (aggregates in SQL; lists capped at :data:`LIST_CAP`); loads no ORM relationship.
    """
    dialect = session.get_bind().dialect.name
    directory = Directory.load(session)
    scope = Scope.of(directory, unit.id)
    since, until = digest_period(day, calendar)
    next_day = calendar.next_working_day(day)
    windows = _Windows(
        now=now,
        today_end=start_of(day + dt.timedelta(days=1), tz),
        next_end=start_of(next_day + dt.timedelta(days=1), tz),
        urgent_end=now + URGENT_WITHIN,
    )
    incoming_total, incoming_by_urgency, incoming_units = _incoming(session, scope, directory, since, until)
    tasks = _tasks(session, scope, directory, windows, tz, dialect)
    unit_groups, people = overdue_groups(session, scope, directory, now, tz)
    given, cancelled, numbers = _numbers(
        session, scope, start_of(since, tz), start_of(until + dt.timedelta(days=1), tz)
    )
    if next_day == day + dt.timedelta(days=1):
        next_label = f"ngày mai ({day_label(next_day, year=False)})"
    else:
        next_label = f"từ ngày mai đến hết {day_label(next_day, year=False)} (ngày làm việc tiếp theo)"
    return Digest(
        unit_code=unit.code,
        unit_name=unit.name,
        leader_name=leader.full_name,
        leader_email=leader.email,
        day=day,
        day_label=day_label(day),
        now=now,
        time_label=now.astimezone(tz).strftime("%H:%M"),
        since=since,
        until=until,
        period_label=_period_label(since, until),
        incoming_total=incoming_total,
        incoming_by_urgency=incoming_by_urgency,
        incoming_units=incoming_units,
        waiting=_waiting(session, scope, now, tz),
        due_today=tasks["due_today"],
        next_day=next_day,
        next_day_label=next_label,
        due_next=tasks["due_next"],
        urgent=tasks["urgent"],
        overdue=tasks["overdue"],
        overdue_units=unit_groups,
        overdue_people=Listing(people[:LIST_CAP], len(people)),
        numbers_given=given,
        numbers_cancelled=cancelled,
        numbers=numbers,
        signature_issues=_signature_issues(session, scope, since, until),
        quarantine=_quarantine(session, scope),
        trend=_trend(session, scope, day),
        department=scope.department,
        held=_held(session, scope, start_of(since, tz), now),
    )


def send_digests(
    ctx_factory: ContextFactory,
    unit_code: str,
    day: dt.date,
    now: dt.datetime,
    *,
    sink: ReportSink,
    worker: str = "",
) -> int:
    """Send the digest of ``unit_code`` for the local date ``day`` to each leader of the unit; return how many.

    Exactly once per (unit, day): the run is claimed (``report_runs.claim``, kind ``digest``, period
    ``YYYY-MM-DD``) in the same transaction that queues the mail, so a second call — another worker, a
    catch-up after a restart — returns 0 and queues nothing. A unit without leaders gets nothing and claims
    nothing. Whether ``day`` is a working day is the caller's decision. Claims, mail and the commit go
    through ``sink`` (``cron.sinks``): a rehearsal sink claims nothing and queues nothing.
    """
    period = report_runs.day_period(day)
    with ctx_factory(unit_code) as ctx:
        session = ctx.uow.session
        unit = unit_by_code(session, unit_code)
        leaders = own_leaders(session, unit)
        if not leaders:
            return 0
        if not sink.claim(session, DIGEST, unit_code, period, worker=worker, now=now):
            return 0
        settings = ctx.settings
        held = 0
        for leader in leaders:
            digest = build_digest(session, unit, leader, day, now, settings.tz, settings.calendar)
            held = digest.held.total
            sink.deliver(
                ctx,
                kind=DIGEST,
                to=leader.email,
                template="digest",
                file_stem=f"digest-{unit_code}-{period}-{leader.email.split('@')[0]}",
                d=digest,
            )
        # Held-back mail is the clerk's business too: on such days the unit's clerks get the digest as well.
        clerks = [c for c in nearest_clerks(session, unit) if c not in leaders] if held else []
        for clerk in clerks:
            digest = build_digest(session, unit, clerk, day, now, settings.tz, settings.calendar)
            sink.deliver(
                ctx,
                kind=DIGEST,
                to=clerk.email,
                template="digest",
                file_stem=f"digest-{unit_code}-{period}-{clerk.email.split('@')[0]}",
                d=digest,
            )
        sink.finish(session, DIGEST, unit_code, period, now=now)
        sink.commit(ctx)
        return len(leaders) + len(clerks)
