"""Incoming documents: the số đến, duplicates, files and signature results, assignments, quarantine items.

Nghị định 30/2020 Điều 22: an incoming document gets the next number of the unit's incoming register —
one counter per year, shared by paper and electronic documents — on the day it arrives. A document
already registered (same file, or same number, symbol and issuer in the register year) is not
registered twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit
from models.authority import unit_chain
from models.clock import local_date
from models.documents import assign_tag
from models.numbering import next_number, register_year
from models.tables import (
    Assignment,
    Document,
    DocumentFile,
    Person,
    QuarantineItem,
    Register,
    SignatureCheck,
    Unit,
)
from models.text import fold


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


def find_duplicate(
    session: Session, register: Register, *, sha256s: list[str], orig_number: str, issuer: str, year: int
) -> Document | None:
    """An already registered document with one of these files, or the same number+symbol+issuer this year."""
    if sha256s:
        doc = session.execute(
            select(Document)
            .join(DocumentFile, DocumentFile.document_id == Document.id)
            .where(Document.register_id == register.id, DocumentFile.sha256.in_(sha256s))
            .order_by(Document.id)
            .limit(1)
        ).scalar_one_or_none()
        if doc is not None:
            return doc
    if orig_number:
        # Compared folded in Python: SQLite's lower() does not know Đ, and numbers are typed both ways.
        prefix = orig_number.split("/", 1)[0]
        candidates = session.execute(
            select(Document).where(
                Document.register_id == register.id,
                Document.register_year == year,
                Document.orig_number.like(f"{prefix}/%"),
            )
        ).scalars()
        number, wanted = fold(orig_number).replace(" ", ""), fold(issuer)
        for doc in candidates:
            same_number = fold(doc.orig_number).replace(" ", "") == number
            if same_number and (not wanted or not doc.issuer or fold(doc.issuer) == wanted):
                return doc
    return None


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
