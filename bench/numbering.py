"""Benchmark: how many document numbers per second vanthu gives out on PostgreSQL under contention.

What is measured: ``--processes`` OS processes (default 4), each with its own App and connection pool,
take ``--per-process`` numbers (default 500) from ONE register at the same time, each number in its own
transaction through the real domain code (``models.documents.reserve`` + commit: counter row lock,
document row, hash-chained audit entry). Every allocation contends on the same counter row, so this is
the throughput of a single register's numbering, which is what a busy records office sees.

The baseline is the least any gapless counter can cost: the same processes doing the same number of
bare ``UPDATE bench_counter SET v = v + 1 WHERE id = 1 RETURNING v`` + commit transactions on a one-row
table. It runs in the same invocation, against the same throw-away database, because on shared, noisy
machines (CI runners, laptops, VMs) absolute rates vary from run to run by more than the effects we
care about; the ratio of the two rates measured moments apart on the same machine is the stable figure.
For the same reason the baseline runs in two halves, one before and one after the vanthu phase, so that
load that comes or goes during the run weighs on both rates alike. Process start-up and connecting are
outside the timed part: every child gets ready, then all are released together.

Run with ``.venv/bin/python -m bench.numbering [--per-process N] [--processes P]``. The last line of
output is ``allocations: <rate> /s; ratio <x.xx> vs bare UPDATE … RETURNING``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from tests.harness.pg import create_database, drop_database, pg_available
from tests.support import OFFICER, prepared_app, write_config

# A stray ``tests`` package is installed in site-packages: the repository's own must win, so the
# repository root goes first on the path before anything of the project is imported.
from vanthu.models.directory import person_by_email
from vanthu.models.documents import NumberRequest, candidate_registers, reserve
from vanthu.worker.app import build_app
from vanthu.worker.config import load

READY_TIMEOUT = 120.0  # seconds for every child to connect and get ready
RUN_TIMEOUT = 1800.0  # seconds for one phase to finish
BASELINE = "bare UPDATE … RETURNING"
BASELINE_SQL = "UPDATE bench_counter SET v = v + 1 WHERE id = 1 RETURNING v"


class BenchError(Exception):
    """A child failed or a phase did not finish; the message carries the children's tracebacks."""


def libpq_url(sqlalchemy_url: str) -> str:
    """The SQLAlchemy ``postgresql+psycopg://`` URL as a plain libpq URL for psycopg."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- children ---------------------------------------------------------------------------------------


def vanthu_worker(index: int, config_path: str, count: int, start: Barrier, results: Queue[Any]) -> None:
    """Take ``count`` numbers through ``reserve`` + commit; report ``(index, None, latencies, keys)``."""
    latencies: list[float] = []
    keys: list[tuple[int, int]] = []  # (register year, number) of each allocation, for the sanity check
    try:
        app = build_app(load(Path(config_path)))
        try:
            with app.uow() as uow:
                person = person_by_email(uow.session, OFFICER)
                assert person is not None, f"{OFFICER} is not in the directory"
                [doc_type] = app.settings.doc_types.lookup("BC")
                [register] = candidate_registers(uow.session, person.unit, doc_type, secret=False)
                req = NumberRequest(
                    register=register, unit=person.unit, doc_type=doc_type, summary="Báo cáo đo tải", requester=person
                )
            start.wait(timeout=READY_TIMEOUT)
            for _ in range(count):
                began = time.perf_counter()
                with app.uow() as uow:
                    doc = reserve(uow.session, req, at=app.clock.now(), tz=app.settings.tz)
                    uow.commit()
                latencies.append(time.perf_counter() - began)
                keys.append((doc.register_year, doc.number))
        finally:
            app.close()
    except BaseException as exc:
        start.abort()
        results.put((index, traceback.format_exc(), latencies, keys))
        raise SystemExit(1) from exc  # the traceback goes to the parent, which prints it once
    results.put((index, None, latencies, keys))


def baseline_worker(index: int, url: str, count: int, start: Barrier, results: Queue[Any]) -> None:
    """``count`` bare ``UPDATE … RETURNING`` + commit transactions; report like :func:`vanthu_worker`."""
    latencies: list[float] = []
    values: list[tuple[int, int]] = []
    try:
        with psycopg.connect(url) as conn:
            conn.execute("SELECT 1")
            conn.commit()
            start.wait(timeout=READY_TIMEOUT)
            for _ in range(count):
                began = time.perf_counter()
                row = conn.execute(BASELINE_SQL).fetchone()
                conn.commit()
                latencies.append(time.perf_counter() - began)
                assert row is not None
                values.append((0, int(row[0])))
    except BaseException as exc:
        start.abort()
        results.put((index, traceback.format_exc(), latencies, values))
        raise SystemExit(1) from exc
    results.put((index, None, latencies, values))


# --- parent -----------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    keys: list[tuple[int, int]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, pct: int) -> float:
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[pct - 1]

    def merged(self, other: Phase) -> Phase:
        """Both parts of a phase that was run in two parts, as one."""
        return Phase(self.name, self.seconds + other.seconds, self.latencies + other.latencies, self.keys + other.keys)

    def summary(self) -> str:
        return (
            f"{self.name}: {self.count} in {self.seconds:.3f} s = {self.rate:.1f} /s; "
            f"latency p50 {self.percentile_ms(50):.2f} ms, p95 {self.percentile_ms(95):.2f} ms"
        )


def run_phase(name: str, target: Callable[..., None], arg: str, processes: int, per_process: int) -> Phase:
    """Start the children, release them together once all are ready, time them until the last reports."""
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(processes + 1)
    results: Queue[Any] = ctx.Queue()
    children: list[BaseProcess] = [
        ctx.Process(target=target, args=(i, arg, per_process, start, results), name=f"{name}-{i}")
        for i in range(processes)
    ]
    phase = Phase(name)
    failures: list[str] = []
    try:
        for child in children:
            child.start()
        try:
            start.wait(timeout=READY_TIMEOUT)
        except threading.BrokenBarrierError:
            failures.append("the children did not all get ready")
        began = time.perf_counter()
        deadline = time.monotonic() + RUN_TIMEOUT
        pending = set(range(processes))
        while pending:
            try:
                index, error, latencies, keys = results.get(timeout=1.0)
            except queue.Empty:
                for i in sorted(pending):
                    if children[i].exitcode is not None and results.empty():
                        failures.append(f"{name}-{i} exited with code {children[i].exitcode} and no report")
                        pending.discard(i)
                if time.monotonic() > deadline:
                    failures.append(f"{name} children {sorted(pending)} did not finish in {RUN_TIMEOUT:.0f} s")
                    break
                continue
            pending.discard(index)
            phase.latencies.extend(latencies)
            phase.keys.extend(keys)
            if error is not None:
                failures.append(f"{name}-{index} failed after {len(latencies)} transactions:\n{error}")
        phase.seconds = time.perf_counter() - began
        for child in children:
            child.join(timeout=30)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join(timeout=10)
        results.close()
        results.join_thread()
    if failures:
        raise BenchError("\n\n".join(failures))
    return phase


def check_gapless(phase: Phase, total: int) -> None:
    """Every number given once and none skipped, per register year (a benchmark that lies is worthless)."""
    if len(set(phase.keys)) != len(phase.keys) or len(phase.keys) != total:
        raise BenchError(f"{phase.name}: {len(phase.keys)} results, {len(set(phase.keys))} distinct, expected {total}")
    by_year: dict[int, list[int]] = {}
    for year, number in phase.keys:
        by_year.setdefault(year, []).append(number)
    for year, numbers in by_year.items():
        if sorted(numbers) != list(range(min(numbers), min(numbers) + len(numbers))):
            raise BenchError(f"{phase.name}: numbers of {year} have gaps")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--per-process", type=int, default=500, help="allocations per process (default 500)")
    parser.add_argument("--processes", type=int, default=4, help="concurrent processes (default 4)")
    args = parser.parse_args(argv)
    if args.per_process < 1 or args.processes < 1:
        parser.error("--per-process and --processes must be at least 1")
    reason = pg_available()
    if reason is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    total = args.processes * args.per_process

    url = create_database()
    try:
        with tempfile.TemporaryDirectory(prefix="vanthu-bench-") as tmp:
            config_path = write_config(Path(tmp) / "deploy", url)
            prepared_app(config_path).close()
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                conn.execute("CREATE TABLE bench_counter (id integer PRIMARY KEY, v bigint NOT NULL)")
                conn.execute("INSERT INTO bench_counter VALUES (1, 0)")
                version = conn.info.server_version
            print(
                f"vanthu numbering benchmark: {args.processes} processes × {args.per_process} transactions each, "
                f"PostgreSQL {version // 10000}.{version % 10000}, {os.cpu_count()} CPUs"
            )
            # The baseline is split around the vanthu phase (half before, half after) so that a change
            # in machine load during the run weighs on both rates alike.
            first_half = (args.per_process + 1) // 2
            before = run_phase(BASELINE, baseline_worker, libpq_url(url), args.processes, first_half)
            vanthu = run_phase(
                "vanthu reserve + commit", vanthu_worker, str(config_path), args.processes, args.per_process
            )
            after = Phase(BASELINE)
            if args.per_process > first_half:
                after = run_phase(
                    BASELINE, baseline_worker, libpq_url(url), args.processes, args.per_process - first_half
                )
            baseline = before.merged(after)
            check_gapless(baseline, total)
            check_gapless(vanthu, total)
            print(baseline.summary(), flush=True)
            print(vanthu.summary(), flush=True)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        drop_database(url)
    ratio = vanthu.rate / baseline.rate if baseline.rate > 0 else 0.0
    print(f"allocations: {vanthu.rate:.1f} /s; ratio {ratio:.2f} vs bare UPDATE … RETURNING", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
