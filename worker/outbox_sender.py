"""Delivering the outbox: lease due rows, send each over the transport, record the result.

A row is leased (state ``sending`` until ``next_attempt_at``) in a committed transaction before it
is sent, so several workers never send the same row at the same time (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``). If a worker dies between sending and recording, the lease runs out and the row is sent
again — the same email with the same Message-ID, which mail programs show once. Failures are
retried with a doubling delay; permanent SMTP errors and the last try mark the row ``failed``.

A server that cannot be reached at all (connection refused or dropped, 421) is not the message's fault:
the row is given back uncounted and the pass stops; :func:`run_sender` waits with a capped backoff and
tries again, logging the outage once. A row sent while the database went away is remembered in memory
and recorded as sent as soon as the database answers again, before anything else is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import func, or_, select, update

from vanthu.models import audit
from vanthu.models.tables import OutboxMessage
from vanthu.worker.app import App
from vanthu.worker.mime import build
from vanthu.worker.resilience import Backoff, Fault, OutageLog
from vanthu.worker.transports import Transport, TransportError

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8


def lease_due(app: App, limit: int) -> list[OutboxMessage]:
    """Lease up to ``limit`` rows that are due; they stay leased for ``outbox_lease_seconds``."""
    now = app.clock.now()
    lease = dt.timedelta(seconds=app.config.service.outbox_lease_seconds)
    with app.uow() as uow:
        stmt = (
            select(OutboxMessage)
            .where(
                or_(OutboxMessage.state == "pending", OutboxMessage.state == "sending"),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(uow.session.execute(stmt).scalars())
        for row in rows:
            row.state = "sending"
            row.attempts += 1
            row.next_attempt_at = now + lease
        uow.commit()
        return rows


def mark_sent(app: App, row_id: int) -> None:
    with app.uow() as uow:
        row = uow.session.get(OutboxMessage, row_id)
        if row is not None and row.state == "sending":
            row.state = "sent"
            row.sent_at = app.clock.now()
            row.last_error = ""
        uow.commit()


def mark_failed(app: App, row_id: int, error: TransportError) -> None:
    now = app.clock.now()
    with app.uow() as uow:
        row = uow.session.get(OutboxMessage, row_id)
        if row is None:
            return
        row.last_error = str(error)[:2000]
        if error.permanent or row.attempts >= MAX_SEND_ATTEMPTS:
            row.state = "failed"
            audit.append(
                uow.session,
                at=now,
                tz=app.settings.tz,
                actor="vanthu",
                action="mail.undeliverable",
                object_type="outbox",
                object_id=row.message_id,
                details={"to": row.to_addr, "subject": row.subject, "error": row.last_error},
            )
        else:
            row.state = "pending"
            row.next_attempt_at = now + min(dt.timedelta(seconds=15 * 2 ** (row.attempts - 1)), dt.timedelta(hours=2))
        uow.commit()


def give_back(app: App, row_ids: list[int]) -> None:
    """Return leased rows that were never tried to ``pending``, due now, with their attempt uncounted."""
    if not row_ids:
        return
    with app.uow() as uow:
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.state == "sending")
            .values(state="pending", attempts=OutboxMessage.attempts - 1, next_attempt_at=app.clock.now())
            .execution_options(synchronize_session=False)
        )
        uow.commit()


async def deliver_due(app: App, transport: Transport, *, batch: int = 1, unrecorded: list[int] | None = None) -> int:
    """Send everything due now; return how many messages were sent.

    Rows are leased one at a time by default, just before each is sent: a worker that dies leaves at most
    one row leased (and counted as an attempt) that it never tried.

    Raises :class:`TransportError` (``unavailable``) when the SMTP server cannot be reached: the row in hand
    is given back uncounted. Raises the database's error when the database fails. ``unrecorded``, kept by
    the caller between passes, holds ids of rows sent but not yet recorded as sent: they are recorded first,
    and a row sent while the database fails is added to it.
    """
    sent = 0
    loop_id = app.config.service.mail_domain
    while unrecorded:
        await asyncio.to_thread(mark_sent, app, unrecorded[0])
        unrecorded.pop(0)
    while True:
        rows = await asyncio.to_thread(lease_due, app, batch)
        if not rows:
            return sent
        for i, row in enumerate(rows):
            try:
                await transport.send(build(row, loop_id, app.files))
            except TransportError as exc:
                if exc.unavailable:
                    await asyncio.to_thread(give_back, app, [r.id for r in rows[i:]])
                    raise
                log.warning("outbox %s to %s failed: %s", row.message_id, row.to_addr, exc)
                await asyncio.to_thread(mark_failed, app, row.id, exc)
                continue
            try:
                await asyncio.to_thread(mark_sent, app, row.id)
            except Exception:
                if unrecorded is not None:
                    unrecorded.append(row.id)
                await asyncio.to_thread(give_back, app, [r.id for r in rows[i + 1 :]])
                raise
            log.info("sent %s to %s: %s", row.message_id, row.to_addr, row.subject)
            sent += 1


def next_due(app: App) -> dt.datetime | None:
    """When the next pending or leased row becomes due (None when the outbox is empty)."""
    with app.uow() as uow:
        return uow.session.execute(
            select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.state.in_(("pending", "sending")))
        ).scalar_one_or_none()


async def run_sender(
    app: App, transport: Transport, stop: asyncio.Event, wake: asyncio.Event, unrecorded: list[int] | None = None
) -> None:
    """Deliver until ``stop`` is set; wakes on ``wake`` (a flow queued mail) or when a retry is due.

    Never raises: a failing pass (SMTP server or database down, anything else) is logged once per outage
    and tried again after a capped backoff, during which ``wake`` is ignored. ``unrecorded`` (see
    :func:`deliver_due`) lets the caller's final pass record what this loop could not.
    """
    outage = OutageLog(log, "outbox")
    backoff = Backoff()
    unrecorded = [] if unrecorded is None else unrecorded
    while not stop.is_set():
        wake.clear()
        events = [stop, wake]
        try:
            await deliver_due(app, transport, unrecorded=unrecorded)
            due = await asyncio.to_thread(next_due, app)
        except Exception as exc:  # noqa: BLE001 - the sender must outlive every fault
            fault = outage.failed(exc, "delivery pass")
            delay = backoff.next_delay()
            # Mail queued by a watcher proves the database is back; a dead SMTP server is only waited for.
            events = [stop, wake] if fault is Fault.DATABASE else [stop]
        else:
            outage.recovered()
            backoff.reset()
            delay = 30.0
            if due is not None:
                delay = max(0.05, min(delay, (due - app.clock.now()).total_seconds()))
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
