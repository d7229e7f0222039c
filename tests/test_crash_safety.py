"""Crash safety, accepted end to end: SIGKILL the worker at random moments and nothing is lost or doubled.

With 200 "Lấy số" requests waiting in the office mailbox, the real ``vanthu run`` process is killed with
SIGKILL at random moments (at least 10 times, each while work was still pending) and restarted. In the end:

* every request has exactly one reply (one distinct Message-ID, counted by In-Reply-To in the officers'
  mailboxes); a kill between SMTP acceptance and the database commit may deliver the *same* email twice, by
  design, so physical duplicates are counted and bounded by the number of kills;
* the numbers given are 01..200 of the register HC, without gaps or duplicates;
* the office INBOX is empty, the Processed folder holds the 200 requests, and the audit chain verifies.

The seed of the kill moments is printed; ``VANTHU_CRASH_SEED=<seed>`` repeats its random draws (the moments
themselves also depend on how fast the worker turns out to be, see ``_next_life``).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select

from tests.e2ekit import VANTHU, Deployment, WorkerProcess, deploy
from tests.faultkit import Progress
from tests.faultkit import progress as progress_of
from tests.harness.mailstack import MailStack
from tests.support import LEADER, OFFICER, OFFICER2, request
from vanthu.models.tables import Document, MailLedger, OutboxMessage, Register, Unit

pytestmark = [pytest.mark.slow, pytest.mark.mail]

REQUESTS = 200
MIN_KILLS = 10
#: How long each worker life lasts before the SIGKILL, once the worker is ready (seconds): drawn uniformly
#: from this range, with the upper end lowered when the worker is fast enough to finish everything before
#: MIN_KILLS kills have interrupted it (see _next_life).
LIFE_SECONDS = (0.1, 1.5)
#: The worker's assumed speed before the first kill has measured it, in work units (a request processed,
#: a reply sent) per second; SQLite on 2 cores has been seen near 80.
ASSUMED_RATE = 80.0
FINISH_TIMEOUT = 120.0
#: Officers and leaders of examples/people.csv whose numbers come from the register HC of VKSQN (P2 and VP
#: have no outgoing register of their own, so their parent's is used). No clerk: clerks get other mail too.
SENDERS = (
    OFFICER,
    OFFICER2,
    LEADER,
    "pvt.minh@vksquangninh.gov.vn",
    "truongphong.p2@vksquangninh.gov.vn",
    "chanhvp@vksquangninh.gov.vn",
)
GIVEN = re.compile(r"Đã cấp số (\d+)/BC-VKSQN")


def _send_all(stack: MailStack, messages: list[EmailMessage]) -> None:
    # One SMTP connection per message (MailStack.send), a few in parallel: the 200 are stored in seconds.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(stack.send, m) for m in messages]:
            future.result()


@contextmanager
def _running(deployment: Deployment) -> Iterator[WorkerProcess]:
    """The worker, started and ready; killed on the way out even if it never became ready."""
    worker = WorkerProcess(deployment)
    try:
        yield worker.start()
    finally:
        if worker.proc is not None:
            worker.kill()


def _next_life(rng: random.Random, rate: float, left: int, kills_to_go: int) -> float:
    """A random life for the next worker, short enough to leave work for the kills still to come.

    ``rate`` is the fastest speed seen so far (work units per second) and ``left`` the units still to do: the
    upper end is lowered so that even a life of maximal length leaves a share of the work for each of the
    ``kills_to_go`` later kills (and for the final, uninterrupted run).
    """
    low, high = LIFE_SECONDS
    high = min(high, max(2 * low, left / (rate * (kills_to_go + 1))))
    return rng.uniform(low, high)


def _wait_finished(engine: Engine, timeout: float) -> Progress:
    deadline = time.monotonic() + timeout
    progress = progress_of(engine)
    while not progress.answered(REQUESTS):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"the worker did not finish within {timeout:.0f} s: {progress}")
        time.sleep(0.2)  # readiness polling of the database, with a deadline
        progress = progress_of(engine)
    return progress


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path, db_url: str, mailstack: MailStack) -> None:
    started = time.monotonic()
    seed = int(os.environ.get("VANTHU_CRASH_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    print(f"\ncrash-safety seed: {seed} (VANTHU_CRASH_SEED={seed} repeats the random draws of the kill moments)")

    deployment: Deployment = deploy(
        tmp_path, db_url, mailstack, extra_service="outbox_lease_seconds = 3\nretry_base_seconds = 1\n"
    )
    senders = [deployment.addr(s) for s in SENDERS]
    requests = [
        request(
            senders[i % len(senders)],
            f"Lấy số: Báo cáo kết quả công tác số {i + 1}",
            "Loại: BC\n",
            to=deployment.office,
        )
        for i in range(REQUESTS)
    ]
    _send_all(mailstack, requests)
    assert len(mailstack.folder_uids(deployment.office, "INBOX")) == REQUESTS

    engine = create_engine(db_url)  # plain reads; the worker's own engine takes the write locks
    try:
        kills: list[Progress] = []  # the progress seen right after each kill
        interrupted = 0  # kills that hit a worker with work still pending
        rate, before = ASSUMED_RATE, Progress(0, 0, 0)  # the schema exists only once the worker has started
        while interrupted < MIN_KILLS:
            life = _next_life(rng, rate, 2 * REQUESTS - before.units, MIN_KILLS - interrupted - 1)
            launched = time.monotonic()
            with _running(deployment) as worker:  # started: its IDLE watcher is connected
                ready = time.monotonic()
                # The random wait IS the test: it picks the moment of the SIGKILL, anywhere in the work.
                time.sleep(life)
                worker.kill()
                lived = time.monotonic() - ready
            progress = progress_of(engine)
            kills.append(progress)
            measured = (progress.units - before.units) / lived
            rate = max(measured, 5.0) if len(kills) == 1 else max(rate, measured)  # the fastest life so far
            print(f"kill {len(kills):2d}: ready after {ready - launched:.2f} s, killed {lived:.2f} s later: {progress}")
            before = progress
            if progress.answered(REQUESTS):
                break
            interrupted += 1
        assert interrupted >= MIN_KILLS, (
            f"only {interrupted} of {len(kills)} kills interrupted pending work: the worker finished too fast "
            "for this test; lower LIFE_SECONDS or ASSUMED_RATE, or send more requests"
        )

        last = time.monotonic()
        with _running(deployment) as worker:
            try:
                final = _wait_finished(engine, FINISH_TIMEOUT)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\n{worker.log_text()[-3000:]}") from exc
            assert worker.terminate() == 0
        print(f"finished after {len(kills)} kills: {final}, the last run took {time.monotonic() - last:.1f} s")

        with engine.connect() as conn:
            docs = conn.execute(
                select(Document.number, Document.suffix, Document.status, Document.source_message_id, Register.code)
                .join(Register, Register.id == Document.register_id)
                .join(Unit, Unit.id == Register.unit_id)
                .where(Unit.code == "VKSQN")
            ).all()
            outbox_states = Counter(conn.execute(select(OutboxMessage.state)).scalars())
            leases = {mid: n for mid, n in conn.execute(select(OutboxMessage.message_id, OutboxMessage.attempts))}
            ledger_outcomes = Counter(conn.execute(select(MailLedger.outcome)).scalars())
    finally:
        engine.dispose()
    assert outbox_states == {"sent": REQUESTS}, outbox_states
    assert ledger_outcomes == {"number.given": REQUESTS}, ledger_outcomes

    # The numbers: exactly 01..200 of the register HC, each given to one request.
    assert {d.code for d in docs} == {"HC"}
    assert sorted(d.number for d in docs) == list(range(1, REQUESTS + 1))
    assert {d.suffix for d in docs} == {""} and {d.status for d in docs} == {"reserved"}
    number_of = {d.source_message_id: d.number for d in docs}
    request_ids = [str(m["Message-ID"]) for m in requests]
    assert set(number_of) == set(request_ids)

    # The replies: one distinct email per request; a physical duplicate is the same email sent again.
    copies: dict[str, Counter[str]] = defaultdict(Counter)
    for sender in sorted(set(senders)):
        for reply in mailstack.messages(sender):
            in_reply_to = str(reply["In-Reply-To"])
            assert in_reply_to in number_of, f"reply to an unknown message: {reply['Subject']}"
            subject = str(reply["Subject"])
            given = GIVEN.search(subject)
            assert given is not None, f"not a number reply: {subject!r}"
            assert int(given.group(1)) == number_of[in_reply_to], subject
            copies[in_reply_to][str(reply["Message-ID"])] += 1
    missing = [mid for mid in request_ids if mid not in copies]
    assert not missing, f"{len(missing)} request(s) got no reply, e.g. {missing[:3]}"
    several = {mid: dict(c) for mid, c in copies.items() if len(c) != 1}
    assert not several, f"requests answered by more than one distinct email: {several}"
    duplicates = sum(n - 1 for c in copies.values() for n in c.values())
    # Each copy went out under its own lease: a resend after a kill, never two sends of one lease.
    overdelivered = {mid: n for c in copies.values() for mid, n in c.items() if n > leases[mid]}
    assert not overdelivered, f"more copies than leases: {overdelivered}"
    log = deployment.log.read_text(encoding="utf-8", errors="replace")
    print(
        f"kills: {len(kills)} ({interrupted} interrupting work); physical duplicate replies: {duplicates}; "
        f"moved after a restart (killed between commit and MOVE): {log.count(': already-done')}; "
        f"most leases of one reply: {max(leases.values())}"
    )
    assert duplicates <= len(kills)

    # The mailbox: every request left the INBOX exactly once, for Processed.
    assert mailstack.folder_uids(deployment.office, "INBOX") == []
    processed = Counter(str(m["Message-ID"]) for m in mailstack.messages(deployment.office, "Processed"))
    assert sorted(processed) == sorted(request_ids) and set(processed.values()) == {1}

    verify = subprocess.run(
        [str(VANTHU), "-c", str(deployment.config), "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "VANTHU_TEST_IMAP_PASSWORD": mailstack.password},
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"{verify.stdout.strip()}; test took {time.monotonic() - started:.1f} s")
