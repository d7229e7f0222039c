"""Fault injection on the real stack: the worker recovers from every server fault by itself (issue 8, item 12).

The worker runs as a real ``vanthu run`` process against a private mail stack (its Dovecot is killed, its SMTP
server stopped) and, for the database outage, a private PostgreSQL cluster this test starts and stops. After
each fault the worker must resume by itself within ``RECOVERY_LIMIT`` seconds of the server's return, with
nothing lost: every request answered by exactly one distinct reply, every message in the ledger. The time to
recover is printed. The data directory is made full for real: a small tmpfs is mounted on it and filled.

Every wait is bounded and reports what it saw when it gives up.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select

from tests.e2ekit import Deployment, WorkerProcess, deploy
from tests.faultkit import (
    append,
    assert_each_answered_once,
    count_lines,
    log_size,
    number_requests,
    progress,
    wait_answered,
    wait_until,
)
from tests.harness.mailstack import MailStack, ensure_dovecot
from tests.harness.pgcluster import PrivateCluster, postgres_bindir
from tests.support import OFFICER, OFFICER2
from vanthu.models.tables import MailboxLease, MailLedger, OutboxMessage

pytestmark = [pytest.mark.slow, pytest.mark.mail]

#: The worker must have answered everything this soon after the server came back.
RECOVERY_LIMIT = 30.0
READY_TIMEOUT = 60.0
IMAP_DOWN_SECONDS = 5.0
DB_DOWN_SECONDS = 30.0
SMTP_DOWN_SECONDS = 8.0
DISK_FULL_SECONDS = 8.0
#: CPU the worker may use while its IMAP server is down (a busy loop burns about a core).
IDLE_CPU_LIMIT = 1.0


@pytest.fixture(scope="module")
def fault_stack() -> Iterator[MailStack]:
    """A mail stack of this module's own: its servers are killed and restarted."""
    reason = ensure_dovecot()
    if reason is not None:
        pytest.skip(reason)
    with MailStack() as stack:
        yield stack


def _deploy(tmp_path: Path, db_url: str, stack: MailStack) -> Deployment:
    # deploy() turns the scheduled reports off: no digest at start-up, whatever the hour.
    return deploy(tmp_path, db_url, stack, extra_service="retry_base_seconds = 1\n")


def _senders(deployment: Deployment) -> list[str]:
    return [deployment.addr(OFFICER), deployment.addr(OFFICER2)]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _log_since(path: Path, offset: int) -> str:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read().decode("utf-8", errors="replace")


def _problems(path: Path, offset: int) -> list[str]:
    """The WARNING and ERROR lines the worker logged since ``offset``."""
    return [line for line in _log_since(path, offset).splitlines() if " WARNING " in line or " ERROR " in line]


def _ledger_states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        states = list(conn.execute(select(MailLedger.state)).scalars())
    return {s: states.count(s) for s in set(states)}


def _sleep_until(moment: float) -> None:
    """Keep a fault in place until ``moment`` (time.monotonic): the length of the outage is the test."""
    time.sleep(max(0.0, moment - time.monotonic()))


def test_imap_server_killed_and_restarted_during_idle(tmp_path: Path, db_url: str, fault_stack: MailStack) -> None:
    d = _deploy(tmp_path, db_url, fault_stack)
    senders = _senders(d)
    before = number_requests(d, senders, 3)
    for msg in before:
        fault_stack.send(msg)
    engine = create_engine(db_url)
    try:
        with WorkerProcess(d) as worker:
            wait_answered(engine, 3, READY_TIMEOUT, worker.log_text)
            time.sleep(1.0)  # let the watcher settle into IDLE: the kill must hit it there
            assert worker.proc is not None
            offset, cpu = log_size(d.log), _cpu_seconds(worker.proc.pid)
            fault_stack.kill_dovecot()
            killed = time.monotonic()
            try:
                wait_until(
                    lambda: len(_problems(d.log, offset)) > 0,
                    10,
                    "the worker to notice the closed connection",
                    lambda: _log_since(d.log, offset)[-2000:],
                )
                noticed = time.monotonic() - killed
                _sleep_until(killed + IMAP_DOWN_SECONDS)
                burnt = _cpu_seconds(worker.proc.pid) - cpu
            finally:
                fault_stack.start_dovecot()  # the module's other tests need it, whatever happened here
            back = time.monotonic()
            after = number_requests(d, senders, 3, start=3)
            for msg in after:
                fault_stack.send(msg)
            wait_answered(engine, 6, RECOVERY_LIMIT, worker.log_text)
            recovered = time.monotonic() - back
            print(
                f"\nIMAP restart: noticed after {noticed:.2f} s, {burnt:.2f} s CPU in {IMAP_DOWN_SECONDS:.0f} s down, "
                f"all answered {recovered:.1f} s after Dovecot was back"
            )
            assert burnt < IDLE_CPU_LIMIT, f"the worker used {burnt:.2f} s CPU while the server was down"
            problems = _problems(d.log, offset)
            assert len(problems) <= 2 and "IMAP server unavailable" in problems[0], "\n".join(problems)
            assert count_lines(d.log, "mailbox vksqn: working again", offset) == 1
            assert worker.terminate() == 0
        assert_each_answered_once(fault_stack, senders, before + after)
        assert _ledger_states(engine) == {"done": 6}
    finally:
        engine.dispose()


def test_database_stopped_for_30_seconds(tmp_path: Path, fault_stack: MailStack) -> None:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server programs not found under /usr/lib/postgresql/*/bin")
    with PrivateCluster(bindir) as cluster:
        url = cluster.create_database("vanthu_faults")
        d = _deploy(tmp_path, url, fault_stack)
        senders = _senders(d)
        before = number_requests(d, senders, 3)
        during = number_requests(d, senders, 5, start=3)
        for msg in before:
            fault_stack.send(msg)
        engine = create_engine(url, pool_pre_ping=True)
        try:
            with WorkerProcess(d) as worker:
                wait_answered(engine, 3, READY_TIMEOUT, worker.log_text)
                offset = log_size(d.log)
                cluster.stop()
                stopped = time.monotonic()
                for msg in during:
                    fault_stack.send(msg)  # waits in the INBOX: nothing can be claimed without the database
                _sleep_until(stopped + DB_DOWN_SECONDS)
                assert worker.proc is not None and worker.proc.poll() is None, "the worker died with the database"
                problems = _problems(d.log, offset)
                cluster.start()
                back = time.monotonic()
                wait_answered(engine, 8, RECOVERY_LIMIT, worker.log_text)
                recovered = time.monotonic() - back
                print(
                    f"\ndatabase down {DB_DOWN_SECONDS:.0f} s: {len(problems)} warning(s) logged during the outage, "
                    f"all answered {recovered:.1f} s after PostgreSQL was back:\n  "
                    + "\n  ".join(line[:200] for line in problems)
                )
                # Once per outage and activity (watcher, lease, outbox), not once a second.
                assert len(problems) <= 8, "\n".join(problems)
                assert count_lines(d.log, "Traceback", offset) == 0
                # SIGTERM while the database is down again: the final outbox pass fails, is logged, and exit is 0.
                offset = log_size(d.log)
                cluster.stop()
                assert worker.terminate() == 0
                assert count_lines(d.log, "final outbox pass failed", offset) == 1
            # A worker started while the database is down waits for it instead of exiting.
            offset = log_size(d.log)
            late = WorkerProcess(d).start(wait_ready=False)
            try:
                wait_until(
                    lambda: count_lines(d.log, "start-up: database unavailable", offset) > 0,
                    READY_TIMEOUT,
                    "the worker to wait for the database at start-up",
                    lambda: _log_since(d.log, offset)[-2000:],
                )
                assert late.proc is not None and late.proc.poll() is None
                cluster.start()
                back = time.monotonic()
                wait_until(
                    lambda: count_lines(d.log, "watching vksqn (IDLE)", offset) > 0,
                    RECOVERY_LIMIT,
                    "the worker started during the outage to watch the mailbox",
                    lambda: _log_since(d.log, offset)[-2000:],
                )
                print(f"started while the database was down: watching {time.monotonic() - back:.1f} s after its return")
                assert late.terminate() == 0
            finally:
                late.kill()
            assert_each_answered_once(fault_stack, senders, before + during)
            assert _ledger_states(engine) == {"done": 8}
        finally:
            engine.dispose()


def test_smtp_server_down_and_back(tmp_path: Path, db_url: str, fault_stack: MailStack) -> None:
    d = _deploy(tmp_path, db_url, fault_stack)
    senders = _senders(d)
    before = number_requests(d, senders, 2)
    during = number_requests(d, senders, 4, start=2)
    for msg in before:
        fault_stack.send(msg)
    engine = create_engine(db_url)
    try:
        with WorkerProcess(d) as worker:
            wait_answered(engine, 2, READY_TIMEOUT, worker.log_text)
            offset = log_size(d.log)
            fault_stack.stop_smtp()
            stopped = time.monotonic()
            try:
                append(fault_stack, d.office, during)  # the way in is IMAP: the SMTP server is down
                wait_until(
                    lambda: (p := progress(engine)).processed == 6 and p.queued == 6,
                    RECOVERY_LIMIT,
                    "the requests to be processed while the SMTP server is down",
                    lambda: progress(engine),
                )
                _sleep_until(stopped + SMTP_DOWN_SECONDS)
                assert progress(engine).sent == 2
                problems = _problems(d.log, offset)
            finally:
                fault_stack.start_smtp()
            back = time.monotonic()
            wait_answered(engine, 6, RECOVERY_LIMIT, worker.log_text)
            recovered = time.monotonic() - back
            print(
                f"\nSMTP down {SMTP_DOWN_SECONDS:.0f} s: {len(problems)} warning(s), "
                f"all answered {recovered:.1f} s after the SMTP server was back"
            )
            assert len(problems) == 1 and "SMTP server unavailable" in problems[0], "\n".join(problems)
            assert worker.terminate() == 0
        with engine.connect() as conn:
            attempts = list(conn.execute(select(OutboxMessage.attempts)).scalars())
        assert attempts == [1] * 6, f"tries against a dead server were counted: {attempts}"
        assert_each_answered_once(fault_stack, senders, before + during)
        assert _ledger_states(engine) == {"done": 6}
    finally:
        engine.dispose()


def _mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` on ``path``; None on success, else why not."""
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as exc:
        return str(exc)
    return None if result.returncode == 0 else (result.stderr.strip() or f"mount exited {result.returncode}")


def _fill(path: Path) -> None:
    """Write ``path`` until the file system is full (tmpfs hands out whole pages: 4 KiB writes take the rest)."""
    with path.open("wb", buffering=0) as fh:
        for size in (1 << 20, 4096):
            chunk = b"\0" * size
            try:
                while fh.write(chunk):
                    pass
            except OSError:
                continue


def test_data_directory_full(tmp_path: Path, db_url: str, fault_stack: MailStack) -> None:
    d = _deploy(tmp_path, db_url, fault_stack)
    data = d.config.parent / "data"
    data.mkdir(parents=True, exist_ok=True)
    problem = _mount_tmpfs(data, "8m")
    if problem is not None:
        pytest.skip(f"cannot mount a small tmpfs for a full data directory: {problem}")
    senders = _senders(d)
    before = number_requests(d, senders, 2)
    during = number_requests(d, senders, 3, start=2)
    engine = create_engine(db_url)
    try:
        for msg in before:
            fault_stack.send(msg)
        with WorkerProcess(d) as worker:
            wait_answered(engine, 2, READY_TIMEOUT, worker.log_text)
            filler = data / "filler"
            _fill(filler)
            offset = log_size(d.log)
            full = time.monotonic()
            for msg in during:
                fault_stack.send(msg)
            wait_until(
                lambda: count_lines(d.log, "data directory unavailable", offset) > 0,
                RECOVERY_LIMIT,
                "the worker to report the full data directory",
                lambda: _log_since(d.log, offset)[-2000:],
            )
            _sleep_until(full + DISK_FULL_SECONDS)
            problems = _problems(d.log, offset)
            states = _ledger_states(engine)
            filler.unlink()
            back = time.monotonic()
            wait_answered(engine, 5, RECOVERY_LIMIT, worker.log_text)
            recovered = time.monotonic() - back
            print(
                f"\ndata directory full {DISK_FULL_SECONDS:.0f} s: {len(problems)} warning(s), ledger {states}; "
                f"all answered {recovered:.1f} s after space was freed"
            )
            assert len(problems) == 1 and "data directory unavailable" in problems[0], "\n".join(problems)
            assert states == {"done": 2}, "a message was counted as failed because the disk was full"
            assert worker.terminate() == 0
        assert_each_answered_once(fault_stack, senders, before + during)
        assert _ledger_states(engine) == {"done": 5}
    finally:
        engine.dispose()
        subprocess.run(["umount", "-l", str(data)], capture_output=True, timeout=30, check=False)


def test_a_second_worker_takes_the_mailbox_over_when_the_first_is_killed(
    tmp_path: Path, db_url: str, fault_stack: MailStack
) -> None:
    d = _deploy(tmp_path, db_url, fault_stack)
    standby = dataclasses.replace(d, log=tmp_path / "worker-b.log")
    senders = _senders(d)
    first = number_requests(d, senders, 3)
    then = number_requests(d, senders, 3, start=3)
    engine = create_engine(db_url)
    a, b = WorkerProcess(d), WorkerProcess(standby)
    try:
        a.start()
        b.start(wait_ready=False)
        wait_until(
            lambda: count_lines(standby.log, "waiting for its lease") > 0,
            READY_TIMEOUT,
            "the second worker to wait for the lease",
            lambda: standby.log.read_text(encoding="utf-8", errors="replace")[-2000:] if standby.log.exists() else "",
        )
        for msg in first:
            fault_stack.send(msg)
        wait_answered(engine, 3, RECOVERY_LIMIT, a.log_text)
        assert count_lines(standby.log, "message vksqn") == 0, "the waiting worker processed mail"
        a.kill()
        killed = time.monotonic()
        wait_until(
            lambda: count_lines(standby.log, "watching vksqn (IDLE)") > 0,
            RECOVERY_LIMIT,
            "the second worker to take the mailbox over",
            lambda: standby.log.read_text(encoding="utf-8", errors="replace")[-2000:],
        )
        took_over = time.monotonic() - killed
        for msg in then:
            fault_stack.send(msg)
        wait_answered(engine, 6, RECOVERY_LIMIT, b.log_text)
        print(f"\nlease: the second worker watched the mailbox {took_over:.1f} s after the first was killed")
        assert took_over <= 15.0
        with engine.connect() as conn:
            holder = conn.execute(select(MailboxLease.holder)).scalar_one()
        assert b.proc is not None and f":{b.proc.pid}:" in holder
        assert b.terminate() == 0
        assert_each_answered_once(fault_stack, senders, first + then)
        assert _ledger_states(engine) == {"done": 6}
    finally:
        for worker in (a, b):
            if worker.proc is not None:
                worker.kill()
        engine.dispose()
