"""The life of an incoming document by email, end to end on real servers and the real worker process.

An outside body sends a signed document; the leader assigns it by replying with a deadline; the assignee
forwards it; the new assignee replies ``Xong`` with the answering number. Every mailbox gets what it
should, the audit log shows each step in order, and ``vanthu audit verify`` passes.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2ekit import VANTHU, WorkerProcess, deploy
from tests.harness.mailstack import MailStack
from tests.support import LEADER, OFFICER, OFFICER2, VN, incoming, request, trust_section, vn_time
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.mailflows.dates import end_of_day
from vanthu.models.db import make_engine
from vanthu.models.tables import AuditEntry
from vanthu.worker.config import load

pytestmark = pytest.mark.mail


def _reply_to(original: EmailMessage, sender: str, to: str, body: str) -> EmailMessage:
    msg = request(sender, f"Re: {original['Subject']}", body + "\n\n> (thư gốc)\n", to=to)
    msg["In-Reply-To"] = original["Message-ID"]
    return msg


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _find(stack: MailStack, user: str, count: int, needle: str) -> EmailMessage:
    messages = stack.wait_for_messages(user, count, timeout=30)
    return next(m for m in messages if needle in str(m["Subject"]))


CLOCK_START = vn_time(2026, 12, 1, 9, 0)


def test_incoming_assign_forward_done_by_email(
    tmp_path: Path, db_url: str, mailstack: MailStack, pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTHU_TEST_IMAP_PASSWORD", mailstack.password)
    # The worker's clock starts on Tuesday 01/12/2026, so "Hạn: 05/12" is the coming Saturday whatever today is.
    d = deploy(
        tmp_path, db_url, mailstack, extra=trust_section(pki.root_pem, pki.crl_der), clock_start=CLOCK_START.isoformat()
    )
    police = f"pc01.{d.token}@congan.quangninh.gov.vn"
    leader, lan, binh = d.addr(LEADER), d.addr(OFFICER), d.addr(OFFICER2)
    text = DocText(doc_type="THÔNG BÁO", number="77/TB-CSĐT", title="Về việc kết quả xác minh nguồn tin")
    with WorkerProcess(d) as worker:
        mailstack.send(incoming(police, "Gửi thông báo", [("tb.pdf", pdfkit.valid(pki, text))], to=d.office))
        _find(mailstack, police, 1, "số đến 01")
        notice = _find(mailstack, leader, 1, "Văn bản đến")
        tag = str(notice["Subject"]).split("]")[0].lstrip("[")

        mailstack.send(_reply_to(notice, leader, d.office, "Giao: Phạm Thị Lan\nHạn: 05/12\nÝ kiến: Báo cáo kết quả"))
        assigned = _find(mailstack, lan, 1, "Giao xử lý")
        due = end_of_day(dt.date(2026, 12, 5), VN)
        assert f"hạn {due:%H:%M %d/%m/%Y}" in str(assigned["Subject"]) and tag in str(assigned["Subject"])
        assert "Báo cáo kết quả" in _text(assigned)
        assert [p.get_filename() for p in assigned.iter_attachments()] == ["tb.pdf"]
        _find(mailstack, leader, 2, "Đã giao xử lý")
        _find(mailstack, police, 2, "04 — Phân công")

        mailstack.send(_reply_to(assigned, lan, d.office, f"Chuyển: {binh}"))
        forwarded = _find(mailstack, binh, 1, "Giao xử lý")
        _find(mailstack, lan, 2, "Đã chuyển")

        mailstack.send(_reply_to(forwarded, binh, d.office, "Xong\nVăn bản trả lời: 15/BC-VKSQN"))
        done = _find(mailstack, binh, 2, "Hoàn thành")
        assert "văn bản trả lời số 15/BC-VKSQN" in _text(done)
        assert "Hoàn thành" in str(_find(mailstack, lan, 3, "Hoàn thành")["Subject"])  # the forwarder hears of it
        _find(mailstack, police, 3, "06 — Hoàn thành")
        assert worker.terminate() == 0

    config = load(d.config)
    engine = make_engine(config.service.database_url)
    try:
        with engine.connect() as conn:
            steps = [
                (a, actor)
                for a, actor in conn.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.seq))
                if a.startswith(("incoming.", "assignment."))
            ]
    finally:
        engine.dispose()
    assert steps == [
        ("incoming.register", police),
        ("assignment.decide", "vanthu"),
        ("assignment.main", leader),
        ("assignment.main", lan),
        ("assignment.done", binh),
    ]
    verify = subprocess.run(
        [str(VANTHU), "-c", str(d.config), "audit", "verify"], capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
