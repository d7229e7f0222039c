"""No test depends on the hour it runs at: a worker started by a test sends only what the test asked for.

A worker's scheduler catches up on start-up with the day's digest when it starts after 07:00 on a working
day. Tests that are not about reports deploy with reports off (tests/e2ekit.py ``deploy``); these tests run
a real worker whose clock is shifted to such a moment (``service.clock_start``) and check both sides: with
reports off only the requests are answered, and with reports on the same moment does mail the digest — so
the first check is one that can fail.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from tests.e2ekit import Deployment, WorkerProcess, deploy
from tests.harness.mailstack import MailStack
from tests.support import OFFICER, request, vn_time
from vanthu.models.clock import ShiftedClock
from vanthu.models.tables import OutboxMessage
from vanthu.worker.config import load

#: Monday 07/12/2026, 08:00 in Hà Nội: a working day, after the 07:00 digest time.
WORKING_MORNING = "2026-12-07T08:00:00+07:00"


def test_shifted_clock_starts_at_its_instant_and_runs_at_real_speed() -> None:
    ticks = iter([100.0, 100.0, 112.5])
    clock = ShiftedClock(vn_time(2026, 12, 7, 8, 0), elapsed=lambda: next(ticks))
    assert clock.now() == vn_time(2026, 12, 7, 8, 0)
    later = clock.now()
    assert later == vn_time(2026, 12, 7, 8, 0, 12, 500000)
    assert later.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError):
        ShiftedClock(dt.datetime(2026, 12, 7, 8, 0))


def _outbox_kinds(deployment: Deployment) -> list[str]:
    engine = create_engine(load(deployment.config).service.database_url)
    try:
        with engine.connect() as conn:
            return [str(k) for k in conn.execute(select(OutboxMessage.kind).order_by(OutboxMessage.id)).scalars()]
    finally:
        engine.dispose()


def _wait_for_kinds(deployment: Deployment, predicate: object, timeout: float) -> list[str]:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    kinds = _outbox_kinds(deployment)
    while not predicate(kinds) and time.monotonic() < deadline:
        time.sleep(0.2)
        kinds = _outbox_kinds(deployment)
    return kinds


@pytest.mark.mail
@pytest.mark.parametrize("reports", [False, True], ids=["reports-off", "reports-on"])
def test_a_worker_at_a_working_morning_sends_digests_only_when_reports_are_on(
    tmp_path: Path, db_url: str, mailstack: MailStack, reports: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTHU_TEST_IMAP_PASSWORD", mailstack.password)
    deployment = deploy(tmp_path, db_url, mailstack, reports=reports, clock_start=WORKING_MORNING)
    officer = deployment.addr(OFFICER)
    with WorkerProcess(deployment) as worker:
        for i in range(3):
            mailstack.send(request(officer, f"Lấy số: Báo cáo số {i + 1}", "Loại: BC\n", to=deployment.office))
        mailstack.wait_for_messages(officer, 3, timeout=120)
        if reports:
            kinds = _wait_for_kinds(deployment, lambda ks: "digest" in ks, timeout=120)
        else:
            kinds = _outbox_kinds(deployment)
        assert worker.terminate() == 0
    assert kinds.count("number") == 3, kinds
    if reports:
        assert "digest" in kinds, f"the catch-up at 08:00 on a working day should mail the digest: {kinds}"
    else:
        assert kinds == ["number"] * 3, f"a test worker with reports off mailed more than the replies: {kinds}"
