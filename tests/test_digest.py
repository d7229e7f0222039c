"""The leaders' daily digest and exactly-once report runs, on SQLite and on PostgreSQL.

The data are made the way an office makes them, through the real processor with a frozen clock: police
documents arriving signed (one under an untrusted root), a mail without a PDF that goes to quarantine, routing
rules with legal deadlines (12 hours, 3 and 7 days), leaders assigning by reply (``Giao``, ``Hạn``), numbers
taken and cancelled by ``Lấy số`` / ``Hủy số``. The digest of Monday 23/11/2026 07:00 (Tuesday 24/11 is a day
off, Ngày Văn hóa Việt Nam) is compared with a golden file (``tests/golden/digest_vksqn.txt``), and its HTML is
rendered by headless Chromium into a PNG that must not be blank.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.flowkit import documents, outbox, rows, send
from tests.harness.tools import ensure_chromium, screenshot
from tests.support import LEADER, OFFICER, OFFICER2, VN, incoming, request, vn_time
from vanthu.cron import jobs
from vanthu.cron.digest import build_digest, digest_period, send_digests
from vanthu.cron.sinks import OUTBOX, DirectorySink
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models import report_runs
from vanthu.models.clock import FixedClock
from vanthu.models.directory import own_leaders, unit_by_code
from vanthu.models.incoming import IncomingParticulars, add_assignment, incoming_register, register_incoming
from vanthu.models.tables import Assignment, Document, OutboxMessage, ReportRun
from vanthu.worker.app import App

GOLDEN = Path(__file__).resolve().parent / "golden"
POLICE = "pc01@congan.quangninh.gov.vn"
UBND = "vanphong@ubnd.quangninh.gov.vn"
DEPUTY = "pvt.minh@vksquangninh.gov.vn"
P2_HEAD = "truongphong.p2@vksquangninh.gov.vn"
KV1_LEADER = "vientruong.kv1@vksquangninh.gov.vn"
MONDAY = dt.date(2026, 11, 23)
MONDAY_7 = vn_time(2026, 11, 23, 7, 0)


# --- the office's week, through the real flows ---------------------------------------------------------------


def _arrive(app: App, clock: FixedClock, at: dt.datetime, pdf: bytes, *, sender: str = POLICE) -> Document:
    clock.set(at)
    [result] = send(app, incoming(sender, "Gửi văn bản", [("vb.pdf", pdf)]))
    assert result.outcome == "intake.registered", result.outcome
    return documents(app)[-1]


def _reply(app: App, clock: FixedClock, at: dt.datetime, sender: str, doc: Document, body: str) -> None:
    clock.set(at)
    [result] = send(app, request(sender, f"Re: [{doc.tag}] Văn bản đến", body))
    assert result.outcome == "reply.assigned", result.outcome


def _command(app: App, clock: FixedClock, at: dt.datetime, sender: str, subject: str, body: str) -> str:
    clock.set(at)
    [result] = send(app, request(sender, subject, body))
    return result.outcome


def office_week(app: App, clock: FixedClock, pki: TestPki) -> dict[str, Document]:
    """The week before Monday 23/11/2026, as documents, replies and commands; returns the documents by role."""
    docs: dict[str, Document] = {}
    docs["extension"] = _arrive(  # routed to P2 by rule: 7 days, not rolled → 23:59 17/11; never given to a person
        app,
        clock,
        vn_time(2026, 11, 10, 10, 0),
        pdfkit.valid(pki, DocText(number="31/CSĐT", title="Về việc đề nghị gia hạn thời hạn tạm giam để điều tra")),
    )
    docs["verify"] = _arrive(  # no rule: the leader gives it to Bình with a deadline of 19/11 → overdue
        app,
        clock,
        vn_time(2026, 11, 16, 10, 0),
        pdfkit.valid(
            pki, DocText(doc_type="THÔNG BÁO", number="77/TB-CSĐT", title="Về việc kết quả xác minh nguồn tin")
        ),
    )
    _reply(app, clock, vn_time(2026, 11, 16, 11, 0), LEADER, docs["verify"], "Giao: Lê Văn Bình\nHạn: 19/11")
    docs["prosecute"] = _arrive(  # rule: 3 days → Saturday 21/11 (Điều 134: not moved past the weekend); Lan
        app, clock, vn_time(2026, 11, 18, 9, 0), pdfkit.valid(pki)
    )
    _reply(app, clock, vn_time(2026, 11, 18, 10, 0), LEADER, docs["prosecute"], "Giao: Phạm Thị Lan")
    docs["meeting"] = _arrive(  # waits for the leaders
        app,
        clock,
        vn_time(2026, 11, 19, 16, 0),
        pdfkit.valid(pki, DocText(doc_type="GIẤY MỜI", number="12/GM-CSĐT", title="Về việc họp liên ngành")),
    )
    docs["documents"] = _arrive(  # given to Lan with a deadline on Wednesday 25/11 (Tuesday is a day off)
        app,
        clock,
        vn_time(2026, 11, 20, 8, 30),
        pdfkit.valid(
            pki, DocText(doc_type="THÔNG BÁO", number="80/TB-CSĐT", title="Về việc đề nghị cung cấp tài liệu")
        ),
    )
    _reply(
        app,
        clock,
        vn_time(2026, 11, 20, 9, 0),
        DEPUTY,
        docs["documents"],
        "Giao: ksv.lan@vksquangninh.gov.vn\nHạn: 25/11",
    )
    assert _command(
        app, clock, vn_time(2026, 11, 20, 9, 30), OFFICER, "Lấy số: Báo cáo kết quả kiểm sát việc tạm giữ", "Loại: BC"
    ).startswith("number.")
    assert _command(
        app, clock, vn_time(2026, 11, 20, 10, 0), OFFICER2, "Lấy số: Báo cáo tình hình án tồn", "Loại: BC"
    ).startswith("number.")
    assert _command(
        app, clock, vn_time(2026, 11, 20, 11, 0), OFFICER2, "Hủy số 02/BC-VKSQN", "Lý do: Gộp vào báo cáo tháng."
    ).startswith("cancel")
    docs["citizens"] = _arrive(  # urgent, signed under an unknown root: waits for the leaders, signature warning
        app,
        clock,
        vn_time(2026, 11, 20, 15, 0),
        pdfkit.untrusted(
            pki,
            DocText(
                authority="UBND TỈNH QUẢNG NINH",
                issuer="VĂN PHÒNG",
                number="88/UBND-NC",
                doc_type="CÔNG VĂN",
                title="V/v phối hợp tiếp công dân",
                urgency="KHẨN",
                case_code="",
            ),
        ),
        sender=UBND,
    )
    clock.set(vn_time(2026, 11, 21, 9, 30))
    [quarantined] = send(app, request(POLICE, "Đề nghị phối hợp", "Nội dung trong thư."))
    assert quarantined.outcome == "quarantined.no-pdf"
    docs["arrest"] = _arrive(  # Hỏa tốc, 12 hours from Sunday 20:00 → Monday 08:00, routed to P2
        app,
        clock,
        vn_time(2026, 11, 22, 20, 0),
        pdfkit.valid(
            pki,
            DocText(
                number="45/CSĐT",
                doc_type="CÔNG VĂN",
                title="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
                urgency="HỎA TỐC",
            ),
        ),
    )
    return docs


@pytest.fixture
def week(intake_app: App, clock: FixedClock, pki: TestPki) -> dict[str, Document]:
    docs = office_week(intake_app, clock, pki)
    clock.set(MONDAY_7)
    return docs


def _digest_text(app: App, email: str = LEADER, unit: str = "VKSQN", day: dt.date = MONDAY) -> tuple[str, str, str]:
    with app.uow() as uow:
        s = uow.session
        u = unit_by_code(s, unit)
        [leader] = [p for p in own_leaders(s, u) if p.email == email]
        digest = build_digest(s, u, leader, day, app.clock.now(), app.settings.tz, app.settings.calendar)
    mail = app.templates.render("digest", tag=None, mailbox_address="vanthu@vksquangninh.gov.vn", d=digest)
    return mail.subject, mail.text, mail.html


def _particulars(summary: str, *, urgency: str = "", issuer: str = "Công an tỉnh") -> IncomingParticulars:
    """What a directly inserted incoming document says (for data no flow makes: another unit's mailbox, bulk)."""
    return IncomingParticulars(
        issuer=issuer,
        orig_number="",
        orig_date=None,
        type_key="TB",
        type_name="Thông báo",
        summary=summary,
        urgency=urgency,
        case_ref="",
        sender_email="",
        paper=False,
    )


def _digests(app: App) -> list[OutboxMessage]:
    return [m for m in outbox(app) if m.kind == "digest"]


# --- exactly once -------------------------------------------------------------------------------------------


def test_claim_is_true_for_one_caller_only(app: App) -> None:
    now = app.clock.now()
    with app.uow() as uow:
        assert report_runs.claim(uow.session, "digest", "VKSQN", "2026-11-23", "w1", now=now) is True
        assert report_runs.claim(uow.session, "digest", "VKSQN", "2026-11-23", "w1", now=now) is False
        uow.commit()
    with app.uow() as uow:
        assert report_runs.claim(uow.session, "digest", "VKSQN", "2026-11-23", "w2", now=now) is False
        assert report_runs.claim(uow.session, "digest", "VKSQN", "2026-11-24", "w2", now=now) is True
        assert report_runs.claim(uow.session, "digest", "KV1", "2026-11-23", "w2", now=now) is True
        report_runs.finish(uow.session, "digest", "KV1", "2026-11-23", now=now)
        uow.commit()
    with app.uow() as uow:  # a rolled-back claim leaves the period free
        assert report_runs.claim(uow.session, "overdue-weekly", "VKSQN", "2026-W48", "w3", now=now) is True
        uow.rollback()
    with app.uow() as uow:
        assert report_runs.claim(uow.session, "overdue-weekly", "VKSQN", "2026-W48", "w4", now=now) is True
        uow.commit()
    runs = {(r.kind, r.unit_code, r.period): r for r in rows(app, ReportRun)}
    assert set(runs) == {
        ("digest", "VKSQN", "2026-11-23"),
        ("digest", "VKSQN", "2026-11-24"),
        ("digest", "KV1", "2026-11-23"),
        ("overdue-weekly", "VKSQN", "2026-W48"),
    }
    assert runs[("digest", "VKSQN", "2026-11-23")].worker == "w1"
    assert runs[("overdue-weekly", "VKSQN", "2026-W48")].worker == "w4"
    assert runs[("digest", "KV1", "2026-11-23")].finished_at == now
    assert runs[("digest", "VKSQN", "2026-11-23")].finished_at is None


def test_concurrent_claims_one_winner(app: App) -> None:
    """Eight threads claim the same period at once, each in its own transaction: exactly one wins."""
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def contender(i: int) -> None:
        barrier.wait(timeout=30)
        with app.uow() as uow:
            won = report_runs.claim(uow.session, "digest", "VKSQN", "2026-11-25", f"t{i}", now=app.clock.now())
            uow.commit()
        with lock:
            results.append(won)

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False] * 7 + [True]
    assert len(rows(app, ReportRun)) == 1


def test_periods() -> None:
    assert report_runs.day_period(dt.date(2026, 11, 23)) == "2026-11-23"
    assert report_runs.week_period(dt.date(2026, 11, 23)) == "2026-W48"
    assert report_runs.week_period(dt.date(2027, 1, 1)) == "2026-W53"  # ISO year
    assert report_runs.slot_period(vn_time(2026, 11, 23, 9, 29), VN) == "2026-11-23T09:15"
    assert report_runs.slot_period(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), VN) == "2026-11-23T09:00"
    with pytest.raises(ValueError):
        report_runs.claim(None, "digest", "X" * 33, "p", "w", now=vn_time(2026, 11, 23, 7, 0))  # type: ignore[arg-type]


def test_digest_run_twice_for_a_day_sends_once(intake_app: App, clock: FixedClock) -> None:
    app = intake_app
    clock.set(MONDAY_7)
    factory = jobs.context_factory(app)
    assert (
        send_digests(factory, "VKSQN", MONDAY, clock.now(), sink=OUTBOX, worker="a") == 2
    )  # two leaders of the province
    assert send_digests(factory, "VKSQN", MONDAY, clock.now(), sink=OUTBOX, worker="b") == 0
    assert sorted(m.to_addr for m in _digests(app)) == [DEPUTY, LEADER]
    [run] = rows(app, ReportRun)
    assert (run.kind, run.unit_code, run.period, run.worker) == ("digest", "VKSQN", "2026-11-23", "a")
    assert run.finished_at == clock.now()
    assert all(m.auto_submitted == "auto-generated" and m.state == "pending" for m in _digests(app))


def test_scheduled_digest_only_on_working_days_from_seven(intake_app: App, clock: FixedClock) -> None:
    app = intake_app
    for at in (
        vn_time(2026, 11, 23, 6, 59),  # Monday, before 07:00
        vn_time(2026, 11, 21, 7, 0),  # Saturday
        vn_time(2026, 11, 24, 7, 0),  # Tuesday 24/11: Ngày Văn hóa Việt Nam
        vn_time(2027, 2, 8, 7, 0),  # Monday of Tết 2027 (Mùng ba)
    ):
        clock.set(at)
        assert jobs.run_digests(app) == 0, at
    assert _digests(app) == [] and rows(app, ReportRun) == []
    clock.set(vn_time(2027, 2, 11, 7, 0))  # first working day after Tết
    assert jobs.run_digests(app) == 5  # VKSQN ×2, VP, P2, KV1 leaders
    assert {r.period for r in rows(app, ReportRun)} == {"2027-02-11"}
    first = next(m for m in _digests(app) if m.to_addr == LEADER)
    assert "không có việc mới" in first.subject  # nothing happened: a one-line digest
    assert first.body_text.count("\n") == 1


def test_catch_up_sends_todays_missed_digest_never_yesterdays(intake_app: App, clock: FixedClock) -> None:
    app = intake_app
    clock.set(vn_time(2026, 11, 25, 9, 0))  # the worker comes back at 09:00 on Wednesday
    assert jobs.catch_up(app) >= 5
    assert {r.period for r in rows(app, ReportRun) if r.kind == "digest"} == {"2026-11-25"}
    clock.set(vn_time(2026, 11, 25, 10, 0))  # and again (a restart, or a second worker): nothing more
    assert jobs.run_digests(app) == 0
    sent = len(_digests(app))
    clock.set(vn_time(2026, 11, 27, 9, 0))  # down all Thursday, back at 09:00 on Friday
    assert jobs.catch_up(app) >= 5
    periods = sorted(r.period for r in rows(app, ReportRun) if r.kind == "digest")
    assert periods == ["2026-11-25"] * 4 + ["2026-11-27"] * 4  # one run per unit; Thursday's is never sent
    assert len(_digests(app)) == 2 * sent


# --- what a digest says ---------------------------------------------------------------------------------------


def test_golden_digest(intake_app: App, week: dict[str, Document], tmp_path: Path) -> None:
    app = intake_app
    subject, text, html = _digest_text(app)
    for golden, produced in (
        (GOLDEN / "digest_vksqn.txt", f"Subject: {subject}\n\n{text}"),
        (GOLDEN / "digest_vksqn.html", html),
    ):
        if os.environ.get("VANTHU_UPDATE_GOLDEN"):  # after a deliberate change: rewrite, then review the diff
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(produced, encoding="utf-8")
        assert produced == golden.read_text(encoding="utf-8"), golden.name
    for name in ("Lê Văn Bình", "Đỗ Quang Tuấn", "Phòng Thực hành quyền công tố"):
        assert name in text and name in html
    assert "<script" not in html.lower() and "<img" not in html.lower() and "http" not in html.lower()


def test_digest_sections(intake_app: App, week: dict[str, Document]) -> None:
    app = intake_app
    with app.uow() as uow:
        s = uow.session
        unit = unit_by_code(s, "VKSQN")
        leader = next(p for p in own_leaders(s, unit) if p.email == LEADER)
        d = build_digest(s, unit, leader, MONDAY, MONDAY_7, app.settings.tz, app.settings.calendar)
    assert (d.since, d.until) == (dt.date(2026, 11, 20), dt.date(2026, 11, 22))  # Friday to Sunday
    assert d.incoming_total == 3 and dict(d.incoming_by_urgency) == {"Hỏa tốc": 1, "Khẩn": 1, "Thường": 1}
    assert [w.tag for w in d.waiting.items] == [week["meeting"].tag, week["citizens"].tag]  # oldest first
    assert [t.tag for t in d.urgent.items] == [week["arrest"].tag] and d.urgent.items[0].hour_based
    assert d.urgent.items[0].status == "còn 1 giờ"
    # The decision to prosecute was due on Saturday 21/11 (Điều 134: a day limit is not moved past a day off).
    assert not d.due_today.items
    assert d.next_day == dt.date(2026, 11, 25) and [t.tag for t in d.due_next.items] == [week["documents"].tag]
    assert [t.tag for t in d.overdue.items] == [week["extension"].tag, week["verify"].tag, week["prosecute"].tag]
    assert [(t.assignee, t.status) for t in d.overdue.items] == [
        ("Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự", "trễ hạn 6 ngày"),
        ("Lê Văn Bình", "trễ hạn 4 ngày"),
        ("Phạm Thị Lan", "trễ hạn 2 ngày"),
    ]
    assert [(g.name, g.count, g.late) for g in d.overdue_units] == [
        ("Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự", 3, "trễ hạn 6 ngày")
    ]
    assert [(g.name, g.note) for g in d.overdue_people.items] == [
        ("Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự", "chưa giao cá nhân; lãnh đạo: Đỗ Quang Tuấn"),
        ("Lê Văn Bình", ""),
        ("Phạm Thị Lan", ""),
    ]
    assert (d.numbers_given, d.numbers_cancelled) == (2, 1)
    assert [(n.action, n.number) for n in d.numbers.items] == [("cấp", "01/BC-VKSQN"), ("hủy", "02/BC-VKSQN")]
    assert [s.tag for s in d.signature_issues.items] == [week["citizens"].tag]
    assert d.quarantine.total == 1 and d.quarantine.items[0].sender == POLICE
    assert [(t.day.day, t.count) for t in d.trend] == [(16, 1), (17, 0), (18, 1), (19, 1), (20, 2), (21, 0), (22, 1)]
    assert max(t.percent for t in d.trend) == 100 and not d.empty


def test_department_and_regional_digests(intake_app: App, week: dict[str, Document]) -> None:
    app = intake_app
    # P2's head sees the work held by the department and its people, and what waits for him to give out.
    _, text, _ = _digest_text(app, P2_HEAD, "P2")
    assert str(week["extension"].tag) in text and "Lê Văn Bình" in text and "CHỜ ĐỒNG CHÍ PHÂN CÔNG: 2" in text
    assert str(week["meeting"].tag) not in text  # the province's leaders decide on that one
    # A regional procuracy's document rolls up into the province's digest, not the other way round.
    with app.uow() as uow:
        s = uow.session
        kv1 = unit_by_code(s, "KV1")
        register = incoming_register(s, kv1)
        assert register is not None
        doc = register_incoming(
            s,
            register=register,
            particulars=_particulars("Thông báo về việc tạm giữ", issuer="Công an huyện Vân Đồn"),
            files=[],
            actor="test",
            at=vn_time(2026, 11, 21, 10, 0),
            tz=VN,
        )
        add_assignment(s, doc, role="decide", unit=kv1, actor="vanthu", at=vn_time(2026, 11, 21, 10, 0), tz=VN)
        uow.commit()
    _, province, _ = _digest_text(app)
    assert "VĂN BẢN ĐẾN TỪ 20/11 ĐẾN 22/11/2026: 4 văn bản" in province
    assert "Viện kiểm sát nhân dân khu vực 1 - Quảng Ninh: 1" in province
    assert str(doc.tag) not in province  # waiting for KV1's own leader, not the province's
    _, regional, _ = _digest_text(app, KV1_LEADER, "KV1")
    assert str(doc.tag) in regional and str(week["meeting"].tag) not in regional


def test_statements_do_not_grow_with_documents(intake_app: App, week: dict[str, Document]) -> None:
    app = intake_app

    def statements() -> int:
        count = 0

        def tick(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(app.engine, "before_cursor_execute", tick)
        try:
            _digest_text(app)
        finally:
            event.remove(app.engine, "before_cursor_execute", tick)
        return count

    before = statements()
    with app.uow() as uow:  # 60 more documents, each overdue with a person, an urgent deadline, a waiting leader
        s = uow.session
        unit = unit_by_code(s, "VKSQN")
        register = incoming_register(s, unit)
        assert register is not None
        lan = s.execute(select(Assignment.person_id).where(Assignment.person_id.is_not(None))).scalars().first()
        for i in range(60):
            at = vn_time(2026, 11, 16 + i % 7, 8, i % 60)
            doc = register_incoming(
                s,
                register=register,
                particulars=_particulars(f"Văn bản thử {i}", urgency="Khẩn" if i % 2 else ""),
                files=[],
                actor="test",
                at=at,
                tz=VN,
            )
            a = add_assignment(s, doc, role="main", actor="test", at=at, tz=VN, deadline_at=at + dt.timedelta(days=1))
            a.person_id = lan
            add_assignment(s, doc, role="decide", unit=unit, actor="test", at=at, tz=VN)
        uow.commit()
    after = statements()
    _, text, _ = _digest_text(app)
    assert "… và" in text  # lists are capped
    assert before == after, (before, after)


def test_digest_period_follows_the_calendar(intake_app: App) -> None:
    cal = intake_app.settings.calendar
    assert digest_period(dt.date(2026, 11, 23), cal) == (dt.date(2026, 11, 20), dt.date(2026, 11, 22))
    assert digest_period(dt.date(2026, 11, 25), cal) == (dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    assert digest_period(dt.date(2027, 2, 11), cal) == (dt.date(2027, 2, 3), dt.date(2027, 2, 10))  # all of Tết


# --- the HTML, as a person sees it -------------------------------------------------------------------------------


def _png_pixels(path: Path) -> tuple[int, int, int]:
    """(pixels, non-white pixels, strongly red pixels) of a PNG."""
    from PIL import Image

    with Image.open(path) as img:
        data = img.convert("RGB").tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    non_white = sum(1 for r, g, b in pixels if r < 240 or g < 240 or b < 240)
    red = sum(1 for r, g, b in pixels if r > 150 and g < 80 and b < 80)
    return len(pixels), non_white, red


def test_digest_html_renders_in_chromium(intake_app: App, week: dict[str, Document], tmp_path: Path) -> None:
    reason = ensure_chromium()
    if reason is not None:
        pytest.skip(reason)
    _, _, html = _digest_text(intake_app)
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / "digest.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    screenshot(page, png, profile)
    if os.environ.get("VANTHU_KEEP_SCREENSHOT"):  # to look at it: VANTHU_KEEP_SCREENSHOT=/tmp/digest.png
        kept = Path(os.environ["VANTHU_KEEP_SCREENSHOT"])
        page.replace(kept.with_suffix(".html"))
        png = png.replace(kept)
    total, non_white, red = _png_pixels(png)
    assert non_white > total // 50, (non_white, total)  # text, tables and bars, not a blank page
    assert red > 200  # the overdue card and the late names are red


# --- the CLI entry point --------------------------------------------------------------------------------------------


def test_run_report_dry_run_writes_files_and_sends_nothing(
    intake_app: App, week: dict[str, Document], tmp_path: Path
) -> None:
    app = intake_app
    before = len(outbox(app))
    out = tmp_path / "dry"
    assert jobs.run_report(app, "digest", "VKSQN", MONDAY, DirectorySink(out)) == 2
    assert len(outbox(app)) == before and rows(app, ReportRun) == []
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "digest-VKSQN-2026-11-23-pvt.minh.html",
        "digest-VKSQN-2026-11-23-pvt.minh.txt",
        "digest-VKSQN-2026-11-23-vientruong.html",
        "digest-VKSQN-2026-11-23-vientruong.txt",
    ]
    text = (out / "digest-VKSQN-2026-11-23-vientruong.txt").read_text(encoding="utf-8")
    assert text.startswith(f"To: {LEADER}\nSubject: Tóm tắt công việc ngày 23/11/2026")
    assert "Lê Văn Bình" in text
    assert jobs.run_report(app, "digest", "VKSQN", MONDAY, OUTBOX) == 2  # for real, once
    assert jobs.run_report(app, "digest", "VKSQN", MONDAY, OUTBOX) == 0
    with pytest.raises(ValueError):
        jobs.run_report(app, "nonsense", "VKSQN", MONDAY, OUTBOX)
    with pytest.raises(LookupError):
        jobs.run_report(app, "digest", "NOPE", MONDAY, DirectorySink(out))


def test_mailbox_for_falls_back_to_the_parent(intake_app: App) -> None:
    cfg = intake_app.config
    assert jobs.mailbox_for(cfg, "KV1").unit == "VKSQN"
    assert jobs.mailbox_for(cfg, "P2").unit == "VKSQN"
