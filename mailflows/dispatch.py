"""The entry point of every message: hygiene, sender, command, flow — and an audit entry for each.

Only people in the directory give commands; a flow is chosen from the subject's command. Mail from anyone
else is never a command and never answered automatically (no backscatter): a reply carrying the tag of one
of our documents is attached to it, anything else goes through intake — registered when it carries a
document, set aside for the clerk when it does not. Machine-generated mail is never answered either:
reports (bounces, read receipts, complaints), daemons and our own loops are ignored; an automatic sender's
document is registered, the rest ignored. A directory sender's forward of a document registers it. An
unknown command gets the help text. Whatever happens is recorded in the audit log with the outcome, so
nothing disappears silently.
"""

from __future__ import annotations

from vanthu.mailflows import (
    clerk_intake,
    incoming_cancel,
    intake,
    number_cancel,
    number_insert,
    number_request,
    outside_reply,
    register_request,
    reply_flow,
    search,
    stats_request,
)
from vanthu.mailflows import help as help_flow
from vanthu.mailflows.clerk_intake import is_paper_subject
from vanthu.mailflows.commands import FORWARD_PREFIX, Command, parse_subject
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.hygiene import authenticated, classify
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import must_forget
from vanthu.mailflows.quarantine import quarantine
from vanthu.mailflows.thread import document_of
from vanthu.models import audit
from vanthu.models.directory import person_by_email
from vanthu.models.text import fold

IGNORED = "ignored.machine-generated"


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


def _has_pdf(msg: ParsedMessage) -> bool:
    return any(intake.is_pdf(a) for a in msg.attachments)


def is_forward(msg: ParsedMessage) -> bool:
    """A forward of a document to the mailbox: a PDF, and ``Fwd:``/``TL:``/``Chuyển tiếp:`` in the subject
    or ``Vào sổ`` in the sender's own lines."""
    if not _has_pdf(msg):
        return False
    return bool(FORWARD_PREFIX.match(msg.subject)) or "vao so" in fold(msg.command_text[:5000])


def _route(ctx: FlowContext, msg: ParsedMessage) -> str:
    machine = classify(msg, ctx.settings.mail_domain)
    session = ctx.uow.session
    person = person_by_email(session, msg.sender)
    if person is None:
        # Mail from outside the directory is never a command and never gets an automatic answer.
        if machine is not None and not (machine.may_carry_document and _has_pdf(msg)):
            return IGNORED
        doc = document_of(session, msg)
        if doc is not None:
            return outside_reply.handle(ctx, msg, doc)
        return intake.handle(ctx, msg, machine=machine)
    if machine is not None:
        return IGNORED
    subject = parse_subject(msg.subject)
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
    if subject.command is Command.CANCEL and incoming_cancel.is_incoming(subject.argument):
        return incoming_cancel.handle(ctx, msg, person, subject.argument)
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
    if subject.command is None and is_forward(msg):
        return intake.handle(ctx, msg, forwarder=person)
    help_flow.handle(ctx, msg, person, unknown_command=True)
    return "help.unknown-command"
