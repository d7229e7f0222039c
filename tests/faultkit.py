"""Support for tests that run the real worker through faults: bounded waits, progress, answers, log lines."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, func, select

from tests.e2ekit import Deployment
from tests.harness.mailstack import MailStack
from tests.support import request
from vanthu.models.tables import MailLedger, OutboxMessage

GIVEN = re.compile(r"Đã cấp số (\d+)/BC-VKSQN")
POLL = 0.1

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """What the database says has been done."""

    processed: int  # ledger rows in a final state
    queued: int  # outbox rows written
    sent: int  # outbox rows recorded as sent

    def answered(self, count: int) -> bool:
        return self.processed == count and self.queued == count and self.sent == count

    @property
    def units(self) -> int:
        """Work done so far: 2 × the requests when every request is processed and answered."""
        return self.processed + self.sent


def progress(engine: Engine) -> Progress:
    with engine.connect() as conn:
        processed = conn.execute(
            select(func.count()).select_from(MailLedger).where(MailLedger.state.in_(("done", "quarantined")))
        ).scalar_one()
        queued = conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
        sent = conn.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
        ).scalar_one()
    return Progress(int(processed), int(queued), int(sent))


def wait_until(check: Callable[[], T | None], timeout: float, what: str, seen: Callable[[], object]) -> T:
    """Poll ``check`` until it returns something other than None or False; fail after ``timeout`` seconds.

    The failure names ``what`` was awaited and what ``seen()`` reports at the end.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; saw: {seen()}")
        time.sleep(POLL)  # readiness polling with a deadline


def wait_answered(engine: Engine, count: int, timeout: float, log: Callable[[], str] | None = None) -> float:
    """Wait until ``count`` requests are processed and answered; return the seconds it took."""
    started = time.monotonic()

    def seen() -> str:
        tail = f"\n--- worker log ---\n{log()[-4000:]}" if log is not None else ""
        return f"{progress(engine)}{tail}"

    wait_until(lambda: progress(engine).answered(count), timeout, f"{count} answered requests", seen)
    return time.monotonic() - started


def number_requests(deployment: Deployment, senders: list[str], count: int, start: int = 0) -> list[EmailMessage]:
    """``count`` "Lấy số" requests to the deployment's office, from ``senders`` in turn."""
    return [
        request(
            senders[i % len(senders)],
            f"Lấy số: Báo cáo kiểm tra sự cố số {i + 1}",
            "Loại: BC\n",
            to=deployment.office,
        )
        for i in range(start, start + count)
    ]


def append(stack: MailStack, user: str, messages: list[EmailMessage], folder: str = "INBOX") -> None:
    """Put messages straight into ``user``'s folder over IMAP (for when the SMTP server is down)."""
    with stack.imap(user) as client:
        for msg in messages:
            client.append(folder, msg.as_bytes())


def assert_each_answered_once(stack: MailStack, senders: list[str], requests: list[EmailMessage]) -> None:
    """Every request has exactly one distinct reply (by In-Reply-To) carrying a number, and no reply is extra."""
    wanted = {str(m["Message-ID"]) for m in requests}
    replies: dict[str, Counter[str]] = {}
    for sender in sorted(set(senders)):
        for reply in stack.messages(sender):
            in_reply_to = str(reply["In-Reply-To"])
            assert in_reply_to in wanted, f"reply to an unknown message: {reply['Subject']}"
            assert GIVEN.search(str(reply["Subject"])), f"not a number reply: {reply['Subject']!r}"
            replies.setdefault(in_reply_to, Counter())[str(reply["Message-ID"])] += 1
    missing = wanted - set(replies)
    assert not missing, f"{len(missing)} request(s) got no reply"
    several = {mid: dict(c) for mid, c in replies.items() if len(c) != 1}
    assert not several, f"requests answered by more than one distinct email: {several}"


def count_lines(path: Path, needle: str, offset: int = 0) -> int:
    """How many lines of the log at ``path`` (from byte ``offset``) contain ``needle``."""
    with path.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if needle in line)


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
