"""Acceptance test for "never gives out a number twice or skips one", with real concurrent processes.

Several OS processes, each with its own App (engine, connection pool, sessions), take numbers from one
register at the same moment through the real domain code: ``documents.reserve`` + commit, one
transaction per number. Afterwards the register year must hold exactly 1..N, each number once, and the
audit chain must be intact with one ``number.allocate`` entry per number. Any exception in a child —
a deadlock, a serialization failure, a unique violation — fails the test and shows its traceback.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
import traceback
from collections import Counter as Tally
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import OFFICER, prepared_app, vn_time, write_config
from vanthu.models import audit
from vanthu.models.clock import FixedClock
from vanthu.models.directory import person_by_email
from vanthu.models.documents import NumberRequest, candidate_registers, reserve
from vanthu.models.tables import AuditEntry, Counter, Document
from vanthu.worker.app import App, build_app
from vanthu.worker.config import load

#: A fixed instant, so that a run crossing midnight on 31 December cannot split the numbers over two years.
AT = vn_time(2026, 11, 21, 9, 0)
REGISTER_CODE = "HC"  # the administrative register, where a P2 officer's report (BC) goes
#: How long the parent waits for every child to be ready, and then for every child to finish.
READY_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0


def report_request(app: App, session: Any) -> NumberRequest:
    """The request a P2 officer makes for a report (BC) number, built as ``mailflows.number_request`` does."""
    person = person_by_email(session, OFFICER)
    assert person is not None, f"{OFFICER} is not in the directory"
    [doc_type] = app.settings.doc_types.lookup("BC")
    registers = candidate_registers(session, person.unit, doc_type, secret=False)
    assert [r.code for r in registers] == [REGISTER_CODE], [r.code for r in registers]
    return NumberRequest(
        register=registers[0],
        unit=person.unit,
        doc_type=doc_type,
        summary="Báo cáo kiểm thử cấp số đồng thời",
        requester=person,
    )


def allocate_worker(index: int, config_path: str, count: int, start: Barrier, results: Queue[Any]) -> None:
    """Child process: build an App, wait for the start signal, take ``count`` numbers, report them.

    Puts ``(index, None, numbers)`` on success and ``(index, traceback, numbers_so_far)`` on failure
    (and then exits non-zero).
    """
    numbers: list[int] = []
    try:
        app = build_app(load(Path(config_path)), clock=FixedClock(AT))
        try:
            with app.uow() as uow:
                req = report_request(app, uow.session)
            start.wait(timeout=READY_TIMEOUT)
            for _ in range(count):
                with app.uow() as uow:
                    doc = reserve(uow.session, req, at=app.clock.now(), tz=app.settings.tz)
                    uow.commit()
                numbers.append(doc.number)
        finally:
            app.close()
    except BaseException:
        start.abort()  # do not let the others (or the parent) wait for a child that will never come
        results.put((index, traceback.format_exc(), numbers))
        raise
    results.put((index, None, numbers))


@dataclass
class RunResult:
    numbers: dict[int, list[int]] = field(default_factory=dict)  # child index → numbers it was given
    seconds: float = 0.0  # from the common start to the last report


def run_allocators(config_path: Path, processes: int, per_process: int) -> RunResult:
    """Start the children, release them together, and collect their numbers; fail with their tracebacks."""
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(processes + 1)
    results: Queue[Any] = ctx.Queue()
    children: list[BaseProcess] = [
        ctx.Process(
            target=allocate_worker,
            args=(i, str(config_path), per_process, start, results),
            name=f"allocator-{i}",
        )
        for i in range(processes)
    ]
    outcome = RunResult()
    failures: list[str] = []
    try:
        for child in children:
            child.start()
        try:
            start.wait(timeout=READY_TIMEOUT)  # returns once every child is ready: all start together
        except threading.BrokenBarrierError:
            failures.append("the children did not all get ready (one failed during set-up, see below)")
        began = time.monotonic()
        deadline = began + RUN_TIMEOUT
        pending = set(range(processes))
        while pending:
            try:
                index, error, numbers = results.get(timeout=1.0)
            except queue.Empty:
                dead = [i for i in pending if not children[i].is_alive() and children[i].exitcode is not None]
                # A child that died without reporting (killed, crashed in the interpreter) never will.
                for i in dead:
                    if results.empty():
                        failures.append(f"allocator-{i} exited with code {children[i].exitcode} and no report")
                        pending.discard(i)
                if time.monotonic() > deadline:
                    failures.append(f"allocators {sorted(pending)} did not finish within {RUN_TIMEOUT:.0f} s")
                    break
                continue
            pending.discard(index)
            outcome.numbers[index] = numbers
            if error is not None:
                failures.append(f"allocator-{index} failed after {len(numbers)} numbers:\n{error}")
        outcome.seconds = time.monotonic() - began
        for child in children:
            child.join(timeout=30)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join(timeout=10)
        results.close()
        results.join_thread()
    for i, child in enumerate(children):
        if child.exitcode not in (0, None) and not any(f.startswith(f"allocator-{i} ") for f in failures):
            failures.append(f"allocator-{i} exited with code {child.exitcode}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    return outcome


def check_register(app: App, outcome: RunResult, expected: int) -> None:
    """The register year holds exactly 1..expected, once each, and the audit chain is whole."""
    given = [n for numbers in outcome.numbers.values() for n in numbers]
    told_twice = sorted(n for n, c in Tally(given).items() if c > 1)
    assert not told_twice, f"numbers handed to two callers: {told_twice[:20]}"
    assert sorted(given) == list(range(1, expected + 1))
    with app.uow() as uow:
        session = uow.session
        req = report_request(app, session)
        year = AT.year  # the administrative register's year starts on 1 January
        rows = session.execute(
            select(Document.number, Document.suffix, Document.number_str).where(
                Document.register_id == req.register.id, Document.register_year == year
            )
        ).all()
        assert len(rows) == expected
        numbers = [r.number for r in rows]
        duplicates = sorted(n for n, c in Tally(numbers).items() if c > 1)
        assert not duplicates, f"numbers stored twice: {duplicates[:20]}"
        assert set(numbers) == set(range(1, expected + 1)), sorted(set(range(1, expected + 1)) - set(numbers))[:20]
        assert {r.suffix for r in rows} == {""}
        assert len({r.number_str for r in rows}) == expected
        assert session.execute(select(func.count()).select_from(Document)).scalar_one() == expected
        last = session.execute(
            select(Counter.last_value).where(Counter.register_id == req.register.id, Counter.year == year)
        ).scalar_one()
        assert last == expected
        checked, problem = audit.verify(session)
        assert problem is None, problem
        allocations = session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "number.allocate")
        ).scalar_one()
        assert allocations == expected
        assert checked == session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def _run(tmp_path: Path, url: str, processes: int, per_process: int) -> None:
    config_path = write_config(tmp_path / "deploy", url)
    app = prepared_app(config_path, FixedClock(AT))
    try:
        outcome = run_allocators(config_path, processes, per_process)
        check_register(app, outcome, processes * per_process)
    finally:
        app.close()


@pytest.mark.slow
def test_postgresql_four_processes_never_duplicate_or_skip(tmp_path: Path, pg_url: str) -> None:
    _run(tmp_path, pg_url, processes=4, per_process=250)


@pytest.mark.slow
def test_sqlite_two_processes_never_duplicate_or_skip(tmp_path: Path) -> None:
    _run(tmp_path, f"sqlite:///{tmp_path / 'vanthu.db'}", processes=2, per_process=150)
