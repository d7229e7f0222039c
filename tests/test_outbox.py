"""The outbox sender: headers of every mail, retries, permanent failures, no second send of a sent row."""

from __future__ import annotations

import asyncio
import datetime as dt
from email.message import EmailMessage

from tests.flowkit import outbox, send
from tests.support import OFFICER, request
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App
from vanthu.worker.outbox_sender import MAX_SEND_ATTEMPTS, deliver_due
from vanthu.worker.transports import TransportError


class RecordingTransport:
    """A fake SMTP server for unit tests: records messages, fails on demand."""

    def __init__(self, failures: list[TransportError] | None = None) -> None:
        self.sent: list[EmailMessage] = []
        self.failures = failures or []

    async def send(self, message: EmailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def _deliver(app: App, transport: RecordingTransport) -> int:
    return asyncio.run(deliver_due(app, transport))


def test_reply_headers_thread_and_suppress_loops(app: App) -> None:
    msg = request(OFFICER, "Lấy số: Báo cáo tháng", "Loại: BC\n")
    send(app, msg)
    transport = RecordingTransport()
    assert _deliver(app, transport) == 1
    [mail] = transport.sent
    [row] = outbox(app)
    assert mail["Message-ID"] == row.message_id and row.message_id.startswith("<vt-2026-")
    assert mail["In-Reply-To"] == msg["Message-ID"]
    assert str(mail["References"]).split()[0].startswith("<vt-2026-") and msg["Message-ID"] in str(mail["References"])
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Vanthu-Loop"] == "vksquangninh.gov.vn"
    assert mail["To"] == OFFICER and "vanthu@vksquangninh.gov.vn" in str(mail["From"])
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    html = mail.get_body(("html",))
    assert html is not None and "01/BC-VKSQN" in str(html.get_content())
    assert row.state == "sent"
    assert _deliver(app, transport) == 0  # a sent row is never sent again
    assert len(transport.sent) == 1


def test_transient_failure_is_retried_later_and_the_resend_is_identical(app: App, clock: FixedClock) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    transport = RecordingTransport([TransportError("SMTP 421: try later")])
    assert _deliver(app, transport) == 0
    [row] = outbox(app)
    assert row.state == "pending" and row.attempts == 1 and "421" in row.last_error
    assert _deliver(app, transport) == 0  # not due yet
    clock.advance(dt.timedelta(seconds=16))
    assert _deliver(app, transport) == 1
    assert transport.sent[0]["Message-ID"] == row.message_id


def test_permanent_failure_stops_and_is_audited(app: App) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    transport = RecordingTransport([TransportError("SMTP 550: no such user", permanent=True)])
    assert _deliver(app, transport) == 0
    [row] = outbox(app)
    assert row.state == "failed"
    from sqlalchemy import select

    from vanthu.models.tables import AuditEntry

    with app.uow() as uow:
        actions = [e.action for e in uow.session.execute(select(AuditEntry)).scalars()]
    assert "mail.undeliverable" in actions


def test_gives_up_after_the_last_attempt(app: App, clock: FixedClock) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    transport = RecordingTransport([TransportError("timeout") for _ in range(MAX_SEND_ATTEMPTS)])
    for _ in range(MAX_SEND_ATTEMPTS):
        _deliver(app, transport)
        clock.advance(dt.timedelta(hours=3))
    [row] = outbox(app)
    assert row.state == "failed" and row.attempts == MAX_SEND_ATTEMPTS


def test_a_lease_left_by_a_dead_worker_runs_out_and_the_mail_goes_out(app: App, clock: FixedClock) -> None:
    from vanthu.worker.outbox_sender import lease_due

    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    assert len(lease_due(app, 10)) == 1  # a worker leased it and died before sending
    transport = RecordingTransport()
    assert _deliver(app, transport) == 0
    clock.advance(dt.timedelta(seconds=app.config.service.outbox_lease_seconds + 1))
    assert _deliver(app, transport) == 1


def test_housekeeping_reports_the_backlog(app: App) -> None:
    from vanthu.cron.housekeeping import backlog

    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    assert backlog(app.uow) == {"awaiting_retry": 0, "mail_waiting": 1, "undeliverable": 0}
    _deliver(app, RecordingTransport())
    assert backlog(app.uow)["mail_waiting"] == 0


def test_long_vietnamese_subjects_survive_folding(app: App) -> None:
    from email import message_from_bytes
    from email import policy as email_policy

    from vanthu.worker.mime import build

    send(
        app,
        request(OFFICER, "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can trong vụ án 12/2026/HS", "Loại: QĐ\n"),
    )
    [row] = outbox(app)
    raw = build(row, "vksquangninh.gov.vn").as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 78
    assert str(message_from_bytes(raw, policy=email_policy.default)["Subject"]) == row.subject
    assert " 01/QĐ-VKSQN: " in row.subject
