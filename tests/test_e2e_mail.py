"""End to end on real servers: officers send requests over SMTP, the worker (IMAP IDLE) answers.

The mail stack is Debian's Dovecot behind an aiosmtpd server on loopback (tests/harness); the worker
is the real ``vanthu run`` process; the database is SQLite and PostgreSQL in turn.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2ekit import Deployment, WorkerProcess, deploy
from tests.harness.mailstack import MailStack
from tests.support import CLERK, OFFICER, OFFICER2, request, vn_time

pytestmark = pytest.mark.mail


#: The worker's clock starts here (a working-day morning), so the dates in its replies are known.
CLOCK_START = vn_time(2026, 12, 7, 8, 30)


def _today() -> str:
    return CLOCK_START.strftime("%d/%m/%Y")


def _text(msg: object) -> str:
    from email.message import EmailMessage

    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


@pytest.fixture
def deployment(tmp_path: Path, db_url: str, mailstack: MailStack) -> Deployment:
    return deploy(tmp_path, db_url, mailstack, clock_start=CLOCK_START.isoformat())


def test_number_requests_by_email_end_to_end(deployment: Deployment, mailstack: MailStack) -> None:
    lan, binh = deployment.addr(OFFICER), deployment.addr(OFFICER2)
    stranger = f"nguoidan.{deployment.office.split('.')[1].split('@')[0]}@gmail.com"
    with WorkerProcess(deployment) as worker:
        first = request(
            lan,
            "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can",
            "Loại: QĐ\nVụ án: 12/2026/HS\nNgười ký: Nguyễn Văn Minh\n",
            to=deployment.office,
        )
        mailstack.send(first)
        [reply] = mailstack.wait_for_messages(lan, 1, timeout=30)
        assert reply["In-Reply-To"] == first["Message-ID"]
        assert reply["Auto-Submitted"] == "auto-replied"
        subject = str(reply["Subject"])
        assert "Đã cấp số 01/QĐ-VKSQN" in subject
        assert subject.startswith("[VT-") and "] " in subject
        tag = subject[1 : subject.index("]")]
        body = _text(reply)
        assert "01/QĐ-VKSQN" in body and _today() in body and f"[{tag}]" in body

        plain = request(binh, "LAY SO: bao cao tong ket cong tac nam 2026", "Loai: BC\n", to=deployment.office)
        mailstack.send(plain)
        [reply2] = mailstack.wait_for_messages(binh, 1, timeout=30)
        assert "Đã cấp số 01/BC-VKSQN" in str(reply2["Subject"])
        assert reply2["In-Reply-To"] == plain["Message-ID"]

        cancel = request(binh, "Hủy số 01/BC-VKSQN", "Lý do: Báo cáo gộp vào kế hoạch năm sau\n", to=deployment.office)
        mailstack.send(cancel)
        replies = mailstack.wait_for_messages(binh, 2, timeout=30)
        cancelled = next(m for m in replies if m["In-Reply-To"] == cancel["Message-ID"])
        assert "Đã hủy số 01/BC-VKSQN" in str(cancelled["Subject"])
        assert "Báo cáo gộp vào kế hoạch năm sau" in _text(cancelled)

        # A stranger gives no commands and gets no automatic answer: the mail waits for the clerk.
        unknown = request(stranger, "Lấy số: Đơn đề nghị", to=deployment.office)
        mailstack.send(unknown)
        [notice] = mailstack.wait_for_messages(deployment.addr(CLERK), 1, timeout=30)
        assert "Thư cần văn thư xử lý" in str(notice["Subject"]) and stranger in _text(notice)
        assert mailstack.messages(stranger) == []

        assert worker.terminate() == 0
    # Every request left the inbox for the processed or quarantine folder, untouched; nothing was lost.
    assert mailstack.folder_uids(deployment.office, "INBOX") == []
    assert len(mailstack.folder_uids(deployment.office, "Processed")) == 3
    assert len(mailstack.folder_uids(deployment.office, "Quarantine")) == 1
    log = worker.log_text()
    assert "number.given" in log and "quarantined.no-pdf" in log and "vanthu stopped" in log
