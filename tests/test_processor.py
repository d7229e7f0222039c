"""The processor's promises: nothing lost, nothing processed twice, failures retried then quarantined."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from tests.flowkit import documents, inbox_root, ledger, outbox, send
from tests.support import CLERK, OFFICER, request
from vanthu.mailflows import dispatch
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App
from vanthu.worker.local_source import LocalSource, deliver_local
from vanthu.worker.processor import Processor


def _folder(source: LocalSource, name: str) -> list[Path]:
    folder = source.root / name
    return [p for p in folder.iterdir() if p.name.isdigit()] if folder.is_dir() else []


def test_failing_message_is_retried_with_backoff_then_quarantined(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: FlowContext, msg: ParsedMessage) -> str:
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "handle", boom)
    msg = request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n")
    [first] = send(app, msg)
    assert first.label == "failed.attempt-1" and first.attempts == 1 and first.moved_to is None
    source = inbox_root(app)
    processor = Processor(app, app.config.mailboxes[0])
    assert processor.drain(source) == []  # not due yet: the retry waits
    delays = []
    for attempt in range(2, app.config.service.max_attempts + 1):
        [row] = ledger(app)
        assert row.next_attempt_at is not None
        delays.append((row.next_attempt_at - clock.now()).total_seconds())
        clock.set(row.next_attempt_at)
        [result] = processor.drain(source)
        expected = "quarantined.failed" if attempt == app.config.service.max_attempts else f"failed.attempt-{attempt}"
        assert result.label == expected
    assert delays == [30.0, 60.0, 120.0, 240.0]  # retry_base_seconds, doubling
    assert source.uids() == []
    [kept] = _folder(source, "Quarantine")
    assert kept.read_bytes() == msg.as_bytes()
    [row] = ledger(app)
    assert row.state == "quarantined" and "database went away" in row.last_error
    assert app.rawstore.get(row.sha256) == msg.as_bytes()
    [notice] = outbox(app)
    assert notice.to_addr == CLERK and notice.kind == "quarantine"
    assert "Xử lý không thành công sau 5 lần thử" in notice.body_text
    assert documents(app) == []


def test_crash_between_commit_and_move_does_not_process_twice(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    msg = request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n")
    calls = {"n": 0}
    real_move = LocalSource.move

    def move_fails_once(self: LocalSource, uid: int, folder: str) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection reset by peer")
        real_move(self, uid, folder)

    monkeypatch.setattr(LocalSource, "move", move_fails_once)
    with pytest.raises(OSError):
        send(app, msg)
    # The transaction committed before the move failed: the message is still in the inbox.
    source = inbox_root(app)
    assert len(source.uids()) == 1
    [again] = Processor(app, app.config.mailboxes[0]).drain(source)
    assert again.outcome == "already-done" and again.moved_to == "Processed"
    assert source.uids() == []
    assert len(documents(app)) == 1
    assert len(outbox(app)) == 1


class _RenumberedSource(LocalSource):
    """The same folder after the server reset its UIDVALIDITY (and so its UIDs)."""

    def uidvalidity(self) -> int:
        return 2


def test_uidvalidity_change_does_not_reprocess_known_messages(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    source = inbox_root(app)
    deliver_local(source.root, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n").as_bytes())
    monkeypatch.setattr(LocalSource, "move", lambda self, uid, folder: None)  # the move never happened
    processor = Processor(app, app.config.mailboxes[0])
    [first] = processor.drain(source)
    assert first.outcome == "number.given"
    renumbered = _RenumberedSource(source.name, source.root, "INBOX")
    [second] = processor.drain(renumbered)
    assert second.outcome == "already-done"
    assert len(documents(app)) == 1 and len(outbox(app)) == 1
    assert {(r.uidvalidity, r.state) for r in ledger(app)} == {(1, "done"), (2, "done")}


def test_malformed_message_is_quarantined_with_a_notice(app: App) -> None:
    source = inbox_root(app)
    raw = b"Subject: no sender here\r\n\r\nhello\r\n"
    deliver_local(source.root, raw)
    [result] = Processor(app, app.config.mailboxes[0]).drain(source)
    assert result.outcome == "quarantined.malformed"
    [kept] = _folder(source, "Quarantine")
    assert kept.read_bytes() == raw
    [notice] = outbox(app)
    assert notice.to_addr == CLERK and "Thư không đọc được" in notice.body_text


def test_two_workers_racing_for_one_message_process_it_once(app: App) -> None:
    source = inbox_root(app)
    deliver_local(source.root, request(OFFICER, "Lấy số: Báo cáo", "Loại: BC\n").as_bytes())
    [uid] = source.uids()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            own = LocalSource(source.name, source.root, "INBOX")
            barrier.wait()
            result = Processor(app, app.config.mailboxes[0]).process(own, uid)
            outcomes.append(result.outcome if result else "gone")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(outcomes) in (["already-done", "number.given"], ["gone", "number.given"])
    assert len(documents(app)) == 1 and len(outbox(app)) == 1


def test_runaway_replies_to_one_address_are_capped(app: App, clock: FixedClock) -> None:
    cap = app.settings.reply_cap_per_hour
    object.__setattr__(app.settings, "reply_cap_per_hour", 3)
    try:
        send(app, *[request(OFFICER, "xin chào") for _ in range(5)])
    finally:
        object.__setattr__(app.settings, "reply_cap_per_hour", cap)
    states = [r.state for r in outbox(app)]
    assert states == ["pending"] * 3 + ["suppressed"] * 2
    clock.advance(dt.timedelta(hours=1, seconds=1))
    send(app, request(OFFICER, "xin chào"))
    assert outbox(app)[-1].state == "pending"


def test_a_message_over_the_size_limit_is_not_downloaded(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    source = inbox_root(app)
    big = request(OFFICER, "Lấy số: Báo cáo", "x" * 2_000_000).as_bytes()
    deliver_local(source.root, big)
    object.__setattr__(app.config.intake, "max_message_mb", 1.0)

    def no_fetch(self: LocalSource, uid: int) -> bytes | None:
        raise AssertionError("an oversized message must not be fetched")

    monkeypatch.setattr(LocalSource, "fetch", no_fetch)
    [result] = Processor(app, app.config.mailboxes[0]).drain(source)
    assert (result.outcome, result.moved_to) == ("quarantined.too-large", "Quarantine")
    [kept] = _folder(source, "Quarantine")
    assert kept.read_bytes() == big
    [notice] = outbox(app)
    assert notice.to_addr == CLERK and "vượt giới hạn 1 MB" in notice.body_text
    assert [r.state for r in ledger(app)] == ["quarantined"]
