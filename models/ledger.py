"""The mail ledger: claim a message before processing it, so that it is processed exactly once.

Lesson from Paperless-ngx: a ledger written at the end of processing, without a unique key, lets
overlapping runs process the same mail twice. Here the claim is the first statement of the
processing transaction and rests on the unique key (mailbox, UIDVALIDITY, UID): a second worker
blocks on it and then finds the message done. The server-side move happens only after commit; if
the worker dies in between, the next run finds the ledger row ``done`` and only moves the message.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vanthu.models.tables import MailLedger


class Claim(enum.Enum):
    CLAIMED = "claimed"  # this transaction owns the message now
    DONE = "done"  # already processed (move it out of the inbox)
    QUARANTINED = "quarantined"  # already given up on (move it to quarantine)
    NOT_DUE = "not_due"  # failed before; the next try is later


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    row: MailLedger | None


@dataclass(frozen=True)
class MessageKey:
    mailbox: str
    uidvalidity: int
    uid: int


def claim(session: Session, key: MessageKey, *, sha256: str, now: dt.datetime) -> ClaimResult:
    """Claim ``key`` inside the caller's transaction.

    Returns CLAIMED with the ledger row (state ``processing``) when this transaction may process the
    message; the caller must set the final state before committing. A message whose bytes were
    already processed under an older UIDVALIDITY of the same mailbox counts as DONE.
    """
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(MailLedger)
    new_id = session.execute(
        ins.values(
            mailbox=key.mailbox,
            uidvalidity=key.uidvalidity,
            uid=key.uid,
            sha256=sha256,
            message_id="",
            sender="",
            subject="",
            state="processing",
            outcome="",
            attempts=1,
            last_error="",
            first_seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["mailbox", "uidvalidity", "uid"])
        .returning(MailLedger.id)
    ).scalar_one_or_none()
    if new_id is not None:
        row = session.get(MailLedger, new_id)
        assert row is not None
        earlier = session.execute(
            select(MailLedger.state).where(
                MailLedger.mailbox == key.mailbox,
                MailLedger.sha256 == sha256,
                MailLedger.uidvalidity != key.uidvalidity,
                MailLedger.state.in_(("done", "quarantined")),
            )
        ).first()
        if earlier is not None:
            row.state = earlier[0]
            row.outcome = "seen-before-uidvalidity-change"
            row.finished_at = now
            return ClaimResult(Claim(earlier[0]), row)
        return ClaimResult(Claim.CLAIMED, row)
    row = session.execute(
        select(MailLedger).where(
            MailLedger.mailbox == key.mailbox,
            MailLedger.uidvalidity == key.uidvalidity,
            MailLedger.uid == key.uid,
        )
    ).scalar_one()
    if row.state == "done":
        return ClaimResult(Claim.DONE, row)
    if row.state == "quarantined":
        return ClaimResult(Claim.QUARANTINED, row)
    taken = session.execute(  # type: ignore[attr-defined]
        update(MailLedger)
        .where(
            MailLedger.id == row.id,
            MailLedger.state == "failed",
            MailLedger.next_attempt_at <= now,
        )
        .values(state="processing", attempts=MailLedger.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(row)
    if taken == 1:
        return ClaimResult(Claim.CLAIMED, row)
    if row.state == "done":
        return ClaimResult(Claim.DONE, row)
    if row.state == "quarantined":
        return ClaimResult(Claim.QUARANTINED, row)
    return ClaimResult(Claim.NOT_DUE, row)


def record_failure(
    session: Session,
    key: MessageKey,
    *,
    sha256: str,
    error: str,
    now: dt.datetime,
    max_attempts: int,
    retry_base: dt.timedelta,
) -> MailLedger:
    """After a rolled-back attempt: count it, and schedule the next try or give up (``quarantined``).

    The retry delay doubles with every attempt (``retry_base``, 2×, 4×…) and is capped at 6 hours.
    """
    row = session.execute(
        select(MailLedger)
        .where(
            MailLedger.mailbox == key.mailbox,
            MailLedger.uidvalidity == key.uidvalidity,
            MailLedger.uid == key.uid,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = MailLedger(
            mailbox=key.mailbox,
            uidvalidity=key.uidvalidity,
            uid=key.uid,
            sha256=sha256,
            message_id="",
            sender="",
            subject="",
            state="failed",
            outcome="",
            attempts=0,
            last_error="",
            first_seen_at=now,
        )
        session.add(row)
    row.attempts = (row.attempts or 0) + 1
    row.last_error = error[-4000:]
    if row.attempts >= max_attempts:
        row.state = "quarantined"
        row.outcome = "failed-after-retries"
        row.finished_at = now
        row.next_attempt_at = None
    else:
        row.state = "failed"
        delay = min(retry_base * (2 ** (row.attempts - 1)), dt.timedelta(hours=6))
        row.next_attempt_at = now + delay
    session.flush()
    return row
