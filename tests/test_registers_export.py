"""Registers of Phụ lục IV (Nghị định 30/2020) as XLSX and PDF, end to end, on SQLite and PostgreSQL.

The registers are filled the way an office fills them — numbers taken, cancelled and inserted by
email, signed police documents arriving and being assigned and answered by reply — with the clock
moved through October and November 2026; then the clerk asks for them with ``Sổ:`` and the attached
files are opened: the XLSX with openpyxl, the PDF with Poppler (``pdftoppm``, ``pdftotext``).

``Sổ:`` is not yet wired into ``mailflows.dispatch``: the ``register_command`` fixture routes subjects
starting with ``Sổ`` to the flow, as the dispatcher will.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from tests.flowkit import documents, replies_to, send
from tests.harness.tools import ensure_poppler
from tests.support import CLERK, LEADER, OFFICER, OFFICER2, incoming, request, vn_time
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows import dispatch, register_request
from vanthu.mailflows.commands import strip_prefixes
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.hygiene import machine_generated
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.clock import FixedClock
from vanthu.models.directory import person_by_email
from vanthu.models.registers_export import (
    FOLLOW_UP_HEADERS,
    INCOMING_HEADERS,
    OUTGOING_HEADERS,
    PeriodSpec,
    RegisterChoiceError,
    RegisterKind,
    RegisterTable,
    SecretRegisterError,
    find_period,
    parse_period,
    period_label,
    rows,
)
from vanthu.models.tables import AuditEntry, Document, OutboxMessage, Register, Unit
from vanthu.templates import register_pdf
from vanthu.templates.register_pdf import FontMissingError, write_pdf
from vanthu.templates.register_xlsx import FIRST_DATA_ROW, HEADER_ROW, write_xlsx
from vanthu.worker import register_cli
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
CHANH_VP = "chanhvp@vksquangninh.gov.vn"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY = "Quyết định về việc khởi tố bị can"
SECOND = DocText(number="130/QĐ-CSĐT", title="Về việc gia hạn thời hạn điều tra", date=dt.date(2026, 11, 13))
OCTOBER = DocText(number="99/QĐ-CSĐT", title="Về việc trưng cầu giám định", date=dt.date(2026, 10, 27))

_REGISTER_SUBJECT = re.compile(r"^\s*(?:sổ|so)\s*:\s*(.*)$", re.IGNORECASE)


@pytest.fixture
def register_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route ``Sổ: …`` from people in the directory to the register flow, as the dispatcher will."""
    original = dispatch._route

    def route(ctx: FlowContext, msg: ParsedMessage) -> str:
        m = _REGISTER_SUBJECT.match(strip_prefixes(msg.subject))
        if m is None or machine_generated(msg, ctx.settings.mail_domain) is not None:
            return original(ctx, msg)
        person = person_by_email(ctx.uow.session, msg.sender)
        if person is None:
            return original(ctx, msg)
        return register_request.handle(ctx, msg, person, m.group(1).strip())

    monkeypatch.setattr(dispatch, "_route", route)


@pytest.fixture
def office(intake_app: App, clock: FixedClock, pki: TestPki, register_command: None) -> Iterator[App]:
    """The example deployment with the registers of October and November 2026 filled in."""
    _fill_registers(intake_app, clock, pki)
    yield intake_app


def _ok(app: App, sender: str, subject: str, body: str = "") -> str:
    [result] = send(app, request(sender, subject, body))
    return result.outcome


def _reply(app: App, sender: str, doc: Document, body: str) -> str:
    msg = request(sender, f"Re: [{doc.tag}] Văn bản đến", body + "\n\nVăn thư đã viết:\n> Xong\n")
    [result] = send(app, msg)
    return result.outcome


def _arrives(app: App, pki: TestPki, text: DocText | None, subject: str) -> Document:
    """A signed police document arrives and is registered; returns it."""
    [result] = send(app, incoming(POLICE, subject, [("vb.pdf", pdfkit.valid(pki, text))]))
    assert result.outcome == "intake.registered"
    return documents(app)[-1]


def _fill_registers(app: App, clock: FixedClock, pki: TestPki) -> None:
    # October: one number and one incoming document, outside November's registers.
    clock.set(vn_time(2026, 10, 20, 9, 0))
    assert _ok(app, OFFICER, "Lấy số: Báo cáo kết quả kiểm sát tháng 10", "Loại: BC\n") == "number.given"
    clock.set(vn_time(2026, 10, 28, 9, 0))
    _arrives(app, pki, OCTOBER, "Gửi quyết định trưng cầu giám định")
    # November, outgoing: 02, 03 (cancelled), 04, then 02a inserted after 02; one secret number; one procedural.
    clock.set(vn_time(2026, 11, 2, 8, 30))
    assert (
        _ok(
            app,
            OFFICER,
            "Lấy số: Báo cáo kết quả kiểm sát việc tạm giữ, tạm giam",
            "Loại: BC\nNgười ký: Lương Văn Sơn\n",
        )
        == "number.given"
    )
    clock.set(vn_time(2026, 11, 3, 10, 0))
    assert _ok(app, CHANH_VP, "Lấy số: Công văn về việc phối hợp xác minh", "Loại: Công văn\n") == "number.given"
    clock.set(vn_time(2026, 11, 5, 14, 0))
    assert _ok(app, OFFICER2, "Lấy số: báo cáo chuyên đề án ma túy", "Loại: BC\n") == "number.given"
    assert _ok(app, OFFICER, "Lấy số: Báo cáo tình hình", "Loại: BC\nĐộ mật: Mật\n") == "number.given"
    assert (
        _ok(app, OFFICER, "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can", "Loại: QĐ\nSổ: TT\n")
        == "number.given"
    )
    clock.set(vn_time(2026, 11, 6, 9, 0))
    assert _ok(app, CHANH_VP, "Hủy số 03/VKSQN-VP", "Lý do: Trùng nội dung với công văn số 01\n") == "cancel.done"
    clock.set(vn_time(2026, 11, 10, 8, 0))
    assert (
        _ok(
            app,
            CLERK,
            "Chèn số sau 02/BC-VKSQN",
            "Lý do: Báo cáo ký ngày 02/11 bị sót\nLoại: BC\nTrích yếu: Báo cáo bổ sung về tạm giữ\n",
        )
        == "insert.given"
    )
    # November, incoming: 02 (assigned, answered in time), 03 (assigned, overdue at the clock's 21/11).
    clock.set(vn_time(2026, 11, 10, 9, 0))
    first = _arrives(app, pki, None, "Gửi Quyết định khởi tố bị can")
    clock.set(vn_time(2026, 11, 10, 10, 0))
    assert _reply(app, LEADER, first, "Giao: Phạm Thị Lan\nHạn: 13/11/2026") == "reply.assigned"
    clock.set(vn_time(2026, 11, 12, 15, 0))
    assert _reply(app, OFFICER, first, "Xong\nVăn bản trả lời: 02a/BC-VKSQN") == "reply.done"
    clock.set(vn_time(2026, 11, 14, 9, 0))
    second = _arrives(app, pki, SECOND, "Gửi quyết định gia hạn")
    clock.set(vn_time(2026, 11, 14, 9, 30))
    assert _reply(app, LEADER, second, "Giao: P2\nHạn: 18/11/2026") == "reply.assigned"
    clock.set(vn_time(2026, 11, 21, 9, 0))


# --- helpers ---------------------------------------------------------------------------------------------

PHU_LUC_IV_INCOMING = [
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
]
PHU_LUC_IV_OUTGOING = [
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
]
PHU_LUC_IV_FOLLOW_UP = [
    "Số đến",
    "Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành",
    "Đơn vị hoặc người nhận",
    "Thời hạn giải quyết",
    "Tiến độ giải quyết",
    "Số, ký hiệu văn bản trả lời",
    "Ghi chú",
]
POLICE_BODY = "CÔNG AN TỈNH QUẢNG NINH - CƠ QUAN CẢNH SÁT ĐIỀU TRA"
P2_NAME = "Phòng Thực hành quyền công tố và kiểm sát điều tra án hình sự"


def _ask(app: App, sender: str, subject: str) -> tuple[str, OutboxMessage]:
    msg = request(sender, subject)
    [result] = send(app, msg)
    [reply] = replies_to(app, msg["Message-ID"])
    return result.outcome, reply


def _attached(app: App, reply: OutboxMessage) -> dict[str, bytes]:
    """The reply's files by extension (``xlsx``, ``pdf``), read back from the file store."""
    return {a["filename"].rsplit(".", 1)[1]: app.files.get(a["sha256"]) for a in reply.attachments}


def _sheet(data: bytes) -> tuple[list[str], list[list[str]], Worksheet]:
    """Headings, entries (empty cells as "") and the worksheet of an exported register."""
    ws = load_workbook(io.BytesIO(data)).active
    assert isinstance(ws, Worksheet)
    headers = [str(c.value) for c in ws[HEADER_ROW]]
    body = [
        ["" if v is None else str(v) for v in row]
        for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(headers), values_only=True)
    ]
    return headers, body, ws


def _pdftotext(path: Path, *pages: int) -> str:
    """The text of ``path`` (or of one page), NFC, white space folded to single spaces."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    out = subprocess.run([*args, str(path), "-"], capture_output=True, check=True, timeout=60).stdout
    return " ".join(unicodedata.normalize("NFC", out.decode("utf-8")).split())


def _poppler() -> None:
    reason = ensure_poppler()
    if reason is not None:
        pytest.skip(reason)


# --- the three registers by mail ------------------------------------------------------------------------


def test_outgoing_register_keeps_cancelled_and_inserted_numbers(office: App) -> None:
    outcome, reply = _ask(office, CLERK, "Sổ: HC 11/2026")
    assert outcome == "register.sent"
    assert (reply.kind, reply.to_addr) == ("register", CLERK)
    assert reply.subject == "Sổ đăng ký văn bản đi hành chính — Tháng 11 năm 2026 (4 số)"
    assert [(a["filename"], a["content_type"]) for a in reply.attachments] == [
        ("so-di-VKSQN-HC-2026-11.xlsx", XLSX),
        ("so-di-VKSQN-HC-2026-11.pdf", "application/pdf"),
    ]
    assert "«Đã hủy: <lý do>»" in reply.body_text and "Sổ văn bản mật không xuất" in reply.body_text
    headers, body, ws = _sheet(_attached(office, reply)["xlsx"])
    assert headers == PHU_LUC_IV_OUTGOING == list(OUTGOING_HEADERS)
    assert [ws["A1"].value, ws["A2"].value, ws["A3"].value] == [
        "VIỆN KIỂM SÁT NHÂN DÂN TỈNH QUẢNG NINH",
        "SỔ ĐĂNG KÝ VĂN BẢN ĐI HÀNH CHÍNH",
        "Tháng 11 năm 2026",
    ]
    # October's 01, the secret register's number and the procedural register's decision are not here.
    assert [r[0] for r in body] == ["02/BC-VKSQN", "02a/BC-VKSQN", "03/VKSQN-VP", "04/BC-VKSQN"]
    first, inserted, cancelled, last = body
    assert first == [
        "02/BC-VKSQN",
        "02/11/2026",
        "Báo cáo kết quả kiểm sát việc tạm giữ, tạm giam",
        "Lương Văn Sơn",
        "",
        f"{P2_NAME} (Phạm Thị Lan)",
        "",
        "",
        "",
        "",
    ]
    assert inserted[1:3] == ["10/11/2026", "Báo cáo bổ sung về tạm giữ"]
    assert inserted[9] == "Số chèn sau 02/BC-VKSQN: Báo cáo ký ngày 02/11 bị sót"
    assert cancelled[2] == "Công văn về việc phối hợp xác minh"
    assert cancelled[9] == "Đã hủy: Trùng nội dung với công văn số 01"
    assert last[2] == "Báo cáo chuyên đề án ma túy"
    assert "tình hình" not in str(body)
    assert ws.print_title_rows == "$5:$6"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    with office.uow() as uow:
        entry = uow.session.execute(select(AuditEntry).where(AuditEntry.action == "register.export")).scalar_one()
    assert (entry.actor, entry.object_id, entry.details["rows"]) == (CLERK, "VKSQN/HC", 4)


def test_incoming_register_asked_without_diacritics(office: App) -> None:
    outcome, reply = _ask(office, LEADER, "So: den 11/2026")
    assert outcome == "register.sent"
    assert reply.subject == "Sổ đăng ký văn bản đến — Tháng 11 năm 2026 (2 văn bản)"
    headers, body, ws = _sheet(_attached(office, reply)["xlsx"])
    assert headers == PHU_LUC_IV_INCOMING == list(INCOMING_HEADERS)
    assert ws["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert body == [
        [
            "10/11/2026",
            "02",
            POLICE_BODY,
            "123/QĐ-CSĐT",
            "05/04/2026",
            SUMMARY,
            "Phạm Thị Lan",
            "10/11/2026",
            "",
            "Vụ án 12/2026/HS",
        ],
        [
            "14/11/2026",
            "03",
            POLICE_BODY,
            "130/QĐ-CSĐT",
            "13/11/2026",
            "Quyết định về việc gia hạn thời hạn điều tra",
            P2_NAME,
            "14/11/2026",
            "",
            "Vụ án 12/2026/HS",
        ],
    ]


def test_follow_up_register_from_the_assignments(office: App) -> None:
    outcome, reply = _ask(office, CLERK, "Sổ: theo dõi 11/2026")
    assert outcome == "register.sent"
    assert reply.subject == "Sổ theo dõi giải quyết văn bản đến — Tháng 11 năm 2026 (2 văn bản)"
    headers, body, _ws = _sheet(_attached(office, reply)["xlsx"])
    assert headers == PHU_LUC_IV_FOLLOW_UP == list(FOLLOW_UP_HEADERS)
    answered, overdue = body
    assert answered[:6] == [
        "02",
        f"Quyết định số 123/QĐ-CSĐT ngày 05/04/2026 — {POLICE_BODY}",
        "Phạm Thị Lan",
        "13/11/2026",
        "Đã giải quyết ngày 12/11/2026 — đúng hạn",
        "02a/BC-VKSQN",
    ]
    assert "Điều 179 khoản 3 BLTTHS 2015" in answered[6]  # the legal basis of the deadline
    assert overdue[:6] == [
        "03",
        f"Quyết định số 130/QĐ-CSĐT ngày 13/11/2026 — {POLICE_BODY}",
        P2_NAME,
        "18/11/2026",
        "Đang giải quyết — trễ hạn 3 ngày",  # judged at the clock's 21/11/2026
        "",
    ]


def test_pdf_renders_and_gives_back_its_vietnamese_text(office: App, tmp_path: Path) -> None:
    _poppler()
    outcome, reply = _ask(office, CLERK, "Sổ: đến 11/2026")
    assert outcome == "register.sent"
    pdf = tmp_path / "so-den.pdf"
    pdf.write_bytes(_attached(office, reply)["pdf"])
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pages[0].stat().st_size > 5000
    text = _pdftotext(pdf)
    for expected in (
        "VIỆN KIỂM SÁT NHÂN DÂN TỈNH QUẢNG NINH",
        "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
        "Tháng 11 năm 2026",
        "Ngày đến",
        "Tên loại và trích yếu nội dung",
        SUMMARY,
        "123/QĐ-CSĐT",
        "Phạm Thị Lan",
        "Trang 1/1",
    ):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()[2:]
    assert lines and all("DejaVuSerif" in line and " yes yes " in line for line in lines), fonts


def test_long_register_repeats_its_heading_on_every_page(tmp_path: Path) -> None:
    _poppler()
    entry = ("02/11/2026", "01", POLICE_BODY, "123/QĐ-CSĐT", "05/04/2026", SUMMARY, "Phạm Thị Lan", "", "", "")
    table = RegisterTable(
        title="Sổ đăng ký văn bản đến",
        unit_name="Viện kiểm sát nhân dân tỉnh Quảng Ninh",
        period_label="Năm 2026",
        headers=INCOMING_HEADERS,
        rows=[entry] * 40,
        kind=RegisterKind.INCOMING,
    )
    pdf = tmp_path / "long.pdf"
    write_pdf(table, pdf)
    write_xlsx(table, tmp_path / "long.xlsx")
    found = re.search(r"Trang 1/(\d+)", _pdftotext(pdf, 1))
    assert found is not None
    pages = int(found.group(1))
    assert pages >= 3
    last = _pdftotext(pdf, pages)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in last and "Năm 2026" in last and "Ngày đến" in last
    assert f"Trang {pages}/{pages}" in last
    headers, body, _ws = _sheet((tmp_path / "long.xlsx").read_bytes())
    assert headers == PHU_LUC_IV_INCOMING and len(body) == 40


def test_missing_font_is_named_and_the_xlsx_still_goes(office: App, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched, pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        patched.setattr(register_pdf.pdfmetrics, "getRegisteredFontNames", lambda: [])
        register_pdf.register_fonts(Path("/nonexistent"))

    def no_font(table: RegisterTable, out: object) -> None:
        raise FontMissingError("font DejaVuSerif.ttf not found: install Debian's fonts-dejavu-core")

    monkeypatch.setattr(register_request, "write_pdf", no_font)
    outcome, reply = _ask(office, CLERK, "Sổ: đến 11/2026")
    assert outcome == "register.sent"
    assert [a["filename"] for a in reply.attachments] == ["so-den-VKSQN-DEN-2026-11.xlsx"]
    assert "Chưa tạo được bản PDF" in reply.body_text and "fonts-dejavu-core" in reply.body_text


# --- periods, registers, authority -----------------------------------------------------------------------


def test_a_year_a_range_and_the_procedural_year(office: App, clock: FixedClock) -> None:
    outcome, reply = _ask(office, CLERK, "Sổ: DEN 2026")
    assert outcome == "register.sent" and reply.subject == "Sổ đăng ký văn bản đến — Năm 2026 (3 văn bản)"
    assert [r[1] for r in _sheet(_attached(office, reply)["xlsx"])[1]] == ["01", "02", "03"]
    outcome, reply = _ask(office, CLERK, "Sổ: đến 25/10/2026 - 09/11/2026")
    assert outcome == "register.sent"
    assert reply.subject == "Sổ đăng ký văn bản đến — Từ ngày 25/10/2026 đến ngày 09/11/2026 (1 văn bản)"
    [october] = _sheet(_attached(office, reply)["xlsx"])[1]
    assert october[:4] == ["28/10/2026", "01", POLICE_BODY, "99/QĐ-CSĐT"]
    assert reply.attachments[0]["filename"] == "so-den-VKSQN-DEN-20261025-20261109.xlsx"
    outcome, reply = _ask(office, CLERK, "Sổ: đến 01/10/2026-31/10/2026")  # a whole month is named so
    assert reply.subject == "Sổ đăng ký văn bản đến — Tháng 10 năm 2026 (1 văn bản)"
    with office.uow() as uow:
        s = uow.session
        tt = s.execute(select(Register).join(Unit).where(Unit.code == "VKSQN", Register.code == "TT")).scalar_one()
        table = rows(
            s,
            tt,
            RegisterKind.OUTGOING,
            *PeriodSpec("year", year=2026).dates(tt),
            office.settings.tz,
            now=office.clock.now(),
        )
    assert table.period_label == "Năm 2026 (từ ngày 01/12/2025 đến ngày 30/11/2026)"
    assert [r[0] for r in table.rows] == ["01/QĐ-VKSQN"]
    assert table.title == "Sổ đăng ký lệnh, quyết định tố tụng"


def test_who_may_ask_and_what_is_unclear(office: App) -> None:
    outcome, reply = _ask(office, OFFICER, "Sổ: đến 11/2026")
    assert outcome == "register.refused" and reply.attachments == []
    assert "Chỉ văn thư và lãnh đạo đơn vị" in reply.body_text
    outcome, reply = _ask(office, CLERK, "Sổ: MAT 11/2026")
    assert outcome == "register.refused" and "sổ văn bản mật" in reply.body_text and reply.attachments == []
    outcome, reply = _ask(office, CLERK, "Sổ: đi 11/2026")
    assert outcome == "register.unclear"
    assert "HC — Sổ đăng ký văn bản đi hành chính" in reply.body_text
    assert "TT — Sổ đăng ký lệnh, quyết định tố tụng" in reply.body_text and "MAT" not in reply.body_text
    [result] = send(office, request(CLERK, "Sổ: đi 11/2026", "Sổ: TT\n"))  # the choice, as the reply asks
    assert result.outcome == "register.sent"
    outcome, reply = _ask(office, LEADER, "Sổ: đến")
    assert outcome == "register.unclear" and "Chưa rõ kỳ" in reply.body_text
    outcome, reply = _ask(office, LEADER, "Sổ: lịch công tác 11/2026")
    assert outcome == "register.unclear" and "Chưa rõ sổ" in reply.body_text
    # The registers are the sender's unit's: a department's leader gets the province's, a regional
    # clerk gets the regional procuracy's own (empty) register.
    outcome, reply = _ask(office, "truongphong.p2@vksquangninh.gov.vn", "Sổ: đi TT 11/2026")
    assert outcome == "register.sent" and reply.subject.endswith("(1 số)")
    outcome, reply = _ask(office, "vanthu.kv1.thu@vksquangninh.gov.vn", "Sổ: đến 11/2026")
    assert outcome == "register.sent" and reply.subject.endswith("(0 văn bản)")
    assert reply.attachments[0]["filename"] == "so-den-KV1-DEN-2026-11.xlsx"
    headers, body, ws = _sheet(_attached(office, reply)["xlsx"])
    assert headers == PHU_LUC_IV_INCOMING and body[0][0] == "(Không có văn bản trong kỳ)"
    assert ws["A1"].value == "VIỆN KIỂM SÁT NHÂN DÂN KHU VỰC 1 - QUẢNG NINH"


def test_secret_register_is_never_exported(office: App) -> None:
    with office.uow() as uow:
        s = uow.session
        unit = s.execute(select(Unit).where(Unit.code == "VKSQN")).scalar_one()
        mat = s.execute(select(Register).where(Register.unit_id == unit.id, Register.code == "MAT")).scalar_one()
        november = (dt.date(2026, 11, 1), dt.date(2026, 11, 30), office.settings.tz)
        with pytest.raises(SecretRegisterError):
            rows(s, mat, RegisterKind.OUTGOING, *november, now=office.clock.now())
        with pytest.raises(RegisterChoiceError) as choice:
            rows(s, unit, RegisterKind.OUTGOING, *november, now=office.clock.now())
        assert [c.split(" — ")[0] for c in choice.value.choices] == ["HC", "TT"]
        assert len(rows(s, unit, RegisterKind.INCOMING, *november, now=office.clock.now()).rows) == 2


def test_command_line_writes_both_files(
    office: App, tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(tmp_path / "deploy" / "vanthu.toml")
    out = tmp_path / "export"
    assert register_cli.run(config, "VKSQN", "HC", "outgoing", "11/2026", str(out), clock=clock) == 0
    xlsx, pdf = out / "so-di-VKSQN-HC-2026-11.xlsx", out / "so-di-VKSQN-HC-2026-11.pdf"
    assert str(xlsx) in capsys.readouterr().out
    assert [r[0] for r in _sheet(xlsx.read_bytes())[1]] == ["02/BC-VKSQN", "02a/BC-VKSQN", "03/VKSQN-VP", "04/BC-VKSQN"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert register_cli.run(config, "VKSQN", "", "theo dõi", "11/2026", str(out), clock=clock) == 0
    assert (out / "so-theo-doi-VKSQN-DEN-2026-11.xlsx").exists()
    capsys.readouterr()
    assert register_cli.run(config, "VKSQN", "MAT", "outgoing", "11/2026", str(out), clock=clock) == 2
    assert "sổ văn bản mật" in capsys.readouterr().err
    assert register_cli.run(config, "VKSQN", "", "outgoing", "11/2026", str(out), clock=clock) == 2
    assert "HC — Sổ đăng ký văn bản đi hành chính" in capsys.readouterr().err
    assert register_cli.run(config, "XX", "DEN", "incoming", "11/2026", str(out), clock=clock) == 2
    assert register_cli.run(config, "VKSQN", "DEN", "incoming", "13/2026", str(out), clock=clock) == 2
    assert register_cli.run(config, "VKSQN", "DEN", "sideways", "11/2026", str(out), clock=clock) == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "so-di-VKSQN-HC-2026-11.pdf",
        "so-di-VKSQN-HC-2026-11.xlsx",
        "so-theo-doi-VKSQN-DEN-2026-11.pdf",
        "so-theo-doi-VKSQN-DEN-2026-11.xlsx",
    ]


# --- pure parts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spec", "rest"),
    [
        ("đến 11/2026", PeriodSpec("month", year=2026, month=11), "đến"),
        ("DEN 2026", PeriodSpec("year", year=2026), "DEN"),
        ("theo dõi tháng 11 năm 2026", PeriodSpec("month", year=2026, month=11), "theo dõi"),
        (
            "HC 01/10/2026-31/10/2026",
            PeriodSpec("range", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)),
            "HC",
        ),
        (
            "đến từ 01/10/2026 đến 31/10/2026",
            PeriodSpec("range", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)),
            "đến",
        ),
    ],
)
def test_periods_are_found_in_the_subject(text: str, spec: PeriodSpec, rest: str) -> None:
    assert find_period(text) == (spec, rest)


@pytest.mark.parametrize("text", ["đến", "13/2026", "31/10/2026-01/10/2026", "30/02/2026-01/03/2026", "01/10/2026"])
def test_what_is_not_a_period(text: str) -> None:
    assert find_period(text) is None


def test_period_labels_and_whole_periods() -> None:
    assert parse_period("11/2026") == PeriodSpec("month", year=2026, month=11)
    assert parse_period("đến 11/2026") is None
    assert PeriodSpec("month", year=2026, month=2).dates() == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_label(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == "Tháng 2 năm 2026"
    assert period_label(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == "Năm 2026"
    assert period_label(dt.date(2026, 11, 2), dt.date(2026, 11, 30)) == "Từ ngày 02/11/2026 đến ngày 30/11/2026"
