"""Incoming documents through the real processor and PDF service, one test per kind of input.

Every case asserts its exact outcome (registered with which warnings, returned with which reason, or
quarantined) and that the original message is still there: in the raw store, or — for a secret
document, which vanthu must not keep — untouched in the quarantine folder.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from pathlib import Path

import pytest

from tests.flowkit import documents, inbox_root, ledger, outbox, rows, send
from tests.support import CLERK, LEADER, incoming, make_intake_app, request
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.clock import FixedClock
from vanthu.models.tables import Assignment, DocumentFile, MailLedger, QuarantineItem, SignatureCheck
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
POLICE_NAME = "Cơ quan CSĐT Công an tỉnh Quảng Ninh"


def _outcome(app: App, *files: tuple[str, bytes], subject: str = "Gửi Quyết định khởi tố bị can") -> str:
    [result] = send(app, incoming(POLICE, subject, list(files), sender_name=POLICE_NAME))
    return result.outcome


def _mail_to(app: App, address: str) -> list[str]:
    return [r.subject for r in outbox(app) if r.to_addr == address]


def _raw_kept(app: App) -> None:
    for row in ledger(app):
        assert app.rawstore.get(row.sha256)[:5] in (b"From:", b"Conte", b"MIME-", b"Subje", b"To: p", b"Date:")


def test_valid_signed_document_registers_and_everyone_is_told(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    assert _outcome(app, ("qd-khoi-to.pdf", pdfkit.valid(pki))) == "intake.registered"
    [doc] = documents(app)
    assert (doc.direction, doc.status, doc.number_str, doc.register.code) == ("in", "registered", "01", "DEN")
    assert doc.orig_number == "123/QĐ-CSĐT" and doc.orig_date == dt.date(2026, 4, 5)
    assert doc.issuer == "CÔNG AN TỈNH QUẢNG NINH - CƠ QUAN CẢNH SÁT ĐIỀU TRA"
    assert doc.summary.startswith("Quyết định về việc khởi tố bị can") and doc.case_ref == "12/2026/HS"
    assert doc.warnings == [] and doc.field_sources["number"] == "pdf"
    [check] = rows(app, SignatureCheck)
    assert (check.intact, check.valid, check.trusted, check.revoked, check.problem) == (True, True, True, False, "")
    assert check.signer_name == "Nguyễn Văn An"
    receipt = next(r for r in outbox(app) if r.to_addr == POLICE)
    assert "số đến 01" in receipt.subject and "03 — Đã tiếp nhận (vào sổ)" in receipt.body_text
    [xml] = receipt.attachments
    assert xml["filename"] == "trangthai.xml" and "<edXML:StatusCode>03</edXML:StatusCode>" in xml["text"]
    clerk_copy = next(r for r in outbox(app) if r.to_addr == CLERK)
    assert "Đã vào sổ văn bản đến số 01" in clerk_copy.subject
    assert clerk_copy.attachments == [
        {"filename": "qd-khoi-to.pdf", "content_type": "application/pdf", "sha256": rows(app, DocumentFile)[0].sha256}
    ]
    assert app.files.get(clerk_copy.attachments[0]["sha256"])[:5] == b"%PDF-"
    assert any(r.to_addr == LEADER and "Văn bản đến" in r.subject for r in outbox(app))
    _raw_kept(app)


def test_untrusted_signature_registers_with_a_warning(intake_app: App, pki: TestPki) -> None:
    assert _outcome(intake_app, ("a.pdf", pdfkit.untrusted(pki))) == "intake.registered"
    [doc] = documents(intake_app)
    assert doc.warnings == [
        "a.pdf: chữ ký của Nguyễn Văn An: chứng thư số không thuộc tổ chức cung cấp dịch vụ tin cậy."
    ]


def test_expired_signer_registers_with_a_warning(intake_app: App, pki: TestPki) -> None:
    assert _outcome(intake_app, ("a.pdf", pdfkit.expired(pki))) == "intake.registered"
    [doc] = documents(intake_app)
    assert len(doc.warnings) == 1 and "chứng thư số đã hết hạn" in doc.warnings[0]


def test_unsigned_document_registers_with_a_warning(intake_app: App, pki: TestPki) -> None:
    assert _outcome(intake_app, ("a.pdf", pdfkit.unsigned())) == "intake.registered"
    assert documents(intake_app)[0].warnings == ["a.pdf: không có chữ ký số."]


def test_two_signatures_are_both_checked(intake_app: App, pki: TestPki) -> None:
    assert _outcome(intake_app, ("a.pdf", pdfkit.two_signatures(pki))) == "intake.registered"
    checks = rows(intake_app, SignatureCheck)
    assert len(checks) == 2 and all(c.intact and c.trusted for c in checks)
    assert documents(intake_app)[0].warnings == []


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("revoked", "chứng thư số đã bị thu hồi"),
        ("modified_after_signing", "văn bản bị sửa đổi sau khi ký"),
        ("sha1_signed", "chữ ký dùng thuật toán băm yếu (SHA-1)"),
    ],
)
def test_invalid_signatures_are_returned_with_the_reason(intake_app: App, pki: TestPki, kind: str, reason: str) -> None:
    app = intake_app
    assert _outcome(app, ("a.pdf", getattr(pdfkit, kind)(pki))) == "intake.returned"
    assert documents(app) == []
    [refusal] = outbox(app)
    assert refusal.to_addr == POLICE and refusal.subject.startswith("Trả lại văn bản 123/QĐ-CSĐT")
    assert reason in refusal.body_text and "02 — Từ chối tiếp nhận" in refusal.body_text
    assert "<edXML:StatusCode>02</edXML:StatusCode>" in refusal.attachments[0]["text"]
    [row] = ledger(app)
    assert row.state == "done" and row.outcome == "intake.returned"
    _raw_kept(app)


def test_policy_can_return_untrusted_documents(db_url: str, tmp_path: Path, clock: FixedClock, pki: TestPki) -> None:
    app = make_intake_app(db_url, tmp_path, clock, pki, untrusted="return")
    try:
        assert _outcome(app, ("a.pdf", pdfkit.untrusted(pki))) == "intake.returned"
        assert "không thuộc tổ chức cung cấp dịch vụ tin cậy" in outbox(app)[0].body_text
    finally:
        app.close()


@pytest.mark.parametrize(
    ("kind", "outcome", "reason"),
    [
        ("encrypted", "quarantined.encrypted", "được đặt mật khẩu"),
        ("truncated", "quarantined.unreadable", "bị hỏng"),
        ("not_a_pdf", "quarantined.not-pdf", "không phải là tệp PDF"),
    ],
)
def test_unreadable_files_are_quarantined_for_the_clerk(
    intake_app: App, pki: TestPki, kind: str, outcome: str, reason: str
) -> None:
    app = intake_app
    make = getattr(pdfkit, kind)
    data = make(pki) if kind == "truncated" else make()
    msg = incoming(POLICE, "Gửi văn bản", [("vb.pdf", data)])
    [result] = send(app, msg)
    assert (result.outcome, result.moved_to) == (outcome, "Quarantine")
    assert documents(app) == []
    [item] = rows(app, QuarantineItem)
    assert item.state == "pending" and item.sender == POLICE and reason in item.reason
    [notice] = outbox(app)
    assert notice.to_addr == CLERK and notice.subject.startswith(f"[{item.tag}] Thư cần văn thư xử lý")
    assert "«Đăng ký»" in notice.body_text and reason in notice.body_text
    kept = inbox_root(app).root / "Quarantine"
    assert [p.read_bytes() for p in kept.iterdir() if p.name.isdigit()] == [msg.as_bytes()]
    _raw_kept(app)


def test_mail_without_pdf_is_quarantined(intake_app: App) -> None:
    [result] = send(intake_app, request(POLICE, "Đề nghị phối hợp", "Nội dung trong thư."))
    assert result.outcome == "quarantined.no-pdf"
    assert "không kèm tệp PDF" in rows(intake_app, QuarantineItem)[0].reason


@pytest.mark.parametrize("where", ["page", "subject"])
def test_secret_documents_are_not_kept(intake_app: App, pki: TestPki, where: str) -> None:
    app = intake_app
    if where == "page":
        msg = incoming(POLICE, "Gửi tài liệu", [("a.pdf", pdfkit.secret_marked(pki))])
    else:
        msg = incoming(POLICE, "Gửi tài liệu Tối mật về vụ án", [("a.pdf", pdfkit.valid(pki))])
    [result] = send(app, msg)
    assert (result.outcome, result.moved_to) == ("quarantined.secret", "Quarantine")
    assert documents(app) == [] and rows(app, DocumentFile) == []
    [row] = rows(app, MailLedger)
    assert row.subject == "" and row.message_id == "" and row.sender == POLICE
    with pytest.raises(FileNotFoundError):
        app.rawstore.get(row.sha256)
    [item] = rows(app, QuarantineItem)
    assert item.subject == "" and item.reason_code == "secret"
    [notice] = outbox(app)
    assert "xử lý trên giấy" in notice.subject and "tài liệu" not in notice.subject.split("—")[-1]
    assert "Gửi tài liệu" not in notice.body_text and notice.attachments == []
    kept = inbox_root(app).root / "Quarantine"
    assert [p.read_bytes() for p in kept.iterdir() if p.name.isdigit()] == [msg.as_bytes()]


def test_a_duplicate_is_registered_once(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    pdf = pdfkit.valid(pki)
    first = incoming(POLICE, "Gửi quyết định", [("a.pdf", pdf)])
    again = incoming(POLICE, "Gửi lại quyết định", [("a.pdf", pdf)])
    renamed = incoming(POLICE, "Gửi lại lần nữa", [("b.pdf", pdfkit.unsigned())])  # same number+issuer
    results = send(app, first, again, renamed)
    assert [r.outcome for r in results] == ["intake.registered", "intake.duplicate", "intake.duplicate"]
    assert [d.number_str for d in documents(app)] == ["01"]
    duplicates = [s for s in _mail_to(app, CLERK) if "Văn bản gửi trùng" in s]
    assert len(duplicates) == 2
    receipts = [s for s in _mail_to(app, POLICE) if "số đến 01" in s]
    assert len(receipts) == 3


def test_a_duplicate_from_another_address_gets_no_receipt_of_the_registered_document(
    intake_app: App, pki: TestPki
) -> None:
    """Receipt probing: a copy of a registered document must not reveal its receipt to anyone else."""
    app = intake_app
    pdf = pdfkit.valid(pki)
    prober = "thamdo@evil.example"
    results = send(
        app,
        incoming(POLICE, "Gửi quyết định", [("a.pdf", pdf)]),
        incoming(prober, "Số: 123/QĐ-CSĐT", [("a.pdf", pdf)], sender_name="Công an tỉnh Quảng Ninh"),
    )
    assert [r.outcome for r in results] == ["intake.registered", "intake.duplicate"]
    assert _mail_to(app, prober) == []
    assert len([s for s in _mail_to(app, CLERK) if "Văn bản gửi trùng" in s]) == 1


def test_emergency_arrest_is_routed_to_p2_with_12_hours(intake_app: App, pki: TestPki, clock: FixedClock) -> None:
    app = intake_app
    clock.set(dt.datetime(2026, 11, 21, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))  # Saturday evening
    text = DocText(
        number="45/CSĐT",
        doc_type="CÔNG VĂN",
        title="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
        urgency="HỎA TỐC",
    )
    assert _outcome(app, ("bat-khan-cap.pdf", pdfkit.valid(pki, text))) == "intake.registered"
    [doc] = documents(app)
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.deadline_at == dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)  # Sunday 08:00 in Hà Nội
    assert "Điều 110" in main.legal_basis
    p2_head = "truongphong.p2@vksquangninh.gov.vn"
    [notice] = [r for r in outbox(app) if r.to_addr == p2_head]
    assert notice.priority == "urgent"
    assert notice.subject.startswith(f"[{doc.tag}] [HỎA TỐC] Giao xử lý:")
    assert notice.subject.endswith("hạn 08:00 22/11/2026")


def test_a_day_limit_ending_on_sunday_stays_and_the_notice_says_so(
    intake_app: App, pki: TestPki, clock: FixedClock
) -> None:
    # Điều 134 BLTTHS: 3 days from Thursday 03/12/2026 end at 24:00 on Sunday 06/12, not on Monday.
    app = intake_app
    clock.set(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    assert _outcome(app, ("qd.pdf", pdfkit.valid(pki))) == "intake.registered"
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.deadline_at == dt.datetime(2026, 12, 6, 16, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Hà Nội
    [notice] = [r for r in outbox(app) if r.to_addr == "truongphong.p2@vksquangninh.gov.vn"]
    assert notice.subject.endswith("hạn 23:59 06/12/2026")
    assert "ngày cuối 06/12/2026 là ngày nghỉ (Chủ nhật); hạn không lùi" in " ".join(notice.body_text.split())


def test_a_conclusion_without_the_crime_category_gets_20_days_and_a_flag(
    intake_app: App, pki: TestPki, clock: FixedClock
) -> None:
    app = intake_app
    clock.set(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    text = DocText(number="12/KLĐT", title="Về việc kết luận điều tra vụ án Trộm cắp tài sản, đề nghị truy tố")
    assert _outcome(app, ("kldt.pdf", pdfkit.valid(pki, text))) == "intake.registered"
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.deadline_at == dt.datetime(2026, 12, 23, 16, 59, 59, tzinfo=dt.UTC)  # Điều 240: 20 days
    assert main.legal_basis.startswith("Điều 240 khoản 1")
    [notice] = [r for r in outbox(app) if r.to_addr == "truongphong.p2@vksquangninh.gov.vn"]
    assert "Cần lãnh đạo lưu ý" in notice.body_text and "Văn bản không ghi rõ loại tội phạm" in notice.body_text
    assert "Cần lãnh đạo lưu ý" in notice.body_html


def test_unmatched_document_waits_for_the_leader(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    text = DocText(doc_type="THÔNG BÁO", number="77/TB-UBND", title="Về việc lịch nghỉ Tết")
    assert _outcome(app, ("tb.pdf", pdfkit.valid(pki, text))) == "intake.registered"
    roles = sorted(a.role for a in rows(app, Assignment))
    assert roles == ["decide"]
    assert any(
        r.to_addr == LEADER and "Văn bản đến" in r.subject and "chờ đồng chí phân công" in r.body_text
        for r in outbox(app)
    )


def test_paper_document_takes_the_next_arrival_number(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    _outcome(app, ("a.pdf", pdfkit.valid(pki)))
    scan = incoming(
        CLERK,
        "Giấy: Công văn của UBND tỉnh về việc phối hợp",
        [("scan.pdf", pdfkit.unsigned())],
        body="Số: 88/UBND-NC\nNgày: 10/11/2026\nCơ quan ban hành: UBND tỉnh Quảng Ninh\n",
    )
    [result] = send(app, scan)
    assert result.outcome == "paper.registered"
    paper = documents(app)[-1]
    assert (paper.number_str, paper.paper, paper.orig_number) == ("02", True, "88/UBND-NC")
    assert paper.orig_date == dt.date(2026, 11, 10) and paper.issuer == "UBND tỉnh Quảng Ninh"
    assert paper.field_sources["issuer"] == "clerk"
    assert any(r.to_addr == CLERK and "Đã vào sổ văn bản đến số 02" in r.subject for r in outbox(app))


def test_clerk_registers_or_returns_quarantined_mail_by_reply(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    send(app, incoming(POLICE, "Gửi văn bản A", [("a.pdf", pdfkit.encrypted())]))
    send(app, incoming("ubnd@quangninh.gov.vn", "Gửi văn bản B", [("b.pdf", pdfkit.not_a_pdf())]))
    first, second = rows(app, QuarantineItem)
    register = request(
        CLERK,
        f"Re: [{first.tag}] Thư cần văn thư xử lý",
        "Đăng ký\nSố: 123/QĐ-CSĐT\nTrích yếu: Quyết định khởi tố bị can (bản có mật khẩu)\n",
    )
    give_back = request(
        CLERK, f"Re: [{second.tag}] Thư cần văn thư xử lý", "Trả lại: tệp gửi kèm không phải văn bản PDF\n"
    )
    results = send(app, register, give_back)
    assert [r.outcome for r in results] == ["decision.registered", "decision.returned"]
    [doc] = documents(app)
    assert doc.orig_number == "123/QĐ-CSĐT" and doc.summary == "Quyết định khởi tố bị can (bản có mật khẩu)"
    assert doc.warnings and "Văn thư quyết định vào sổ" in doc.warnings[0]
    first, second = rows(app, QuarantineItem)
    assert (first.state, first.document_id, second.state) == ("registered", doc.id, "returned")
    assert any(r.to_addr == POLICE and "số đến 01" in r.subject for r in outbox(app))
    returned = next(r for r in outbox(app) if r.to_addr == "ubnd@quangninh.gov.vn")
    assert "tệp gửi kèm không phải văn bản PDF" in returned.body_text
    again = request(CLERK, f"Re: [{second.tag}] x", "Trả lại: lần nữa\n")
    assert send(app, again)[0].outcome == "decision.already"


def test_receipt_mime_carries_the_status_part(intake_app: App, pki: TestPki) -> None:
    import asyncio

    from tests.test_outbox import RecordingTransport
    from vanthu.worker.outbox_sender import deliver_due

    app = intake_app
    _outcome(app, ("a.pdf", pdfkit.valid(pki)))
    transport = RecordingTransport()
    asyncio.run(deliver_due(app, transport))
    receipt = next(m for m in transport.sent if m["To"] == POLICE)
    parts = {p.get_filename(): p for p in receipt.iter_attachments()}
    assert b"<edXML:StatusCode>03</edXML:StatusCode>" in parts["trangthai.xml"].get_content()
    clerk = next(m for m in transport.sent if m["To"] == CLERK)
    [pdf] = list(clerk.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content()[:5] == b"%PDF-"
    assert message_from_bytes(clerk.as_bytes()).is_multipart()
