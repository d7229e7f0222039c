"""Delivering the outbox: lease due rows, send each over the transport, record the result.

A row is leased (state ``sending`` until ``next_attempt_at``) in a committed transaction before it
is sent, so several workers never send the same row at the same time (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``). If a worker dies between sending and recording, the lease runs out and the row is sent
again — the same email with the same Message-ID, which mail programs show once. Failures are
retried with a doubling delay; permanent SMTP errors and the last try mark the row ``failed``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import func, or_, select

from vanthu.models import audit
from vanthu.models.tables import OutboxMessage
from vanthu.worker.app import App
from vanthu.worker.mime import build
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


async def deliver_due(app: App, transport: Transport, *, batch: int = 1) -> int:
    """Send everything due now; return how many messages were sent.

    Rows are leased one at a time by default, just before each is sent: a worker that dies leaves at most
    one row leased (and counted as an attempt) that it never tried.
    """
    sent = 0
    loop_id = app.config.service.mail_domain
    while True:
        rows = await asyncio.to_thread(lease_due, app, batch)
        if not rows:
            return sent
        for row in rows:
            try:
                await transport.send(build(row, loop_id, app.files))
            except TransportError as exc:
                log.warning("outbox %s to %s failed: %s", row.message_id, row.to_addr, exc)
                await asyncio.to_thread(mark_failed, app, row.id, exc)
                continue
            await asyncio.to_thread(mark_sent, app, row.id)
            log.info("sent %s to %s: %s", row.message_id, row.to_addr, row.subject)
            sent += 1


def next_due(app: App) -> dt.datetime | None:
    """When the next pending or leased row becomes due (None when the outbox is empty)."""
    with app.uow() as uow:
        return uow.session.execute(
            select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.state.in_(("pending", "sending")))
        ).scalar_one_or_none()


async def run_sender(app: App, transport: Transport, stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Deliver until ``stop`` is set; wakes on ``wake`` (a flow queued mail) or when a retry is due."""
    while not stop.is_set():
        wake.clear()
        try:
            await deliver_due(app, transport)
        except Exception:
            log.exception("outbox delivery pass failed; trying again shortly")
        due = await asyncio.to_thread(next_due, app)
        delay = 30.0
        if due is not None:
            delay = max(0.05, min(delay, (due - app.clock.now()).total_seconds()))
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
