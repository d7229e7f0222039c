"""Malformed and oddly encoded mail: readable notices, decidable quarantine items, no U+FFFD subjects.

Issue 8, items 6 and 10. The messages are real (a CPython email test message, kept under
tests/data/mail/malformed/ with its origin) or rebuilt byte for byte from what such mail programs send:
a From address with a UTF-8 local part (RFC 6532), raw 8-bit Latin-1 and GBK subjects.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from mailflows.message import MalformedMessage, decode_8bit, parse, salvage
from models.tables import DocumentFile, QuarantineItem
from tests.flowkit import documents, inbox_root, ledger, outbox, rows, send
from tests.support import CLERK, incoming, request
from worker import testpki as pdfkit
from worker.app import App
from worker.local_source import deliver_local
from worker.processor import Processor, Result
from worker.testpki import TestPki

MALFORMED = Path(__file__).resolve().parent / "data" / "mail" / "malformed"
POLICE = "pc01@congan.quangninh.gov.vn"
UTF8_SENDER = "Cơ quan điều tra <điềutra@congan.quangninh.gov.vn>"


def _send_raw(app: App, *raws: bytes) -> list[Result]:
    source = inbox_root(app)
    for raw in raws:
        deliver_local(source.root, raw)
    return Processor(app, app.config.mailboxes[0]).drain(source)


def _with_utf8_sender(raw: bytes) -> bytes:
    """The same message as a mail program that writes RFC 6532 headers sends it: From in raw UTF-8."""
    head, sep, rest = raw.partition(b"\n\n")
    lines = [b"From: " + UTF8_SENDER.encode() if line.startswith(b"From:") else line for line in head.split(b"\n")]
    return b"\n".join(lines) + sep + rest


def _latin1_subject(raw: bytes, subject: bytes) -> bytes:
    head, sep, rest = raw.partition(b"\n\n")
    lines = [b"Subject: " + subject if line.startswith(b"Subject:") else line for line in head.split(b"\n")]
    return b"\n".join(lines) + sep + rest


# --- item 10: decoding raw 8-bit headers ---


@pytest.mark.parametrize(
    ("data", "body_charset", "expected"),
    [
        ("Réunion à Paris".encode("latin-1"), "iso-8859-1", "Réunion à Paris"),
        ("Réunion à Paris".encode("latin-1"), None, "Réunion à Paris"),  # no charset anywhere: cp1252
        ("“Quote” – naïve".encode("cp1252"), None, "“Quote” – naïve"),
        ("Größe".encode("cp1252"), None, "Größe"),  # two accented letters in a row are still Latin
        ("关于召开会议的通知".encode("gbk"), None, "关于召开会议的通知"),
        ("回复：关于会议".encode("gbk"), "gb2312", "回复：关于会议"),
        ("Gửi văn bản số 12".encode(), "iso-8859-1", "Gửi văn bản số 12"),  # valid UTF-8 wins
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
    ],
)
def test_raw_8bit_headers_decode_like_mail_programs(data: bytes, body_charset: str | None, expected: str) -> None:
    assert decode_8bit(data, body_charset) == expected


def test_raw_8bit_subject_and_sender_name_are_read_without_replacement_characters() -> None:
    latin = (
        b"From: Andr\xe9 Duch\xeane <andre@example.fr>\r\nTo: vanthu@vksquangninh.gov.vn\r\n"
        b"Subject: R\xe9union \xe0 Paris\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nBonjour \xe0 tous\r\n"
    )
    msg = parse(latin)
    assert (msg.sender, msg.sender_name, msg.subject) == ("andre@example.fr", "André Duchêne", "Réunion à Paris")
    assert msg.body.startswith("Bonjour à tous")
    gbk = "From: 张伟 <zhang@example.cn>\r\nSubject: 关于召开会议的通知\r\n\r\nhello\r\n".encode("gbk")
    msg = parse(gbk)
    assert (msg.sender_name, msg.subject) == ("张伟", "关于召开会议的通知")
    assert "\ufffd" not in msg.subject + msg.sender_name


def test_decoding_stays_linear_on_hostile_headers() -> None:
    hostile = b"From: a@b.vn\r\nSubject: " + b"\xe9\xa0" * 200_000 + b"\r\n\r\nx"
    started = time.perf_counter()
    msg = parse(hostile)
    assert len(msg.subject) > 1000 and time.perf_counter() - started < 5
    many = b"From: a@b.vn\r\n" + b"".join(b"X-H%d: v\xe9\r\n" % i for i in range(20_000)) + b"Subject: s\r\n\r\nx"
    started = time.perf_counter()
    msg = parse(many)
    assert msg.headers["x-h7"] == "vé" and time.perf_counter() - started < 5  # one pass over the headers


def test_malformed_message_says_why_in_vietnamese_with_what_could_be_read() -> None:
    raw = _with_utf8_sender(incoming(POLICE, "Gửi Quyết định khởi tố bị can", []).as_bytes())
    with pytest.raises(MalformedMessage) as caught:
        parse(raw)
    assert "RFC 6532" in caught.value.reason and "không phải ASCII" in caught.value.reason
    assert caught.value.sender == UTF8_SENDER and caught.value.subject == "Gửi Quyết định khởi tố bị can"
    read = salvage(raw)
    assert (read.sender, read.sender_name, read.subject) == ("", "Cơ quan điều tra", "Gửi Quyết định khởi tố bị can")
    cpython = (MALFORMED / "cpython_msg_18.txt").read_bytes()
    with pytest.raises(MalformedMessage, match="không có địa chỉ người gửi"):
        parse(cpython)
    assert salvage(cpython).sender == ""
    with pytest.raises(MalformedMessage, match="trường From «Công an tỉnh Quảng Ninh» không có địa chỉ thư điện tử"):
        parse("From: Công an tỉnh Quảng Ninh\nSubject: x\n\nx".encode())


def test_notice_of_a_malformed_message_shows_sender_subject_and_reason(app: App) -> None:
    raw = _with_utf8_sender(
        _latin1_subject(request(POLICE, "x", "Nội dung").as_bytes(), "Caf\xe9 cr\xe8me".encode("latin-1"))
    )
    [result] = _send_raw(app, raw)
    assert result.outcome == "quarantined.malformed"
    [notice] = outbox(app)
    assert notice.to_addr == CLERK
    assert "Café crème" in notice.subject
    text = notice.body_text
    assert UTF8_SENDER in text and "Café crème" in text
    assert "Thư không đọc được: địa chỉ người gửi «điềutra@congan.quangninh.gov.vn» có ký tự không phải ASCII" in text
    assert "no sender" not in text and "invalid sender" not in text and "\ufffd" not in text
    [item] = rows(app, QuarantineItem)
    assert (item.sender, item.subject) == (UTF8_SENDER, "Café crème")


def test_stored_subjects_of_8bit_mail_have_no_replacement_characters(app: App) -> None:
    raw = _latin1_subject(request(POLICE, "x", "Bonjour").as_bytes(), "R\xe9ponse \xe0 la demande".encode("latin-1"))
    send_results = _send_raw(app, raw)
    assert len(send_results) == 1
    [row] = ledger(app)
    assert row.subject == "Réponse à la demande"


def test_a_malformed_message_marked_secret_is_not_kept(app: App) -> None:
    raw = _with_utf8_sender(request(POLICE, "MẬT - Kế hoạch phối hợp", "Nội dung").as_bytes())
    [result] = _send_raw(app, raw)
    assert (result.outcome, result.moved_to) == ("quarantined.secret", "Quarantine")
    [row] = ledger(app)
    assert (row.outcome, row.subject) == ("quarantined.secret", "")
    with pytest.raises(OSError):
        app.rawstore.get(row.sha256)
    [item] = rows(app, QuarantineItem)
    assert (item.reason_code, item.subject) == ("secret", "")
    [notice] = outbox(app)
    assert "Kế hoạch phối hợp" not in notice.subject + notice.body_text


# --- item 6: every quarantine item can be decided ---


def test_clerk_registers_a_malformed_original_from_what_can_be_read(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    raw = _with_utf8_sender(
        incoming(POLICE, "Gửi Quyết định khởi tố bị can", [("qd-khoi-to.pdf", pdfkit.valid(pki))]).as_bytes()
    )
    [result] = _send_raw(app, raw)
    assert result.outcome == "quarantined.malformed"
    [item] = rows(app, QuarantineItem)
    decision = request(
        CLERK,
        f"Re: [{item.tag}] Thư cần văn thư xử lý",
        "Đăng ký\nCơ quan ban hành: Cơ quan CSĐT Công an tỉnh Quảng Ninh\nTrích yếu: Quyết định khởi tố bị can\n",
    )
    [decided] = send(app, decision)
    assert decided.outcome == "decision.registered"
    [doc] = documents(app)
    assert doc.orig_number == "123/QĐ-CSĐT"  # read from the PDF the tolerant reading found
    assert doc.issuer == "Cơ quan CSĐT Công an tỉnh Quảng Ninh" and doc.field_sources["issuer"] == "clerk"
    assert doc.summary == "Quyết định khởi tố bị can"
    assert any("không liên lạc được" in w for w in doc.warnings)
    [file] = rows(app, DocumentFile)
    assert file.filename == "qd-khoi-to.pdf"
    [item] = rows(app, QuarantineItem)
    assert (item.state, item.document_id, item.decided_by) == ("registered", doc.id, CLERK)
    assert [r.state for r in ledger(app)] == ["quarantined", "done"]
    assert not [r for r in outbox(app) if "điềutra" in r.to_addr or r.to_addr == POLICE]
    assert any(r.to_addr == CLERK and "Đã vào sổ văn bản đến số 01" in r.subject for r in outbox(app))


def test_clerk_registers_a_cpython_message_the_parser_refuses(intake_app: App) -> None:
    app = intake_app
    [result] = _send_raw(app, (MALFORMED / "cpython_msg_18.txt").read_bytes())
    assert result.outcome == "quarantined.malformed"
    [item] = rows(app, QuarantineItem)
    decision = request(
        CLERK, f"Re: [{item.tag}] Thư cần văn thư xử lý", "Đăng ký\nSố: 88/UBND-NC\nCơ quan ban hành: UBND tỉnh\n"
    )
    assert send(app, decision)[0].outcome == "decision.registered"
    [doc] = documents(app)
    assert (doc.orig_number, doc.issuer, doc.sender_email) == ("88/UBND-NC", "UBND tỉnh", "")


def test_return_without_a_reachable_sender_closes_the_item(intake_app: App) -> None:
    app = intake_app
    spam = _with_utf8_sender(request(POLICE, "Khuyến mãi lớn", "Mua ngay").as_bytes())
    results = _send_raw(app, (MALFORMED / "cpython_msg_18.txt").read_bytes(), spam)
    assert [r.outcome for r in results] == ["quarantined.malformed", "quarantined.malformed"]
    no_sender, utf8_sender = rows(app, QuarantineItem)
    notices = outbox(app)
    assert all("«Trả lại: <lý do>» — đóng thư, không gửi trả lời" in n.body_text for n in notices)
    assert all("«Email người gửi: …»" in n.body_text for n in notices)
    before = len(notices)
    decisions = [
        request(CLERK, f"Re: [{no_sender.tag}] Thư cần văn thư xử lý", "Trả lại: thư rác quảng cáo\n"),
        request(CLERK, f"Re: [{utf8_sender.tag}] Thư cần văn thư xử lý", "Trả lại\n"),
    ]
    assert [r.outcome for r in send(app, *decisions)] == ["decision.closed", "decision.closed"]
    assert [(i.state, i.decided_by) for i in rows(app, QuarantineItem)] == [("closed", CLERK), ("closed", CLERK)]
    new = outbox(app)[before:]
    assert [r.to_addr for r in new] == [CLERK, CLERK]
    assert all("Đã đóng, không trả lời người gửi" in r.subject for r in new)
    assert "KHÔNG gửi thư trả lại" in new[0].body_text and "thư rác quảng cáo" in new[0].body_text
    assert UTF8_SENDER in new[1].body_text
    again = request(CLERK, f"Re: [{no_sender.tag}] x", "Đăng ký\n")
    assert send(app, again)[0].outcome == "decision.already"


def test_return_to_a_reachable_sender_still_needs_a_reason_and_confirms(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    send(app, incoming(POLICE, "Gửi văn bản", [("vb.pdf", pdfkit.not_a_pdf())]))
    [item] = rows(app, QuarantineItem)
    assert "«Trả lại: <lý do>» — trả lại người gửi, kèm lý do." in outbox(app)[0].body_text
    no_reason = request(CLERK, f"Re: [{item.tag}] x", "Trả lại\n")
    assert send(app, no_reason)[0].outcome == "decision.rejected"
    with_reason = request(CLERK, f"Re: [{item.tag}] x", "Trả lại: tệp không phải PDF\n")
    assert send(app, with_reason)[0].outcome == "decision.returned"
    assert any(r.to_addr == POLICE and "tệp không phải PDF" in r.body_text for r in outbox(app))
    confirm = outbox(app)[-1]
    assert confirm.to_addr == CLERK and "Đã trả lại người gửi" in confirm.subject


def test_registering_finds_a_pdf_sent_as_the_whole_message(intake_app: App, pki: TestPki) -> None:
    """Some scanners and document systems send the PDF as the message itself, not as an attachment."""
    app = intake_app
    pdf = pdfkit.valid(pki)
    raw = (
        b"From: " + POLICE.encode() + b"\nTo: vanthu@vksquangninh.gov.vn\nSubject: scan0001\n"
        b"Message-ID: <scan0001@congan.quangninh.gov.vn>\nMIME-Version: 1.0\n"
        b'Content-Type: application/pdf; name="scan0001.pdf"\nContent-Transfer-Encoding: base64\n\n'
        + base64.encodebytes(pdf)
    )
    [result] = _send_raw(app, raw)
    assert result.outcome.startswith("quarantined.")
    [item] = rows(app, QuarantineItem)
    [decided] = send(app, request(CLERK, f"Re: [{item.tag}] Thư cần văn thư xử lý", "Đăng ký\n"))
    assert decided.outcome == "decision.registered"
    [doc] = documents(app)
    assert doc.orig_number == "123/QĐ-CSĐT" and doc.sender_email == POLICE
    [file] = rows(app, DocumentFile)
    assert file.filename == "scan0001.pdf"
    assert any(r.to_addr == POLICE and "số đến 01" in r.subject for r in outbox(app))
