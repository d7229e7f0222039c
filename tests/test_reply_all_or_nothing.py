"""Reply commands are all or nothing (issue 8, item 9), on both databases.

Every command of one reply takes effect, or none changes anything — no database write, no audit entry,
no notice — and the answer lists every command with what failed and why.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.flowkit import documents, outbox, rows, send
from tests.support import LEADER, OFFICER, incoming, request
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows import all_or_nothing
from vanthu.models import audit
from vanthu.models.clock import FixedClock
from vanthu.models.tables import Assignment, AuditEntry, Document, OutboxMessage
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"


def _register(app: App, pki: TestPki) -> Document:
    text = DocText(doc_type="THÔNG BÁO", number="77/TB-CSĐT", title="Về việc kết quả xác minh nguồn tin")
    [result] = send(app, incoming(POLICE, "Gửi thông báo", [("tb.pdf", pdfkit.valid(pki, text))]))
    assert result.outcome == "intake.registered"
    return documents(app)[-1]


def _reply(app: App, sender: str, doc: Document, body: str) -> str:
    [result] = send(app, request(sender, f"Re: [{doc.tag}] Văn bản đến", body))
    return result.outcome


def _audit(app: App) -> list[AuditEntry]:
    with app.uow() as uow:
        return list(uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


def _state(app: App) -> tuple[list[tuple[object, ...]], list[str], int]:
    """What a reply may change: the assignments, the audit actions, the number of queued mails."""
    assignments: list[tuple[object, ...]] = [
        (a.id, a.role, a.status, a.unit_id, a.person_id, a.deadline_at) for a in rows(app, Assignment)
    ]
    return assignments, [e.action for e in _audit(app)], len(outbox(app))


def test_a_failing_command_undoes_the_case_link_and_the_answer_lists_every_command(
    intake_app: App, pki: TestPki
) -> None:
    app = intake_app
    doc = _register(app, pki)
    assignments, actions, mails = _state(app)
    outcome = _reply(app, LEADER, doc, "Vụ án: 99/2026/HS\nGiao: Nguyễn Văn Không Có\nHạn: 05/12")
    assert outcome == "reply.assign-unclear"
    assert documents(app)[-1].case_ref == doc.case_ref != "99/2026/HS"
    after_assignments, after_actions, after_mails = _state(app)
    assert after_assignments == assignments
    assert after_actions == [*actions, "mail.processed"]  # no case.linked, no assignment entry
    assert after_mails == mails + 1
    answer = outbox(app)[-1]
    assert answer.to_addr == LEADER and answer.subject.startswith(f"[{doc.tag}] Chưa thực hiện lệnh nào")
    text = answer.body_text
    assert "có 2 lệnh" in text and "KHÔNG thực hiện lệnh nào" in text
    assert "1. «Vụ án: 99/2026/HS»: thực hiện được, nhưng chưa thực hiện" in text
    assert "2. «Giao: Nguyễn Văn Không Có»: KHÔNG thực hiện được — Không tìm thấy đơn vị hoặc người" in text
    assert "Nguyễn Văn Không Có" in answer.body_html


def test_every_failure_is_listed_and_the_reply_can_then_be_sent_again(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    before = _state(app)
    outcome = _reply(app, OFFICER, doc, "Vụ án: 12/2026/HS\nGiao: P2\nĐồng ý")
    assert outcome.startswith("reply.refused")
    text = outbox(app)[-1].body_text
    assert "«Giao: P2»: KHÔNG thực hiện được — Chỉ lãnh đạo đơn vị" in text
    assert "«Đồng ý»: KHÔNG thực hiện được — Mỗi thư trả lời chỉ mang một lệnh xử lý" in text
    assert _state(app)[0] == before[0]
    assert _reply(app, LEADER, doc, "Vụ án: 99/2026/HS\nGiao: P2\nHạn: 05/12") == "reply.assigned"
    assert documents(app)[-1].case_ref == "99/2026/HS"
    assert any(a.role == "main" and a.status == "open" for a in rows(app, Assignment))
    actions = [e.action for e in _audit(app)]
    assert "mail.processed" in actions


def test_a_single_failing_command_keeps_its_plain_answer(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    assert _reply(app, LEADER, doc, "Giao: Nguyễn Văn Không Có") == "reply.assign-unclear"
    answer = outbox(app)[-1]
    assert "Chưa thực hiện được" in answer.subject and "Không tìm thấy đơn vị hoặc người" in answer.body_text


# --- the mechanism itself ---


def _entry(app: App, session: Session, action: str, outcome: str) -> str:
    """Append one audit entry ``action`` in ``session``; returns ``outcome`` (a command's result)."""
    audit.append(
        session,
        at=app.clock.now(),
        tz=app.config.tz,
        actor="test",
        action=action,
        object_type="test",
        object_id=action,
    )
    return outcome


def test_run_keeps_all_writes_or_none(app: App, clock: FixedClock) -> None:
    def fail() -> str:
        raise all_or_nothing.CommandFailed("không được", "test.failed")

    with app.uow() as uow:
        session = uow.session
        batch = all_or_nothing.run(
            session,
            [
                all_or_nothing.Command("một", lambda: _entry(app, session, "one", "test.one")),
                all_or_nothing.Command("hai", fail),
                all_or_nothing.Command("ba", lambda: _entry(app, session, "three", "test.three")),
            ],
        )
        assert not batch.ok
        assert [(r.label, r.ok, r.outcome, r.reason) for r in batch.results] == [
            ("một", True, "test.one", ""),
            ("hai", False, "test.failed", "không được"),
            ("ba", True, "test.three", ""),
        ]
        kept = all_or_nothing.run(session, [all_or_nothing.Command("bốn", lambda: _entry(app, session, "four", "x"))])
        assert kept.ok
        uow.commit()
    assert [e.action for e in _audit(app) if e.object_type == "test"] == ["four"]
    with app.uow() as uow:
        assert audit.verify(uow.session)[1] is None  # the hash chain has no gap where "one" and "three" were


def test_run_rolls_back_and_propagates_unexpected_errors(app: App) -> None:
    def boom() -> str:
        raise RuntimeError("database went away")

    with app.uow() as uow:
        session = uow.session
        with pytest.raises(RuntimeError):
            all_or_nothing.run(
                session,
                [
                    all_or_nothing.Command("một", lambda: _entry(app, session, "one", "x")),
                    all_or_nothing.Command("hai", boom),
                ],
            )
        uow.commit()
    assert [e for e in _audit(app) if e.object_type == "test"] == []
    assert rows(app, OutboxMessage) == []
