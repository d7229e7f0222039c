"""The append-only audit log: every entry is chained to the one before it by SHA-256.

An entry's hash covers its own fields and the previous entry's hash, so changing, deleting or
reordering any row breaks the chain at that row, and :func:`verify` names it. Appends are
serialised by locking the single ``audit_head`` row, which also records the last entry so that a
deleted tail is noticed too. On PostgreSQL a trigger (see the migrations) refuses UPDATE and DELETE
on ``audit_log`` outright.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models.tables import AuditEntry, AuditHead, Document

GENESIS_HASH = "0" * 64


def entry_hash(
    *,
    seq: int,
    at_utc: dt.datetime,
    at_local: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry's canonical JSON form."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at_utc": at_utc.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "at_local": at_local,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    at: dt.datetime,
    tz: ZoneInfo,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction and return it.

    The entry becomes part of the log only when the caller commits; a rollback removes it together
    with whatever it described, so the log never records what did not happen.
    """
    at = at.astimezone(dt.UTC)
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq = head.last_seq + 1
    at_local = at.astimezone(tz).isoformat(timespec="seconds")
    body = details or {}
    h = entry_hash(
        seq=seq,
        at_utc=at,
        at_local=at_local,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=body,
        prev_hash=head.last_hash,
    )
    entry = AuditEntry(
        seq=seq,
        at_utc=at,
        at_local=at_local,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=body,
        prev_hash=head.last_hash,
        hash=h,
    )
    session.add(entry)
    head.last_seq = seq
    head.last_hash = h
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditProblem:
    """The first entry at which the chain does not hold, and why."""

    seq: int
    reason: str


def _entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = (
            session.execute(select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch))
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> tuple[int, AuditProblem | None]:
    """Walk the whole chain; return the number of entries checked and the first problem, if any."""
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for e in _entries(session):
        if e.seq != expected_seq:
            return count, AuditProblem(expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            return count, AuditProblem(e.seq, "link to the previous entry is broken")
        recomputed = entry_hash(
            seq=e.seq,
            at_utc=e.at_utc,
            at_local=e.at_local,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        if recomputed != e.hash:
            return count, AuditProblem(e.seq, "content does not match its hash (entry was changed)")
        prev = e.hash
        expected_seq += 1
        count += 1
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    if head.last_seq != count or head.last_hash != prev:
        return count, AuditProblem(count + 1, f"log ends at {count} but its head names entry {head.last_seq}")
    return count, None


def document_event(
    session: Session,
    doc: Document,
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    tz: ZoneInfo,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry about ``doc`` (its tag names it; its id before it has one)."""
    return append(
        session,
        at=at,
        tz=tz,
        actor=actor,
        action=action,
        object_type="document",
        object_id=doc.tag or doc.id,
        details=details,
    )
