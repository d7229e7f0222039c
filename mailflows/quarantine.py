"""Quarantine: a message vanthu will not handle by itself is set aside untouched and the clerk is told.

The mail stays on the server in the quarantine folder and its bytes stay in the raw store, so nothing
is lost; a quarantine item with a tag (``[VTQ-2026-000001]``) lets the clerk decide by replying
``Đăng ký`` or ``Trả lại: lý do``. A message that looks secret is different: vanthu must not keep it, so
the item records only the sender, the time, the marking and the message's hash, and the clerk is
told to handle it on paper.
"""

from __future__ import annotations

from email.utils import parseaddr

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.incoming_meta import SECRECY_LEVELS, marking
from vanthu.mailflows.message import MalformedMessage, reachable_address
from vanthu.mailflows.outcomes import Outcome
from vanthu.models.directory import nearest_clerks, unit_by_code
from vanthu.models.incoming import new_quarantine_item
from vanthu.models.outbox import enqueue
from vanthu.models.tables import QuarantineItem

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
    """Record a quarantine item and queue one notice per clerk of the mailbox's unit.

    The notice tells the clerk what ``Trả lại`` will do: return the mail to ``sender``, or — when no
    reachable address can be read from it — close the item without a reply.
    """
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
    for clerk in nearest_clerks(session, unit):
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
            can_return=reachable_address(parseaddr(sender)[1].lower()),
        )
    return item


def quarantine_malformed(ctx: FlowContext, exc: MalformedMessage, *, folder: str) -> Outcome:
    """Set aside a message the parser refused, telling the clerk what could be read; return the outcome.

    The notice shows the sender and subject as far as they could be read and the reason in Vietnamese.
    A subject with a secrecy marking (``MẬT``, ``Tối mật`` …) makes it a secret item like any other:
    only the fact is recorded, and the outcome (``quarantined.secret``) tells the caller to delete the
    raw copy. Otherwise the outcome is ``quarantined.malformed`` and the clerk can decide the item.
    """
    level = marking(exc.subject, SECRECY_LEVELS, capitals_only=False)
    if level:
        quarantine(
            ctx,
            sender=exc.sender[:255],
            subject="",
            message_id="",
            reason_code=SECRET,
            reason=f"Dấu hiệu tài liệu {level}",
            folder=folder,
            marking=level,
        )
        return Outcome.SECRET
    quarantine(
        ctx,
        sender=exc.sender[:255],
        subject=exc.subject,
        message_id="",
        reason_code="malformed",
        reason=f"Thư không đọc được: {exc.reason}.",
        folder=folder,
    )
    return Outcome.MALFORMED
