"""Report runs: claim a scheduled report for one period before making it, so that it goes out exactly once.

The same pattern as the mail ledger (``models.ledger``): the claim is an ``INSERT … ON CONFLICT DO NOTHING``
on the unique key (kind, unit_code, period), made inside the transaction that then builds the report and
queues its mail. Exactly one transaction inserts the row; every other one — a second worker, a catch-up run
after a restart, the same job fired twice — finds the key taken and does nothing. On PostgreSQL a concurrent
claimant blocks on the key until the first transaction ends: if that one rolls back (the report failed), the
waiting one inserts the row and makes the report itself. On SQLite every transaction is ``BEGIN IMMEDIATE``,
so claims are serialised by the database lock.

Periods are strings, chosen by the caller with the helpers below: ``2026-11-23`` for a daily report,
``2026-W48`` for a weekly one (ISO week), ``2026-11-23T09:15`` for a 15-minute check. ``unit_code`` is the
unit's code, or for a per-item claim (a reminder about one assignment) a short key such as ``A123``; it is at
most 32 characters, like ``kind`` and ``period``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vanthu.models.tables import ReportRun

KEY_LENGTH = 32


def day_period(day: dt.date) -> str:
    """``2026-11-23``: the period of a daily report for the local date ``day``."""
    return day.isoformat()


def week_period(day: dt.date) -> str:
    """``2026-W48``: the ISO week (ISO year, week number) that the local date ``day`` falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def slot_period(at: dt.datetime, tz: ZoneInfo, minutes: int = 15) -> str:
    """``2026-11-23T09:15``: the local ``minutes``-long slot that the aware ``at`` falls in (floored)."""
    if at.tzinfo is None:
        raise ValueError("slot_period needs an aware datetime")
    if not 1 <= minutes <= 60 or 60 % minutes:
        raise ValueError("slot length must divide an hour")
    local = at.astimezone(tz)
    return local.replace(minute=local.minute - local.minute % minutes).strftime("%Y-%m-%dT%H:%M")


def _check_key(kind: str, unit_code: str, period: str) -> None:
    for name, value in (("kind", kind), ("unit_code", unit_code), ("period", period)):
        if not value or len(value) > KEY_LENGTH:
            raise ValueError(f"report run {name} must be 1 to {KEY_LENGTH} characters, not {value!r}")


def claim(session: Session, kind: str, unit_code: str, period: str, worker: str, *, now: dt.datetime) -> bool:
    """Claim report ``kind`` of ``unit_code`` for ``period`` inside the caller's transaction.

    Returns True when this transaction inserted the row, False when the key is already taken (the report
    was made, or is being made, by someone else — on PostgreSQL a concurrent claimant waits for that
    transaction to end). So of all the transactions that commit, exactly one ever got True; a rolled-back
    claim leaves no row, and the report can be claimed again. ``now`` (aware, the caller's
    clock) is recorded as the claim time; ``worker`` names the claimant in the row.
    """
    _check_key(kind, unit_code, period)
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReportRun)
    new_id = session.execute(
        ins.values(kind=kind, unit_code=unit_code, period=period, claimed_at=now, worker=worker[:128])
        .on_conflict_do_nothing(index_elements=["kind", "unit_code", "period"])
        .returning(ReportRun.id)
    ).scalar_one_or_none()
    return new_id is not None


def finish(session: Session, kind: str, unit_code: str, period: str, *, now: dt.datetime) -> None:
    """Record, in the caller's transaction, that the claimed report was made (``finished_at``).

    Does nothing when the run was never claimed; a finished run stays finished (the first time is kept).
    ``now`` (aware, the caller's clock) is recorded as the finishing time.
    """
    session.execute(
        update(ReportRun)
        .where(
            ReportRun.kind == kind,
            ReportRun.unit_code == unit_code,
            ReportRun.period == period,
            ReportRun.finished_at.is_(None),
        )
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )


def is_claimed(session: Session, kind: str, unit_code: str, period: str) -> bool:
    """True when a run of ``kind`` for ``unit_code`` and ``period`` has been claimed (visible to this session)."""
    return (
        session.execute(
            select(ReportRun.id).where(
                ReportRun.kind == kind, ReportRun.unit_code == unit_code, ReportRun.period == period
            )
        ).first()
        is not None
    )
