"""Quarantine: a message vanthu will not handle by itself is set aside untouched and the clerk is told.

The mail stays on the server in the quarantine folder and its bytes stay in the raw store, so nothing
is lost; a quarantine item with a tag (``[VTQ-2026-000001]``) lets the clerk decide by replying
``Đăng ký`` or ``Trả lại: lý do``. A message that looks secret is different: vanthu must not keep it, so
the item records only the sender, the time, the marking and the message's hash, and the clerk is
told to handle it on paper.
"""

from __future__ import annotations

from mailflows.context import FlowContext
from mailflows.people import clerks_of, unit_by_code
from mailflows.replies import enqueue
from models.incoming import new_quarantine_item
from models.tables import QuarantineItem

SECRET = "secret"


def quarantine(
    ctx: FlowContext,
    *,
    sender: str,
    subject: str,
    message_id: str,
    reason_code: str,
    reason: str,
    folder: str,
    marking: str = "",
) -> QuarantineItem:
    """Record a quarantine item and queue one notice per clerk of the mailbox's unit."""
    session = ctx.uow.session
    now = ctx.now()
    unit = unit_by_code(session, ctx.mailbox.unit_code)
    secret = reason_code == SECRET
    item = new_quarantine_item(
        session,
        mailbox=ctx.mailbox.name,
        unit=unit,
        ledger_id=ctx.ledger_id,
        sha256=ctx.sha256,
        sender=sender,
        subject="" if secret else subject,
        message_id=message_id,
        reason_code=reason_code,
        reason=reason,
        at=now,
        tz=ctx.settings.tz,
    )
    for clerk in clerks_of(session, unit):
        enqueue(
            ctx,
            kind="quarantine",
            to=clerk.email,
            template="quarantine_notice",
            auto_submitted="auto-generated",
            tag=item.tag,
            priority="urgent" if secret else "normal",
            request_subject="" if secret else (subject or "(không có tiêu đề)"),
            sender=sender or "(không rõ)",
            received_at=now,
            reason=reason,
            folder=folder,
            sha256=ctx.sha256,
            secret=secret,
            marking=marking,
        )
    return item
