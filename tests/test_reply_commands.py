"""Handling an incoming document by reply: assign, forward, complete, extend, refuse — on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.flowkit import documents, outbox, rows, send
from tests.support import CLERK, LEADER, OFFICER, OFFICER2, incoming, request, vn_time
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models import audit
from vanthu.models.clock import FixedClock
from vanthu.models.tables import Assignment, AuditEntry, Document, ExtensionRequest
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
P2_HEAD = "truongphong.p2@vksquangninh.gov.vn"
KV1_LEADER = "vientruong.kv1@vksquangninh.gov.vn"


def _register(app: App, pki: TestPki) -> Document:
    text = DocText(doc_type="THÔNG BÁO", number="77/TB-CSĐT", title="Về việc kết quả xác minh nguồn tin")
    [result] = send(app, incoming(POLICE, "Gửi thông báo", [("tb.pdf", pdfkit.valid(pki, text))]))
    assert result.outcome == "intake.registered"
    return documents(app)[-1]


def _reply(app: App, sender: str, doc: Document, body: str, subject: str = "Văn bản đến") -> str:
    msg = request(sender, f"Re: [{doc.tag}] {subject}", body + "\n\nOn Sat, 21 Nov 2026, Văn thư wrote:\n> Xong\n")
    [result] = send(app, msg)
    return result.outcome


def _mails(app: App, to: str) -> list[str]:
    return [r.subject for r in outbox(app) if r.to_addr == to]


def test_assign_forward_and_complete(intake_app: App, pki: TestPki, clock: FixedClock) -> None:
    app = intake_app
    doc = _register(app, pki)
    clock.advance(dt.timedelta(hours=1))
    assert _reply(
        app, LEADER, doc, "Giao: Phạm Thị Lan\nHạn: 05/12\nÝ kiến: Kiểm tra kỹ, báo cáo kết quả\nPhối hợp: VP"
    ) == ("reply.assigned")
    main = next(a for a in rows(app, Assignment) if a.role == "main" and a.status == "open")
    assert main.deadline_at == vn_time(2026, 12, 5, 23, 59) + dt.timedelta(seconds=59)
    assert main.opinion == "Kiểm tra kỹ, báo cáo kết quả" and main.assigned_by == LEADER
    assert any("Giao xử lý" in s and "hạn 23:59 05/12/2026" in s for s in _mails(app, OFFICER))
    assert any("Phối hợp" in s for s in _mails(app, "chanhvp@vksquangninh.gov.vn"))
    assert any("Đã giao xử lý" in s for s in _mails(app, LEADER))
    assert any("04 — Phân công" in s for s in _mails(app, POLICE))
    decide = next(a for a in rows(app, Assignment) if a.role == "decide")
    assert decide.status == "done" and decide.done_at == clock.now()  # time from arrival to assignment

    clock.advance(dt.timedelta(hours=2))
    assert _reply(app, OFFICER, doc, "Chuyển: ksv.binh@vksquangninh.gov.vn\nÝ kiến: nhờ anh xử lý giúp") == (
        "reply.forwarded"
    )
    assert any("Giao xử lý" in s for s in _mails(app, OFFICER2))
    clock.advance(dt.timedelta(days=1))
    assert _reply(app, OFFICER2, doc, "Xong\nVăn bản trả lời: 15/BC-VKSQN") == "reply.done"
    [done] = [a for a in rows(app, Assignment) if a.role == "main" and a.status == "done"]
    assert done.answer_number == "15/BC-VKSQN" and done.deadline_at == main.deadline_at
    assert documents(app)[-1].status == "done"
    assert any("06 — Hoàn thành" in s for s in _mails(app, POLICE))
    assert any("Hoàn thành" in s for s in _mails(app, OFFICER))  # the forwarder assigned it: they hear of it
    with app.uow() as uow:
        actions = [e.action for e in uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]
        assert audit.verify(uow.session)[1] is None
    steps = [a for a in actions if a.startswith(("incoming", "assignment"))]
    assert steps == [
        "incoming.register",
        "assignment.decide",
        "assignment.main",
        "assignment.copy",
        "assignment.main",
        "assignment.done",
    ]


def test_officer_cannot_assign_and_forged_tags_are_refused(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    assert _reply(app, OFFICER, doc, "Giao: Lê Văn Bình") == "reply.refused.not-leader"
    assert any("không có quyền giao" in r.body_text for r in outbox(app) if r.to_addr == OFFICER)
    # A regional leader quoting the province document's tag has no authority over it.
    assert _reply(app, KV1_LEADER, doc, "Giao: Lê Văn Bình") == "reply.refused.not-leader"
    assert _reply(app, OFFICER2, doc, "Xong") == "reply.refused.close"
    assert [a.role for a in rows(app, Assignment)] == ["decide"]


def test_extension_approved_moves_the_deadline_refused_does_not(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    _reply(app, LEADER, doc, "Giao: ksv.lan@vksquangninh.gov.vn\nHạn: 30/11/2026")
    assert _reply(app, OFFICER, doc, "Gia hạn: 05/12/2026\nLý do: chờ kết quả giám định") == "reply.extension-requested"
    assert any("Đề nghị gia hạn đến 23:59 05/12/2026" in s for s in _mails(app, LEADER))
    assert _reply(app, LEADER, doc, "Đồng ý") == "reply.extension-approved"
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.deadline_at is not None and main.deadline_at.astimezone(vn_time(2026, 1, 1).tzinfo).date() == dt.date(
        2026, 12, 5
    )
    assert _reply(app, OFFICER, doc, "Gia hạn: 10/12/2026\nLý do: cần thêm thời gian") == "reply.extension-requested"
    assert _reply(app, LEADER, doc, "Không đồng ý") == "reply.extension-refused"
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.deadline_at.astimezone(vn_time(2026, 1, 1).tzinfo).date() == dt.date(2026, 12, 5)  # type: ignore[union-attr]
    assert [e.state for e in rows(app, ExtensionRequest)] == ["approved", "refused"]
    assert _reply(app, LEADER, doc, "Đồng ý") == "reply.decide-rejected"  # nothing pending any more


def test_ambiguous_and_unknown_names_get_a_question(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    assert _reply(app, LEADER, doc, "Giao: Nguyễn Văn Không Có") == "reply.assign-unclear"
    assert "Không tìm thấy đơn vị hoặc người" in outbox(app)[-1].body_text
    assert _reply(app, LEADER, doc, "Giao: P2\nHạn: 31/02") == "reply.assign-unclear"
    assert "Không hiểu ngày «31/02»" in outbox(app)[-1].body_text
    assert _reply(app, LEADER, doc, "giao: le van binh\nhan: 5-12-2026") == "reply.assigned"
    main = next(a for a in rows(app, Assignment) if a.role == "main")
    assert main.person_id is not None and any("Giao xử lý" in s for s in _mails(app, OFFICER2))


def test_assign_to_a_unit_tells_its_leaders_and_case_links(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    assert _reply(app, LEADER, doc, "Giao: P2\nVụ án: 12/2026/HS") == "reply.assigned"
    assert any("Giao xử lý" in s for s in _mails(app, P2_HEAD))
    assert documents(app)[-1].case_ref == "12/2026/HS"
    assert _reply(app, P2_HEAD, doc, "Giao: Lê Văn Bình\nHạn: 01/12") == "reply.assigned"  # head of the department
    assert _reply(app, OFFICER2, doc, "Trả lại: văn bản không thuộc thẩm quyền của phòng") == "reply.given-back"
    assert any("Văn bản bị trả lại" in s for s in _mails(app, CLERK))


def test_quoted_commands_never_act(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    gmail = "Cảm ơn.\n\nVào Th 7, 21 thg 11, 2026 lúc 09:00 Văn thư <vanthu@vksquangninh.gov.vn> đã viết:\n> Giao: P2\n"
    outlook = "Đã nhận.\n\n-----Original Message-----\nFrom: Văn thư\nSent: Saturday\nGiao: P2\nXong\n"
    for body in (gmail, outlook):
        msg = request(LEADER, f"Re: [{doc.tag}] Văn bản đến", body)
        [result] = send(app, msg)
        assert result.outcome == "reply.no-command"
    html_only = request(LEADER, f"RE: [{doc.tag}] Văn bản đến", "x")
    html_only.set_content(
        '<div>Đã xem</div><div class="gmail_quote"><blockquote>Giao: P2<br>Xong</blockquote></div>', subtype="html"
    )
    [result] = send(app, html_only)
    assert result.outcome == "reply.no-command"
    outlook_html = request(LEADER, f"RE: [{doc.tag}] Văn bản đến", "x")
    outlook_html.set_content(
        '<p>Ok</p><div id="divRplyFwdMsg"><b>From:</b> Văn thư<br>Giao: P2</div><p>Xong</p>', subtype="html"
    )
    [result] = send(app, outlook_html)
    assert result.outcome == "reply.no-command"
    assert [a.role for a in rows(app, Assignment)] == ["decide"]


def test_reply_threaded_by_in_reply_to_without_tag(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    notice = next(r for r in outbox(app) if r.to_addr == LEADER)
    msg = request(LEADER, "Re: văn bản", "Giao: P2")
    msg["In-Reply-To"] = notice.message_id
    [result] = send(app, msg)
    assert result.outcome == "reply.assigned"
    assert doc.id == next(a for a in rows(app, Assignment) if a.role == "main").document_id
