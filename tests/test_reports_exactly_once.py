"""Two worker processes on one PostgreSQL, the clock moved across 07:00: each leader gets one digest."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.synchronize
import traceback
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support import VN, prepared_app, write_config
from vanthu.models.clock import FixedClock
from vanthu.models.tables import OutboxMessage, ReportRun

pytestmark = pytest.mark.slow

MONDAY_BEFORE_7 = dt.datetime(2026, 11, 23, 6, 59, 59, tzinfo=VN)
MONDAY_AFTER_7 = dt.datetime(2026, 11, 23, 7, 0, 1, tzinfo=VN)


def _worker(config: str, barrier: multiprocessing.synchronize.Barrier, errors: multiprocessing.Queue) -> None:
    from vanthu.cron.jobs import run_digests
    from vanthu.worker.app import build_app
    from vanthu.worker.config import load

    try:
        clock = FixedClock(MONDAY_BEFORE_7)
        app = build_app(load(config), clock=clock)
        try:
            assert run_digests(app) == 0  # before 07:00 nothing goes
            barrier.wait(timeout=60)
            clock.set(MONDAY_AFTER_7)
            run_digests(app)
        finally:
            app.close()
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        errors.put(traceback.format_exc())


def test_two_workers_send_each_digest_once(pg_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "deploy", pg_url)
    app = prepared_app(config, FixedClock(MONDAY_BEFORE_7))
    app.close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(config), barrier, errors)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    for p in procs:
        if p.is_alive():
            p.kill()
    problems = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert problems == [] and all(p.exitcode == 0 for p in procs), problems
    app = prepared_app(config, FixedClock(MONDAY_AFTER_7))
    try:
        with app.uow() as uow:
            digests = list(uow.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "digest")).scalars())
            runs = list(uow.session.execute(select(ReportRun).where(ReportRun.kind == "digest")).scalars())
    finally:
        app.close()
    recipients = sorted(m.to_addr for m in digests)
    assert recipients, "no digest was sent"
    assert len(recipients) == len(set(recipients)), recipients
    assert {"vientruong@vksquangninh.gov.vn", "pvt.minh@vksquangninh.gov.vn"} <= set(recipients)
    assert len({(r.unit_code, r.period) for r in runs}) == len(runs)
    assert {r.period for r in runs} == {"2026-11-23"}
