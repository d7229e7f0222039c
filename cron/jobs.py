"""Scheduling the reports inside ``vanthu run``, and running one by hand (``vanthu report``).

Jobs (APScheduler cron triggers in the configured zone, Asia/Ho_Chi_Minh):

=====================  =====================================  ==================================================
job                    when it fires                          what it does
=====================  =====================================  ==================================================
``report-digest``      every day at 07:00                     leaders' digests, on working days only (the job
                                                              asks :class:`~models.calendar.WorkCalendar`, so a
                                                              holiday is skipped and a worked Saturday is not)
``report-reminders``   every 30 minutes, 08:00–16:30          reminders, working days 08:00–17:00 only
``report-escalation``  every 15 minutes, day and night        passed hour-based deadlines to the leaders
``report-weekly``      every day at 07:30                     the weekly overdue report, on the first working
                                                              day of the ISO week (or, if missed, the next
                                                              working day of that week)
``report-catch-up``    once, when the scheduler starts        whatever of the above is due now: a worker that
                                                              was down at 07:00 sends that day's digest when it
                                                              comes back — the same day only
=====================  =====================================  ==================================================

Every report is claimed (``models.report_runs``) in the transaction that queues its mail, so with several
workers, a catch-up and the regular job all firing, each goes out exactly once. The job functions read the
time from the app's clock (``app.clock``), so tests move time with a ``FixedClock``; they never raise (a unit
that fails is logged and the next one is tried; its claim is rolled back, so the next run tries it again).

``cron`` does not import ``worker``: the app is anything with the attributes of :class:`ReportApp`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from vanthu.cron.digest import ContextFactory, send_digests
from vanthu.cron.overdue import (
    first_working_day_of_week,
    in_working_hours,
    send_escalations,
    send_reminders,
    send_weekly,
)
from vanthu.cron.sinks import OUTBOX, ReportSink
from vanthu.models.clock import Clock, local_date
from vanthu.models.directory import units_with_own_leaders
from vanthu.models.ports import ReportContext, ReportSettings
from vanthu.models.tables import Unit
from vanthu.models.uow import UnitOfWork

log = logging.getLogger(__name__)

KINDS = ("digest", "weekly", "reminders", "escalation")
KIND_ALIASES = {"overdue": "weekly", "overdue-weekly": "weekly", "reminder": "reminders", "escalations": "escalation"}


class ReportApp(Protocol):
    """What the report jobs need of ``worker.app.App``."""

    @property
    def config(self) -> Any: ...  # units (code, parent), mailboxes (unit …)
    @property
    def clock(self) -> Clock: ...
    @property
    def settings(self) -> ReportSettings: ...
    @property
    def wake_outbox(self) -> Callable[[], None]: ...
    def uow(self) -> UnitOfWork: ...
    def flow_context(self, uow: UnitOfWork, mailbox: Any, *, ledger_id: int | None, sha256: str) -> ReportContext: ...


@dataclass(frozen=True)
class ReportSchedule:
    """When the reports go out (local times in the configured zone)."""

    enabled: bool = True
    digest_time: dt.time = dt.time(7, 0)
    weekly_time: dt.time = dt.time(7, 30)
    work_start: dt.time = dt.time(8, 0)
    work_end: dt.time = dt.time(17, 0)
    reminder_minutes: int = 30
    escalation_minutes: int = 15
    catch_up: bool = True

    def __post_init__(self) -> None:
        for name in ("reminder_minutes", "escalation_minutes"):
            value = getattr(self, name)
            if not 1 <= value <= 60 or 60 % value:
                raise ValueError(f"{name} must divide an hour, not {value}")
        if not self.work_start < self.work_end:
            raise ValueError("work_start must be before work_end")


DEFAULT_SCHEDULE = ReportSchedule()


def worker_name() -> str:
    """``host:pid``, recorded with every claim."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mailbox_for(config: Any, unit_code: str) -> Any:
    """The mailbox a unit's reports come from: its own, else the nearest parent's, else the first one.

    Raises LookupError when the deployment has no mailbox at all.
    """
    mailboxes = list(config.mailboxes)
    if not mailboxes:
        raise LookupError("no mailbox configured: reports have no address to come from")
    parents = {u.code: u.parent for u in config.units}
    code: str | None = unit_code
    seen: set[str] = set()
    while code and code not in seen:
        seen.add(code)
        for mb in mailboxes:
            if mb.unit == code:
                return mb
        code = parents.get(code) or None
    return mailboxes[0]


def context_factory(app: ReportApp) -> ContextFactory:
    """Unit code → a ReportContext in a fresh unit of work, for the mailbox the unit's reports come from."""

    @contextmanager
    def factory(unit_code: str) -> Iterator[ReportContext]:
        mailbox = mailbox_for(app.config, unit_code)
        with app.uow() as uow:
            yield app.flow_context(uow, mailbox, ledger_id=None, sha256="")

    return factory


def _unit_codes(app: ReportApp, *, departments: bool) -> list[str]:
    with app.uow() as uow:
        rows = uow.session.execute(select(Unit.code, Unit.level).order_by(Unit.code)).all()
    return [code for code, level in rows if departments or level != "department"]


def _each(app: ReportApp, what: str, codes: list[str], run: Callable[[str], int]) -> int:
    total = 0
    for code in codes:
        try:
            total += run(code)
        except Exception:  # one unit's failure must not stop the others (its claim is rolled back)
            log.exception("%s for unit %s failed; it will be tried again at the next run", what, code)
    if total:
        log.info("%s: %d mail(s) queued", what, total)
        app.wake_outbox()
    return total


def run_digests(
    app: ReportApp,
    *,
    now: dt.datetime | None = None,
    schedule: ReportSchedule = DEFAULT_SCHEDULE,
    sink: ReportSink = OUTBOX,
) -> int:
    """Send today's digests if today is a working day and it is ``digest_time`` or later; return mails queued.

    Used by the 07:00 job and by the start-up catch-up: only today's digest is ever sent (never a missed day's),
    and the claim makes it once per unit and day.
    """
    now = now or app.clock.now()
    tz, calendar = app.settings.tz, app.settings.calendar
    local = now.astimezone(tz)
    if not calendar.is_working_day(local.date()) or local.time() < schedule.digest_time:
        return 0
    factory, worker = context_factory(app), worker_name()
    with app.uow() as uow:
        codes = units_with_own_leaders(uow.session)
    return _each(
        app, "digest", codes, lambda code: send_digests(factory, code, local.date(), now, sink=sink, worker=worker)
    )


def run_reminders(
    app: ReportApp,
    *,
    now: dt.datetime | None = None,
    schedule: ReportSchedule = DEFAULT_SCHEDULE,
    sink: ReportSink = OUTBOX,
) -> int:
    """Send due reminders for every unit, in working hours only; return mails queued."""
    now = now or app.clock.now()
    if not in_working_hours(now, app.settings.tz, app.settings.calendar, schedule.work_start, schedule.work_end):
        return 0
    factory, worker = context_factory(app), worker_name()
    return _each(
        app,
        "reminders",
        _unit_codes(app, departments=False),
        lambda code: send_reminders(
            factory, code, now, sink=sink, worker=worker, start=schedule.work_start, end=schedule.work_end
        ),
    )


def run_escalations(app: ReportApp, *, now: dt.datetime | None = None, sink: ReportSink = OUTBOX) -> int:
    """Escalate every passed hour-based deadline, at any time; return mails queued."""
    now = now or app.clock.now()
    factory, worker = context_factory(app), worker_name()
    return _each(
        app,
        "escalation",
        _unit_codes(app, departments=False),
        lambda code: send_escalations(factory, code, now, sink=sink, worker=worker),
    )


def run_weekly(
    app: ReportApp,
    *,
    now: dt.datetime | None = None,
    schedule: ReportSchedule = DEFAULT_SCHEDULE,
    sink: ReportSink = OUTBOX,
) -> int:
    """Send this ISO week's overdue reports on its first working day from ``weekly_time`` (or, if that was
    missed, on a later working day of the same week); return mails queued."""
    now = now or app.clock.now()
    tz, calendar = app.settings.tz, app.settings.calendar
    local = now.astimezone(tz)
    today = local.date()
    first = first_working_day_of_week(today, calendar)
    if first is None or not calendar.is_working_day(today) or today < first:
        return 0
    if today == first and local.time() < schedule.weekly_time:
        return 0
    factory, worker = context_factory(app), worker_name()
    with app.uow() as uow:
        codes = units_with_own_leaders(uow.session)
    return _each(
        app, "weekly report", codes, lambda code: send_weekly(factory, code, today, now, sink=sink, worker=worker)
    )


def catch_up(
    app: ReportApp,
    *,
    now: dt.datetime | None = None,
    schedule: ReportSchedule = DEFAULT_SCHEDULE,
    sink: ReportSink = OUTBOX,
) -> int:
    """At start-up: whatever is due now — escalations, today's digest, this week's report, reminders."""
    now = now or app.clock.now()
    return (
        run_escalations(app, now=now, sink=sink)
        + run_digests(app, now=now, schedule=schedule, sink=sink)
        + run_weekly(app, now=now, schedule=schedule, sink=sink)
        + run_reminders(app, now=now, schedule=schedule, sink=sink)
    )


def schedule(
    scheduler: Any, app: ReportApp, config: ReportSchedule | None = None, *, sink: ReportSink = OUTBOX
) -> None:
    """Register the report jobs (and the start-up catch-up) on an APScheduler 3 ``scheduler``.

    Triggers are in the app's time zone. Every job coalesces missed runs into one, runs one instance at a
    time, and reads the time from ``app.clock`` when it runs. Nothing is registered when ``config.enabled``
    is false. Every job writes through ``sink`` (the outbox unless the caller says otherwise).
    """
    cfg = config or DEFAULT_SCHEDULE
    if not cfg.enabled:
        return
    tz = app.settings.tz
    common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    scheduler.add_job(
        run_digests,
        CronTrigger(hour=cfg.digest_time.hour, minute=cfg.digest_time.minute, timezone=tz),
        args=[app],
        kwargs={"schedule": cfg, "sink": sink},
        id="report-digest",
        misfire_grace_time=3600,
        **common,
    )
    last_hour = (dt.datetime.combine(dt.date(2000, 1, 1), cfg.work_end) - dt.timedelta(minutes=1)).hour
    scheduler.add_job(
        run_reminders,
        CronTrigger(minute=f"*/{cfg.reminder_minutes}", hour=f"{cfg.work_start.hour}-{last_hour}", timezone=tz),
        args=[app],
        kwargs={"schedule": cfg, "sink": sink},
        id="report-reminders",
        misfire_grace_time=cfg.reminder_minutes * 60,
        **common,
    )
    scheduler.add_job(
        run_escalations,
        CronTrigger(minute=f"*/{cfg.escalation_minutes}", timezone=tz),
        args=[app],
        kwargs={"sink": sink},
        id="report-escalation",
        misfire_grace_time=cfg.escalation_minutes * 60,
        **common,
    )
    scheduler.add_job(
        run_weekly,
        CronTrigger(hour=cfg.weekly_time.hour, minute=cfg.weekly_time.minute, timezone=tz),
        args=[app],
        kwargs={"schedule": cfg, "sink": sink},
        id="report-weekly",
        misfire_grace_time=3600,
        **common,
    )
    if cfg.catch_up:
        scheduler.add_job(
            catch_up,
            "date",
            args=[app],
            kwargs={"schedule": cfg, "sink": sink},
            id="report-catch-up",
            misfire_grace_time=None,
            **common,
        )


def _as_of(app: ReportApp, day: dt.date, at: dt.time) -> dt.datetime:
    """Now, when ``day`` is today; otherwise ``at`` local on ``day`` (the moment a scheduled run would see)."""
    now = app.clock.now()
    tz = app.settings.tz
    if local_date(now, tz) == day:
        return now
    return dt.datetime.combine(day, at, tzinfo=tz)


def run_report(app: ReportApp, kind: str, unit_code: str, day: dt.date, sink: ReportSink) -> int:
    """Make report ``kind`` (digest, weekly, reminders, escalation) of ``unit_code`` for the local date ``day``.

    For ``vanthu report <kind> --unit U --date D [--dry-run]``. Deadlines are judged now when ``day`` is
    today, else at the time the scheduled job would have run that day. The caller chooses the ``sink``
    (``cron.sinks``): with ``OUTBOX`` the mail is queued and the report claimed as the scheduled job would (a
    report already sent for that period is not sent again: 0 is returned); with a ``DirectorySink`` (``--dry-run
    DIR``) nothing is claimed or queued and each mail's text (``.txt``, with To and Subject lines) and HTML
    (``.html``) are written there. Returns the number of mails. Raises
    ValueError for an unknown kind and LookupError for an unknown unit. The digest and the weekly report are
    made whatever the day; reminders keep to working hours (none on a day off).
    """
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")
    factory, worker = context_factory(app), worker_name()
    cfg = DEFAULT_SCHEDULE
    if kind == "digest":
        count = send_digests(factory, unit_code, day, _as_of(app, day, cfg.digest_time), sink=sink, worker=worker)
    elif kind == "weekly":
        count = send_weekly(factory, unit_code, day, _as_of(app, day, cfg.weekly_time), sink=sink, worker=worker)
    elif kind == "reminders":
        now = _as_of(app, day, cfg.work_start)
        count = send_reminders(
            factory, unit_code, now, sink=sink, worker=worker, start=cfg.work_start, end=cfg.work_end
        )
    else:
        count = send_escalations(factory, unit_code, _as_of(app, day, dt.time(23, 59)), sink=sink, worker=worker)
    if count and sink.queues:
        app.wake_outbox()
    return count
