"""Each reply command's handler, called directly: every way it refuses, on both databases.

A refusal raises CommandFailed with the sender's reason and the refusal's outcome, and writes nothing
(the all-or-nothing runner rolls back a failed command's savepoint; here nothing is even flushed).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.flowkit import documents, send
from tests.support import CLERK, LEADER, OFFICER, OFFICER2, incoming, request
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows.all_or_nothing import CommandFailed
from vanthu.mailflows.message import parse
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.reply_commands import (
    Assign,
    Complete,
    DecideExtension,
    Forward,
    GiveBack,
    GiveOpinion,
    LinkCase,
    ReplyCommand,
    RequestExtension,
)
from vanthu.mailflows.reply_handlers import HANDLERS, Scope
from vanthu.models.directory import person_by_email
from vanthu.models.tables import AuditEntry, Document, OutboxMessage
from vanthu.worker.app import App

POLICE = "pc01@congan.quangninh.gov.vn"
NOBODY = "Nguyễn Văn Không Có"

Refusal = tuple[str, ReplyCommand, Outcome, str]  # sender, command, outcome, words of the reason

# Before anyone is assigned: the document is waiting for its leader's decision.
UNASSIGNED: list[Refusal] = [
    (OFFICER, LinkCase("12/2026/HS"), Outcome.CASE_REFUSED, "không có quyền gắn"),
    (OFFICER, Assign("P2"), Outcome.ASSIGN_REFUSED, "Chỉ lãnh đạo"),
    (LEADER, Assign(NOBODY), Outcome.ASSIGN_UNCLEAR, "Không tìm thấy"),
    (LEADER, Assign(""), Outcome.ASSIGN_UNCLEAR, "cần đúng một"),
    (LEADER, Assign("Phạm Thị Lan, ksv.binh@vksquangninh.gov.vn"), Outcome.ASSIGN_UNCLEAR, "cần đúng một"),
    (LEADER, Assign("Phạm Thị Lan", deadline="32/13"), Outcome.ASSIGN_UNCLEAR, "Không hiểu ngày «32/13»"),
    (LEADER, Assign("Phạm Thị Lan", copies=NOBODY), Outcome.ASSIGN_UNCLEAR, "Không tìm thấy"),
    (OFFICER, Forward("P2"), Outcome.FORWARD_REFUSED, "Chỉ lãnh đạo hoặc người đang được giao"),
    (LEADER, Forward(NOBODY), Outcome.FORWARD_UNCLEAR, "Không tìm thấy"),
    (LEADER, Forward("Phạm Thị Lan"), Outcome.FORWARD_REJECTED, ""),  # nothing assigned yet to forward
    (OFFICER, Complete(), Outcome.CLOSE_REFUSED, "Chỉ người được giao"),
    (LEADER, Complete(), Outcome.CLOSE_REJECTED, ""),  # nothing assigned yet to close
    (LEADER, RequestExtension("30/12/2026", "chờ"), Outcome.EXTENSION_REFUSED_TO_ASK, "Chỉ người đang được giao"),
    (OFFICER, DecideExtension(approve=True), Outcome.DECIDE_REFUSED, "Chỉ lãnh đạo"),
    (LEADER, DecideExtension(approve=False), Outcome.DECIDE_REJECTED, "Không có đề nghị gia hạn"),
    (LEADER, GiveBack("sai"), Outcome.GIVE_BACK_REFUSED, "Chỉ người đang được giao"),
    (OFFICER, GiveOpinion("x"), Outcome.OPINION_REFUSED, "Chỉ lãnh đạo"),
    (CLERK, GiveOpinion("x"), Outcome.OPINION_REFUSED, "Chỉ lãnh đạo"),
]

# Once Phạm Thị Lan (OFFICER) holds the document, with a deadline.
ASSIGNED: list[Refusal] = [
    (OFFICER2, Complete(), Outcome.CLOSE_REFUSED, "Chỉ người được giao"),
    (OFFICER2, Forward("P2"), Outcome.FORWARD_REFUSED, "Chỉ lãnh đạo hoặc người đang được giao"),
    (OFFICER, Forward(""), Outcome.FORWARD_UNCLEAR, "cần đúng một"),
    (OFFICER, RequestExtension("ngày mai"), Outcome.EXTENSION_UNCLEAR, "Không hiểu ngày"),
    (OFFICER, RequestExtension("30/12/2026"), Outcome.EXTENSION_REJECTED, "Cần ghi lý do"),
    (OFFICER, RequestExtension("01/12/2026", "chờ"), Outcome.EXTENSION_REJECTED, "phải sau hạn hiện tại"),
    (OFFICER2, RequestExtension("30/12/2026", "chờ"), Outcome.EXTENSION_REFUSED_TO_ASK, "Chỉ người đang"),
    (OFFICER, GiveBack(""), Outcome.GIVE_BACK_REJECTED, "Cần ghi lý do trả lại"),
    (OFFICER2, GiveBack("sai"), Outcome.GIVE_BACK_REFUSED, "Chỉ người đang được giao"),
    (OFFICER, Assign("P2"), Outcome.ASSIGN_REFUSED, "Chỉ lãnh đạo"),
    (OFFICER, DecideExtension(approve=True), Outcome.DECIDE_REFUSED, "Chỉ lãnh đạo"),
    (OFFICER, GiveOpinion("x"), Outcome.OPINION_REFUSED, "Chỉ lãnh đạo"),
]


def _register(app: App, pki: TestPki) -> Document:
    text = DocText(doc_type="THÔNG BÁO", number="77/TB-CSĐT", title="Về việc kết quả xác minh nguồn tin")
    [result] = send(app, incoming(POLICE, "Gửi thông báo", [("tb.pdf", pdfkit.valid(pki, text))]))
    assert result.outcome == "intake.registered"
    return documents(app)[-1]


def _counts(app: App) -> tuple[int, int]:
    with app.uow() as uow:
        return uow.session.query(AuditEntry).count(), uow.session.query(OutboxMessage).count()


def _refuses(app: App, doc: Document, sender: str, command: ReplyCommand) -> CommandFailed:
    """Run ``command``'s handler for ``sender`` in a transaction that is rolled back; the refusal."""
    handler: Callable[[ReplyCommand, Scope], Outcome] = HANDLERS[type(command)]
    msg = parse(request(sender, f"Re: [{doc.tag}] Văn bản đến", command.label).as_bytes())
    with app.uow() as uow:
        ctx = app.flow_context(uow, app.config.mailboxes[0], ledger_id=None, sha256="")
        person = person_by_email(uow.session, sender)
        document = uow.session.get(Document, doc.id)
        assert person is not None and document is not None
        scope = Scope.of(ctx, msg, person, document)
        with pytest.raises(CommandFailed) as failed:
            handler(command, scope)
        assert not uow.session.new and not uow.session.dirty, f"{command} wrote before refusing"
        uow.session.rollback()
    return failed.value


def _check(app: App, doc: Document, cases: list[Refusal]) -> None:
    before = _counts(app)
    for sender, command, outcome, words in cases:
        refusal = _refuses(app, doc, sender, command)
        assert (refusal.outcome, words in refusal.reason) == (outcome, True), (sender, command, refusal.reason)
        assert refusal.reason.strip()
    assert _counts(app) == before


def test_every_handler_refuses_with_its_reason(intake_app: App, pki: TestPki) -> None:
    app = intake_app
    doc = _register(app, pki)
    _check(app, doc, UNASSIGNED)
    [assigned] = send(app, request(LEADER, f"Re: [{doc.tag}] Văn bản đến", "Giao: Phạm Thị Lan\nHạn: 05/12/2026"))
    assert assigned.outcome is Outcome.ASSIGNED
    _check(app, doc, ASSIGNED)
