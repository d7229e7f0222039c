"""Incoming documents end to end on the real mail stack: SMTP in, IMAP fetch, SMTP out, IMAP read back.

The worker's parts run in the test process with a frozen clock, so that deadlines across Tết and a
weekend can be checked; the mail servers (Dovecot, aiosmtpd) and the database are real.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2ekit import Deployment, deploy
from tests.harness.mailstack import MailStack
from tests.support import CLERK, OFFICER, incoming, prepared_app, trust_section, vn_time
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App
from vanthu.worker.outbox_sender import deliver_due
from vanthu.worker.processor import Processor
from vanthu.worker.watcher import open_source

pytestmark = pytest.mark.mail

RULES = """
[[rules]]
name = "Đề nghị phối hợp xác minh"
match.sender_domain = "congan.quangninh.gov.vn"
match.summary_any = ["de nghi phoi hop xac minh"]
action.assign_person = "{person}"
[rules.action.deadline]
amount = 3
unit = "working_days"
legal_basis = "Quy chế phối hợp liên ngành"
label = "Trả lời đề nghị phối hợp"
"""


def _deployment(tmp_path: Path, db_url: str, stack: MailStack, pki: TestPki) -> Deployment:
    probe = deploy(tmp_path / "probe", db_url, stack)  # only to learn this test's addresses
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(person=probe.addr(OFFICER)), encoding="utf-8")
    extra = trust_section(pki.root_pem, pki.crl_der) + f'[routing]\nrules_file = "{rules}"\n'
    return deploy(tmp_path / "deploy", db_url, stack, extra=extra, token=probe.token)


def _run_worker_once(app: App) -> list[str]:
    source = open_source(app, app.config.mailboxes[0])
    source.connect()  # type: ignore[union-attr]
    processor = Processor(app, app.config.mailboxes[0])
    try:
        results = processor.drain(source)
    finally:
        processor.close()
        source.close()
    asyncio.run(deliver_due(app, app.transport()))
    return [r.outcome for r in results]


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


P2_HEAD = "truongphong.p2@vksquangninh.gov.vn"


@pytest.mark.parametrize(
    ("received", "title", "deadline", "assignee"),
    [
        # Wednesday before Tết 2027 (4–10 February off): 3 working days end on Monday 15 February.
        (vn_time(2027, 2, 3, 10, 0), "V/v đề nghị phối hợp xác minh nguồn tin", "23:59 15/02/2027", OFFICER),
        # Saturday 20:00: 12 hours run through the night and the weekend, to Sunday 08:00 (default pack → P2).
        (
            vn_time(2026, 11, 21, 20, 0),
            "V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
            "08:00 22/11/2026",
            P2_HEAD,
        ),
    ],
    ids=["working-days-across-tet", "12-hours-over-a-weekend"],
)
def test_outside_sender_gets_receipt_clerk_gets_copy_assignee_gets_deadline(
    tmp_path: Path,
    db_url: str,
    mailstack: MailStack,
    pki: TestPki,
    monkeypatch: pytest.MonkeyPatch,
    received: dt.datetime,
    title: str,
    deadline: str,
    assignee: str,
) -> None:
    monkeypatch.setenv("VANTHU_TEST_IMAP_PASSWORD", mailstack.password)
    d = _deployment(tmp_path, db_url, mailstack, pki)
    police = f"pc01.{d.token}@congan.quangninh.gov.vn"
    app = prepared_app(d.config, FixedClock(received))
    try:
        pdf = pdfkit.valid(pki, DocText(number="45/CSĐT", doc_type="CÔNG VĂN", title=title))
        mailstack.send(incoming(police, "Gửi văn bản", [("cv-45.pdf", pdf)], to=d.office))
        assert _run_worker_once(app) == ["intake.registered"]
    finally:
        app.close()
    [receipt] = mailstack.wait_for_messages(police, 1, timeout=30)
    assert "Đã tiếp nhận văn bản 45/CSĐT — số đến 01" in str(receipt["Subject"])
    assert "03 — Đã tiếp nhận (vào sổ)" in _text(receipt)
    xml = next(p for p in receipt.iter_attachments() if p.get_filename() == "trangthai.xml")
    assert b"<edXML:StatusCode>03</edXML:StatusCode>" in xml.get_content()
    [copy] = mailstack.wait_for_messages(d.addr(CLERK), 1, timeout=30)
    assert "Đã vào sổ văn bản đến số 01" in str(copy["Subject"])
    [original] = list(copy.iter_attachments())
    assert original.get_payload(decode=True) == pdf
    [notice] = mailstack.wait_for_messages(d.addr(assignee), 1, timeout=30)
    assert "Giao xử lý" in str(notice["Subject"]) and str(notice["Subject"]).endswith(f"hạn {deadline}")
    assert f"Thời hạn:            {deadline}" in _text(notice)
    assert mailstack.folder_uids(d.office, "INBOX") == []
    assert len(mailstack.folder_uids(d.office, "Processed")) == 1
