"""How long an officer waits for a number: SMTP send of "Lấy số" → reply visible in the officer's IMAP inbox.

Runs everything for real on loopback: the test mail stack (Dovecot + aiosmtpd, tests/harness), an SQLite
deployment (tests.e2ekit.deploy, in a temporary directory) and the ``vanthu run`` worker process. It sends
the requests one after another and measures, for each, the time from just before the SMTP send until the
reply shows up over IMAP IDLE.

The baseline is the mail stack alone: a plain message sent over SMTP to another mailbox until it shows up
there over IMAP IDLE, measured the same way and interleaved with the vanthu samples so that both see the
same machine. In both cases the IDLE connection is opened and armed *before* the send (a watcher that only
connects after the send would find the baseline message already stored, and would not measure delivery
the same way on both sides). Dovecot sends IDLE's EXISTS about 0.5 s after a change; the baseline pays that
once, vanthu twice (its own watcher of the office inbox, then the officer's mail program).

Usage: ``.venv/bin/python -m bench.latency [--samples N] [--warmup N]``. The last line printed is::

    p95: <ms> ms; ratio <x.xx> vs bare SMTP→IMAP delivery
"""

from __future__ import annotations

import argparse
import contextlib
import email.policy
import functools
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import imapclient

# A stray ``tests`` package lives in site-packages: the repository's own must win.
from tests.e2ekit import Deployment, WorkerProcess, deploy
from tests.harness.mailstack import IMAP_CONNECTION_ERRORS, MailStack, ensure_dovecot
from tests.support import LEADER, OFFICER, OFFICER2, request

#: Officers and leaders of examples/people.csv: the worker answers them with a number, and nothing else
#: lands in their inboxes.
REQUESTERS = (OFFICER, OFFICER2, LEADER, "pvt.minh@vksquangninh.gov.vn")
#: Longest single idle_check(); after an empty one the count is re-read (a lost EXISTS costs this much). Not
#: shorter: Dovecot reports a change ~0.5 s late, and ending IDLE just before that report (a SEARCH does not
#: yet see the new message either) would add a whole slice to that sample.
IDLE_SLICE = 5.0
SAMPLE_TIMEOUT = 30.0


class InboxWatch:
    """One IMAP connection on a user's INBOX that knows how many messages it holds and waits in IDLE."""

    def __init__(self, stack: MailStack, user: str) -> None:
        self.stack, self.user = stack, user
        stack.create_folder(user, "INBOX")
        self.client = self._connect()
        self.count = self._recount()

    def _connect(self) -> imapclient.IMAPClient:
        client = self.stack.imap(self.user)
        client.select_folder("INBOX", readonly=True)
        return client

    def _recount(self) -> int:
        self.client.noop()  # makes Dovecot sync the selected folder, so SEARCH sees what was just delivered
        return len(self.client.search("ALL"))

    def measure(self, send: Callable[[], None]) -> float:
        """Arm IDLE, call ``send``, return the seconds until the INBOX holds one message more."""
        target = self.count + 1
        self.client.idle()
        started = time.perf_counter()
        send()
        deadline = started + SAMPLE_TIMEOUT
        while True:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"nothing arrived for {self.user} within {SAMPLE_TIMEOUT:.0f} s")
            try:
                responses = self.client.idle_check(timeout=IDLE_SLICE)
            except IMAP_CONNECTION_ERRORS:
                # imapclient's idle_check can fail spuriously (mjs/imapclient#519): reconnect and resync.
                self._reconnect()
                responses = []
            arrived = time.perf_counter()
            for resp in responses:
                if len(resp) >= 2 and resp[1] == b"EXISTS" and isinstance(resp[0], int):
                    self.count = max(self.count, resp[0])
            if self.count >= target:
                self.client.idle_done()
                return arrived - started
            if not responses:
                self.client.idle_done()
                self.count = self._recount()
                if self.count >= target:
                    return time.perf_counter() - started
                self.client.idle()

    def _reconnect(self) -> None:
        with contextlib.suppress(*IMAP_CONNECTION_ERRORS):
            self.client.shutdown()
        self.client = self._connect()
        self.client.idle()

    def newest(self) -> EmailMessage:
        """The last message of the INBOX (to check what arrived, outside the timed part)."""
        last = max(int(uid) for uid in self.client.search("ALL"))
        raw = self.client.fetch([last], ["BODY.PEEK[]"])[last][b"BODY[]"]
        return BytesParser(policy=email.policy.default).parsebytes(raw)

    def close(self) -> None:
        with contextlib.suppress(*IMAP_CONNECTION_ERRORS):
            self.client.logout()


def summary(name: str, seconds: list[float]) -> float:
    """Print the figures of one side; return its p95 in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94]
    print(
        f"{name:<24} n={len(ms):3d}  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  max {ms[-1]:6.0f} ms  "
        f"min {ms[0]:6.0f} ms  mean {statistics.fmean(ms):6.0f} ms"
    )
    return p95


def run(samples: int, warmup: int) -> None:
    reason = ensure_dovecot()
    if reason is not None:
        raise SystemExit(f"no mail stack: {reason}")
    with MailStack() as stack, tempfile.TemporaryDirectory(prefix="vanthu-bench-") as tmp:
        deployment: Deployment = deploy(Path(tmp), f"sqlite:///{tmp}/vanthu.db", stack)
        requesters = [deployment.addr(a) for a in REQUESTERS]
        baseline_box = f"baseline.{uuid.uuid4().hex[:8]}@vksquangninh.gov.vn"
        watches = {a: InboxWatch(stack, a) for a in [*requesters, baseline_box]}
        vanthu: list[float] = []
        bare: list[float] = []
        worker = WorkerProcess(deployment).start()
        try:
            for i in range(warmup + samples):
                officer = requesters[i % len(requesters)]
                ask = request(officer, f"Lấy số: Báo cáo kết quả công tác {i + 1}", "Loại: BC\n", to=deployment.office)
                took = watches[officer].measure(functools.partial(stack.send, ask))
                reply = watches[officer].newest()
                if reply["In-Reply-To"] != ask["Message-ID"] or "Đã cấp số" not in str(reply["Subject"]):
                    raise RuntimeError(f"unexpected reply for request {i + 1}: {reply['Subject']!r}")
                plain = request(officer, f"Thư thường {i + 1}", "Không phải yêu cầu.\n", to=baseline_box)
                took_bare = watches[baseline_box].measure(functools.partial(stack.send, plain))
                if i >= warmup:
                    vanthu.append(took)
                    bare.append(took_bare)
            code = worker.terminate()
            if code != 0:
                raise RuntimeError(f"worker exited with {code}")
        finally:
            worker.kill()
            for watch in watches.values():
                watch.close()
    print(f"SMTP send → reply visible over IMAP IDLE, {samples} sequential requests ({warmup} warm-up not counted)")
    p95 = summary("vanthu (Lấy số → reply)", vanthu)
    p95_bare = summary("bare SMTP → IMAP", bare)
    print(f"p95: {p95:.0f} ms; ratio {p95 / p95_bare:.2f} vs bare SMTP→IMAP delivery")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    run(args.samples, args.warmup)


if __name__ == "__main__":
    main()
