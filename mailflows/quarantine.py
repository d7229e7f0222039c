"""Quarantine: a message vanthu will not process is moved aside untouched and the clerk is told.

Only the fact is recorded (sender, subject, reason, the raw message's hash); the mail itself stays on
the server in the quarantine folder, and its bytes in the raw store, so nothing is lost.
"""

from __future__ import annotations

from mailflows.context import FlowContext
from mailflows.people import clerks_of, unit_by_code
from mailflows.replies import enqueue
from models import audit


def notify_clerks(ctx: FlowContext, *, sender: str, subject: str, reason: str, folder: str) -> int:
    """Audit the quarantine and queue one notice per clerk of the mailbox's unit; return the count."""
    session = ctx.uow.session
    now = ctx.now()
    audit.append(
        session,
        at=now,
        tz=ctx.settings.tz,
        actor="vanthu",
        action="mail.quarantined",
        object_type="message",
        object_id=ctx.sha256[:16],
        details={"mailbox": ctx.mailbox.name, "sender": sender, "subject": subject[:300], "reason": reason},
    )
    clerks = clerks_of(session, unit_by_code(session, ctx.mailbox.unit_code))
    for clerk in clerks:
        enqueue(
            ctx,
            kind="quarantine",
            to=clerk.email,
            template="quarantine_notice",
            auto_submitted="auto-generated",
            request_subject=subject or "(không có tiêu đề)",
            sender=sender or "(không rõ)",
            received_at=now,
            reason=reason,
            folder=folder,
            sha256=ctx.sha256,
        )
    return len(clerks)
