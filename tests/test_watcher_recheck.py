"""Mail arriving while a drain runs is processed in that drain, not at the next IDLE notification (issue 8, item 5).

The Dovecot here sends no IDLE keep-alives (``imap_idle_notify_interval = 0``): a watcher that goes from
its drain straight into IDLE, having swallowed the EXISTS responses that came with its FETCH and MOVE
commands, would not hear of the late messages until it renews IDLE 25 minutes later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.e2ekit import WorkerProcess, deploy
from tests.faultkit import number_requests, progress, wait_answered, wait_until
from tests.harness.mailstack import MailStack, ensure_dovecot
from tests.support import OFFICER, OFFICER2

pytestmark = [pytest.mark.slow, pytest.mark.mail]

BATCH = 40
LATE = 2
#: The late messages must be answered this soon after they were delivered (Dovecot's own 0.5 s included).
WITHIN_SECONDS = 8.0


@pytest.fixture(scope="module")
def quiet_stack() -> Iterator[MailStack]:
    """A mail stack whose Dovecot sends no "OK Still here" during IDLE."""
    reason = ensure_dovecot()
    if reason is not None:
        pytest.skip(reason)
    with MailStack(idle_notify_interval="0") as stack:
        yield stack


def test_mail_delivered_during_a_drain_is_processed_within_seconds(tmp_path: Path, quiet_stack: MailStack) -> None:
    db_url = f"sqlite:///{tmp_path / 'vanthu.db'}"
    deployment = deploy(tmp_path, db_url, quiet_stack)  # reports off: no digest, whatever the hour
    senders = [deployment.addr(OFFICER), deployment.addr(OFFICER2)]
    for msg in number_requests(deployment, senders, BATCH):
        quiet_stack.send(msg)
    late = number_requests(deployment, senders, LATE, start=BATCH)
    engine = create_engine(db_url)
    try:
        with WorkerProcess(deployment) as worker:
            # The drain of the batch has begun: deliver the late mail while it runs.
            wait_until(lambda: progress(engine).processed >= 3, 60, "the drain to begin", lambda: progress(engine))
            for msg in late:
                quiet_stack.send(msg)
            delivered = time.monotonic()
            during = progress(engine).processed
            assert during < BATCH, (
                f"the drain was over ({during} processed) before the late mail arrived; make BATCH larger"
            )
            wait_answered(engine, BATCH + LATE, WITHIN_SECONDS + 10, worker.log_text)
            late_after = time.monotonic() - delivered
            print(
                f"\n{LATE} messages delivered while the drain had done {during} of {BATCH}: all {BATCH + LATE} "
                f"answered {late_after:.1f} s after the late delivery"
            )
            assert late_after <= WITHIN_SECONDS, f"late mail waited {late_after:.1f} s (limit {WITHIN_SECONDS} s)"
            assert worker.terminate() == 0
    finally:
        engine.dispose()
