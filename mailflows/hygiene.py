"""Recognising machine-generated mail (never answered) and checking that a sender is who they say.

Rules learned from Request Tracker and Zammad: a message is machine-generated when it has a null
Return-Path, comes from mailer-daemon/postmaster/no-reply, has ``Auto-Submitted`` other than ``no``,
``Precedence: bulk|junk|list``, ``X-Loop``/``X-Vanthu-Loop``, ``List-Id`` or ``List-Unsubscribe``, carries
one of our own Message-IDs, is a report (``multipart/report``: a bounce, a read receipt, an ARF spam
complaint), or looks like an out-of-office reply.

Being machine-generated means "never answer it, never let it change a document" — not "never register
it": the document systems of other bodies send signed documents from ``noreply@`` addresses, with
``Auto-Submitted`` or through distribution lists. :func:`classify` therefore says *how* a message is
machine-generated: a **report** (bounce, read receipt, complaint), a **daemon** sender, our own **loop**,
or merely an **automatic sender**. Only the last may still carry an incoming document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailflows.message import ParsedMessage
from models.text import fold

LOOP_HEADER = "x-vanthu-loop"

_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|bounces?)([+@-]|$)", re.IGNORECASE)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|khong-?tra-?loi)([+@._-]|$)", re.IGNORECASE)
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([a-z0-9-]{1,40})", re.IGNORECASE)
REPORT_NAMES = {
    "delivery-status": "bounce (delivery-status report)",
    "disposition-notification": "read receipt (disposition-notification)",
    "feedback-report": "spam complaint (ARF feedback-report)",
}

REPORT = "report"  # a bounce, a read receipt, a spam complaint: never a document
DAEMON = "daemon"  # mailer-daemon, postmaster: never a document
LOOP = "loop"  # our own mail coming back: never a document
AUTOMATIC = "automatic"  # an automatic sender (no-reply, Auto-Submitted, lists …): may carry a document


@dataclass(frozen=True)
class Machine:
    """Why a message is machine-generated, and of which kind (:data:`REPORT`, :data:`DAEMON`, :data:`LOOP`,
    :data:`AUTOMATIC`)."""

    kind: str
    reason: str

    @property
    def may_carry_document(self) -> bool:
        """True when a document it carries from outside is still registered (only the answer is withheld)."""
        return self.kind == AUTOMATIC


_OOO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?reply|auto:\s|out of (the )?office|abwesenheit|tra loi tu dong|vang mat|"
    r"dang nghi phep|autosvar|r[ée]ponse automatique)",
    re.IGNORECASE,
)


def report_type(msg: ParsedMessage) -> str | None:
    """The ``report-type`` of a ``multipart/report`` message (``delivery-status`` …), "" when it names none,
    None when the message is not a report."""
    content_type = msg.headers.get("content-type", "")[:500]
    if not content_type.strip().lower().startswith("multipart/report"):
        return None
    m = _REPORT_TYPE.search(content_type)
    return m.group(1).lower() if m else ""


def classify(msg: ParsedMessage, own_domain: str) -> Machine | None:
    """How ``msg`` is machine-generated, or None when a person wrote it.

    Reports, daemons and our own loops are checked first, so that a bounce from ``noreply@`` carrying our
    own PDF back is a report (never registered), not an automatic sender with a document.
    """
    h = msg.headers
    report = report_type(msg)
    if report is not None:
        return Machine(REPORT, REPORT_NAMES.get(report, f"report ({report or 'multipart/report'})"))
    if "x-failed-recipients" in h:
        return Machine(REPORT, "bounce (X-Failed-Recipients)")
    local = msg.sender.split("@", 1)[0]
    if _DAEMONS.match(local):
        return Machine(DAEMON, f"sender {msg.sender}")
    if LOOP_HEADER in h:
        return Machine(LOOP, f"{LOOP_HEADER} header")
    if own_domain and msg.message_id.lower().endswith(f"@{own_domain.lower()}>") and msg.message_id.startswith("<vt-"):
        return Machine(LOOP, "our own Message-ID")
    if msg.return_path == "":
        return Machine(AUTOMATIC, "null Return-Path")
    if _NOREPLY.match(local):
        return Machine(AUTOMATIC, f"sender {msg.sender}")
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return Machine(AUTOMATIC, f"Auto-Submitted: {auto[:60]}")
    if h.get("precedence", "").strip().lower() in ("bulk", "junk", "list"):
        return Machine(AUTOMATIC, f"Precedence: {h['precedence'].strip()}")
    for name in (
        "x-loop",
        "list-unsubscribe",
        "list-id",
        "x-autoreply",
        "x-autorespond",
        "x-ms-exchange-inbox-rules-loop",
    ):
        if name in h:
            return Machine(AUTOMATIC, f"{name} header")
    if _OOO_SUBJECT.match(fold(msg.subject)):
        return Machine(AUTOMATIC, "out-of-office subject")
    return None


def machine_generated(msg: ParsedMessage, own_domain: str) -> str | None:
    """The reason ``msg`` is machine-generated, or None when a person wrote it (see :func:`classify`)."""
    machine = classify(msg, own_domain)
    return machine.reason if machine is not None else None


def authenticated(msg: ParsedMessage, authserv_id: str) -> bool:
    """True if the receiving server (``authserv_id``) recorded DKIM or SPF pass for the message.

    Only Authentication-Results headers that start with our own server's id count: a sender can
    add such headers too, but not with the id our server writes (it removes look-alikes).
    """
    for value in msg.auth_results:
        server, _, results = value.partition(";")
        if server.strip().split()[0:1] != [authserv_id]:
            continue
        if re.search(r"\b(dkim|spf)\s*=\s*pass\b", results, re.IGNORECASE):
            return True
    return False
