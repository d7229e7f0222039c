"""Incoming documents: the số đến, duplicates, files and signature results, assignments, quarantine items.

Nghị định 30/2020 Điều 22: an incoming document gets the next number of the unit's incoming register —
one counter per year, shared by paper and electronic documents — on the day it arrives. A document
already registered (the same file, or the same number, symbol, date and issuer read with confidence in
the register year) is not registered twice. A registered document can be cancelled (hủy số đến): it
stays in the register, marked, and leaves all open work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models import audit
from vanthu.models.authority import unit_chain
from vanthu.models.clock import local_date
from vanthu.models.documents import assign_tag, mark_cancelled
from vanthu.models.numbering import next_number, register_year
from vanthu.models.tables import (
    Assignment,
    Document,
    DocumentFile,
    ExtensionRequest,
    Person,
    QuarantineItem,
    Register,
    SignatureCheck,
    Unit,
)
from vanthu.models.text import fold


@dataclass(frozen=True)
class SignatureRecord:
    """What the intake flow learned about one signature (mirrors the PDF service's report)."""

    field_name: str
    signer_name: str
    signer_org: str
    signing_time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    expired: bool
    coverage: str
    modification_level: str
    sub_filter: str
    problem: str
    summary: str


@dataclass(frozen=True)
class IncomingFile:
    sha256: str
    filename: str
    content_type: str
    size: int
    signatures: tuple[SignatureRecord, ...] = ()


@dataclass(frozen=True)
class IncomingParticulars:
    """Everything the register records about an incoming document."""

    issuer: str
    orig_number: str
    orig_date: dt.date | None
    type_key: str
    type_name: str
    summary: str
    urgency: str
    case_ref: str
    sender_email: str
    paper: bool
    field_sources: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    source_message_id: str = ""


def incoming_register(session: Session, unit: Unit) -> Register | None:
    """The incoming register of ``unit``, else of the nearest unit above it."""
    for u in unit_chain(unit):
        reg = session.execute(
            select(Register)
            .where(Register.unit_id == u.id, Register.direction == "in", Register.secret.is_(False))
            .order_by(Register.id)
        ).scalar_one_or_none()
        if reg is not None:
            return reg
    return None


@dataclass(frozen=True)
class DuplicateMatch:
    """An already registered document the new one may repeat.

    ``certain``: the same file, or the same number and symbol, date and issuer, each read from the header
    block of both documents' PDFs. Otherwise the match is doubtful (the numbers agree but a field was not
    read from a header, or is missing): the new document is registered and the clerk is told.
    """

    document: Document
    certain: bool


# The field sources that count as "read from the document's header block with confidence".
CONFIDENT_SOURCES = ("pdf", "clerk")


def _confident(sources: dict[str, Any], *names: str) -> bool:
    return all(sources.get(n) in CONFIDENT_SOURCES for n in names)


def find_duplicate(
    session: Session,
    register: Register,
    *,
    sha256s: list[str],
    orig_number: str,
    issuer: str,
    year: int,
    orig_date: dt.date | None = None,
    sources: dict[str, str] | None = None,
) -> DuplicateMatch | None:
    """An already registered, not cancelled document this one repeats, or may repeat (see DuplicateMatch).

    Two documents with the same number but a different issuer or date (each known on both sides) are
    distinct: numbers are only unique per issuer and year. ``sources`` are the new document's field
    sources; without them nothing but the same file is certain.
    """
    live = Document.status != "cancelled"
    if sha256s:
        doc = session.execute(
            select(Document)
            .join(DocumentFile, DocumentFile.document_id == Document.id)
            .where(Document.register_id == register.id, live, DocumentFile.sha256.in_(sha256s))
            .order_by(Document.id)
            .limit(1)
        ).scalar_one_or_none()
        if doc is not None:
            return DuplicateMatch(doc, certain=True)
    if not orig_number:
        return None
    # Compared folded in Python: SQLite's lower() does not know Đ, and numbers are typed both ways.
    prefix = orig_number.split("/", 1)[0]
    candidates = session.execute(
        select(Document)
        .where(
            Document.register_id == register.id,
            Document.register_year == year,
            live,
            Document.orig_number.like(f"{prefix}/%"),
        )
        .order_by(Document.id)
    ).scalars()
    number = fold(orig_number).replace(" ", "")
    doubtful: Document | None = None
    for doc in candidates:
        if fold(doc.orig_number).replace(" ", "") != number:
            continue
        verdict = _repeats(doc, issuer=fold(issuer), orig_date=orig_date, mine=sources or {})
        if verdict is True:
            return DuplicateMatch(doc, certain=True)
        if verdict is False:
            doubtful = doubtful or doc
    return DuplicateMatch(doubtful, certain=False) if doubtful is not None else None


def _repeats(doc: Document, *, issuer: str, orig_date: dt.date | None, mine: dict[str, str]) -> bool | None:
    """Whether a new document with ``doc``'s number repeats it: True certainly, False maybe, None not at all.

    A difference counts only between fields both read with confidence: an issuer guessed from the
    sender's address, or a date from a mail header, may be wrong. ``issuer`` is folded.
    """
    theirs = doc.field_sources or {}
    other = fold(doc.issuer)
    issuer_known = bool(issuer and other) and _confident(mine, "issuer") and _confident(theirs, "issuer")
    date_known = orig_date is not None and doc.orig_date is not None
    date_known = date_known and _confident(mine, "date") and _confident(theirs, "date")
    if (issuer_known and other != issuer) or (date_known and orig_date != doc.orig_date):
        return None
    return issuer_known and date_known and _confident(mine, "number") and _confident(theirs, "number")


def register_incoming(
    session: Session,
    *,
    register: Register,
    particulars: IncomingParticulars,
    files: list[IncomingFile],
    actor: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> Document:
    """Give the next số đến and record the document, its files and signature results, and an audit entry."""
    today = local_date(at, tz)
    year = register_year(today, register.year_start_month, register.year_start_day)
    n = next_number(session, register.id, year)
    p = particulars
    doc = Document(
        unit_id=register.unit_id,
        register_id=register.id,
        register_year=year,
        number=n,
        suffix="",
        number_str=f"{n:02d}",
        status="registered",
        direction="in",
        type_code=p.type_key,
        type_name=p.type_name,
        summary=p.summary,
        case_ref=p.case_ref,
        secret=False,
        doc_date=today,
        created_at=at,
        received_at=at,
        paper=p.paper,
        issuer=p.issuer,
        orig_number=p.orig_number,
        orig_date=p.orig_date,
        urgency=p.urgency,
        sender_email=p.sender_email,
        field_sources=dict(p.field_sources),
        warnings=list(p.warnings),
        source_message_id=p.source_message_id,
    )
    session.add(doc)
    session.flush()
    assign_tag(doc, at, tz)
    for f in files:
        row = DocumentFile(
            document_id=doc.id, sha256=f.sha256, filename=f.filename, content_type=f.content_type, size=f.size
        )
        session.add(row)
        session.flush()
        for s in f.signatures:
            session.add(SignatureCheck(file_id=row.id, **s.__dict__))
    details: dict[str, Any] = {
        "register": register.code,
        "year": year,
        "arrival_number": doc.number_str,
        "issuer": p.issuer,
        "number": p.orig_number,
        "paper": p.paper,
        "sender": p.sender_email,
        "files": [f.sha256 for f in files],
        "warnings": list(p.warnings),
    }
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=actor,
        action="incoming.register",
        details=details,
    )
    return doc


def find_arrival(session: Session, register: Register, year: int, number: int, suffix: str = "") -> Document | None:
    """The incoming document with số đến ``number`` (``suffix``) of ``register`` in register year ``year``."""
    return session.execute(
        select(Document).where(
            Document.register_id == register.id,
            Document.register_year == year,
            Document.number == number,
            Document.suffix == suffix,
        )
    ).scalar_one_or_none()


class IncomingError(Exception):
    """The step cannot be taken on this incoming document; ``str(exc)`` is the reason, in Vietnamese."""


def cancel_incoming(
    session: Session, doc: Document, *, by: Person, reason: str, at: dt.datetime, tz: ZoneInfo
) -> list[Assignment]:
    """Cancel a registered incoming document (hủy số đến); return the assignments it closed.

    The entry stays in the register, marked cancelled with who, when and why; its số đến is never given
    again. Every open assignment (main, copy, decide) is closed with status ``cancelled`` and pending
    extension requests are withdrawn, so the document leaves every report of open work. Audited.
    """
    if doc.direction != "in":
        raise IncomingError(f"{doc.number_str} không phải văn bản đến; số văn bản đi hủy bằng «Hủy số».")
    if doc.status == "cancelled":
        raise IncomingError(f"Văn bản đến số {doc.number_str} đã được hủy trước đó.")
    if not reason.strip():
        raise IncomingError("Cần ghi lý do hủy (dòng «Lý do: …»).")
    closed = list(
        session.execute(
            select(Assignment)
            .where(Assignment.document_id == doc.id, Assignment.status == "open")
            .order_by(Assignment.id)
        ).scalars()
    )
    for a in closed:
        a.status, a.done_at, a.done_by = "cancelled", at, by.email
    withdraw_pending_extensions(session, closed, by=by, at=at)
    previous = doc.status
    mark_cancelled(doc, by=by, reason=reason, at=at)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="incoming.cancel",
        details={
            "arrival_number": doc.number_str,
            "year": doc.register_year,
            "previous_status": previous,
            "reason": doc.cancel_reason,
            "assignments_closed": [a.id for a in closed],
        },
    )
    return closed


def add_assignment(
    session: Session,
    doc: Document,
    *,
    role: str,
    unit: Unit | None = None,
    person: Person | None = None,
    deadline_at: dt.datetime | None = None,
    deadline_label: str = "",
    legal_basis: str = "",
    rule_name: str = "",
    actor: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> Assignment:
    """Record who handles (``main``), sees (``copy``) or decides on (``decide``) a document; audited."""
    a = Assignment(
        document_id=doc.id,
        unit_id=unit.id if unit else None,
        person_id=person.id if person else None,
        role=role,
        status="open",
        deadline_at=deadline_at,
        deadline_label=deadline_label,
        legal_basis=legal_basis,
        rule_name=rule_name,
        assigned_at=at,
        assigned_by=actor,
    )
    session.add(a)
    session.flush()
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=actor,
        action=f"assignment.{role}",
        details={
            "unit": unit.code if unit else None,
            "person": person.email if person else None,
            "deadline": deadline_at.isoformat() if deadline_at else None,
            "legal_basis": legal_basis,
            "rule": rule_name,
        },
    )
    return a


def new_quarantine_item(
    session: Session,
    *,
    mailbox: str,
    unit: Unit,
    ledger_id: int | None,
    sha256: str,
    sender: str,
    subject: str,
    message_id: str,
    reason_code: str,
    reason: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> QuarantineItem:
    """Set a message aside for the clerk, with a tag (``VTQ-2026-000001``) the clerk's reply carries."""
    item = QuarantineItem(
        mailbox=mailbox,
        unit_id=unit.id,
        ledger_id=ledger_id,
        sha256=sha256,
        sender=sender,
        subject=subject,
        message_id=message_id,
        reason_code=reason_code,
        reason=reason,
        state="pending",
        created_at=at,
    )
    session.add(item)
    session.flush()
    item.tag = f"VTQ-{at.astimezone(tz).year}-{item.id:06d}"
    audit.append(
        session,
        at=at,
        tz=tz,
        actor="vanthu",
        action="mail.quarantined",
        object_type="quarantine",
        object_id=item.tag,
        details={"mailbox": mailbox, "sender": sender, "reason": reason_code, "sha256": sha256},
    )
    return item


def withdraw_pending_extensions(
    session: Session, assignments: list[Assignment], *, by: Person, at: dt.datetime
) -> list[ExtensionRequest]:
    """Withdraw the pending extension requests of ``assignments`` (closed ones); return them, oldest first."""
    if not assignments:
        return []
    pending = list(
        session.execute(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id.in_([a.id for a in assignments]), ExtensionRequest.state == "pending")
            .order_by(ExtensionRequest.id)
        ).scalars()
    )
    for ext in pending:
        ext.state, ext.decided_at, ext.decided_by = "withdrawn", at, by.email
    return pending
