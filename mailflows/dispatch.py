"""The entry point of every message: hygiene, sender, command, flow — and an audit entry for each.

A flow is chosen from the subject's command. Machine-generated mail is never answered. A sender
not in the directory gets a polite refusal; an unknown command gets the help text. Whatever
happens is recorded in the audit log with the outcome, so nothing disappears silently.
"""

from __future__ import annotations

from mailflows import (
    clerk_intake,
    intake,
    number_cancel,
    number_insert,
    number_request,
    register_request,
    reply_flow,
    search,
    stats_request,
)
from mailflows import help as help_flow
from mailflows.clerk_intake import is_paper_subject
from mailflows.commands import Command, parse_subject
from mailflows.context import FlowContext
from mailflows.hygiene import authenticated, machine_generated
from mailflows.message import ParsedMessage
from mailflows.outcomes import must_forget
from mailflows.people import person_by_email, unit_by_code
from mailflows.quarantine import quarantine
from mailflows.replies import enqueue
from mailflows.thread import document_of
from models import audit


def handle(ctx: FlowContext, msg: ParsedMessage) -> str:
    """Decide what ``msg`` is and run its flow inside ``ctx.uow``; return the outcome name.

    The caller commits. Raising rolls everything back and the message is tried again later.
    """
    outcome = _route(ctx, msg)
    forget = must_forget(outcome)
    audit.append(
        ctx.uow.session,
        at=ctx.now(),
        tz=ctx.settings.tz,
        actor=msg.sender,
        action="mail.processed",
        object_type="message",
        object_id=ctx.sha256[:16] or msg.message_id[:128],
        details={
            "mailbox": ctx.mailbox.name,
            "message_id": "" if forget else msg.message_id,
            "subject": "" if forget else msg.subject[:300],
            "outcome": outcome,
        },
    )
    return outcome


def _route(ctx: FlowContext, msg: ParsedMessage) -> str:
    reason = machine_generated(msg, ctx.settings.mail_domain)
    if reason is not None:
        return "ignored.machine-generated"
    session = ctx.uow.session
    person = person_by_email(session, msg.sender)
    subject = parse_subject(msg.subject)
    if person is None and subject.command is None:
        # Mail from outside the directory that is not a command is an incoming document.
        return intake.handle(ctx, msg)
    if person is None:
        unit = unit_by_code(session, ctx.mailbox.unit_code)
        enqueue(
            ctx,
            kind="refusal",
            to=msg.sender,
            template="unknown_sender",
            reply_to=msg,
            request_subject=msg.subject,
            sender=msg.sender,
            unit_name=unit.name,
        )
        return "refused.unknown-sender"
    if ctx.settings.authserv_id and not authenticated(msg, ctx.settings.authserv_id):
        # The From address is in the directory but the message did not pass DKIM or SPF: it may be
        # forged, so it changes nothing, its supposed sender is not answered, and the clerk looks at it.
        quarantine(
            ctx,
            sender=msg.sender,
            subject=msg.subject,
            message_id=msg.message_id,
            reason_code="unauthenticated",
            reason=(
                f"Thư mang địa chỉ người gửi {msg.sender} nhưng không qua kiểm tra DKIM/SPF của máy chủ "
                f"{ctx.settings.authserv_id}: có thể bị giả mạo."
            ),
            folder=ctx.mailbox.quarantine_folder,
        )
        return "quarantined.unauthenticated"
    if subject.tag and subject.tag.startswith("VTQ-"):
        return clerk_intake.handle_decision(ctx, msg, person, subject.tag)
    if is_paper_subject(msg.subject):
        return clerk_intake.handle_paper(ctx, msg, person)
    if subject.command is Command.NUMBER:
        return number_request.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.CANCEL:
        return number_cancel.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.INSERT:
        return number_insert.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.REGISTER:
        return register_request.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.STATS:
        return stats_request.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.SEARCH:
        return search.handle(ctx, msg, person, subject.argument)
    if subject.command is Command.HELP:
        help_flow.handle(ctx, msg, person, unknown_command=False)
        return "help.sent"
    doc = document_of(session, msg)
    if doc is not None:
        return reply_flow.handle(ctx, msg, person, doc)
    help_flow.handle(ctx, msg, person, unknown_command=True)
    return "help.unknown-command"
