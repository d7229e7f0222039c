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

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

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
from vanthu.mailflows.commands import FORWARD_PREFIX, Command, Subject, parse_subject
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.hygiene import Machine, authenticated, classify
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.quarantine import quarantine
from vanthu.mailflows.thread import document_of
from vanthu.models import audit
from vanthu.models.directory import person_by_email
from vanthu.models.tables import Document, Person
from vanthu.models.text import fold

IGNORED = Outcome.IGNORED


def handle(ctx: FlowContext, msg: ParsedMessage) -> Outcome:
    """Decide what ``msg`` is and run its flow inside ``ctx.uow``; return the outcome.

    The caller commits. Raising rolls everything back and the message is tried again later.
    """
    outcome = _route(ctx, msg)
    forget = outcome.secret
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


@dataclass
class Mail:
    """What the routes look at: the message and the facts about it that decide its flow.

    ``document`` (the document the subject's tag or the thread names) is looked up once, the first time a
    route asks for it.
    """

    msg: ParsedMessage
    person: Person | None  # the sender, when in the directory
    machine: Machine | None  # why the message is machine-generated, if it is
    authenticated: bool  # passed the configured server's DKIM/SPF check (True when none is configured)
    find_document: Callable[[], Document | None]

    @cached_property
    def document(self) -> Document | None:
        return self.find_document()

    @cached_property
    def subject(self) -> Subject:
        return parse_subject(self.msg.subject)

    @property
    def sender(self) -> Person:
        """The directory sender; only routes after the strangers' ones use it."""
        assert self.person is not None
        return self.person

    @property
    def has_pdf(self) -> bool:
        return _has_pdf(self.msg)

    def asks(self, command: Command) -> bool:
        return self.subject.command is command


Recogniser = Callable[[Mail], bool]
Handler = Callable[[FlowContext, Mail], Outcome]


@dataclass(frozen=True)
class Route:
    """One entry of :data:`ROUTES`: ``handle`` is run for the first mail ``recognise`` accepts."""

    name: str
    recognise: Recogniser
    handle: Handler


def _stranger(m: Mail) -> bool:
    return m.person is None


def _stranger_machine(m: Mail) -> bool:
    # Mail from outside the directory is never a command and never gets an automatic answer; a machine's
    # mail is ignored unless it carries a document the automatic sender may send.
    return m.person is None and m.machine is not None and not (m.machine.may_carry_document and m.has_pdf)


def _ignore(ctx: FlowContext, m: Mail) -> Outcome:
    return IGNORED


def _outside_reply(ctx: FlowContext, m: Mail) -> Outcome:
    assert m.document is not None
    return outside_reply.handle(ctx, m.msg, m.document)


def _quarantine_unauthenticated(ctx: FlowContext, m: Mail) -> Outcome:
    # The From address is in the directory but the message did not pass DKIM or SPF: it may be
    # forged, so it changes nothing, its supposed sender is not answered, and the clerk looks at it.
    msg = m.msg
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
    return Outcome.UNAUTHENTICATED


def _cancels_incoming(m: Mail) -> bool:
    return m.asks(Command.CANCEL) and incoming_cancel.is_incoming(m.subject.argument)


def _subject_flow(flow: Callable[[FlowContext, ParsedMessage, Person, str], Outcome]) -> Handler:
    """A flow of a subject command, given the command's argument."""
    return lambda ctx, m: flow(ctx, m.msg, m.sender, m.subject.argument)


def _command(command: Command) -> Recogniser:
    return lambda m: m.asks(command)


def _help(ctx: FlowContext, m: Mail) -> Outcome:
    help_flow.handle(ctx, m.msg, m.sender, unknown_command=False)
    return Outcome.HELP_SENT


def _reply(ctx: FlowContext, m: Mail) -> Outcome:
    assert m.document is not None
    return reply_flow.carry_out(ctx, m.msg, m.sender, m.document)


def _unknown(ctx: FlowContext, m: Mail) -> Outcome:
    help_flow.handle(ctx, m.msg, m.sender, unknown_command=True)
    return Outcome.HELP_UNKNOWN_COMMAND


ROUTES: tuple[Route, ...] = (
    # Strangers: never a command, never an automatic answer.
    Route("stranger-machine", _stranger_machine, _ignore),
    Route("stranger-reply", lambda m: _stranger(m) and m.document is not None, _outside_reply),
    Route("stranger-intake", _stranger, lambda ctx, m: intake.handle(ctx, m.msg, machine=m.machine)),
    # The directory's people, from here on.
    Route("machine", lambda m: m.machine is not None, _ignore),
    Route("unauthenticated", lambda m: not m.authenticated, _quarantine_unauthenticated),
    Route(
        "quarantine-decision",
        lambda m: (m.subject.tag or "").startswith("VTQ-"),
        lambda ctx, m: clerk_intake.handle_decision(ctx, m.msg, m.sender, m.subject.tag or ""),
    ),
    Route(
        "paper",
        lambda m: is_paper_subject(m.msg.subject),
        lambda ctx, m: clerk_intake.handle_paper(ctx, m.msg, m.sender),
    ),
    Route("number", _command(Command.NUMBER), _subject_flow(number_request.handle)),
    Route("incoming-cancel", _cancels_incoming, _subject_flow(incoming_cancel.handle)),
    Route("cancel", _command(Command.CANCEL), _subject_flow(number_cancel.handle)),
    Route("insert", _command(Command.INSERT), _subject_flow(number_insert.handle)),
    Route("register", _command(Command.REGISTER), _subject_flow(register_request.handle)),
    Route("stats", _command(Command.STATS), _subject_flow(stats_request.handle)),
    Route("search", _command(Command.SEARCH), _subject_flow(search.handle)),
    Route("help", _command(Command.HELP), _help),
    Route("reply", lambda m: m.document is not None, _reply),
    Route(
        "forward",
        lambda m: m.subject.command is None and is_forward(m.msg),
        lambda ctx, m: intake.handle(ctx, m.msg, forwarder=m.sender),
    ),
    Route("unknown-command", lambda m: True, _unknown),
)
"""How a message finds its flow: the first route whose recogniser accepts the mail handles it. The order is
the decision (a ``Hủy số đến`` before ``Hủy số``, a subject command before the reply it may carry a tag of,
the authentication check before any command); the last route accepts everything."""


def mail_of(ctx: FlowContext, msg: ParsedMessage) -> Mail:
    """The facts :data:`ROUTES` decide on, for ``msg`` as received by ``ctx``'s mailbox."""
    session = ctx.uow.session
    authserv = ctx.settings.authserv_id
    return Mail(
        msg=msg,
        person=person_by_email(session, msg.sender),
        machine=classify(msg, ctx.settings.mail_domain),
        authenticated=not authserv or authenticated(msg, authserv),
        find_document=lambda: document_of(session, msg),
    )


def choose(mail: Mail) -> Route:
    """The first route of :data:`ROUTES` that accepts ``mail`` (there always is one: the last takes all)."""
    return next(r for r in ROUTES if r.recognise(mail))


def _route(ctx: FlowContext, msg: ParsedMessage) -> Outcome:
    """Run the flow :func:`choose` picks for ``msg``; return its outcome."""
    mail = mail_of(ctx, msg)
    return choose(mail).handle(ctx, mail)
