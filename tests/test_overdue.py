"""Reminders, escalation and the weekly overdue report under a frozen clock, on SQLite and on PostgreSQL.

Documents arrive through the real processor (signed PDFs from the test PKI) and leaders assign them by reply,
so the deadlines are those the routing rules and ``Hạn:`` give. The clock is then walked in the scheduler's
steps — every 30 minutes for reminders, every 15 for escalation — across a weekend, Ngày Văn hóa Việt Nam
(24/11/2026) and Tết 2027 (04/02–10/02/2027), and the test records exactly when mail went out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tests.flowkit import outbox, rows, send
from tests.support import LEADER, OFFICER, VN, request, vn_time
from tests.test_digest import DEPUTY, P2_HEAD, _arrive, _reply
from vanthu.cron import jobs
from vanthu.cron.overdue import first_working_day_of_week, in_working_hours
from vanthu.cron.sinks import DirectorySink
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.clock import FixedClock
from vanthu.models.tables import Document, OutboxMessage, ReportRun
from vanthu.worker.app import App

ARREST = DocText(
    number="45/CSĐT",
    doc_type="CÔNG VĂN",
    title="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
    urgency="HỎA TỐC",
)


def _notice(pki: TestPki, number: str, title: str) -> bytes:
    return pdfkit.valid(pki, DocText(doc_type="THÔNG BÁO", number=number, title=title))


def _walk(
    clock: FixedClock, start: dt.datetime, end: dt.datetime, step: dt.timedelta, run: Callable[[], int]
) -> dict[dt.datetime, int]:
    """Run ``run`` at every ``step`` from ``start`` (inclusive) to ``end`` (exclusive); the times it sent mail."""
    sent: dict[dt.datetime, int] = {}
    at = start
    while at < end:
        clock.set(at)
        n = run()
        if n:
            sent[at] = n
        at += step
    return sent


def _mail(app: App, kind: str) -> list[OutboxMessage]:
    return [m for m in outbox(app) if m.kind == kind]


HALF_HOUR = dt.timedelta(minutes=30)
QUARTER = dt.timedelta(minutes=15)


def test_working_hours_and_first_working_day(app: App) -> None:
    cal = app.settings.calendar
    assert in_working_hours(vn_time(2026, 11, 27, 8, 0), VN, cal)
    assert not in_working_hours(vn_time(2026, 11, 27, 7, 59), VN, cal)
    assert not in_working_hours(vn_time(2026, 11, 27, 17, 0), VN, cal)
    assert not in_working_hours(vn_time(2026, 11, 28, 10, 0), VN, cal)  # Saturday
    assert not in_working_hours(vn_time(2026, 11, 24, 10, 0), VN, cal)  # Ngày Văn hóa Việt Nam
    assert in_working_hours(dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC), VN, cal)  # 08:00 in Hà Nội
    assert first_working_day_of_week(dt.date(2026, 11, 26), cal) == dt.date(2026, 11, 23)
    assert first_working_day_of_week(dt.date(2027, 2, 9), cal) == dt.date(2027, 2, 11)  # the week of Tết


def test_reminders_across_a_weekend(intake_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = intake_app
    notice = _arrive(app, clock, vn_time(2026, 11, 25, 9, 0), _notice(pki, "90/TB-CSĐT", "Về việc xác minh tin báo"))
    _reply(app, clock, vn_time(2026, 11, 25, 9, 30), LEADER, notice, "Giao: Phạm Thị Lan\nHạn: 30/11")
    # A decision to prosecute, 3 days from Thursday → Sunday 29/11, not moved to Monday (Điều 134); held by P2.
    prosecute = _arrive(app, clock, vn_time(2026, 11, 26, 9, 0), pdfkit.valid(pki))
    sent = _walk(
        clock,
        vn_time(2026, 11, 26, 9, 30),
        vn_time(2026, 11, 27, 12, 0),
        HALF_HOUR,
        lambda: jobs.run_reminders(app),
    )
    assert sent == {vn_time(2026, 11, 27, 8, 0): 2}  # Friday: the last working day before Monday's deadlines
    friday = _mail(app, "reminder")
    assert sorted((m.to_addr, m.subject.split("]")[0]) for m in friday) == [
        (OFFICER, f"[{notice.tag}"),
        (P2_HEAD, f"[{prosecute.tag}"),
    ]
    assert all("Nhắc hạn" in m.subject for m in friday)
    due_in_subject = {m.to_addr: m.subject for m in friday}
    assert "hạn 23:59 30/11/2026" in due_in_subject[OFFICER]
    assert "hạn 23:59 29/11/2026" in due_in_subject[P2_HEAD]  # Friday is its last working day too
    assert all(m.auto_submitted == "auto-generated" for m in friday)
    clock.set(vn_time(2026, 11, 27, 14, 0))  # Lan finishes hers
    [done] = send(app, request(OFFICER, f"Re: [{notice.tag}] Nhắc hạn", "Xong"))
    assert done.outcome == "reply.done"
    sent = _walk(
        clock,
        vn_time(2026, 11, 27, 14, 30),
        vn_time(2026, 12, 1, 0, 0),
        HALF_HOUR,
        lambda: jobs.run_reminders(app),
    )
    # Nothing at night or at the weekend; on Monday the decision is already overdue (its last day was Sunday):
    # the digest reports it, and no "due today" reminder is sent for it.
    assert sent == {}
    p2 = next(m for m in friday if m.to_addr == P2_HEAD)
    assert "chưa giao cho cá nhân" in p2.body_text and "Giao: <người>" in p2.body_text
    keys = sorted((r.unit_code, r.period) for r in rows(app, ReportRun) if r.kind == "reminder")
    assert len(keys) == 2 and {p for _, p in keys} == {"2026-11-27"}


def test_reminders_and_escalation_around_tet_2027(intake_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = intake_app
    notice = _arrive(app, clock, vn_time(2027, 2, 1, 9, 0), _notice(pki, "5/TB-CSĐT", "Về việc xác minh tin báo"))
    _reply(app, clock, vn_time(2027, 2, 1, 10, 0), DEPUTY, notice, "Giao: Phạm Thị Lan\nHạn: 11/02/2027")
    reminders = _walk(
        clock, vn_time(2027, 2, 1, 10, 30), vn_time(2027, 2, 12, 0, 0), HALF_HOUR, lambda: jobs.run_reminders(app)
    )
    # Wednesday 03/02 is the last working day before the deadline (Thursday 04/02 to Wednesday 10/02 are Tết).
    assert reminders == {vn_time(2027, 2, 3, 8, 0): 1, vn_time(2027, 2, 11, 8, 0): 1}
    eve, day = _mail(app, "reminder")
    assert "Nhắc hạn" in eve.subject and "hôm nay là ngày làm việc cuối cùng trước hạn" in eve.body_text
    assert "Hôm nay đến hạn" in day.subject
    # An emergency arrest on the first day of Tết: 12 hours run through the holiday and escalate at once.
    arrest = _arrive(app, clock, vn_time(2027, 2, 6, 10, 0), pdfkit.valid(pki, ARREST))
    escalations = _walk(
        clock, vn_time(2027, 2, 6, 10, 0), vn_time(2027, 2, 7, 0, 0), QUARTER, lambda: jobs.run_escalations(app)
    )
    assert escalations == {vn_time(2027, 2, 6, 22, 0): 3}
    mails = _mail(app, "escalation")
    assert sorted(m.to_addr for m in mails) == sorted([LEADER, DEPUTY, P2_HEAD])
    assert all(m.priority == "urgent" and m.subject.startswith(f"[{arrest.tag}] [QUÁ HẠN]") for m in mails)


def test_twelve_hour_deadline_escalates_on_saturday(intake_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = intake_app
    arrest = _arrive(app, clock, vn_time(2026, 11, 27, 20, 0), pdfkit.valid(pki, ARREST))  # Friday evening
    reminders = _walk(
        clock, vn_time(2026, 11, 27, 20, 0), vn_time(2026, 11, 28, 12, 0), HALF_HOUR, lambda: jobs.run_reminders(app)
    )
    assert reminders == {}  # Friday night and Saturday are outside working hours
    escalations = _walk(
        clock, vn_time(2026, 11, 27, 20, 0), vn_time(2026, 11, 28, 12, 0), QUARTER, lambda: jobs.run_escalations(app)
    )
    assert escalations == {vn_time(2026, 11, 28, 8, 0): 3}  # the moment the 12 hours pass, on a Saturday
    mails = _mail(app, "escalation")
    assert sorted(m.to_addr for m in mails) == sorted([LEADER, DEPUTY, P2_HEAD])
    for m in mails:
        assert m.priority == "urgent" and m.auto_submitted == "auto-generated"
        assert m.subject.startswith(f"[{arrest.tag}] [QUÁ HẠN]") and "hạn 08:00 28/11/2026 đã qua" in m.subject
        assert "Điều 110 khoản 6 BLTTHS 2015" in m.body_text
        assert "Phòng Thực hành quyền công tố" in m.body_text
    [run] = [r for r in rows(app, ReportRun) if r.kind == "escalation"]
    assert run.period == "2026-11-28T08:00"
    # A day-counted deadline passing at night is not escalated (the digest and weekly report speak of it).
    notice = _arrive(app, clock, vn_time(2026, 11, 30, 9, 0), _notice(pki, "91/TB-CSĐT", "Về việc xác minh tin báo"))
    _reply(app, clock, vn_time(2026, 11, 30, 9, 30), LEADER, notice, "Giao: Phạm Thị Lan\nHạn: 01/12")
    later = _walk(
        clock, vn_time(2026, 12, 1, 23, 0), vn_time(2026, 12, 2, 2, 0), QUARTER, lambda: jobs.run_escalations(app)
    )
    assert later == {}


def _done(app: App, clock: FixedClock, at: dt.datetime, doc: Document) -> None:
    clock.set(at)
    [result] = send(app, request(OFFICER, f"Re: [{doc.tag}] Giao xử lý", "Xong"))
    assert result.outcome == "reply.done"


def test_weekly_overdue_report(intake_app: App, clock: FixedClock, pki: TestPki, tmp_path: Path) -> None:
    app = intake_app
    extension = _arrive(  # routed to P2 by rule: 7 days, not rolled → 23:59 17/11
        app,
        clock,
        vn_time(2026, 11, 10, 10, 0),
        pdfkit.valid(pki, DocText(number="31/CSĐT", title="Về việc đề nghị gia hạn thời hạn tạm giam để điều tra")),
    )
    late = {}
    for i, (day, who, due) in enumerate(
        [
            (16, "Lê Văn Bình", "19/11"),
            (16, "Phạm Thị Lan", "20/11"),
            (17, "Phạm Thị Lan", "26/11"),
            (18, "Lê Văn Bình", "27/11"),
        ]
    ):
        doc = _arrive(
            app, clock, vn_time(2026, 11, day, 9, i), _notice(pki, f"{60 + i}/TB-CSĐT", f"Về việc xác minh {i}")
        )
        _reply(app, clock, vn_time(2026, 11, day, 10, i), LEADER, doc, f"Giao: {who}\nHạn: {due}")
        late[i] = doc
    _done(app, clock, vn_time(2026, 11, 25, 15, 0), late[1])  # Lan's first, five days late
    clock.set(vn_time(2026, 11, 30, 7, 29))
    assert jobs.run_weekly(app) == 0
    clock.set(vn_time(2026, 11, 30, 7, 30))
    assert jobs.run_weekly(app) == 5  # the leaders of VKSQN (2), VP, P2 and KV1
    assert jobs.run_weekly(app) == 0
    clock.set(vn_time(2026, 12, 2, 9, 0))  # a catch-up later in the week sends nothing more
    assert jobs.run_weekly(app) == 0
    report = next(m for m in outbox(app) if m.kind == "report" and m.to_addr == LEADER)
    assert report.subject == (
        "Báo cáo việc quá hạn tuần 49/2026 (30/11–06/12/2026) — Viện kiểm sát nhân dân tỉnh Quảng Ninh: 4 việc (tăng 1)"
    )
    text = report.body_text
    assert "Đang quá hạn: 4 việc (cùng thời điểm tuần trước: 3; tăng 1)." in text
    assert "hoàn thành 1 việc có thời hạn, trong đó 1 việc trễ hạn" in text
    people = text.split("THEO CÁ NHÂN")[1].split("CHI TIẾT")[0]
    order = [line.split(". ", 1)[1].split(" (")[0] for line in people.splitlines() if ". " in line]
    assert order == [
        "Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự",  # 17/11, not given to a person
        "Lê Văn Bình",  # 19/11 and 27/11
        "Phạm Thị Lan",  # 26/11
    ]
    assert (
        "Lê Văn Bình (Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự): 2 việc, lâu nhất trễ hạn 11 ngày"
        in (text)
    )
    assert "(tuần trước 3; tăng 1)" in text and str(extension.tag) in text
    assert "Lê Văn Bình" in report.body_html and "Phạm Thị Lan" in report.body_html
    assert {(r.kind, r.period) for r in rows(app, ReportRun) if r.kind == "overdue-weekly"} == {
        ("overdue-weekly", "2026-W49")
    }
    # The CLI's dry run writes the same report to files and claims nothing.
    assert jobs.run_report(app, "weekly", "P2", dt.date(2026, 12, 7), DirectorySink(tmp_path)) == 1
    [txt] = sorted(tmp_path.glob("*.txt"))
    assert txt.name == "overdue-weekly-P2-2026-W50-truongphong.p2.txt"
    assert "Lê Văn Bình" in txt.read_text(encoding="utf-8")


def test_weekly_report_waits_for_the_first_working_day_after_tet(intake_app: App, clock: FixedClock) -> None:
    app = intake_app
    clock.set(vn_time(2027, 2, 8, 7, 30))  # Monday of the week of Tết: a holiday
    assert jobs.run_weekly(app) == 0
    clock.set(vn_time(2027, 2, 11, 7, 30))  # Thursday 11/02: the week's first working day
    assert jobs.run_weekly(app) == 5
    assert {r.period for r in rows(app, ReportRun)} == {"2027-W06"}


def test_schedule_registers_the_jobs(app: App) -> None:
    scheduler = AsyncIOScheduler(timezone=VN)
    jobs.schedule(scheduler, app)
    by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(by_id) == {"report-digest", "report-reminders", "report-escalation", "report-weekly", "report-catch-up"}

    def next_fire(job_id: str, after: dt.datetime) -> dt.datetime:
        fire = by_id[job_id].trigger.get_next_fire_time(None, after)
        assert fire is not None
        return fire.astimezone(VN).replace(tzinfo=None)

    saturday = vn_time(2026, 11, 21, 9, 0)
    assert next_fire("report-digest", saturday) == dt.datetime(2026, 11, 22, 7, 0)  # the job checks the calendar
    assert next_fire("report-weekly", saturday) == dt.datetime(2026, 11, 22, 7, 30)
    assert next_fire("report-escalation", vn_time(2026, 11, 21, 9, 1)) == dt.datetime(2026, 11, 21, 9, 15)
    assert next_fire("report-reminders", vn_time(2026, 11, 27, 16, 31)) == dt.datetime(2026, 11, 28, 8, 0)
    assert next_fire("report-reminders", vn_time(2026, 11, 27, 8, 1)) == dt.datetime(2026, 11, 27, 8, 30)
    assert by_id["report-catch-up"].misfire_grace_time is None
    disabled = AsyncIOScheduler(timezone=VN)
    jobs.schedule(disabled, app, jobs.ReportSchedule(enabled=False))
    assert disabled.get_jobs() == []
    with pytest.raises(ValueError):
        jobs.ReportSchedule(reminder_minutes=25)


def test_started_scheduler_catches_up_the_missed_digest(app: App, clock: FixedClock) -> None:
    """A worker started at 09:00 on a Monday sends the digest it missed at 07:00, through APScheduler itself."""
    clock.set(vn_time(2026, 11, 23, 9, 0))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()
        outcome: list[JobExecutionEvent] = []

        def listener(event: JobExecutionEvent) -> None:
            if event.job_id == "report-catch-up":
                outcome.append(event)
                loop.call_soon_threadsafe(finished.set)

        scheduler = AsyncIOScheduler(timezone=VN)
        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        jobs.schedule(scheduler, app)
        scheduler.start()
        try:
            await asyncio.wait_for(finished.wait(), timeout=120)
        finally:
            scheduler.shutdown(wait=False)
        [event] = outcome
        assert event.exception is None, event.traceback
        assert event.retval >= 5

    asyncio.run(main())
    assert sorted(m.to_addr for m in _mail(app, "digest")) == sorted(
        [
            LEADER,
            DEPUTY,
            "chanhvp@vksquangninh.gov.vn",
            P2_HEAD,
            "vientruong.kv1@vksquangninh.gov.vn",
        ]
    )
    assert {r.period for r in rows(app, ReportRun) if r.kind == "digest"} == {"2026-11-23"}
