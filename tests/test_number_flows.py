"""The numbering flows end to end through the real processor, on SQLite and on PostgreSQL.

Mail comes from a local mailbox and replies stay in the outbox; the SMTP/IMAP legs are covered by
tests/test_e2e_mail.py against real servers.
"""

from __future__ import annotations

import datetime as dt

from models import audit
from models.clock import FixedClock
from tests.flowkit import documents, ledger, outbox, replies_to, send
from tests.support import CLERK, LEADER, OFFICER, OFFICER2, request, vn_time
from worker.app import App


def _one_reply(app: App, msg_id: str) -> str:
    replies = replies_to(app, msg_id)
    assert len(replies) == 1, [r.subject for r in replies]
    return replies[0].subject + "\n" + replies[0].body_text


def test_number_request_with_diacritics_gets_procedural_number(app: App) -> None:
    msg = request(
        OFFICER,
        "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can",
        "Loại: QĐ\nVụ án: 12/2026/HS\nNgười ký: Nguyễn Văn Minh\n",
    )
    [result] = send(app, msg)
    assert result.outcome == "number.given"
    [doc] = documents(app)
    assert (doc.number_str, doc.status, doc.register_year, doc.case_ref) == (
        "01/QĐ-VKSQN",
        "reserved",
        2026,
        "12/2026/HS",
    )
    assert doc.register.code == "TT"
    reply = _one_reply(app, msg["Message-ID"])
    assert f"[{doc.tag}] Đã cấp số 01/QĐ-VKSQN" in reply
    assert "21/11/2026" in reply
    assert doc.tag is not None and doc.tag.startswith("VT-2026-")
    row = replies_to(app, msg["Message-ID"])[0]
    assert row.references.startswith(f"<{doc.tag.lower()}@vksquangninh.gov.vn>")
    assert row.to_addr == OFFICER


def test_number_request_without_diacritics(app: App) -> None:
    msg = request(OFFICER2, "LAY SO: bao cao tong ket cong tac nam 2026", "Loai: BC\n")
    send(app, msg)
    [doc] = documents(app)
    assert (doc.number_str, doc.register.code) == ("01/BC-VKSQN", "HC")
    assert "Đã cấp số 01/BC-VKSQN" in _one_reply(app, msg["Message-ID"])


def test_cong_van_number_names_the_drafting_department(app: App) -> None:
    send(app, request("chanhvp@vksquangninh.gov.vn", "Lấy số: Công văn về việc phối hợp", "Loại: Công văn\n"))
    assert documents(app)[0].number_str == "01/VKSQN-VP"


def test_missing_type_gets_the_list_of_choices(app: App) -> None:
    msg = request(OFFICER, "Lấy số: về việc tăng cường kiểm sát")
    [result] = send(app, msg)
    assert result.outcome == "number.type-unclear"
    reply = _one_reply(app, msg["Message-ID"])
    assert "Chưa rõ loại văn bản" in reply and "QĐ — Quyết định" in reply
    assert documents(app) == []


def test_ambiguous_code_asks_which_type(app: App) -> None:
    msg = request(OFFICER, "Lấy số: vụ án 12/2026/HS", "Loại: CT\n")
    [result] = send(app, msg)
    assert result.outcome == "number.type-unclear"
    reply = _one_reply(app, msg["Message-ID"])
    assert "Chỉ thị" in reply and "Cáo trạng" in reply


def test_decision_without_catalog_match_asks_for_register_then_honours_it(app: App) -> None:
    first = request(OFFICER, "Lấy số: Quyết định khen thưởng", "Loại: QĐ\n")
    [result] = send(app, first)
    assert result.outcome == "number.register-unclear"
    assert "TT — Sổ đăng ký lệnh, quyết định tố tụng" in _one_reply(app, first["Message-ID"])
    second = request(OFFICER, "Lấy số: Quyết định khen thưởng", "Loại: QĐ\nSổ: HC\n")
    send(app, second)
    assert documents(app)[0].number_str == "01/QĐ-VKSQN"
    assert documents(app)[0].register.code == "HC"


def test_secret_document_takes_the_secret_register_and_no_title_is_kept(app: App) -> None:
    msg = request(OFFICER, "Lấy số: Báo cáo chuyên đề", "Loại: BC\nĐộ mật: Mật\nVụ án: 99/2026/HS\n")
    send(app, msg)
    [doc] = documents(app)
    assert doc.register.code == "MAT" and doc.secret
    assert "chuyên đề" not in doc.summary and doc.case_ref == ""
    assert "chuyên đề" not in replies_to(app, msg["Message-ID"])[0].body_text


def test_a_strangers_command_is_not_obeyed_nor_answered_and_auto_replies_are_silent(app: App) -> None:
    stranger = request("nguoidan@gmail.com", "Lấy số: Đơn đề nghị")
    robot = request(OFFICER, "Lấy số: x", headers={"Auto-Submitted": "auto-replied"})
    results = send(app, stranger, robot)
    assert [r.outcome for r in results] == ["quarantined.no-pdf", "ignored.machine-generated"]
    assert replies_to(app, stranger["Message-ID"]) == [] and replies_to(app, robot["Message-ID"]) == []
    assert [r.to_addr for r in outbox(app)] == [CLERK]  # the clerk's quarantine notice, nothing to the stranger
    assert documents(app) == []


def test_unknown_command_gets_help(app: App) -> None:
    msg = request(OFFICER, "Xin chào văn thư")
    [result] = send(app, msg)
    assert result.outcome == "help.unknown-command"
    assert "Lấy số" in _one_reply(app, msg["Message-ID"])


def test_cancel_keeps_the_number_and_it_is_never_reused(app: App, clock: FixedClock) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo tháng 11", "Loại: BC\n"))
    clock.advance(dt.timedelta(minutes=5))
    cancel = request(OFFICER, "Hủy số 01/BC-VKSQN", "Lý do: Trùng với báo cáo đã gửi\n")
    [result] = send(app, cancel)
    assert result.outcome == "cancel.done"
    assert "Đã hủy số 01/BC-VKSQN" in _one_reply(app, cancel["Message-ID"])
    send(app, request(OFFICER, "Lấy số: Báo cáo tháng 12", "Loại: BC\n"))
    docs = documents(app)
    assert [(d.number_str, d.status) for d in docs] == [
        ("01/BC-VKSQN", "cancelled"),
        ("02/BC-VKSQN", "reserved"),
    ]
    assert docs[0].cancel_reason == "Trùng với báo cáo đã gửi"
    assert docs[0].cancelled_at == vn_time(2026, 11, 21, 9, 5)


def test_cancel_needs_a_reason_and_authority(app: App) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo tháng 11", "Loại: BC\n"))
    no_reason = request(OFFICER, "Huy so 01/BC-VKSQN")
    other = request(OFFICER2, "Hủy số 01/BC-VKSQN", "Lý do: không cần\n")
    clerk = request(CLERK, "Hủy số 01/BC-VKSQN", "Lý do: văn bản không ban hành\n")
    results = send(app, no_reason, other, clerk)
    assert [r.outcome for r in results] == ["cancel.rejected", "cancel.refused", "cancel.done"]
    assert "Cần ghi lý do" in _one_reply(app, no_reason["Message-ID"])
    assert "không có quyền hủy" in _one_reply(app, other["Message-ID"])


def test_inserted_number_for_clerks_and_leaders_only(app: App) -> None:
    send(
        app,
        request(OFFICER, "Lấy số: Báo cáo A", "Loại: BC\n"),
        request(OFFICER, "Lấy số: Báo cáo B", "Loại: BC\n"),
    )
    officer = request(OFFICER, "Chèn số sau 01/BC-VKSQN", "Lý do: sót\n")
    clerk = request(CLERK, "Chèn số sau 01/BC-VKSQN", "Lý do: văn bản ký ngày 20/11 bị sót\nTrích yếu: Báo cáo A1\n")
    leader = request(LEADER, "Chen so sau 01/BC-VKSQN", "Ly do: them mot van ban\n")
    after_last = request(CLERK, "Chèn số sau 02/BC-VKSQN", "Lý do: thử\n")
    results = send(app, officer, clerk, leader, after_last)
    assert [r.outcome for r in results] == [
        "insert.refused",
        "insert.given",
        "insert.given",
        "insert.rejected",
    ]
    numbers = [d.number_str for d in documents(app)]
    assert numbers == ["01/BC-VKSQN", "02/BC-VKSQN", "01a/BC-VKSQN", "01b/BC-VKSQN"]
    assert "Đã cấp số 01a/BC-VKSQN" in _one_reply(app, clerk["Message-ID"])
    assert "số cuối cùng" in _one_reply(app, after_last["Message-ID"])


def test_procedural_register_restarts_at_midnight_on_1_december_vietnam_time(app: App, clock: FixedClock) -> None:
    order = "Lấy số: Quyết định phê chuẩn lệnh tạm giam"
    clock.set(vn_time(2026, 11, 30, 23, 59))
    send(app, request(OFFICER, order, "Loại: QĐ\n"), request(OFFICER, order, "Loại: QĐ\n"))
    send(app, request(OFFICER, "Lấy số: Báo cáo tuần", "Loại: BC\n"))
    # 00:00 on 1 December in Hà Nội is still 30 November, 17:00, in UTC.
    clock.set(vn_time(2026, 12, 1, 0, 0))
    send(app, request(OFFICER, order, "Loại: QĐ\n"), request(OFFICER, "Lấy số: Báo cáo tuần", "Loại: BC\n"))
    docs = [(d.register.code, d.register_year, d.number_str) for d in documents(app)]
    assert docs == [
        ("TT", 2026, "01/QĐ-VKSQN"),
        ("TT", 2026, "02/QĐ-VKSQN"),
        ("HC", 2026, "01/BC-VKSQN"),
        ("TT", 2027, "01/QĐ-VKSQN"),
        ("HC", 2026, "02/BC-VKSQN"),
    ]
    clock.set(vn_time(2026, 12, 31, 23, 59))
    send(app, request(OFFICER, "Lấy số: Báo cáo năm", "Loại: BC\n"))
    clock.set(vn_time(2027, 1, 1, 0, 0))
    send(app, request(OFFICER, "Lấy số: Báo cáo quý", "Loại: BC\n"), request(OFFICER, order, "Loại: QĐ\n"))
    tail = [(d.register.code, d.register_year, d.number_str) for d in documents(app)][-3:]
    assert tail == [("HC", 2026, "03/BC-VKSQN"), ("HC", 2027, "01/BC-VKSQN"), ("TT", 2027, "02/QĐ-VKSQN")]


def test_every_message_and_allocation_is_audited_and_the_chain_holds(app: App) -> None:
    send(
        app,
        request(OFFICER, "Lấy số: Báo cáo A", "Loại: BC\n"),
        request("la@gmail.com", "Lấy số"),
        request(OFFICER, "Hủy số 01/BC-VKSQN", "Lý do: nhầm\n"),
    )
    with app.uow() as uow:
        count, problem = audit.verify(uow.session)
        from sqlalchemy import select

        from models.tables import AuditEntry

        actions = [e.action for e in uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]
    assert problem is None
    assert actions == [
        "config.sync",
        "number.allocate",
        "mail.processed",
        "mail.quarantined",  # a stranger's mail without a document is set aside for the clerk
        "mail.processed",
        "number.cancel",
        "mail.processed",
    ]
    assert count == len(actions)
    assert [r.state for r in ledger(app)] == ["done", "quarantined", "done"]
    assert len(outbox(app)) == 3


def test_title_typed_without_diacritics_is_completed_from_the_catalog(app: App) -> None:
    msg = request(OFFICER, "lay so: quyet dinh phe chuan lenh tam giam", "Loai: QD\n")
    send(app, msg)
    [doc] = documents(app)
    assert doc.summary == "Quyết định phê chuẩn lệnh tạm giam" and doc.register.code == "TT"
    reply = _one_reply(app, msg["Message-ID"])
    assert "Theo danh mục:  Quyết định phê chuẩn lệnh tạm giam (Điều 119 BLTTHS 2015)" in reply


def test_spoofed_directory_sender_is_quarantined_not_answered(app: App) -> None:
    object.__setattr__(app.settings, "authserv_id", "mx.vksquangninh.gov.vn")
    forged = request(
        OFFICER,
        "Lấy số: Báo cáo",
        "Loại: BC\n",
        headers={"Authentication-Results": "mx.vksquangninh.gov.vn; dkim=fail; spf=fail"},
    )
    genuine = request(
        OFFICER,
        "Lấy số: Báo cáo",
        "Loại: BC\n",
        headers={"Authentication-Results": "mx.vksquangninh.gov.vn; dkim=pass header.d=vksquangninh.gov.vn"},
    )
    results = send(app, forged, genuine)
    assert [r.outcome for r in results] == ["quarantined.unauthenticated", "number.given"]
    assert results[0].moved_to == "Quarantine"
    assert replies_to(app, forged["Message-ID"]) == []
    notice = next(r for r in outbox(app) if r.to_addr == CLERK)
    assert "có thể bị giả mạo" in notice.body_text
    assert len(documents(app)) == 1
