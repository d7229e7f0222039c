"""Mailbox leases: each watched mailbox is watched by one worker at a time.

A row per mailbox names its holder and the moment its lease runs out (``expires_at``). The holder renews
the lease every few seconds; a worker that dies (even by ``kill -9``) simply stops renewing, and once
``expires_at`` has passed any other worker may take the lease over. A worker that stops cleanly releases
its lease, so another may take it at once.

The lease saves work and keeps two workers from racing MOVEs on one mailbox; it is not what makes mail
processed exactly once — the mail ledger's unique claim is. So a moment in which two workers both
believe they hold a lease (a holder paused longer than the lease, clocks that disagree) costs at most
some wasted effort, never a lost or doubled message.

Times come from the caller (the worker's clock): the workers' clocks must agree to well within the
lease's length, as NTP keeps them. Every function works inside the caller's transaction; the caller
commits. On PostgreSQL the UPDATEs lock the row, so two workers taking an expired lease at the same
moment cannot both succeed; on SQLite every transaction is ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vanthu.models.tables import MailboxLease

HOLDER_LENGTH = 128


@dataclass(frozen=True)
class LeaseState:
    """A lease as it is stored: who holds it, since when, until when."""

    mailbox: str
    holder: str
    acquired_at: dt.datetime
    expires_at: dt.datetime

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now


def _check(holder: str, ttl: dt.timedelta) -> None:
    if not holder or len(holder) > HOLDER_LENGTH:
        raise ValueError(f"a lease holder is 1 to {HOLDER_LENGTH} characters, not {holder!r}")
    if ttl <= dt.timedelta(0):
        raise ValueError("a lease must last a positive time")


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def acquire(session: Session, mailbox: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take the lease on ``mailbox`` for ``holder`` until ``now + ttl``; True if ``holder`` holds it now.

    Succeeds when nobody ever held it, when ``holder`` already holds it (then it is renewed), or when the
    current lease has expired (then ``holder`` takes it over). Fails, changing nothing, while another
    holder's lease runs.
    """
    _check(holder, ttl)
    until = now + ttl
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(MailboxLease)
    inserted = session.execute(
        ins.values(mailbox=mailbox, holder=holder, acquired_at=now, expires_at=until)
        .on_conflict_do_nothing(index_elements=["mailbox"])
        .returning(MailboxLease.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return True
    if renew(session, mailbox, holder, now=now, ttl=ttl):
        return True
    return take_over(session, mailbox, holder, now=now, ttl=ttl)


def renew(session: Session, mailbox: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Extend ``holder``'s lease to ``now + ttl``; False if someone else holds the lease (or none exists).

    A lease that expired but was taken by nobody is still ``holder``'s and is renewed.
    """
    _check(holder, ttl)
    result = session.execute(
        update(MailboxLease)
        .where(MailboxLease.mailbox == mailbox, MailboxLease.holder == holder)
        .values(expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def take_over(
    session: Session,
    mailbox: str,
    holder: str,
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    from_holder: str | None = None,
) -> bool:
    """Make ``holder`` the holder of an expired lease; True on success.

    With ``from_holder`` the lease is taken from that holder whether or not it has expired — for a
    caller that knows the holder is dead (a process of its own host that no longer exists). Either way
    the row changes only if it is still as the caller saw it, so of several concurrent takers one wins.
    """
    _check(holder, ttl)
    condition = MailboxLease.holder == from_holder if from_holder is not None else MailboxLease.expires_at <= now
    result = session.execute(
        update(MailboxLease)
        .where(MailboxLease.mailbox == mailbox, condition)
        .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def release(session: Session, mailbox: str, holder: str, *, now: dt.datetime) -> bool:
    """End ``holder``'s lease now, so another worker may take it at once; False if it was not held."""
    result = session.execute(
        update(MailboxLease)
        .where(MailboxLease.mailbox == mailbox, MailboxLease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def current(session: Session, mailbox: str) -> LeaseState | None:
    """The lease on ``mailbox`` as stored, or None if nobody ever took it."""
    row = session.execute(select(MailboxLease).where(MailboxLease.mailbox == mailbox)).scalar_one_or_none()
    if row is None:
        return None
    return LeaseState(row.mailbox, row.holder, row.acquired_at, row.expires_at)
