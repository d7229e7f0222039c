"""Benchmark: the leaders' daily digest of a busy province.

What is measured: a fresh database (SQLite by default, ``--pg`` for a throw-away PostgreSQL database) holds a
province's year — ``--documents`` documents (default 100,000: two thirds incoming, one third outgoing numbers,
some cancelled, spread over the province and its regional procuracy) and ``--assignments`` open assignments
(default 5,000: main assignments with deadlines from a month past to ten days ahead, held by people or by
departments, and documents waiting for the leaders), with signature problems and quarantined mail — all
bulk-inserted with SQLAlchemy Core. Then the province's digests go out for Monday 07:00 exactly as the
scheduled job sends them (``cron.digest.send_digests``: claim, build, render, queue), once for every leader.

Figures: wall time of the whole send, peak Python memory during a second, identical send (tracemalloc, which
slows Python down, is on only then), and SQL statements per
digest — the statements ``build_digest`` issues for one leader, counted with a ``before_cursor_execute`` event.
That last figure must not depend on the number of documents: the baseline is the same digest over a tenth of
the data (10,000 documents, 500 open assignments) in the same run, and the benchmark fails if the two counts
differ. The time ratio against it shows how the digest scales with ten times the data.

Run with ``.venv/bin/python -m bench.digest [--documents N] [--assignments N] [--pg]``. The line before last is
``baseline: … ratio …``; the last line is ``digest: <s> s; <MB> MB peak; <n> statements per digest``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A stray ``tests`` package is installed in site-packages: the repository's own must win.
from sqlalchemy import delete, event, insert, select

from tests.support import prepared_app, vn_time, write_config
from vanthu.cron import digest as digest_module
from vanthu.cron.jobs import context_factory
from vanthu.cron.sinks import OUTBOX
from vanthu.models.clock import FixedClock
from vanthu.models.tables import (
    Assignment,
    Document,
    DocumentFile,
    OutboxMessage,
    Person,
    QuarantineItem,
    Register,
    ReportRun,
    SignatureCheck,
    Unit,
)
from vanthu.worker.app import App

UNIT = "VKSQN"
DAY = dt.date(2026, 11, 23)  # a Monday
NOW = vn_time(2026, 11, 23, 7, 0)
DAYS_OF_DATA = 365
BATCH = 5000
URGENCIES = ("", "", "", "", "", "", "Khẩn", "Khẩn", "Thượng khẩn", "Hỏa tốc")
PROBLEMS = ("untrusted", "expired", "revocation-unknown")


@dataclass(frozen=True)
class Result:
    seconds: float
    peak_mb: float
    statements: int
    digests: int


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


def populate(app: App, documents: int, open_assignments: int, seed: int = 7) -> None:
    """Bulk-insert ``documents`` documents and ``open_assignments`` open assignments (SQLAlchemy Core)."""
    rng = random.Random(seed)
    tz = app.settings.tz
    with app.engine.begin() as conn:
        units = {code: uid for uid, code in conn.execute(select(Unit.id, Unit.code))}
        registers = {
            (unit_id, code): rid
            for rid, unit_id, code in conn.execute(select(Register.id, Register.unit_id, Register.code))
        }
        people = list(conn.execute(select(Person.id, Person.unit_id)))
        officers = [pid for pid, unit_id in people if unit_id in (units["P2"], units["VP"], units["KV1"])]
        counters: dict[tuple[int, int], int] = {}
        doc_rows: list[dict[str, Any]] = []
        incoming_ids: list[int] = []
        first_day = DAY - dt.timedelta(days=DAYS_OF_DATA)
        for i in range(documents):
            unit = "KV1" if i % 5 == 4 else UNIT
            incoming = i % 3 != 2
            register = registers[(units[unit], "DEN" if incoming else "HC")]
            day = first_day + dt.timedelta(days=DAYS_OF_DATA * i // documents)
            at = dt.datetime.combine(day, dt.time(8 + i % 9, i % 60), tzinfo=tz)
            key = (register, day.year)
            counters[key] = counters.get(key, 0) + 1
            number = counters[key]
            cancelled = not incoming and i % 50 == 0
            doc_rows.append(
                {
                    "id": i + 1,
                    "tag": f"VT-B-{i + 1:07d}",
                    "unit_id": units[unit],
                    "register_id": register,
                    "register_year": day.year,
                    "number": number,
                    "suffix": "",
                    "number_str": f"{number:02d}" if incoming else f"{number:02d}/BC-VKSQN",
                    "status": "registered" if incoming else ("cancelled" if cancelled else "issued"),
                    "type_code": "TB" if incoming else "BC",
                    "type_name": "Thông báo" if incoming else "Báo cáo",
                    "summary": f"Văn bản thử số {i + 1} về việc kiểm sát",
                    "requester_id": None if incoming else rng.choice(officers),
                    "signer_name": "",
                    "case_ref": "",
                    "secret": False,
                    "doc_date": day,
                    "created_at": at,
                    "cancelled_at": at + dt.timedelta(hours=1) if cancelled else None,
                    "cancelled_by_id": None,
                    "cancel_reason": "Hủy để thử" if cancelled else "",
                    "insert_reason": "",
                    "source_message_id": "",
                    "direction": "in" if incoming else "out",
                    "paper": False,
                    "issuer": "Cơ quan CSĐT Công an tỉnh" if incoming else "",
                    "orig_number": f"{i}/TB-CSĐT" if incoming else "",
                    "orig_date": day if incoming else None,
                    "urgency": URGENCIES[i % len(URGENCIES)] if incoming else "",
                    "sender_email": "pc01@congan.quangninh.gov.vn" if incoming else "",
                    "received_at": at if incoming else None,
                    "field_sources": {},
                    "warnings": [],
                    "search_text": "",
                    "done_at": None,
                }
            )
            if incoming and unit == UNIT:
                incoming_ids.append(i + 1)
        for batch in _batches(doc_rows):
            conn.execute(insert(Document), batch)
        by_id = {r["id"]: r for r in doc_rows}
        recent = [d for d in incoming_ids if by_id[d]["doc_date"] >= DAY - dt.timedelta(days=60)]
        chosen = rng.sample(recent, min(open_assignments, len(recent)))
        assignment_rows: list[dict[str, Any]] = []
        for n, doc_id in enumerate(chosen):
            received = by_id[doc_id]["received_at"]
            waiting = n % 5 == 4
            deadline = NOW + dt.timedelta(hours=rng.randint(-30 * 24, 10 * 24))
            person = rng.choice(officers) if n % 3 else None
            assignment_rows.append(
                {
                    "document_id": doc_id,
                    "unit_id": units[UNIT] if waiting else (None if person else units["P2"]),
                    "person_id": None if waiting else person,
                    "role": "decide" if waiting else "main",
                    "status": "open",
                    "deadline_at": None if waiting else deadline,
                    "deadline_label": "",
                    "legal_basis": "Điều 179 khoản 3 BLTTHS 2015",
                    "rule_name": "",
                    "assigned_at": received,
                    "assigned_by": "vanthu",
                    "opinion": "",
                    "parent_id": None,
                    "done_at": None,
                    "done_by": "",
                    "answer_number": "",
                }
            )
        for batch in _batches(assignment_rows):
            conn.execute(insert(Assignment), batch)
        file_rows = [
            {
                "id": k + 1,
                "document_id": doc_id,
                "sha256": f"{doc_id:064x}",
                "filename": "vb.pdf",
                "content_type": "application/pdf",
                "size": 1000,
            }
            for k, doc_id in enumerate(incoming_ids[::20])
        ]
        for batch in _batches(file_rows):
            conn.execute(insert(DocumentFile), batch)
        check_rows = [
            {
                "file_id": f["id"],
                "field_name": "Signature1",
                "signer_name": "Nguyễn Văn An",
                "signer_org": "",
                "signing_time": None,
                "intact": True,
                "valid": True,
                "trusted": k % 4 != 0,
                "revoked": False,
                "expired": False,
                "coverage": "ENTIRE_FILE",
                "modification_level": "NONE",
                "sub_filter": "",
                "problem": PROBLEMS[k % 3] if k % 4 == 0 else "",
                "summary": "",
            }
            for k, f in enumerate(file_rows)
        ]
        for batch in _batches(check_rows):
            conn.execute(insert(SignatureCheck), batch)
        conn.execute(
            insert(QuarantineItem),
            [
                {
                    "tag": f"VTQ-B-{k:05d}",
                    "mailbox": "vksqn",
                    "unit_id": units[UNIT],
                    "ledger_id": None,
                    "sha256": f"{k:064x}",
                    "sender": "ubnd@quangninh.gov.vn",
                    "subject": f"Thư không kèm PDF {k}",
                    "message_id": "",
                    "reason_code": "no-pdf",
                    "reason": "Thư không kèm tệp PDF văn bản.",
                    "state": "pending",
                    "created_at": NOW - dt.timedelta(hours=k),
                    "decided_at": None,
                    "decided_by": "",
                    "document_id": None,
                }
                for k in range(40)
            ],
        )


@contextmanager
def statement_counter(app: App) -> Iterator[list[int]]:
    """Counts the statements sent to the database while the block runs (``counts[0]``)."""
    counts = [0]

    def tick(*_: Any) -> None:
        counts[0] += 1

    event.listen(app.engine, "before_cursor_execute", tick)
    try:
        yield counts
    finally:
        event.remove(app.engine, "before_cursor_execute", tick)


def _send(app: App) -> int:
    return digest_module.send_digests(context_factory(app), UNIT, DAY, NOW, sink=OUTBOX, worker="bench")


def _forget_run(app: App) -> None:
    """Undo a send (the claim and the queued mail) so that the same digests can be sent again."""
    with app.uow() as uow:
        uow.session.execute(delete(ReportRun))
        uow.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == "digest"))
        uow.commit()


def measure(app: App) -> Result:
    """Send the province's digests (all leaders) as the job does, after one warm-up send: time and statements
    per digest, then — in another send, because tracemalloc slows Python down — peak memory."""
    per_digest: list[int] = []
    original = digest_module.build_digest

    def counted(*args: Any, **kwargs: Any) -> digest_module.Digest:
        with statement_counter(app) as counts:
            result = original(*args, **kwargs)
        per_digest.append(counts[0])
        return result

    _send(app)  # warm-up: templates compiled, statements cached, pages read — in both runs alike
    _forget_run(app)
    digest_module.build_digest = counted
    try:
        started = time.perf_counter()
        sent = _send(app)
        seconds = time.perf_counter() - started
    finally:
        digest_module.build_digest = original
    if sent == 0 or len(set(per_digest)) != 1:
        raise SystemExit(f"unexpected run: {sent} digests, statements {per_digest}")
    with app.uow() as uow:
        queued = uow.session.execute(select(OutboxMessage.id).where(OutboxMessage.kind == "digest")).all()
    if len(queued) != sent:
        raise SystemExit(f"{sent} digests built but {len(queued)} queued")
    _forget_run(app)
    tracemalloc.start()
    try:
        again = _send(app)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if again != sent:
        raise SystemExit(f"second send made {again} digests, not {sent}")
    return Result(seconds, peak / 1e6, per_digest[0], sent)


def run(directory: Path, db_url: str, documents: int, open_assignments: int) -> Result:
    app = prepared_app(write_config(directory, db_url), FixedClock(NOW))
    try:
        started = time.perf_counter()
        populate(app, documents, open_assignments)
        print(
            f"  {documents:,} documents, {open_assignments:,} open assignments inserted in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        return measure(app)
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--assignments", type=int, default=5_000)
    parser.add_argument("--pg", action="store_true", help="a throw-away PostgreSQL database instead of SQLite")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("worker").setLevel(logging.ERROR)
    drop: list[str] = []

    def database(tmp: Path, name: str) -> str:
        if not args.pg:
            return f"sqlite:///{tmp / name}.db"
        from tests.harness.pg import create_database, pg_available

        reason = pg_available()
        if reason is not None:
            raise SystemExit(f"PostgreSQL not available: {reason}")
        url = create_database()
        drop.append(url)
        return url

    try:
        with tempfile.TemporaryDirectory(prefix="vanthu-bench-digest-") as tmp_name:
            tmp = Path(tmp_name)
            small_docs, small_assignments = args.documents // 10, args.assignments // 10
            print(f"baseline: {small_docs:,} documents", flush=True)
            base = run(tmp / "small", database(tmp, "small"), small_docs, small_assignments)
            print(
                f"  {base.digests} digests in {base.seconds:.3f} s; {base.peak_mb:.1f} MB peak; "
                f"{base.statements} statements per digest",
                flush=True,
            )
            print(f"full: {args.documents:,} documents", flush=True)
            full = run(tmp / "full", database(tmp, "full"), args.documents, args.assignments)
            print(f"  {full.digests} digests in {full.seconds:.3f} s", flush=True)
    finally:
        if drop:
            from tests.harness.pg import drop_database

            for url in drop:
                drop_database(url)
    if full.statements != base.statements:
        print(f"statements per digest grow with the data: {base.statements} → {full.statements}")
        return 1
    print(
        f"baseline: {base.seconds:.3f} s over {args.documents // 10:,} documents; "
        f"ratio {full.seconds / base.seconds:.2f} for 10× the documents; "
        f"statements per digest equal ({full.statements})"
    )
    print(f"digest: {full.seconds:.3f} s; {full.peak_mb:.1f} MB peak; {full.statements} statements per digest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
