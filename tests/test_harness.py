"""Tests of the test harness itself, against the real Dovecot/SMTP stack and the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
import unicodedata
import uuid
from email.message import EmailMessage
from typing import Any, cast

import imapclient
import psycopg
import pytest
import sqlalchemy
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import make_url

from tests.harness import mailstack as mailstack_module
from tests.harness.mailstack import LmtpRelayHandler, MailStack, _free_ports, ensure_dovecot
from tests.harness.pg import create_database, database_exists, drop_database

# "Official letter no. 12/VKS-VP on the year-end summary report": tones and hooks stacked on vowels.
SUBJECT_VI = "Công văn số 12/VKS-VP về việc báo cáo tổng kết năm — Viện kiểm sát nhân dân tỉnh Bắc Ninh"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _unique(localpart: str) -> str:
    """Local parts are the mailbox key (%n), so they must be unique across domains and tests."""
    return f"{localpart}.{uuid.uuid4().hex[:10]}"


def _letter(to: list[str], subject: str, body: str = "Kính gửi: Văn phòng.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "van.thu@vks-bacninh.gov.vn"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@vks-bacninh.gov.vn>"
    msg.set_content(body)
    return msg


# --- mail stack ---


@pytest.mark.mail
def test_two_recipients_each_get_the_message_with_vietnamese_subject(mailstack: MailStack) -> None:
    # Deliberately decomposed (NFD) on the way in: what comes back must be NFC-equal to what went out.
    subject = unicodedata.normalize("NFD", SUBJECT_VI)
    user_a = f"{_unique('an')}@vks-bacninh.gov.vn"
    user_b = f"{_unique('binh')}@vks-hanoi.gov.vn"
    delivered_before = mailstack.delivered

    mailstack.send(_letter([user_a, user_b], subject, body="Nội dung: đề nghị báo cáo trước ngày 15.\n"))

    # SMTP acceptance is synchronous with LMTP delivery, so the message is already there...
    inbox_a = mailstack.messages(user_a)
    # ...and wait_for_messages returns at once when the count is already reached.
    inbox_b = mailstack.wait_for_messages(user_b, 1, timeout=10)
    assert mailstack.delivered == delivered_before + 1
    for inbox in (inbox_a, inbox_b):
        assert len(inbox) == 1
        (msg,) = inbox
        assert _nfc(str(msg["Subject"])) == _nfc(SUBJECT_VI)
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        # Bodies keep the CRLF line endings the server stores.
        assert _nfc(body.get_content()).splitlines() == [_nfc("Nội dung: đề nghị báo cáo trước ngày 15.")]

    # "Encoded properly": on the wire the Subject header is 7-bit ASCII (RFC 2047 encoded-words).
    with mailstack.imap(user_a) as client:
        client.select_folder("INBOX", readonly=True)
        (uid,) = client.search("ALL")
        raw = client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[uid][b"BODY[HEADER.FIELDS (SUBJECT)]"]
    assert raw.isascii()
    assert b"=?utf-8?" in raw.lower()


@pytest.mark.mail
def test_wait_for_messages_wakes_up_when_mail_arrives(mailstack: MailStack) -> None:
    user = f"{_unique('chi')}@vks-bacninh.gov.vn"
    # Stimulus, not synchronisation: deliver while wait_for_messages is already idling.
    sender = threading.Timer(0.3, mailstack.send, args=(_letter([user], "Thông báo"),))
    started = time.monotonic()
    sender.start()
    try:
        inbox = mailstack.wait_for_messages(user, 1, timeout=10)
    finally:
        sender.join()
    elapsed = time.monotonic() - started
    assert [str(m["Subject"]) for m in inbox] == ["Thông báo"]
    assert elapsed < 5, f"IDLE wake-up took {elapsed:.2f} s"


@pytest.mark.mail
def test_wait_for_messages_resyncs_after_an_idle_read_error(
    mailstack: MailStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # imapclient's idle_check can fail with "unterminated line" (mjs/imapclient#519): reconnect, don't fail.
    original = imapclient.IMAPClient.idle_check
    calls: list[float | None] = []

    def flaky_idle_check(self: imapclient.IMAPClient, timeout: float | None = None) -> list[Any]:
        calls.append(timeout)
        if len(calls) == 1:
            raise ValueError("unterminated line")
        return cast(list[Any], original(self, timeout))

    monkeypatch.setattr(imapclient.IMAPClient, "idle_check", flaky_idle_check)
    user = f"{_unique('em')}@vks-bacninh.gov.vn"
    sender = threading.Timer(0.3, mailstack.send, args=(_letter([user], "Sau khi kết nối lại"),))
    sender.start()
    try:
        inbox = mailstack.wait_for_messages(user, 1, timeout=10)
    finally:
        sender.join()
    assert [str(m["Subject"]) for m in inbox] == ["Sau khi kết nối lại"]
    assert len(calls) >= 2


@pytest.mark.mail
def test_wait_for_messages_times_out_on_a_folder_that_never_fills(mailstack: MailStack) -> None:
    user = f"{_unique('dung')}@vks-bacninh.gov.vn"
    folder = "Lưu trữ 2024"  # non-ASCII names go over the wire in modified UTF-7 (and '/' is not allowed)
    mailstack.create_folder(user, folder)
    mailstack.create_folder(user, folder)  # idempotent
    assert mailstack.folder_uids(user, folder) == []

    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"only 0 arrived"):
        mailstack.wait_for_messages(user, 1, folder=folder, timeout=1.5)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 4.0


@pytest.mark.mail
def test_wait_for_messages_times_out_on_a_missing_folder(mailstack: MailStack) -> None:
    user = f"{_unique('giang')}@vks-bacninh.gov.vn"
    assert mailstack.messages(user, "Không tồn tại") == []
    assert mailstack.folder_uids(user, "Không tồn tại") == []
    with pytest.raises(TimeoutError, match=r"never appeared"):
        mailstack.wait_for_messages(user, 1, folder="Không tồn tại", timeout=1.5)


@pytest.mark.mail
def test_folder_uids_and_messages_in_a_created_folder(mailstack: MailStack) -> None:
    user = f"{_unique('hoa')}@vks-bacninh.gov.vn"
    mailstack.send(_letter([user], "Một"))
    mailstack.send(_letter([user], "Hai"))
    mailstack.create_folder(user, "Đã xử lý")
    with mailstack.imap(user) as client:
        client.select_folder("INBOX")
        client.copy(client.search("ALL"), "Đã xử lý")
    assert len(mailstack.folder_uids(user, "Đã xử lý")) == 2
    assert [str(m["Subject"]) for m in mailstack.messages(user, "Đã xử lý")] == ["Một", "Hai"]


@pytest.mark.mail
def test_start_retries_with_fresh_ports_when_one_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = ensure_dovecot()
    if reason is not None:
        pytest.skip(reason)
    real_free_ports = mailstack_module._free_ports
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks: list[list[int]] = []

        def first_pick_collides(count: int) -> list[int]:
            ports = real_free_ports(count)
            if not picks:
                ports[0] = taken  # the IMAP port
            picks.append(ports)
            return ports

        monkeypatch.setattr(mailstack_module, "_free_ports", first_pick_collides)
        with MailStack() as stack:
            assert len(picks) == 2
            assert stack.imap_port != taken
            with stack.imap(f"{_unique('lan')}@vks-bacninh.gov.vn") as client:
                assert client.folder_exists("INBOX")


@pytest.mark.mail
def test_failed_start_reports_dovecot_log_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = ensure_dovecot()
    if reason is not None:
        pytest.skip(reason)
    parent = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    before = set(os.listdir(parent))
    # A password that breaks the generated config: Dovecot refuses to start and says why.
    monkeypatch.setattr(MailStack, "password", "secret\n}\n}")
    stack = MailStack()
    with pytest.raises(RuntimeError, match=r"dovecot exited with status \d+:(.|\n)*dovecot\.conf"):
        stack.start()
    assert stack.root == ""
    assert {p for p in os.listdir(parent) if p.startswith("vanthu-mail-")} <= before


def test_relay_answers_451_when_lmtp_delivery_fails() -> None:
    # No server on this port: the relay must refuse the message rather than pretend it was delivered.
    (dead_port,) = _free_ports(1)
    handler = LmtpRelayHandler("127.0.0.1", dead_port)
    envelope = Envelope()
    envelope.mail_from = "van.thu@vks-bacninh.gov.vn"
    envelope.rcpt_tos = ["khanh@vks-bacninh.gov.vn"]
    envelope.original_content = _letter(["khanh@vks-bacninh.gov.vn"], "Không gửi được").as_bytes()
    reply = asyncio.run(handler.handle_DATA(cast(SMTP, None), cast(Session, None), envelope))
    assert reply.startswith("451 ")
    assert "<khanh@vks-bacninh.gov.vn>" in reply
    assert (handler.delivered, handler.failed) == (0, 1)


# --- PostgreSQL ---


def test_pg_url_gives_a_working_database(pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select 1")).scalar_one() == 1
    finally:
        engine.dispose()
    assert database_exists(pg_url)


def test_drop_database_removes_it_even_with_open_connections(pg_url: str) -> None:
    # pg_url only proves the server is reachable (the fixture skips otherwise); exercise a pair explicitly.
    url = create_database()
    try:
        assert url != pg_url
        assert database_exists(url)
        libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq_url) as open_session:
            open_session.execute("select 1")
            drop_database(url)  # must terminate this still-open session
            assert _is_terminated(open_session)
        assert not database_exists(url)
        drop_database(url)  # idempotent
    finally:
        drop_database(url)


def test_drop_database_refuses_foreign_names() -> None:
    with pytest.raises(ValueError, match="refusing"):
        drop_database("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _is_terminated(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether the server has closed this session (the next query fails)."""
    try:
        conn.execute("select 1")
    except psycopg.OperationalError:
        return True
    return False
