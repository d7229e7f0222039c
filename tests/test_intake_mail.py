"""Intake defects real mail exposed (issue 8, items 2, 3, 4, 7, 8, 11), through the real processor.

Each test reproduces what went wrong — a document from an automatic sender thrown away, a court's
``Hướng dẫn số …`` refused as a command, staff notices silently capped, junk stuck in the register, a
forwarded document or an outside reply going nowhere, two lawyers' petitions merged — and asserts the
outcome, what the sender got (often: nothing) and what the clerk got.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.flowkit import documents, inbox_root, ledger, outbox, rows, send
from tests.support import (
    CLERK,
    LEADER,
    OFFICE,
    OFFICER,
    incoming,
    prepared_app,
    request,
    trust_section,
    vn_time,
    write_config,
)
from vanthu.cron import jobs
from vanthu.cron.digest import build_digest, send_digests
from vanthu.cron.sinks import OUTBOX
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows.dispatch import is_forward
from vanthu.mailflows.hygiene import classify
from vanthu.mailflows.incoming_meta import forwarded_header, from_page_text
from vanthu.mailflows.message import parse
from vanthu.models import audit
from vanthu.models.clock import FixedClock
from vanthu.models.directory import own_leaders, unit_by_code
from vanthu.models.doctypes import DocTypeCatalog
from vanthu.models.registers_export import RegisterKind
from vanthu.models.registers_export import rows as register_rows
from vanthu.models.statistics import compute, descendant_units, month_period
from vanthu.models.tables import Assignment, AuditEntry, DocumentFile, OutboxMessage, Person, QuarantineItem
from vanthu.worker.app import App
from vanthu.worker.local_source import deliver_local
from vanthu.worker.processor import Processor, Result

POLICE = "pc01@congan.quangninh.gov.vn"
COURT = "vanthu@toaan.quangninh.gov.vn"
P2_HEAD = "truongphong.p2@vksquangninh.gov.vn"
HOA_TOC = DocText(number="45/QĐ-CSĐT", urgency="HỎA TỐC", title="Về việc khởi tố bị can")


def _to(app: App, address: str) -> list[OutboxMessage]:
    return [r for r in outbox(app) if r.to_addr == address]


def _actions(app: App) -> list[str]:
    with app.uow() as uow:
        return [e.action for e in uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


def _send_raw(app: App, *raws: bytes) -> list[Result]:
    source = inbox_root(app)
    for raw in raws:
        deliver_local(source.root, raw)
    return Processor(app, app.config.mailboxes[0]).drain(source)


# --- item 2: automatic senders, reports -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("noreply@vbdt.congan.quangninh.gov.vn", {}),
        (POLICE, {"Auto-Submitted": "auto-generated"}),
        (POLICE, {"List-Id": "Van thu CA tinh <vanthu.congan.quangninh.gov.vn>"}),
        (POLICE, {"Precedence": "list"}),
    ],
)
def test_a_signed_document_from_an_automatic_sender_is_registered_without_a_receipt(
    intake_app: App, pki: TestPki, sender: str, headers: dict[str, str]
) -> None:
    app = intake_app
    msg = incoming(sender, "Gửi Quyết định khởi tố bị can", [("qd.pdf", pdfkit.valid(pki, HOA_TOC))])
    for k, v in headers.items():
        msg[k] = v
    [result] = send(app, msg)
    assert result.outcome == "intake.registered"
    [doc] = documents(app)
    assert (doc.number_str, doc.urgency, doc.orig_number) == ("01", "Hỏa tốc", "45/QĐ-CSĐT")
    assert doc.field_sources["machine_sender"]
    assert _to(app, sender) == []  # never answer a machine
    [clerk_copy] = _to(app, CLERK)
    assert "Đã vào sổ văn bản đến số 01" in clerk_copy.subject and clerk_copy.priority == "urgent"


def test_receipts_to_machines_can_be_asked_for(db_url: str, tmp_path: Path, clock: FixedClock, pki: TestPki) -> None:
    extra = trust_section(pki.root_pem, pki.crl_der) + "[intake]\nreceipts_to_machines = true\n"
    app = prepared_app(write_config(tmp_path / "deploy", db_url, extra=extra), clock)
    try:
        sender = "noreply@vbdt.congan.quangninh.gov.vn"
        [result] = send(app, incoming(sender, "Gửi quyết định", [("qd.pdf", pdfkit.valid(pki))]))
        assert result.outcome == "intake.registered"
        [receipt] = _to(app, sender)
        assert "số đến 01" in receipt.subject
    finally:
        app.close()


def _report(sender: str, report_type: str, subject: str, pdf: bytes | None = None) -> bytes:
    parts = [
        'Content-Type: text/plain; charset="utf-8"\r\n\r\nThis is an automatically generated report.\r\n',
        {
            "delivery-status": "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n"
            "\r\nFinal-Recipient: rfc822; ksv.lan@vksquangninh.gov.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n",
            "disposition-notification": "Content-Type: message/disposition-notification\r\n\r\n"
            "Final-Recipient: rfc822; pc01@congan.quangninh.gov.vn\r\nDisposition: manual-action/MDN-sent-manually;"
            " displayed\r\n",
            "feedback-report": "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
            "User-Agent: ISP-FBL/1.0\r\nVersion: 1\r\n",
        }[report_type],
    ]
    if pdf is not None:
        parts.append(
            'Content-Type: application/pdf; name="qd.pdf"\r\nContent-Disposition: attachment; filename="qd.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf).decode("ascii").replace("\n", "\r\n")
        )
    body = "".join(f"--b0undary\r\n{p}\r\n" for p in parts) + "--b0undary--\r\n"
    head = (
        f"From: {sender}\r\nTo: {OFFICE}\r\nSubject: {subject}\r\nMessage-ID: <{report_type}.1@mx.example>\r\n"
        "Date: Sat, 21 Nov 2026 02:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b0undary"\r\n\r\n'
    )
    return (head + body).encode("utf-8")


@pytest.mark.parametrize(
    ("sender", "report_type", "reason"),
    [
        ("MAILER-DAEMON@mx.congan.quangninh.gov.vn", "delivery-status", "bounce"),
        ("bounce@mx.example", "delivery-status", "bounce"),
        (POLICE, "disposition-notification", "read receipt"),
        ("fbl@isp.example", "feedback-report", "spam complaint"),
    ],
)
def test_bounces_read_receipts_and_complaints_are_machine_mail_even_with_a_pdf(
    intake_app: App, pki: TestPki, sender: str, report_type: str, reason: str
) -> None:
    raw = _report(sender, report_type, "Undelivered Mail Returned to Sender", pdfkit.valid(pki))
    machine = classify(parse(raw), "vksquangninh.gov.vn")
    assert machine is not None and reason in machine.reason and not machine.may_carry_document
    [result] = _send_raw(intake_app, raw)
    assert result.outcome == "ignored.machine-generated"
    assert documents(intake_app) == [] and outbox(intake_app) == [] and rows(intake_app, QuarantineItem) == []


def test_machine_mail_without_a_document_is_ignored_silently(intake_app: App) -> None:
    notice = request("noreply@dichvucong.gov.vn", "Thông báo hệ thống", "Hệ thống bảo trì lúc 22:00.")
    listed = request("tin@baochi.vn", "Bản tin pháp luật", headers={"List-Unsubscribe": "<mailto:u@baochi.vn>"})
    assert [r.outcome for r in send(intake_app, notice, listed)] == ["ignored.machine-generated"] * 2
    assert outbox(intake_app) == [] and rows(intake_app, QuarantineItem) == []


# --- item 3: command words from outside are not commands ----------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Hướng dẫn số 05/HD-VKSTC về công tác thống kê",
        "Thống kê tội phạm tháng 11/2026",
        "Tra cứu hồ sơ vụ án 12/2026/HS",
        "Lấy số liệu phối hợp",
    ],
)
def test_outside_documents_whose_subject_starts_with_a_command_word_are_registered(
    intake_app: App, pki: TestPki, subject: str
) -> None:
    [result] = send(intake_app, incoming(COURT, subject, [("vb.pdf", pdfkit.valid(pki))]))
    assert result.outcome == "intake.registered"
    [receipt] = _to(intake_app, COURT)
    assert "số đến 01" in receipt.subject and "Không tiếp nhận" not in receipt.subject


def test_a_strangers_mail_without_a_document_goes_to_the_clerk_and_is_never_answered(intake_app: App) -> None:
    spam = request("khuyenmai@quangcao.example", "Tra cứu: ưu đãi lớn", "Mua ngay!")
    command = request("nguoidan@gmail.com", "Hủy số 01/QĐ-VKSQN", "Lý do: thử\n")
    assert [r.outcome for r in send(intake_app, spam, command)] == ["quarantined.no-pdf"] * 2
    assert {r.to_addr for r in outbox(intake_app)} == {CLERK}
    assert [q.sender for q in rows(intake_app, QuarantineItem)] == [spam["From"], command["From"]]


# --- item 4: the per-address cap ----------------------------------------------------------------------------


def test_the_cap_never_holds_back_staff_mail_and_what_it_holds_back_is_visible(
    intake_app: App, pki: TestPki, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = intake_app
    app.settings = dataclasses.replace(app.settings, reply_cap_per_hour=2)
    files = [pdfkit.valid(pki, DocText(number=f"{n}/QĐ-CSĐT", urgency="HỎA TỐC")) for n in range(1, 5)]
    with caplog.at_level(logging.WARNING, logger="vanthu.models.outbox"):
        results = send(app, *(incoming(POLICE, f"Gửi quyết định {n}", [("qd.pdf", f)]) for n, f in enumerate(files)))
    assert [r.outcome for r in results] == ["intake.registered"] * 4
    staff = [r for r in outbox(app) if r.to_addr != POLICE]
    assert staff and all(r.state == "pending" for r in staff)
    assert len(_to(app, CLERK)) == 4 and len(_to(app, P2_HEAD)) == 4 and len(_to(app, LEADER)) == 4
    assert [r.state for r in _to(app, POLICE)] == ["pending", "pending", "suppressed", "suppressed"]
    held = [r for r in caplog.records if r.levelno == logging.WARNING and POLICE in r.getMessage()]
    assert len(held) == 2
    assert _actions(app).count("mail.suppressed") == 2

    monday = dt.date(2026, 11, 23)
    clock.set(vn_time(2026, 11, 23, 7, 0))
    with app.uow() as uow:
        unit = unit_by_code(uow.session, "VKSQN")
        leader = next(p for p in own_leaders(uow.session, unit) if p.email == LEADER)
        d = build_digest(uow.session, unit, leader, monday, clock.now(), app.settings.tz, app.settings.calendar)
    assert d.held.total == 2 and {h.to for h in d.held.items} == {POLICE}
    sent = send_digests(jobs.context_factory(app), "VKSQN", monday, clock.now(), sink=OUTBOX, worker="t")
    assert sent == 3  # two leaders, and the clerk because mail was held back
    [clerk_digest] = [r for r in _to(app, CLERK) if r.kind == "digest"]
    assert "THƯ BỊ GIỮ LẠI" in clerk_digest.body_text and POLICE in clerk_digest.body_text
    assert "Thư bị giữ lại" in clerk_digest.body_html


# --- item 7: Hủy số đến ---------------------------------------------------------------------------------------


def test_hủy_số_đến_takes_junk_out_of_open_work_and_keeps_it_in_the_register(
    intake_app: App, pki: TestPki, clock: FixedClock
) -> None:
    app = intake_app
    junk = incoming("khuyenmai@quangcao.example", "Khuyến mãi", [("qc.pdf", pdfkit.unsigned(HOA_TOC))])
    assert send(app, junk)[0].outcome == "intake.registered"
    [doc] = documents(app)
    assert any(a.status == "open" for a in rows(app, Assignment))

    no_reason = request(CLERK, "Hủy số đến 01", "")
    officer = request(OFFICER, "Hủy số đến 01", "Lý do: thư rác\n")
    unknown = request(CLERK, "Hủy số đến 99", "Lý do: thư rác\n")
    results = send(app, no_reason, officer, unknown)
    assert [r.outcome for r in results] == [
        "cancel.incoming-rejected",
        "cancel.incoming-refused",
        "cancel.incoming-not-found",
    ]
    assert "Cần ghi lý do" in next(r for r in outbox(app) if r.in_reply_to == no_reason["Message-ID"]).body_text
    assert documents(app)[0].status != "cancelled"

    clock.set(vn_time(2026, 11, 21, 10, 30))
    cancel = request(CLERK, "Huy so den 01", "Lý do: Thư rác quảng cáo, tệp PDF không có chữ ký số.\n")
    assert send(app, cancel)[0].outcome == "number.incoming-cancelled"
    [doc] = documents(app)
    with app.uow() as uow:
        clerk = uow.session.execute(select(Person).where(Person.email == CLERK)).scalar_one()
    assert (doc.status, doc.cancelled_by_id, doc.number_str) == ("cancelled", clerk.id, "01")
    assert doc.cancelled_at == vn_time(2026, 11, 21, 10, 30) and doc.cancel_reason.startswith("Thư rác quảng cáo")
    assert {a.status for a in rows(app, Assignment)} == {"cancelled"}
    [reply] = [r for r in outbox(app) if r.in_reply_to == cancel["Message-ID"]]
    assert reply.subject.startswith(f"[{doc.tag}] Đã hủy văn bản đến số 01")
    assert "Thư rác quảng cáo" in reply.body_text and "10:30 21/11/2026" in reply.body_text
    assert any(r.to_addr == P2_HEAD and "Đã hủy văn bản đến số 01" in r.subject for r in outbox(app))
    assert "incoming.cancel" in _actions(app)
    with app.uow() as uow:
        assert audit.verify(uow.session)[1] is None
    again = request(CLERK, "Hủy số đến 01", "Lý do: lần nữa\n")
    assert send(app, again)[0].outcome == "cancel.incoming-rejected"

    # Open work: digest, weekly overdue, statistics.
    clock.set(vn_time(2026, 11, 30, 7, 0))
    with app.uow() as uow:
        s = uow.session
        unit = unit_by_code(s, "VKSQN")
        leader = next(p for p in own_leaders(s, unit) if p.email == LEADER)
        d = build_digest(s, unit, leader, dt.date(2026, 11, 30), clock.now(), app.settings.tz, app.settings.calendar)
        ids = descendant_units(s, unit.id)
        stats = compute(s, ids, month_period(2026, 11), tz=app.settings.tz, now=clock.now())
        november = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        register = register_rows(s, unit, RegisterKind.INCOMING, *november, app.settings.tz, now=clock.now())
        follow_up = register_rows(s, unit, RegisterKind.FOLLOW_UP, *november, app.settings.tz, now=clock.now())
    assert d.incoming_total == 0 and d.waiting.total == 0 and d.overdue.total == 0 and d.urgent.total == 0
    assert all(t.count == 0 for t in d.trend)
    assert stats.unit_total.incoming == 0 and stats.unit_total.assigned == 0 and stats.assignee_total.open == 0
    [row] = register.rows  # still in the register, marked
    assert row[1] == "01" and row[-1].endswith("Đã hủy ngày 21/11/2026: Thư rác quảng cáo, tệp PDF không có chữ ký số.")
    [row] = follow_up.rows
    assert "Đã hủy ngày 21/11/2026" in " ".join(row) and "Đang giải quyết" not in " ".join(row)
    # A new document takes the next number: a cancelled số đến is never given again.
    assert send(app, incoming(POLICE, "Gửi quyết định", [("qd.pdf", pdfkit.valid(pki))]))[0].outcome == (
        "intake.registered"
    )
    assert [d.number_str for d in documents(app)] == ["01", "02"]


# --- item 8: forwards by staff, replies from outside --------------------------------------------------------

FORWARDED = (
    "Nhờ văn thư vào sổ giúp em.\n\n"
    "---------- Forwarded message ---------\n"
    "From: Cơ quan CSĐT Công an tỉnh Quảng Ninh <pc01@congan.quangninh.gov.vn>\n"
    "Date: Thu, 19 Nov 2026 at 16:40\n"
    "Subject: Công văn 130/CV-CSĐT về việc trao đổi hồ sơ vụ án\n"
    "To: <ksv.lan@vksquangninh.gov.vn>\n\n"
    "Kính gửi Kiểm sát viên, gửi đồng chí công văn đính kèm.\n"
)


def test_an_officers_forward_of_a_signed_document_registers_it(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    pdf = pdfkit.valid(pki, DocText(number="130/CV-CSĐT", doc_type="CÔNG VĂN", title="V/v trao đổi hồ sơ vụ án"))
    subject = "Fwd: Công văn 130/CV-CSĐT về việc trao đổi hồ sơ vụ án"
    msg = incoming(
        OFFICER, subject, [("cv130.pdf", pdf)], body=FORWARDED.replace("Nhờ văn thư vào sổ giúp em.", "Em gửi.")
    )
    [result] = send(app, msg)
    assert result.outcome == "intake.registered"
    [doc] = documents(app)
    assert doc.issuer == "CÔNG AN TỈNH QUẢNG NINH - CƠ QUAN CẢNH SÁT ĐIỀU TRA" and doc.orig_number == "130/CV-CSĐT"
    assert doc.orig_date == dt.date(2026, 4, 5) and doc.field_sources["date"] == "pdf"
    assert doc.field_sources["forwarded_by"] == OFFICER and doc.sender_email == POLICE
    assert any("Phạm Thị Lan" in w and "chuyển tiếp" in w for w in doc.warnings)
    [confirmation] = _to(app, OFFICER)
    assert "Đã vào sổ văn bản đến số 01" in confirmation.subject and confirmation.in_reply_to == msg["Message-ID"]
    assert _to(app, POLICE) == []  # the original sender did not write to us: no receipt
    assert any("Phạm Thị Lan" in w for w in _to(app, CLERK)[0].body_text.splitlines())
    with app.uow() as uow:
        forwarded = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "incoming.forwarded")
        ).scalar_one()
        registered = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "incoming.register")
        ).scalar_one()
    assert forwarded.actor == OFFICER and forwarded.details["original_sender"] == POLICE
    assert registered.actor == OFFICER


@pytest.mark.parametrize(
    ("prefix", "registered"),
    [("Fwd:", True), ("FW:", True), ("CT:", True), ("Chuyển tiếp:", True), ("TL:", False), ("Re:", False)],
)
def test_only_forward_prefixes_make_a_forward(prefix: str, registered: bool) -> None:
    """Vietnamese Outlook writes ``CT:`` (chuyển tiếp) for a forward and ``TL:`` (trả lời) for a reply."""
    msg = incoming(OFFICER, f"{prefix} Công văn 130/CV-CSĐT", [("cv130.pdf", b"%PDF-1.7\n%%EOF\n")], body="Em gửi.")
    assert is_forward(parse(msg.as_bytes())) is registered


def test_a_forward_with_vào_sổ_takes_issuer_and_date_from_the_forwarded_header(intake_app: App) -> None:
    app = intake_app
    page = pdfkit.text_page(("Kính gửi: Viện kiểm sát nhân dân tỉnh Quảng Ninh", "Nội dung trao đổi về hồ sơ."))
    msg = incoming(OFFICER, "Công văn của cơ quan điều tra", [("cv.pdf", page)], body=FORWARDED)
    [result] = send(app, msg)
    assert result.outcome == "intake.registered"
    [doc] = documents(app)
    assert doc.issuer == "Cơ quan CSĐT Công an tỉnh Quảng Ninh" and doc.field_sources["issuer"] == "forward"
    assert doc.orig_date == dt.date(2026, 11, 19) and doc.orig_number == "130/CV-CSĐT"
    assert doc.summary == "Công văn 130/CV-CSĐT về việc trao đổi hồ sơ vụ án"


def test_forwarded_header_blocks_of_common_mail_programs() -> None:
    outlook = "Vào sổ\n\nFrom: Tòa án <vt@toaan.gov.vn>\nSent: Thursday, November 19, 2026 4:40 PM\nSubject: TB 7\n"
    vn = "Từ: Tòa án nhân dân tỉnh <vt@toaan.gov.vn>\nĐã gửi: Thứ Năm, 19 tháng 11, 2026 16:40\nChủ đề: Thông báo\n"
    for body in (outlook, vn):
        fwd = forwarded_header(body)
        assert fwd is not None and fwd.sender == "vt@toaan.gov.vn" and fwd.sent == dt.date(2026, 11, 19)
    assert forwarded_header("Xin chào, không có thư chuyển tiếp.") is None


def test_an_officers_plain_mail_with_a_pdf_still_gets_the_help_text(intake_app: App, pki: TestPki) -> None:
    msg = incoming(OFFICER, "Gửi anh xem", [("a.pdf", pdfkit.valid(pki))], body="Anh xem giúp em.")
    assert send(intake_app, msg)[0].outcome == "help.unknown-command"
    assert documents(intake_app) == []


@pytest.mark.parametrize("routed", [True, False])
def test_an_outside_reply_with_our_tag_is_attached_and_sent_on(intake_app: App, pki: TestPki, routed: bool) -> None:
    app = intake_app
    text = DocText() if routed else DocText(doc_type="THÔNG BÁO", number="77/TB-UBND", title="Về việc lịch nghỉ")
    send(app, incoming(POLICE, "Gửi văn bản", [("a.pdf", pdfkit.valid(pki, text))]))
    [doc] = documents(app)
    reply = incoming(
        POLICE,
        f"Re: [{doc.tag}] Đã tiếp nhận văn bản",
        [("bo-sung.pdf", pdfkit.unsigned(DocText(number="131/CV-CSĐT")))],
        body="Chúng tôi gửi bổ sung tài liệu theo yêu cầu.\n\n> Trích thư cũ\n",
    )
    [result] = send(app, reply)
    assert (result.outcome, result.moved_to) == ("intake.reply-attached", "Processed")
    assert rows(app, QuarantineItem) == []
    files = [f for f in rows(app, DocumentFile) if f.document_id == doc.id]
    assert [f.filename for f in files] == ["a.pdf", "bo-sung.pdf"]
    assert app.files.get(files[1].sha256)[:5] == b"%PDF-"
    holder = P2_HEAD if routed else CLERK
    [sent_on] = [r for r in _to(app, holder) if r.kind == "outside-reply"]
    assert sent_on.subject.startswith(f"[{doc.tag}] Thư trả lời từ")
    assert "gửi bổ sung tài liệu" in sent_on.body_text and sent_on.attachments[0]["filename"] == "bo-sung.pdf"
    assert [r for r in outbox(app) if r.in_reply_to == reply["Message-ID"]] == []  # nothing goes back
    assert "incoming.reply-attached" in _actions(app)
    assert len(documents(app)) == 1


# --- item 11: distinct documents are not merged -------------------------------------------------------------


def _petition(lawyer: str) -> bytes:
    return pdfkit.text_page(
        (
            "# CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "# Độc lập - Tự do - Hạnh phúc",
            "# ĐƠN ĐỀ NGHỊ",
            "# V/v cấp giấy chứng nhận người bào chữa",
            "Kính gửi: Viện kiểm sát nhân dân tỉnh Quảng Ninh",
            f"Tôi là luật sư {lawyer}, Đoàn luật sư tỉnh Quảng Ninh,",
            "đề nghị được tham gia tố tụng bào chữa cho bị can trong vụ án số 12/2026/HS",
            "do Cơ quan CSĐT Công an tỉnh Quảng Ninh thụ lý.",
            "Quảng Ninh, ngày 20 tháng 11 năm 2026",
        )
    )


def test_two_lawyers_petitions_in_one_case_are_two_documents(intake_app: App) -> None:
    app = intake_app
    subject = "Đơn đề nghị vụ án số 12/2026/HS"
    a = incoming("ls.an@luatsu.vn", subject, [("don.pdf", _petition("Nguyễn Văn An"))], sender_name="LS Nguyễn Văn An")
    b = incoming("ls.binh@luatsu.vn", subject, [("don.pdf", _petition("Lê Thị Bình"))], sender_name="LS Lê Thị Bình")
    assert [r.outcome for r in send(app, a, b)] == ["intake.registered", "intake.registered"]
    first, second = documents(app)
    for doc in (first, second):
        assert doc.orig_number == "" and doc.issuer != "ĐƠN ĐỀ NGHỊ" and doc.case_ref == "12/2026/HS"
        assert doc.summary.startswith("Đơn đề nghị")
        assert not any("Có thể trùng" in w for w in doc.warnings)
    assert (first.issuer, second.issuer) == ("LS Nguyễn Văn An", "LS Lê Thị Bình")
    assert first.field_sources["issuer"] == "email"
    assert ["số đến 01" in r.subject for r in _to(app, "ls.an@luatsu.vn")] == [True]
    assert ["số đến 02" in r.subject for r in _to(app, "ls.binh@luatsu.vn")] == [True]


def test_number_issuer_and_date_come_from_the_header_block_only() -> None:
    catalog = DocTypeCatalog()
    petition = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nĐƠN ĐỀ NGHỊ\nV/v bào chữa\n"
    body = "Căn cứ Quyết định số 15/QĐ-VKSQN ngày 01 tháng 3 năm 2026, vụ án số 12/2026/HS\n"
    meta = from_page_text(petition + body, catalog)
    assert (meta.number, meta.issuer, meta.date) == ("", "", None)
    assert meta.summary == "Đơn đề nghị v/v bào chữa" and meta.case_ref == "12/2026/HS"
    header = "TÒA ÁN NHÂN DÂN\nTỈNH QUẢNG NINH\nSố: 88/TB-TA\nQuảng Ninh, ngày 02 tháng 11 năm 2026\nTHÔNG BÁO\n"
    meta = from_page_text(header + "V/v thụ lý vụ án\n" + body, catalog)
    assert (meta.number, meta.issuer, meta.date) == (
        "88/TB-TA",
        "TÒA ÁN NHÂN DÂN - TỈNH QUẢNG NINH",
        dt.date(2026, 11, 2),
    )
    assert meta.sources["number"] == meta.sources["issuer"] == meta.sources["date"] == "pdf"


def test_a_doubtful_match_is_registered_and_the_clerk_is_told(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    first = incoming(POLICE, "Gửi quyết định", [("qd.pdf", pdfkit.valid(pki))])
    # The same number in the subject only, and a page without a header block: maybe the same, maybe not.
    page = pdfkit.text_page(("Bản chụp quyết định gửi kèm.",))
    second = incoming(POLICE, "Gửi lại Quyết định 123/QĐ-CSĐT", [("scan.pdf", page)])
    assert [r.outcome for r in send(app, first, second)] == ["intake.registered", "intake.registered"]
    one, two = documents(app)
    assert two.orig_number == "123/QĐ-CSĐT" and two.field_sources["number"] == "subject"
    [warning] = [w for w in two.warnings if "Có thể trùng" in w]
    assert f"văn bản đến số {one.number_str} [{one.tag}]" in warning
    clerk_copy = next(r for r in _to(app, CLERK) if "số 02" in r.subject)
    assert "Có thể trùng với văn bản đến số 01" in clerk_copy.body_text
    receipts = [r.subject for r in _to(app, POLICE)]
    assert any("số đến 01" in s for s in receipts) and any("số đến 02" in s for s in receipts)
    assert [r.outcome for r in ledger(app)] == ["intake.registered", "intake.registered"]


def test_same_number_from_another_issuer_is_a_distinct_document(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    ours = pdfkit.valid(pki)
    theirs = pdfkit.valid(pki, DocText(authority="CÔNG AN TỈNH HẢI DƯƠNG"))
    results = send(app, incoming(POLICE, "a", [("a.pdf", ours)]), incoming(POLICE, "b", [("b.pdf", theirs)]))
    assert [r.outcome for r in results] == ["intake.registered", "intake.registered"]
    assert not any("Có thể trùng" in w for d in documents(app) for w in d.warnings)
