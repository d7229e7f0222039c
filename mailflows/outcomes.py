"""What became of a message: one :class:`Outcome` per way a flow can end, and what it means for the mail.

Every flow returns a member of :class:`Outcome`. The member says where the processor puts the message
on the server (:attr:`Outcome.folder`: the processed folder, the quarantine folder, or the inbox for a
message to be tried again) and whether vanthu must forget the raw copy (:attr:`Outcome.secret`: a
secret document is not kept on an internet-connected system; only the fact of it is logged). Nothing is
inferred from the spelling of the name: a member's folder is written next to it, so a typo in a name can
no longer send a message to another folder.

``Outcome`` is a :class:`~enum.StrEnum`: a member *is* its string (``Outcome.NUMBER_GIVEN ==
"number.given"``), which is what the ledger, the audit log and the tests store and compare, exactly as
before the enumeration existed. :attr:`Outcome.ledger` is what the processor writes into the ledger row.
"""

from __future__ import annotations

import enum


class Folder(enum.Enum):
    """Where the processor moves a message once its transaction has committed."""

    PROCESSED = "processed"
    QUARANTINE = "quarantine"
    INBOX = "inbox"  # not moved: it is tried again later


_P, _Q, _I = Folder.PROCESSED, Folder.QUARANTINE, Folder.INBOX


class Outcome(enum.StrEnum):
    """The outcome of one message; the value is the name stored in the ledger and the audit log."""

    folder: Folder
    secret: bool

    def __new__(cls, value: str, folder: Folder = Folder.PROCESSED, secret: bool = False) -> Outcome:
        member = str.__new__(cls, value)
        member._value_ = value
        member.folder = folder
        member.secret = secret
        return member

    # --- the dispatcher
    IGNORED = "ignored.machine-generated", _P
    HELP_SENT = "help.sent", _P
    HELP_UNKNOWN_COMMAND = "help.unknown-command", _P
    UNAUTHENTICATED = "quarantined.unauthenticated", _Q

    # --- Lấy số
    NUMBER_GIVEN = "number.given", _P
    NUMBER_MISSING_TITLE = "number.missing-title", _P
    NUMBER_TYPE_UNCLEAR = "number.type-unclear", _P
    NUMBER_REGISTER_UNCLEAR = "number.register-unclear", _P

    # --- Hủy số (outgoing) and Hủy số đến (incoming)
    CANCEL_DONE = "cancel.done", _P
    CANCEL_MISSING_NUMBER = "cancel.missing-number", _P
    CANCEL_NOT_FOUND = "cancel.not-found", _P
    CANCEL_AMBIGUOUS = "cancel.ambiguous", _P
    CANCEL_REFUSED = "cancel.refused", _P
    CANCEL_REJECTED = "cancel.rejected", _P
    INCOMING_CANCELLED = "number.incoming-cancelled", _P
    CANCEL_INCOMING_MISSING_NUMBER = "cancel.incoming-missing-number", _P
    CANCEL_INCOMING_NOT_FOUND = "cancel.incoming-not-found", _P
    CANCEL_INCOMING_REFUSED = "cancel.incoming-refused", _P
    CANCEL_INCOMING_REJECTED = "cancel.incoming-rejected", _P

    # --- Chèn số
    INSERT_GIVEN = "insert.given", _P
    INSERT_MISSING_NUMBER = "insert.missing-number", _P
    INSERT_NOT_FOUND = "insert.not-found", _P
    INSERT_AMBIGUOUS = "insert.ambiguous", _P
    INSERT_REFUSED = "insert.refused", _P
    INSERT_TYPE_UNCLEAR = "insert.type-unclear", _P
    INSERT_REJECTED = "insert.rejected", _P

    # --- Sổ, Thống kê, Tra cứu
    REGISTER_SENT = "register.sent", _P
    REGISTER_REFUSED = "register.refused", _P
    REGISTER_UNCLEAR = "register.unclear", _P
    STATS_SENT = "stats.sent", _P
    STATS_REFUSED = "stats.refused", _P
    STATS_BAD_PERIOD = "stats.bad-period", _P
    SEARCH_EMPTY_QUERY = "search.empty-query", _P
    SEARCH_CASE = "search.case", _P
    SEARCH_NUMBER = "search.number", _P
    SEARCH_SENDER = "search.sender", _P
    SEARCH_WORDS = "search.words", _P

    # --- incoming documents
    INTAKE_REGISTERED = "intake.registered", _P
    INTAKE_DUPLICATE = "intake.duplicate", _P
    INTAKE_RETURNED = "intake.returned", _P
    REPLY_ATTACHED = "intake.reply-attached", _P
    NO_PDF = "quarantined.no-pdf", _Q
    NOT_PDF = "quarantined.not-pdf", _Q
    PDF_ENCRYPTED = "quarantined.encrypted", _Q
    PDF_TOO_LARGE = "quarantined.too-large", _Q  # also a whole message too large to download
    PDF_UNREADABLE = "quarantined.unreadable", _Q
    SECRET = "quarantined.secret", _Q, True
    MALFORMED = "quarantined.malformed", _Q

    # --- the clerk: scanned paper, decisions on quarantined mail
    PAPER_REGISTERED = "paper.registered", _P
    PAPER_DUPLICATE = "paper.duplicate", _P
    PAPER_REFUSED = "paper.refused", _P
    DECISION_REGISTERED = "decision.registered", _P
    DECISION_RETURNED = "decision.returned", _P
    DECISION_CLOSED = "decision.closed", _P
    DECISION_REFUSED = "decision.refused", _P
    DECISION_ALREADY = "decision.already", _P
    DECISION_REJECTED = "decision.rejected", _P
    DECISION_UNCLEAR = "decision.unclear", _P

    # --- replies about a document (mailflows.reply_flow)
    REPLY_NOT_INCOMING = "reply.not-incoming", _P
    REPLY_NO_COMMAND = "reply.no-command", _P
    REPLY_SEVERAL_ACTIONS = "reply.several-actions", _P
    CASE_LINKED = "reply.case-linked", _P
    CASE_REFUSED = "reply.refused.case", _P
    ASSIGNED = "reply.assigned", _P
    ASSIGN_REFUSED = "reply.refused.not-leader", _P
    ASSIGN_UNCLEAR = "reply.assign-unclear", _P
    FORWARDED = "reply.forwarded", _P
    FORWARD_REFUSED = "reply.refused.forward", _P
    FORWARD_UNCLEAR = "reply.forward-unclear", _P
    FORWARD_REJECTED = "reply.forward-rejected", _P
    DONE = "reply.done", _P
    CLOSE_REFUSED = "reply.refused.close", _P
    CLOSE_REJECTED = "reply.close-rejected", _P
    EXTENSION_REQUESTED = "reply.extension-requested", _P
    EXTENSION_REFUSED_TO_ASK = "reply.refused.extension", _P
    EXTENSION_UNCLEAR = "reply.extension-unclear", _P
    EXTENSION_REJECTED = "reply.extension-rejected", _P
    EXTENSION_APPROVED = "reply.extension-approved", _P
    EXTENSION_REFUSED = "reply.extension-refused", _P
    DECIDE_REFUSED = "reply.refused.decide", _P
    DECIDE_REJECTED = "reply.decide-rejected", _P
    GIVEN_BACK = "reply.given-back", _P
    GIVE_BACK_REFUSED = "reply.refused.give-back", _P
    GIVE_BACK_REJECTED = "reply.give-back-rejected", _P
    OPINION = "reply.opinion", _P
    OPINION_REFUSED = "reply.refused.opinion", _P

    # --- the processor itself (worker.processor), not a flow
    ALREADY_DONE = "already-done", _P
    ALREADY_QUARANTINED = "already-quarantined", _Q
    FAILED = "quarantined.failed", _Q  # failed on every try
    RETRY = "failed.attempt", _I  # failed; tried again later (the processor reports ``failed.attempt-<n>``)

    @property
    def ledger(self) -> str:
        """What the processor writes into the ledger row's ``outcome`` (the value, except for a malformed
        message, whose row has always said ``malformed``)."""
        return "malformed" if self is Outcome.MALFORMED else self.value


_PDF_PROBLEMS = {
    "not-pdf": Outcome.NOT_PDF,
    "encrypted": Outcome.PDF_ENCRYPTED,
    "too-large": Outcome.PDF_TOO_LARGE,
    "unreadable": Outcome.PDF_UNREADABLE,
}


def pdf_problem(report_outcome: str) -> Outcome:
    """The outcome of a message set aside because one PDF could not be read (``PdfReport.outcome``)."""
    return _PDF_PROBLEMS.get(report_outcome, Outcome.PDF_UNREADABLE)


def must_forget(outcome: str) -> bool:
    """True when vanthu may keep only the fact of the message (sender, time, marking, hash).

    Takes a string so that a ledger row's stored outcome can be asked too.
    """
    return outcome == Outcome.SECRET
