"""Deadlines that need a nudge: reminders to assignees, escalation of passed hour-based deadlines, and the
weekly overdue report.

* **Reminders** go to the holder of an open main assignment (the person, or the leaders of the unit it was
  given to) on the last working day before its deadline and on the deadline's day — in working hours only
  (08:00–17:00 local on a working day of :class:`models.calendar.WorkCalendar`). A deadline that falls on a
  day off is reminded on the last working day before it. Each reminder is claimed per assignment and day
  (``reminder``, ``A<id>``, ``YYYY-MM-DD``), so it goes once whichever worker or run sends it.
* **Escalation**: a deadline counted in hours (under 24 hours from receipt, such as the 12 hours to approve an
  emergency arrest) that has passed while the work is open goes at once — any hour, any day, the one
  exception to working hours — to the leaders of the document's unit and of the unit the work was given to.
  Claimed per assignment and deadline (``escalation``, ``A<id>``, the deadline's ``YYYY-MM-DDTHH:MM``), so an
  extended deadline that passes again escalates again.
* **Weekly report** per unit (first working day of the ISO week, 07:30): overdue work by unit and by named
  person, sorted by lateness, with the trend against the same moment a week before; claimed per unit and
  week (``overdue-weekly``, unit code, ``YYYY-Www``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from vanthu.cron.digest import (
    ContextFactory,
    Directory,
    LateGroup,
    Listing,
    Scope,
    Task,
    day_label,
    hour_based,
    list_tasks,
    open_main,
    overdue_groups,
    start_of,
    time_left,
)
from vanthu.cron.sinks import ReportSink
from vanthu.models import report_runs
from vanthu.models.calendar import WorkCalendar
from vanthu.models.clock import local_date
from vanthu.models.directory import nearest_leaders, own_leaders, unit_by_code
from vanthu.models.ports import ReportContext
from vanthu.models.search import late_text
from vanthu.models.tables import Assignment, Document, Person, Unit

REMINDER = "reminder"
ESCALATION = "escalation"
WEEKLY = "overdue-weekly"
WORK_START = dt.time(8, 0)
WORK_END = dt.time(17, 0)
# Escalation looks this far back: a deadline that passed longer ago (e.g. before vanthu was deployed, or
# while it was down for weeks) is left to the digest and the weekly report instead of a burst of mail.
ESCALATION_LOOKBACK = dt.timedelta(days=7)
WEEK = dt.timedelta(days=7)


def in_working_hours(
    now: dt.datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
    start: dt.time = WORK_START,
    end: dt.time = WORK_END,
) -> bool:
    """True on a working day between ``start`` (inclusive) and ``end`` (exclusive), local time."""
    local = now.astimezone(tz)
    return calendar.is_working_day(local.date()) and start <= local.time() < end


def assignment_key(assignment_id: int) -> str:
    """The ``unit_code`` of a per-assignment claim: ``A123``."""
    return f"A{assignment_id}"


def _holders(ctx: ReportContext, a: Assignment) -> list[Person]:
    """Who holds the work: the person named, else the leaders of the unit it was given to."""
    session = ctx.uow.session
    if a.person_id is not None:
        person = session.get(Person, a.person_id)
        return [person] if person is not None and person.active else []
    unit = session.get(Unit, a.unit_id) if a.unit_id is not None else None
    return nearest_leaders(ctx.uow.session, unit) if unit is not None else []


def _holder_name(session: Session, a: Assignment) -> tuple[str, str]:
    """(assignee's name, their unit's name)."""
    if a.person_id is not None:
        person = session.get(Person, a.person_id)
        if person is not None:
            return person.full_name, person.unit.name
    unit = session.get(Unit, a.unit_id) if a.unit_id is not None else None
    return (unit.name, "") if unit is not None else ("(chưa rõ)", "")


# --- reminders -----------------------------------------------------------------------------------------------


def reminder_candidates(
    session: Session, unit_id: int, now: dt.datetime, tz: ZoneInfo, calendar: WorkCalendar
) -> list[tuple[Assignment, Document, str]]:
    """Open main assignments on ``unit_id``'s documents to remind at ``now``: ``(assignment, document, when)``.

    ``when`` is ``"today"`` for a deadline later today, ``"soon"`` for one after today but no later than the
    end of the next working day (so that the last working day before a deadline reminds of it, even across a
    weekend or Tết). Deadlines already passed are not reminded (the digest and escalation speak of them).
    """
    today = local_date(now, tz)
    last = calendar.next_working_day(today)
    rows = session.execute(
        select(Assignment, Document)
        .join(Document, Document.id == Assignment.document_id)
        .where(
            open_main(),
            Document.unit_id == unit_id,
            Assignment.deadline_at > now,
            Assignment.deadline_at < start_of(last + dt.timedelta(days=1), tz),
        )
        .order_by(Assignment.deadline_at, Assignment.id)
    ).all()
    out: list[tuple[Assignment, Document, str]] = []
    for a, doc in rows:
        assert a.deadline_at is not None
        out.append((a, doc, "today" if local_date(a.deadline_at, tz) == today else "soon"))
    return out


def send_reminders(
    ctx_factory: ContextFactory,
    unit_code: str,
    now: dt.datetime,
    *,
    sink: ReportSink,
    worker: str = "",
    start: dt.time = WORK_START,
    end: dt.time = WORK_END,
) -> int:
    """Remind the holders of ``unit_code``'s documents of deadlines today or by the next working day.

    Sends nothing outside working hours (``start``–``end`` on a working day). Each assignment is reminded at
    most once a day (claimed per assignment and local day), in one transaction with the mail. Returns the
    number of mails delivered through ``sink`` (a rehearsal sink claims nothing).
    """
    with ctx_factory(unit_code) as ctx:
        settings = ctx.settings
        if not in_working_hours(now, settings.tz, settings.calendar, start, end):
            return 0
        session = ctx.uow.session
        unit = unit_by_code(session, unit_code)
        today = local_date(now, settings.tz)
        period = report_runs.day_period(today)
        sent = 0
        for a, doc, when in reminder_candidates(session, unit.id, now, settings.tz, settings.calendar):
            key = assignment_key(a.id)
            if not sink.claim(session, REMINDER, key, period, worker=worker, now=now):
                continue
            assignee, assignee_unit = _holder_name(session, a)
            for person in _holders(ctx, a):
                sink.deliver(
                    ctx,
                    kind=REMINDER,
                    to=person.email,
                    template="reminder",
                    file_stem=f"reminder-{key}-{period}-{person.email.split('@')[0]}",
                    document=doc,
                    doc=doc,
                    assignment=a,
                    person=person,
                    when=when,
                    for_unit=a.person_id is None,
                    assignee=assignee,
                    assignee_unit=assignee_unit,
                    left=time_left(a.deadline_at, now, settings.tz) if a.deadline_at else "",
                    deadline_day=day_label(local_date(a.deadline_at, settings.tz)) if a.deadline_at else "",
                )
                sent += 1
        sink.commit(ctx)
        return sent


# --- escalation ----------------------------------------------------------------------------------------------


def escalation_candidates(session: Session, unit_id: int, now: dt.datetime) -> list[tuple[Assignment, Document]]:
    """Open main assignments on ``unit_id``'s documents whose hour-based deadline passed at or before ``now``
    (and within :data:`ESCALATION_LOOKBACK`), earliest deadline first."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Assignment, Document)
        .join(Document, Document.id == Assignment.document_id)
        .where(
            open_main(),
            Document.unit_id == unit_id,
            Assignment.deadline_at <= now,
            Assignment.deadline_at > now - ESCALATION_LOOKBACK,
            hour_based(dialect),
        )
        .order_by(Assignment.deadline_at, Assignment.id)
    ).all()
    return [(a, doc) for a, doc in rows]


def send_escalations(
    ctx_factory: ContextFactory,
    unit_code: str,
    now: dt.datetime,
    *,
    sink: ReportSink,
    worker: str = "",
) -> int:
    """Tell the leaders at once about every passed hour-based deadline of ``unit_code``'s documents.

    Any time of any day. Each (assignment, deadline) escalates once (claimed, in one transaction with the
    mail). The leaders are those of the document's unit and of the unit the work was given to (the nearest
    unit up with leaders), each told once. Returns the number of mails delivered through ``sink``.
    """
    with ctx_factory(unit_code) as ctx:
        settings = ctx.settings
        session = ctx.uow.session
        unit = unit_by_code(session, unit_code)
        sent = 0
        for a, doc in escalation_candidates(session, unit.id, now):
            assert a.deadline_at is not None
            key = assignment_key(a.id)
            period = report_runs.slot_period(a.deadline_at, settings.tz, minutes=1)
            if not sink.claim(session, ESCALATION, key, period, worker=worker, now=now):
                continue
            assignee, assignee_unit = _holder_name(session, a)
            leaders: dict[str, Person] = {p.email: p for p in nearest_leaders(ctx.uow.session, doc.unit)}
            held_by = a.unit_id
            if a.person_id is not None:
                person = session.get(Person, a.person_id)
                held_by = person.unit_id if person is not None else None
            if held_by is not None and held_by != doc.unit_id:
                held_unit = session.get(Unit, held_by)
                if held_unit is not None:
                    leaders.update({p.email: p for p in nearest_leaders(ctx.uow.session, held_unit)})
            for person in sorted(leaders.values(), key=lambda p: p.email):
                sink.deliver(
                    ctx,
                    kind=ESCALATION,
                    to=person.email,
                    template="escalation",
                    file_stem=f"escalation-{key}-{person.email.split('@')[0]}",
                    priority="urgent",
                    document=doc,
                    doc=doc,
                    assignment=a,
                    person=person,
                    assignee=assignee,
                    assignee_unit=assignee_unit,
                    late=late_text(a.deadline_at, now, settings.tz),
                )
                sent += 1
        sink.commit(ctx)
        return sent


# --- the weekly report ---------------------------------------------------------------------------------------


def first_working_day_of_week(day: dt.date, calendar: WorkCalendar) -> dt.date | None:
    """The first working day of the ISO week (Monday–Sunday) that ``day`` is in; None if it has none."""
    monday = day - dt.timedelta(days=day.weekday())
    for i in range(7):
        d = monday + dt.timedelta(days=i)
        if calendar.is_working_day(d):
            return d
    return None


def _change(now_count: int, before: int) -> str:
    if now_count == before:
        return "không đổi"
    return f"tăng {now_count - before}" if now_count > before else f"giảm {before - now_count}"


@dataclass(frozen=True)
class UnitTrend:
    """One unit's overdue work now and at the same moment a week before."""

    name: str
    count: int
    late: str  # lateness of its oldest overdue item, "" when none
    previous: int
    change: str  # "tăng 2", "giảm 1", "không đổi"


@dataclass(frozen=True)
class WeeklyReport:
    """Everything one leader's weekly overdue report says."""

    unit_code: str
    unit_name: str
    leader_name: str
    week: str  # "2026-W48"
    week_label: str  # "tuần 48/2026 (23/11–29/11/2026)"
    now: dt.datetime
    overdue_total: int
    previous_total: int
    change: str
    units: tuple[UnitTrend, ...]  # sorted by lateness; units with nothing overdue now but some a week ago last
    people: Listing[LateGroup]  # sorted by lateness
    overdue: Listing[Task]  # oldest deadline first
    done_total: int  # main assignments completed in the last 7 days
    done_late: int  # … of which after their deadline


def _overdue_at(session: Session, scope: Scope, at: dt.datetime) -> dict[int | None, int]:
    """How many main assignments of ``scope`` were overdue at ``at``, by holding unit (one statement).

    Overdue at ``at``: assigned by then, deadline passed by then, and still open then (open now, or closed —
    done, forwarded, given back — only after ``at``). Work superseded by a later assignment, and work on a
    document cancelled since (hủy số đến), is not counted.
    """
    holder_unit = func.coalesce(Person.unit_id, Assignment.unit_id)
    rows = session.execute(
        select(holder_unit, func.count())
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .outerjoin(Person, Person.id == Assignment.person_id)
        .where(
            Assignment.role == "main",
            Assignment.deadline_at.is_not(None),
            Assignment.assigned_at <= at,
            Assignment.deadline_at <= at,
            or_(
                Assignment.status == "open",
                and_(Assignment.status != "cancelled", Assignment.done_at.is_not(None), Assignment.done_at > at),
            ),
            scope.assignments(),
        )
        .group_by(holder_unit)
    ).all()
    return {unit_id: int(n) for unit_id, n in rows}


def build_weekly(session: Session, unit: Unit, leader: Person, now: dt.datetime, tz: ZoneInfo) -> WeeklyReport:
    """The weekly overdue report of ``unit`` for ``leader`` at ``now``. Read-only; a fixed number of statements."""
    dialect = session.get_bind().dialect.name
    directory = Directory.load(session)
    scope = Scope.of(directory, unit.id)
    unit_groups, people = overdue_groups(session, scope, directory, now, tz)
    before = _overdue_at(session, scope, now - WEEK)
    before_by_name = {directory.name(uid) or "(chưa rõ)": n for uid, n in before.items()}
    trends = [
        UnitTrend(
            g.name, g.count, g.late, before_by_name.get(g.name, 0), _change(g.count, before_by_name.get(g.name, 0))
        )
        for g in unit_groups
    ]
    shown = {g.name for g in unit_groups}
    trends += [
        UnitTrend(name, 0, "", n, _change(0, n)) for name, n in sorted(before_by_name.items()) if name not in shown
    ]
    total = sum(g.count for g in unit_groups)
    previous = sum(before.values())
    done_total, done_late = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Assignment.done_at > Assignment.deadline_at, 1), else_=0)), 0),
        )
        .select_from(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .where(
            Assignment.role == "main",
            Assignment.status == "done",
            Assignment.deadline_at.is_not(None),
            Assignment.done_at >= now - WEEK,
            Assignment.done_at < now,
            scope.assignments(),
        )
    ).one()
    today = local_date(now, tz)
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    year, week, _ = today.isocalendar()
    overdue = list_tasks(session, scope, directory, Assignment.deadline_at <= now, now, tz, dialect)
    return WeeklyReport(
        unit_code=unit.code,
        unit_name=unit.name,
        leader_name=leader.full_name,
        week=report_runs.week_period(today),
        week_label=f"tuần {week}/{year} ({monday:%d/%m}–{sunday:%d/%m/%Y})",
        now=now,
        overdue_total=total,
        previous_total=previous,
        change=_change(total, previous),
        units=tuple(trends),
        people=Listing(people[:20], len(people)),
        overdue=Listing(overdue, total),
        done_total=int(done_total),
        done_late=int(done_late),
    )


def send_weekly(
    ctx_factory: ContextFactory,
    unit_code: str,
    day: dt.date,
    now: dt.datetime,
    *,
    sink: ReportSink,
    worker: str = "",
) -> int:
    """Send the weekly overdue report of ``unit_code`` for the ISO week of ``day`` to each of its leaders.

    Exactly once per (unit, week): claimed (``overdue-weekly``, ``YYYY-Www``) in the transaction that queues
    the mail. Returns the number of mails delivered through ``sink`` (a rehearsal sink claims nothing). When the
    report goes out (first working day of the week, 07:30) is the caller's decision.
    """
    period = report_runs.week_period(day)
    with ctx_factory(unit_code) as ctx:
        session = ctx.uow.session
        unit = unit_by_code(session, unit_code)
        leaders = own_leaders(session, unit)
        if not leaders:
            return 0
        if not sink.claim(session, WEEKLY, unit_code, period, worker=worker, now=now):
            return 0
        for leader in leaders:
            report = build_weekly(session, unit, leader, now, ctx.settings.tz)
            sink.deliver(
                ctx,
                kind="report",
                to=leader.email,
                template="overdue_weekly",
                file_stem=f"overdue-weekly-{unit_code}-{period}-{leader.email.split('@')[0]}",
                r=report,
            )
        sink.finish(session, WEEKLY, unit_code, period, now=now)
        sink.commit(ctx)
        return len(leaders)
