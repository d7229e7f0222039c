"""Documents in registers: reserving a number, cancelling it, inserting one between two others.

Each function works inside the caller's session and writes its audit entry there too, so the
number, the document and the log entry are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models import audit
from vanthu.models.authority import unit_chain
from vanthu.models.clock import local_date
from vanthu.models.doctypes import DocType
from vanthu.models.numbering import (
    NumberingError,
    ParsedNumber,
    check_insert_allowed,
    next_number,
    next_suffix,
    number_string,
    register_year,
)
from vanthu.models.tables import Document, Person, Register, Unit
from vanthu.models.text import fold


@dataclass(frozen=True)
class NumberRequest:
    """What an officer asks for: a number in ``register`` for a document of ``doc_type``."""

    register: Register
    unit: Unit
    doc_type: DocType
    summary: str
    requester: Person
    drafter: str = ""
    signer_name: str = ""
    case_ref: str = ""
    source_message_id: str = ""


def issuing_unit(unit: Unit) -> Unit:
    """The unit whose name and symbol a document carries: a department issues in its parent's name."""
    return unit.parent if unit.level == "department" and unit.parent is not None else unit


def candidate_registers(session: Session, unit: Unit, doc_type: DocType, *, secret: bool) -> list[Register]:
    """Outgoing registers that take ``doc_type``: the unit's own, else the nearest ancestor's.

    A secret document only goes to a secret register and an ordinary one never does.
    """
    for u in unit_chain(unit):
        regs = (
            session.execute(
                select(Register)
                .where(Register.unit_id == u.id, Register.direction == "out", Register.secret == secret)
                .order_by(Register.id)
            )
            .scalars()
            .all()
        )
        matching = [r for r in regs if doc_type.key in r.doc_types or "*" in r.doc_types]
        if matching:
            return matching
    return []


def refresh_search_text(doc: Document) -> None:
    """Keep the folded text that Tra cứu searches in line with the document's particulars."""
    parts = (doc.number_str, doc.orig_number, doc.issuer, doc.type_name, doc.summary, doc.case_ref, doc.sender_email)
    doc.search_text = fold(" ".join(p for p in parts if p))


def assign_tag(doc: Document, at: dt.datetime, tz: ZoneInfo) -> None:
    """Give the document its public tag ``VT-<year>-<id>``, which replies carry in their subject."""
    doc.tag = f"VT-{at.astimezone(tz).year}-{doc.id:06d}"
    refresh_search_text(doc)


def reserve(session: Session, req: NumberRequest, *, at: dt.datetime, tz: ZoneInfo) -> Document:
    """Give the next number of the register year to a new document (status ``reserved``)."""
    reg = req.register
    today = local_date(at, tz)
    year = register_year(today, reg.year_start_month, reg.year_start_day)
    n = next_number(session, reg.id, year)
    owner = session.get(Unit, reg.unit_id)
    assert owner is not None
    doc = Document(
        unit_id=reg.unit_id,
        register_id=reg.id,
        register_year=year,
        number=n,
        suffix="",
        number_str=number_string(reg, n, "", type_code=req.doc_type.code, symbol=owner.symbol, drafter=req.drafter),
        status="reserved",
        type_code=req.doc_type.key,
        type_name=req.doc_type.name,
        summary=req.summary,
        requester_id=req.requester.id,
        signer_name=req.signer_name,
        case_ref=req.case_ref,
        secret=reg.secret,
        doc_date=today,
        created_at=at,
        source_message_id=req.source_message_id,
    )
    session.add(doc)
    session.flush()
    assign_tag(doc, at, tz)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=req.requester.email,
        action="number.allocate",
        details={
            "register": reg.code,
            "unit": owner.code,
            "year": year,
            "number": doc.number_str,
            "type": doc.type_code,
            "summary": doc.summary,
        },
    )
    return doc


def find_by_number(session: Session, units: list[Unit], parsed: ParsedNumber) -> list[Document]:
    """Documents of these units whose number (and symbol, when given) matches, newest year first."""
    unit_ids = [u.id for u in units]
    rows = (
        session.execute(
            select(Document)
            .where(
                Document.unit_id.in_(unit_ids),
                Document.number == parsed.number,
                Document.suffix == parsed.suffix,
            )
            .order_by(Document.register_year.desc(), Document.id.desc())
        )
        .scalars()
        .all()
    )
    if parsed.symbol:
        want = fold(parsed.symbol).replace(" ", "")
        rows = [d for d in rows if fold(d.number_str.split("/", 1)[-1]).replace(" ", "") == want]
    if not rows:
        return []
    newest = rows[0].register_year
    return [d for d in rows if d.register_year == newest]


def mark_cancelled(doc: Document, *, by: Person, reason: str, at: dt.datetime) -> None:
    """Mark ``doc`` cancelled with who, when and why; it keeps its number and its place in the register."""
    doc.status = "cancelled"
    doc.cancelled_at = at
    doc.cancelled_by_id = by.id
    doc.cancel_reason = reason.strip()


def cancel(session: Session, doc: Document, *, by: Person, reason: str, at: dt.datetime, tz: ZoneInfo) -> None:
    """Cancel a reserved number (hủy số): it stays in the register, marked cancelled, with who/when/why."""
    if doc.status == "cancelled":
        raise NumberingError(f"Số {doc.number_str} đã bị hủy trước đó.")
    if doc.status != "reserved":
        raise NumberingError(f"Số {doc.number_str} đã phát hành, không thể hủy; hãy đề nghị thu hồi văn bản.")
    if not reason.strip():
        raise NumberingError("Cần ghi lý do hủy số (dòng «Lý do: …»).")
    mark_cancelled(doc, by=by, reason=reason, at=at)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="number.cancel",
        details={"number": doc.number_str, "reason": doc.cancel_reason},
    )


def insert_after(
    session: Session,
    after: Document,
    *,
    by: Person,
    doc_type: DocType,
    summary: str,
    reason: str,
    drafter: str,
    at: dt.datetime,
    tz: ZoneInfo,
    source_message_id: str = "",
) -> Document:
    """Give an inserted number (số chèn, ``15a``) right after ``after``, in the same register year."""
    if not reason.strip():
        raise NumberingError("Cần ghi lý do chèn số (dòng «Lý do: …»).")
    reg = after.register
    check_insert_allowed(session, reg.id, after.register_year, after.number)
    suffix = next_suffix(session, reg.id, after.register_year, after.number)
    owner = session.get(Unit, reg.unit_id)
    assert owner is not None
    doc = Document(
        unit_id=reg.unit_id,
        register_id=reg.id,
        register_year=after.register_year,
        number=after.number,
        suffix=suffix,
        number_str=number_string(
            reg, after.number, suffix, type_code=doc_type.code, symbol=owner.symbol, drafter=drafter
        ),
        status="reserved",
        type_code=doc_type.key,
        type_name=doc_type.name,
        summary=summary,
        requester_id=by.id,
        secret=reg.secret,
        doc_date=local_date(at, tz),
        created_at=at,
        insert_reason=reason.strip(),
        source_message_id=source_message_id,
    )
    session.add(doc)
    session.flush()
    assign_tag(doc, at, tz)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="number.insert",
        details={"number": doc.number_str, "after": after.number_str, "reason": doc.insert_reason},
    )
    return doc
