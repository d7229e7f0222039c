"""The pieces of fault recovery: fault kinds, one log line per outage, backoff, storage errors, temp files,
a closed IMAP connection, a MOVE racing another worker's, an outbox sender that never dies."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import os
import socket
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tests.flowkit import inbox_root, ledger, outbox, send
from tests.harness.mailstack import MailStack
from tests.support import OFFICER, request
from vanthu.mailflows import dispatch
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.worker import outbox_sender
from vanthu.worker.app import App
from vanthu.worker.blobstore import BlobStore, StorageError
from vanthu.worker.imap_source import ImapSource, peer_closed
from vanthu.worker.local_source import deliver_local
from vanthu.worker.outbox_sender import deliver_due, run_sender
from vanthu.worker.processor import Processor
from vanthu.worker.resilience import Backoff, Fault, OutageLog, classify
from vanthu.worker.runner import guarded
from vanthu.worker.transports import TransportError

# --- fault kinds, outage log, backoff ---


def test_faults_are_named_for_what_failed(tmp_path: Path) -> None:
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path))
    assert classify(StorageError(tmp_path, full)) is Fault.DATA_DIRECTORY
    assert classify(full) is Fault.DATA_DIRECTORY
    assert classify(OperationalError("SELECT 1", {}, Exception("connection refused"))) is Fault.DATABASE
    assert classify(TransportError("down", unavailable=True)) is Fault.SMTP_SERVER
    assert classify(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) is Fault.MAIL_SERVER
    assert classify(ValueError("unterminated line")) is Fault.UNEXPECTED


def test_an_outage_is_logged_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outage = OutageLog(logging.getLogger("test.outage"), "outbox", clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="test.outage")
    down = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    for _ in range(50):
        outage.failed(down)
        now[0] += 1
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "IMAP server unavailable" in caplog.records[0].getMessage()
    outage.failed(OperationalError("x", {}, Exception("gone")))  # another kind of fault: said once more
    outage.recovered()
    outage.recovered()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and messages[1] == "outbox: database unavailable, retrying with backoff: gone"
    assert "working again after 50.0 s (51 failed tries" in messages[2]
    assert not outage.in_outage


def test_unexpected_errors_keep_their_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    outage = OutageLog(logging.getLogger("test.unexpected"), "job")
    caplog.set_level(logging.INFO, logger="test.unexpected")
    for _ in range(3):
        outage.failed(KeyError("bug"))
    [record] = caplog.records
    assert record.levelname == "ERROR" and record.exc_info is not None


def test_backoff_is_capped() -> None:
    backoff = Backoff(base=1.0, cap=15.0)
    delays = [backoff.next_delay() for _ in range(100)]
    assert 0.5 <= delays[0] <= 1.0 and max(delays) <= 15.0 and min(delays[10:]) >= 7.5
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_a_guarded_job_never_raises_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def job(fail: bool) -> int:
        calls.append(fail)
        if fail:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return 7

    run = guarded("housekeeping", job)
    caplog.set_level(logging.INFO, logger="vanthu.worker.runner")
    assert run(True) is None and run(True) is None and run(False) == 7
    messages = [r.getMessage() for r in caplog.records if r.name == "vanthu.worker.runner"]
    assert len(messages) == 2 and "database unavailable" in messages[0] and "working again" in messages[1]


# --- the data directory ---


def test_a_refused_write_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "raw"
    blocker.write_text("a file where the store's directory should be")
    with pytest.raises(StorageError) as caught:
        BlobStore(blocker, ".eml").put(b"message")
    assert "cannot write under" in str(caught.value)


def test_stale_temp_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "raw", ".eml")
    digest = store.put(b"kept message")
    folder = store.path_for(digest).parent
    stale, fresh = folder / ".tmp-dead1234", folder / ".tmp-busy5678"
    stale.write_bytes(b"half a message")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert store.remove_stale_temp_files() == 1
    assert not stale.exists() and fresh.exists() and store.get(digest) == b"kept message"


def test_a_disk_or_database_fault_is_not_counted_against_the_message(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(ctx: FlowContext, msg: ParsedMessage) -> str:
        raise StorageError(app.files.root, OSError(errno.ENOSPC, "No space left on device", "x"))

    monkeypatch.setattr(dispatch, "handle", full)
    source = inbox_root(app)
    deliver_local(source.root, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n").as_bytes())
    with pytest.raises(StorageError):
        Processor(app, app.config.mailboxes[0]).drain(source)
    assert ledger(app) == [] and len(source.uids()) == 1  # no failed attempt: it waits for the disk
    monkeypatch.undo()
    [result] = Processor(app, app.config.mailboxes[0]).drain(source)
    assert result.outcome == "number.given"


# --- the outbox sender ---


class FlakyTransport:
    """Fails with the given errors first, then delivers."""

    def __init__(self, failures: list[TransportError]) -> None:
        self.failures = failures
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def test_an_unreachable_smtp_server_does_not_use_up_the_attempts(app: App) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    transport = FlakyTransport([TransportError("refused", unavailable=True) for _ in range(20)])
    for _ in range(20):
        with pytest.raises(TransportError):
            asyncio.run(deliver_due(app, transport))
    [row] = outbox(app)
    assert row.state == "pending" and row.attempts == 0
    assert asyncio.run(deliver_due(app, transport)) == 1


def test_a_send_the_database_could_not_record_is_recorded_later(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    transport = FlakyTransport([])
    real_mark_sent = outbox_sender.mark_sent

    def database_gone(app: App, row_id: int) -> None:
        raise OperationalError("UPDATE outbox", {}, Exception("server closed the connection"))

    monkeypatch.setattr(outbox_sender, "mark_sent", database_gone)
    unrecorded: list[int] = []
    with pytest.raises(OperationalError):
        asyncio.run(deliver_due(app, transport, unrecorded=unrecorded))
    assert len(transport.sent) == 1 and len(unrecorded) == 1
    monkeypatch.setattr(outbox_sender, "mark_sent", real_mark_sent)
    assert asyncio.run(deliver_due(app, transport, unrecorded=unrecorded)) == 0
    [row] = outbox(app)
    assert row.state == "sent" and len(transport.sent) == 1 and unrecorded == []


def test_the_sender_outlives_any_exception(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    send(app, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n"))
    failures = [OperationalError("SELECT", {}, Exception("database down")), RuntimeError("bug")]
    real_next_due = outbox_sender.next_due

    def flaky_next_due(app: App) -> dt.datetime | None:
        if failures:
            raise failures.pop(0)
        return real_next_due(app)

    monkeypatch.setattr(outbox_sender, "next_due", flaky_next_due)
    transport = FlakyTransport([TransportError("refused", unavailable=True)])

    async def main() -> None:
        stop, wake = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(run_sender(app, transport, stop, wake))
        deadline = time.monotonic() + 20
        while not (transport.sent and not failures) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # readiness polling with a deadline
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert len(transport.sent) == 1 and failures == []
    [row] = outbox(app)
    assert row.state == "sent"


# --- IMAP ---


def test_peer_closed_sees_end_of_file_but_not_a_quiet_or_busy_connection() -> None:
    ours, theirs = socket.socketpair()
    try:
        ours.settimeout(5)
        assert not peer_closed(ours)  # quiet
        theirs.sendall(b"* 1 EXISTS\r\n")
        assert not peer_closed(ours)  # data waiting
        assert ours.recv(100) == b"* 1 EXISTS\r\n"
        theirs.close()
        assert peer_closed(ours)
        assert ours.gettimeout() == 5  # the socket's own mode is untouched
    finally:
        ours.close()


@pytest.mark.mail
def test_a_move_racing_another_workers_is_already_done(mailstack: MailStack) -> None:
    user = f"race.{os.getpid()}.{time.monotonic_ns()}@vksquangninh.gov.vn"
    mailstack.create_folder(user, "INBOX")
    mailstack.send(request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n", to=user))
    sources = [
        ImapSource(
            f"race{i}",
            host=mailstack.imap_host,
            port=mailstack.imap_port,
            tls="none",
            user=user,
            password=mailstack.password,
            folders=("Processed",),
        )
        for i in range(2)
    ]
    for source in sources:
        source.connect()
    try:
        [uid] = sources[0].uids()
        assert sources[1].uids() == [uid]
        sources[0].move(uid, "Processed")
        sources[1].move(uid, "Processed")  # the other worker was first: nothing to do, no error
        assert sources[1].fetch(uid) is None
        assert sources[1].uids() == []
    finally:
        for source in sources:
            source.close()
    assert len(mailstack.folder_uids(user, "Processed")) == 1
