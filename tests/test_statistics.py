"""``Thống kê``: the statistics of a period as an XLSX by reply, on SQLite and on PostgreSQL.

The period's documents are made the way an office makes them, through the real processor: numbers taken
with ``Lấy số`` and one cancelled with ``Hủy số``, police documents arriving signed, a paper document
registered from a clerk's ``Giấy:`` scan, assignments by a leader's reply (``Giao``, ``Hạn``) and completion
by the officer's ``Xong``. The workbook's totals are then compared with counts taken straight from the
database, and with the figures worked out by hand below.

Until ``Thống kê`` is wired into ``mailflows.dispatch``, an autouse fixture routes subjects starting with it
to :func:`mailflows.stats_request.handle`, everything else to the real dispatcher.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select

from tests.flowkit import documents, replies_to, send
from tests.support import CLERK, LEADER, OFFICER, OFFICER2, VN, incoming, request, vn_time
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows import dispatch, stats_request
from vanthu.mailflows.commands import parse_subject, strip_prefixes
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.clock import FixedClock
from vanthu.models.directory import person_by_email
from vanthu.models.search import searchable_units
from vanthu.models.statistics import Period, compute, descendant_units, parse_period
from vanthu.models.tables import Assignment, AuditEntry, Document, OutboxMessage, Person, Unit
from vanthu.worker import stats_cli
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
KV1_OFFICER = "ksv.kv1.nam@vksquangninh.gov.vn"
KV1_LEADER = "vientruong.kv1@vksquangninh.gov.vn"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOVEMBER = (vn_time(2026, 11, 1), vn_time(2026, 12, 1))

# --- routing «Thống kê» until the dispatcher knows it --------------------------------------------------------

_STATS_SUBJECT = re.compile(r"^\s*(?:thống kê|thong ke)(?![\w])\s*:?\s*(.*)$", re.IGNORECASE)


@pytest.fixture(autouse=True)
def stats_route(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Send ``Thống kê …`` subjects from directory members to the flow, unless dispatch already does."""
    if parse_subject("Thống kê: 11/2026").command is not None:
        yield
        return
    original = dispatch._route

    def route(ctx: FlowContext, msg: ParsedMessage) -> str:
        m = _STATS_SUBJECT.match(strip_prefixes(msg.subject))
        person = person_by_email(ctx.uow.session, msg.sender) if m else None
        if m is None or person is None:
            return original(ctx, msg)
        return stats_request.handle(ctx, msg, person, m.group(1).strip())

    monkeypatch.setattr(dispatch, "_route", route)
    yield


# --- building the period's documents through the real flows --------------------------------------------------


def _incoming(app: App, pki: TestPki, number: str, doc_type: str, title: str) -> Document:
    text = DocText(number=number, doc_type=doc_type, title=title, date=dt.date(2026, 10, 30))
    [result] = send(app, incoming(POLICE, f"Gửi {title.lower()}", [(f"{number[:3]}.pdf", pdfkit.valid(pki, text))]))
    assert result.outcome == "intake.registered"
    return documents(app)[-1]


def _paper(app: App, number: str) -> Document:
    scan = incoming(
        CLERK,
        "Giấy: Công văn của UBND tỉnh về việc phối hợp",
        [("scan.pdf", pdfkit.unsigned(DocText(number=number, doc_type="CÔNG VĂN", title="Về việc phối hợp")))],
        body=f"Số: {number}\nNgày: 02/11/2026\nCơ quan ban hành: UBND tỉnh Quảng Ninh\n",
    )
    [result] = send(app, scan)
    assert result.outcome == "paper.registered"
    return documents(app)[-1]


def _reply(app: App, sender: str, doc: Document, body: str) -> None:
    [result] = send(app, request(sender, f"Re: [{doc.tag}] Văn bản đến", body))
    assert result.outcome in ("reply.assigned", "reply.done"), result.outcome


def _number(app: App, sender: str, title: str, body: str) -> Document:
    [result] = send(app, request(sender, f"Lấy số: {title}", body))
    assert result.outcome == "number.given"
    return documents(app)[-1]


def _build_period(app: App, clock: FixedClock, pki: TestPki) -> None:
    """November 2026 with documents before it; figures worked out by hand in the test below."""
    # Before the period: a number in December 2025 (register year 2026 of the procedural register) and in
    # October 2026, and a police decision in October (routed to P2 by the default rules).
    clock.set(vn_time(2025, 12, 15, 9, 0))
    _number(app, OFFICER, "Quyết định phân công Kiểm sát viên", "Loại: QĐ\nSổ: TT\n")
    clock.set(vn_time(2026, 10, 20, 10, 0))
    _number(app, OFFICER, "Báo cáo công tác tháng 10", "Loại: BC\n")
    clock.set(vn_time(2026, 10, 28, 9, 0))
    _incoming(app, pki, "90/QĐ-CSĐT", "QUYẾT ĐỊNH", "Về việc khởi tố bị can")

    # A: a police notice (no rule matches), given to Lan 2 hours after arrival, done after its deadline.
    clock.set(vn_time(2026, 11, 2, 8, 30))
    a = _incoming(app, pki, "101/TB-CSĐT", "THÔNG BÁO", "Về việc kết quả xác minh nguồn tin")
    clock.set(vn_time(2026, 11, 2, 10, 30))
    _reply(app, LEADER, a, "Giao: Phạm Thị Lan\nHạn: 05/11/2026")
    # B: a decision to prosecute, routed to P2 at once, then given to Bình with a deadline long past.
    clock.set(vn_time(2026, 11, 3, 9, 0))
    b = _incoming(app, pki, "123/QĐ-CSĐT", "QUYẾT ĐỊNH", "Về việc khởi tố bị can")
    clock.set(vn_time(2026, 11, 3, 11, 0))
    _reply(app, LEADER, b, "Giao: Lê Văn Bình\nHạn: 04/11/2026")
    # C: a paper document, given to Lan the next morning, done in time.
    clock.set(vn_time(2026, 11, 4, 14, 0))
    c = _paper(app, "88/UBND-NC")
    clock.set(vn_time(2026, 11, 5, 8, 0))
    _reply(app, LEADER, c, "Giao: ksv.lan@vksquangninh.gov.vn\nHạn: 30/11/2026")
    clock.set(vn_time(2026, 11, 6, 10, 0))
    _reply(app, OFFICER, a, "Xong")
    clock.set(vn_time(2026, 11, 9, 10, 0))
    _reply(app, OFFICER, c, "Xong\nVăn bản trả lời: 12/VKSQN-P2")

    # Outgoing numbers in November: three at the province (one cancelled), one at the regional unit.
    clock.set(vn_time(2026, 11, 10, 9, 0))
    _number(app, OFFICER, "Báo cáo kết quả kiểm sát điều tra", "Loại: BC\n")
    _number(app, OFFICER2, "Thông báo kết quả giải quyết nguồn tin", "Loại: TB\n")
    cancelled = _number(app, OFFICER, "Quyết định gia hạn thời hạn tạm giam", "Loại: QĐ\nSổ: TT\nVụ án: 12/2026/HS\n")
    _number(app, KV1_OFFICER, "Báo cáo công tác tháng 11", "Loại: BC\n")
    clock.set(vn_time(2026, 11, 12, 9, 0))
    [result] = send(app, request(OFFICER, f"Hủy số {cancelled.number_str}", "Lý do: Vụ án đã chuyển cấp xét xử.\n"))
    assert result.outcome == "cancel.done"
    clock.set(vn_time(2026, 11, 21, 9, 0))


# --- reading the reply and its workbook ------------------------------------------------------------------------


def _ask(app: App, sender: str, subject: str) -> tuple[str, OutboxMessage]:
    msg = request(sender, subject)
    [result] = send(app, msg)
    [reply] = replies_to(app, msg["Message-ID"])
    return result.outcome, reply


def _workbook(app: App, reply: OutboxMessage) -> Any:
    [attachment] = reply.attachments
    assert attachment["content_type"] == XLSX
    return load_workbook(io.BytesIO(app.files.get(attachment["sha256"])))


def _header(ws: Worksheet) -> list[str]:
    """The column names: the lower header row, or the upper one where a header spans both rows."""
    return [str(ws.cell(5, c).value or ws.cell(4, c).value) for c in range(1, ws.max_column + 1)]


def _row(ws: Worksheet, first_cell: object) -> dict[str, Any]:
    names = _header(ws)
    for r in range(6, ws.max_row + 1):
        if ws.cell(r, 1).value == first_cell:
            return {name: ws.cell(r, c + 1).value for c, name in enumerate(names)}
    raise AssertionError(f"no row {first_cell!r} in {ws.title}")


def _count(app: App, *where: Any) -> int:
    with app.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(Document).where(*where)).scalar_one())


def _units(app: App, email: str) -> list[int]:
    with app.uow() as uow:
        person = uow.session.execute(select(Person).where(Person.email == email)).scalar_one()
        return searchable_units(uow.session, person)


def _in_november() -> list[Any]:
    return [Document.doc_date >= dt.date(2026, 11, 1), Document.doc_date <= dt.date(2026, 11, 30)]


# --- tests -----------------------------------------------------------------------------------------------------


def test_workbook_totals_equal_the_database(intake_app: App, clock: FixedClock, pki: TestPki) -> None:
    app = intake_app
    _build_period(app, clock, pki)
    outcome, reply = _ask(app, CLERK, "Thống kê: 11/2026")
    assert outcome == "stats.sent"
    assert (reply.kind, reply.to_addr, reply.state) == ("stats", CLERK, "pending")
    assert reply.subject == "Số liệu thống kê tháng 11/2026 — Viện kiểm sát nhân dân tỉnh Quảng Ninh"
    assert reply.attachments[0]["filename"] == "thong-ke-2026-11.xlsx"
    body = reply.body_text
    assert "Văn bản đến: 3 (điện tử 2, nền giấy 1)." in body
    assert "Văn bản đi đã cấp số: 3; số đã hủy: 1; đã ký số: 0 (tỷ lệ 0,0%)." in body
    assert "chưa được triển khai" in body and "Viện kiểm sát nhân dân khu vực 1 - Quảng Ninh" in body
    assert "tỷ lệ trễ hạn 66,7%" in body
    assert "<li>Văn bản đến: 3 (điện tử 2, nền giấy 1).</li>" in reply.body_html

    wb = _workbook(app, reply)
    assert wb.sheetnames == ["Tổng hợp", "Theo cán bộ", "Theo năm"]
    units = wb["Tổng hợp"]
    assert units["A1"].value == "Thống kê văn bản đến, văn bản đi — Viện kiểm sát nhân dân tỉnh Quảng Ninh"
    assert str(units["A2"].value).startswith("Kỳ thống kê: tháng 11/2026 (01/11/2026 – 30/11/2026)")
    assert (units["B4"].value, units["B5"].value, units["E4"].value) == ("Văn bản đến", "Tổng số", "Văn bản đi")
    assert units.column_dimensions["A"].width == 44

    # Totals against COUNTs taken straight from the database, over the units the clerk may see.
    visible = Document.unit_id.in_(_units(app, CLERK))
    incoming_docs = [visible, Document.direction == "in", *_in_november()]
    outgoing_docs = [visible, Document.direction == "out", *_in_november()]
    total = _row(units, "Tổng cộng")
    assert total["Tổng số"] == _count(app, *incoming_docs) == 3
    assert total["Điện tử"] == _count(app, *incoming_docs, Document.paper.is_(False)) == 2
    assert total["Nền giấy"] == _count(app, *incoming_docs, Document.paper.is_(True)) == 1
    assert total["Số đã cấp"] == _count(app, *outgoing_docs, Document.status.in_(("reserved", "issued"))) == 3
    assert total["Số đã hủy"] == _count(app, *outgoing_docs, Document.status == "cancelled") == 1
    assert total["Đã ký số"] == _count(app, *outgoing_docs, Document.status == "issued") == 0
    assert total["Tỷ lệ ký số"] == 0
    assert all(isinstance(total[k], int) for k in ("Tổng số", "Số đã cấp", "Đã giao xử lý"))
    # Handling of the three incoming documents: A done late, B overdue, C done in time.
    handling = ("Đã giao xử lý", "Hoàn thành", "Hoàn thành trễ hạn", "Quá hạn chưa xong")
    assert [total[k] for k in handling] == [3, 2, 1, 1]
    assert total["Từ khi đến đến khi giao, trung vị (giờ)"] == pytest.approx(2.0)  # 2 h, 0 h (routed), 18 h
    assert total["Từ khi giao đến khi xong, trung vị (giờ)"] == pytest.approx((95.5 + 98) / 2)
    assert total["Tỷ lệ trễ hạn"] == pytest.approx(2 / 3)
    share_column = _header(units).index("Tỷ lệ trễ hạn") + 1
    total_row = next(r for r in range(6, units.max_row + 1) if units.cell(r, 1).value == "Tổng cộng")
    assert units.cell(total_row, share_column).number_format == "0.0%"
    assert units.cell(total_row, share_column - 1).number_format == "0.0"
    province = _row(units, "Viện kiểm sát nhân dân tỉnh Quảng Ninh")
    regional = _row(units, "Viện kiểm sát nhân dân khu vực 1 - Quảng Ninh")
    assert (province["Số đã cấp"], regional["Số đã cấp"], regional["Tổng số"]) == (2, 1, 0)
    notes = [str(units.cell(r, 1).value) for r in range(total_row + 1, units.max_row + 1) if units.cell(r, 1).value]
    assert any("chưa được triển khai" in n and "tỷ lệ ký số hiện bằng 0" in n for n in notes)

    # Per assignee: the period's main assignments, counted from the database as well.
    people = wb["Theo cán bộ"]
    with app.uow() as uow:
        cohort = (
            select(func.count())
            .select_from(Assignment)
            .join(Document, Document.id == Assignment.document_id)
            .where(
                visible,
                Assignment.role == "main",
                Assignment.status != "cancelled",
                Assignment.assigned_at >= NOVEMBER[0],
                Assignment.assigned_at < NOVEMBER[1],
            )
        )
        received = uow.session.execute(cohort).scalar_one()
        done = uow.session.execute(cohort.where(Assignment.status == "done")).scalar_one()
    everyone = _row(people, "Tổng cộng")
    assert everyone["Được giao"] == received == 4  # Lan twice, Bình, P2 by the routing rule
    assert everyone["Tổng số"] == done == 2
    assert [everyone[k] for k in ("Đúng hạn", "Trễ hạn", "Đang xử lý", "Trong đó quá hạn")] == [1, 1, 1, 1]
    assert everyone["Đã chuyển / trả lại"] == 1
    lan = _row(people, "Phạm Thị Lan")
    assert (lan["Thư điện tử"], lan["Được giao"], lan["Đúng hạn"], lan["Trễ hạn"]) == (OFFICER, 2, 1, 1)
    assert lan["Từ khi đến đến khi giao"] == pytest.approx(10.0)  # 2 h and 18 h
    assert lan["Từ khi giao đến khi xong"] == pytest.approx(96.75)  # 95.5 h and 98 h
    assert lan["Tỷ lệ trễ hạn"] == pytest.approx(0.5)
    binh = _row(people, "Lê Văn Bình")
    binh_keys = ("Được giao", "Trong đó quá hạn", "Tỷ lệ trễ hạn", "Từ khi giao đến khi xong")
    assert [binh[k] for k in binh_keys] == [1, 1, 1, None]
    p2 = _row(people, "Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự (giao cả đơn vị)")
    assert (p2["Được giao"], p2["Đã chuyển / trả lại"], p2["Từ khi đến đến khi giao"]) == (1, 1, 0)

    years = wb["Theo năm"]
    assert [years.cell(r, 1).value for r in range(6, years.max_row + 1)] == [2026, "Tổng cộng"]
    assert _row(years, 2026) == {
        "Năm": 2026,
        "Nền giấy": 1,
        "Điện tử": 2,
        "Cộng": 3,
        "Số đã cấp": 3,
        "Trong đó đã ký số": 0,
    }
    with app.uow() as uow:
        audited = uow.session.execute(select(AuditEntry).where(AuditEntry.action == "stats.sent")).scalar_one()
        assert audited.actor == CLERK and audited.details["incoming"] == 3


def test_regional_leader_gets_the_regional_unit_and_years_follow_the_calendar(
    intake_app: App, clock: FixedClock, pki: TestPki
) -> None:
    app = intake_app
    _build_period(app, clock, pki)
    outcome, reply = _ask(app, KV1_LEADER, "thong ke thang 11/2026")
    assert outcome == "stats.sent"
    total = _row(_workbook(app, reply)["Tổng hợp"], "Tổng cộng")
    assert (total["Tổng số"], total["Số đã cấp"], total["Số đã hủy"]) == (0, 1, 0)
    assert "Viện kiểm sát nhân dân tỉnh Quảng Ninh" not in reply.body_text

    # Two calendar years: the December 2025 number counts in 2025 though its register year is 2026.
    with app.uow() as uow:
        s = uow.session
        province = s.execute(select(Unit).where(Unit.code == "VKSQN")).scalar_one()
        period = parse_period("2025-2026", dt.date(2026, 11, 21))
        assert period is not None
        stats = compute(s, descendant_units(s, province.id), period, VN, clock.now())
    assert [(y.year, y.outgoing, y.incoming) for y in stats.years] == [(2025, 1, 0), (2026, 4, 4)]
    assert (stats.year_total.outgoing, stats.year_total.incoming) == (5, 4)
    assert stats.unit_total.outgoing == 5 and stats.unit_total.cancelled == 1


def test_officers_are_refused_and_bad_periods_explained(app: App) -> None:
    outcome, reply = _ask(app, OFFICER, "Thống kê: 11/2026")
    assert outcome == "stats.refused"
    assert reply.subject == "Chưa thực hiện được: Thống kê: 11/2026" and reply.attachments == []
    assert "chỉ gửi cho văn thư và lãnh đạo" in reply.body_text
    for subject, said in (
        ("Thống kê: tháng mười", "Không hiểu kỳ thống kê «tháng mười»."),
        ("THONG KE: 13/2026", "Không hiểu kỳ thống kê «13/2026»."),
        ("Thống kê: 31/10/2026-01/10/2026", "Không hiểu kỳ thống kê «31/10/2026-01/10/2026»."),
        ("Thống kê", "Chưa có kỳ thống kê."),
    ):
        outcome, reply = _ask(app, LEADER, subject)
        assert outcome == "stats.bad-period", subject
        body = " ".join(reply.body_text.split())
        assert said in body
        assert "«Thống kê: 11/2026»" in body and "«Thống kê: 2026»" in body
        assert "«Thống kê: 01/10/2026-31/10/2026»" in body and reply.attachments == []


def test_an_empty_period_still_gets_a_workbook(app: App) -> None:
    outcome, reply = _ask(app, LEADER, "Re: Thống kê: năm 2026")
    assert outcome == "stats.sent"
    assert reply.attachments[0]["filename"] == "thong-ke-2026.xlsx"
    wb = _workbook(app, reply)
    total = _row(wb["Tổng hợp"], "Tổng cộng")
    assert (total["Tổng số"], total["Số đã cấp"], total["Tỷ lệ ký số"], total["Tỷ lệ trễ hạn"]) == (0, 0, None, None)
    assert _row(wb["Theo cán bộ"], "Tổng cộng")["Được giao"] == 0
    assert "Văn bản đến: 0 (điện tử 0, nền giấy 0)." in reply.body_text and "chưa có số liệu" in reply.body_text


def test_command_line_writes_the_unit_and_its_descendants(
    app: App, clock: FixedClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.set(vn_time(2026, 11, 10, 9, 0))
    _number(app, OFFICER, "Báo cáo kết quả kiểm sát điều tra", "Loại: BC\n")
    _number(app, KV1_OFFICER, "Báo cáo công tác tháng 11", "Loại: BC\n")
    config = str(tmp_path / "deploy" / "vanthu.toml")
    out = tmp_path / "out" / "thong-ke.xlsx"
    assert stats_cli.run(config, "VKSQN", "11/2026", str(out), clock=clock) == 0
    total = _row(load_workbook(out)["Tổng hợp"], "Tổng cộng")
    assert total["Số đã cấp"] == 2
    assert stats_cli.run(config, "KV1", "tháng 11/2026", str(out), clock=clock) == 0
    assert _row(load_workbook(out)["Tổng hợp"], "Tổng cộng")["Số đã cấp"] == 1
    assert stats_cli.run(config, "XYZ", "11/2026", str(out), clock=clock) == 2
    assert "no unit with code 'XYZ'" in capsys.readouterr().err
    assert stats_cli.run(config, "VKSQN", "mười một", str(out), clock=clock) == 2
    assert stats_cli.run(str(tmp_path / "missing.toml"), "VKSQN", "11/2026", str(out)) == 2


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("11/2026", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "tháng 11/2026"),
        ("Tháng 2/2028", dt.date(2028, 2, 1), dt.date(2028, 2, 29), "tháng 2/2028"),
        ("thang 12 nam 2025", dt.date(2025, 12, 1), dt.date(2025, 12, 31), "tháng 12/2025"),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "năm 2026"),
        ("Năm 2025.", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "năm 2025"),
        ("2020-2023", dt.date(2020, 1, 1), dt.date(2023, 12, 31), "từ năm 2020 đến năm 2023"),
        ("01/10/2026-31/10/2026", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "từ 01/10/2026 đến 31/10/2026"),
        ("01/10/2026 - 31/10/2026", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "từ 01/10/2026 đến 31/10/2026"),
        ("từ 1/10/2026 đến 15/10/2026", dt.date(2026, 10, 1), dt.date(2026, 10, 15), "từ 01/10/2026 đến 15/10/2026"),
        ("tu 01.10.2026 den 31.10.2026", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "từ 01/10/2026 đến 31/10/2026"),
        ("01/12/2025 – 30/11/2026", dt.date(2025, 12, 1), dt.date(2026, 11, 30), "từ 01/12/2025 đến 30/11/2026"),
        ("tháng này", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "tháng 11/2026"),
        ("tháng trước", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "tháng 10/2026"),
        ("năm ngoái", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "năm 2025"),
        ("tháng 3", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "tháng 3/2026"),
    ],
)
def test_parse_period(text: str, start: dt.date, end: dt.date, label: str) -> None:
    assert parse_period(text, dt.date(2026, 11, 21)) == Period(start, end, label)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "tháng mười",
        "13/2026",
        "0/2026",
        "11/26",
        "31/02/2026-01/03/2026",
        "31/10/2026-01/10/2026",
        "2023-2020",
        "hôm qua",
        "11/2026 và 12/2026",
        "0001",
    ],
)
def test_parse_period_refuses(text: str) -> None:
    assert parse_period(text, dt.date(2026, 11, 21)) is None


def test_period_slugs_and_bounds() -> None:
    today = dt.date(2026, 11, 21)
    slugs = [parse_period(t, today) for t in ("11/2026", "2026", "2020-2023", "01/10/2026-15/10/2026")]
    assert [p.slug for p in slugs if p] == ["2026-11", "2026", "2020-2023", "2026-10-01_2026-10-15"]
    month = parse_period("11/2026", today)
    assert month is not None
    assert month.bounds(VN) == (NOVEMBER[0].astimezone(dt.UTC), NOVEMBER[1].astimezone(dt.UTC))
