"""Handling an incoming document after registration: assign, forward, complete, extend, return.

Each operation checks nothing about authority (see ``models.authority``) but records everything: the
assignment rows keep who, when, by whom, with what opinion and deadline, and every step is an audit
entry, so the history of who did what and when is fixed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models import audit
from vanthu.models.documents import refresh_search_text
from vanthu.models.incoming import add_assignment, withdraw_pending_extensions
from vanthu.models.tables import Assignment, Document, ExtensionRequest, Person, Unit

OPEN = "open"


class AssignmentError(Exception):
    """The step cannot be taken in the document's present state; ``str(exc)`` is the reason, in Vietnamese."""


def open_main(session: Session, doc: Document) -> Assignment | None:
    """The document's open main assignment (the latest, if several)."""
    return session.execute(
        select(Assignment)
        .where(Assignment.document_id == doc.id, Assignment.role == "main", Assignment.status == OPEN)
        .order_by(Assignment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _require_open_main(session: Session, doc: Document, refusal: str) -> Assignment:
    """The open main assignment, or AssignmentError(``refusal``) when there is none."""
    current = open_main(session, doc)
    if current is None:
        raise AssignmentError(refusal)
    return current


def _close_decisions(session: Session, doc: Document, now: dt.datetime, by: str) -> None:
    for a in session.execute(
        select(Assignment).where(
            Assignment.document_id == doc.id, Assignment.role == "decide", Assignment.status == OPEN
        )
    ).scalars():
        a.status, a.done_at, a.done_by = "done", now, by


def assign(
    session: Session,
    doc: Document,
    *,
    by: Person,
    unit: Unit | None,
    person: Person | None,
    deadline_at: dt.datetime | None,
    opinion: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> Assignment:
    """Give the document to a unit or person (Giao); an earlier open main assignment is superseded.

    Without a new deadline the earlier one (for example a legal deadline set by a rule) stays.
    """
    previous = open_main(session, doc)
    if previous is not None:
        previous.status = "superseded"
        deadline_at = deadline_at or previous.deadline_at
    a = add_assignment(
        session,
        doc,
        role="main",
        unit=unit,
        person=person,
        deadline_at=deadline_at,
        deadline_label=previous.deadline_label if previous else "",
        legal_basis=previous.legal_basis if previous else "",
        actor=by.email,
        at=at,
        tz=tz,
    )
    a.opinion = opinion
    a.parent_id = previous.id if previous else None
    _close_decisions(session, doc, at, by.email)
    doc.status = "assigned"
    return a


def add_copy(
    session: Session,
    doc: Document,
    *,
    by: Person,
    unit: Unit | None,
    person: Person | None,
    at: dt.datetime,
    tz: ZoneInfo,
) -> Assignment:
    """Phối hợp: a unit or person that works with the assignee and sees the document."""
    return add_assignment(session, doc, role="copy", unit=unit, person=person, actor=by.email, at=at, tz=tz)


def forward(
    session: Session,
    doc: Document,
    *,
    by: Person,
    unit: Unit | None,
    person: Person | None,
    opinion: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> Assignment:
    """Chuyển: the open main assignment passes to another unit or person, keeping its deadline."""
    current = _require_open_main(
        session, doc, "Văn bản chưa được giao cho ai nên chưa thể chuyển; lãnh đạo giao trước («Giao: …»)."
    )
    current.status = "forwarded"
    current.done_at, current.done_by = at, by.email
    a = add_assignment(
        session,
        doc,
        role="main",
        unit=unit,
        person=person,
        deadline_at=current.deadline_at,
        deadline_label=current.deadline_label,
        legal_basis=current.legal_basis,
        actor=by.email,
        at=at,
        tz=tz,
    )
    a.opinion, a.parent_id = opinion, current.id
    doc.status = "assigned"
    return a


def complete(
    session: Session, doc: Document, *, by: Person, answer_number: str, at: dt.datetime, tz: ZoneInfo
) -> Assignment:
    """Xong / Hoàn thành: the open main assignment and the document are done."""
    current = _require_open_main(session, doc, "Văn bản không có nhiệm vụ đang mở để hoàn thành.")
    current.status, current.done_at, current.done_by, current.answer_number = "done", at, by.email, answer_number
    doc.status, doc.done_at = "done", at
    withdraw_pending_extensions(session, [current], by=by, at=at)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="assignment.done",
        details={
            "assignment": current.id,
            "answer_number": answer_number,
            "deadline": current.deadline_at.isoformat() if current.deadline_at else None,
            "on_time": current.deadline_at is None or at <= current.deadline_at,
        },
    )
    return current


def _pending_extensions(session: Session, a: Assignment) -> list[ExtensionRequest]:
    return list(
        session.execute(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id == a.id, ExtensionRequest.state == "pending")
            .order_by(ExtensionRequest.id)
        ).scalars()
    )


def request_extension(
    session: Session,
    doc: Document,
    *,
    by: Person,
    new_deadline: dt.datetime,
    reason: str,
    at: dt.datetime,
    tz: ZoneInfo,
) -> ExtensionRequest:
    """Gia hạn: ask for a later deadline; a leader decides."""
    current = _require_open_main(session, doc, "Văn bản không có nhiệm vụ đang mở để gia hạn.")
    if not reason.strip():
        raise AssignmentError("Cần ghi lý do gia hạn (dòng «Lý do: …»).")
    if current.deadline_at is not None and new_deadline <= current.deadline_at:
        raise AssignmentError("Hạn đề nghị phải sau hạn hiện tại.")
    ext = ExtensionRequest(
        assignment_id=current.id,
        requested_by=by.email,
        requested_at=at,
        old_deadline=current.deadline_at,
        new_deadline=new_deadline,
        reason=reason.strip(),
        state="pending",
    )
    session.add(ext)
    session.flush()
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="extension.request",
        details={"request": ext.id, "new_deadline": new_deadline.isoformat(), "reason": ext.reason},
    )
    return ext


def decide_extension(
    session: Session, doc: Document, *, by: Person, approve: bool, at: dt.datetime, tz: ZoneInfo
) -> ExtensionRequest:
    """Đồng ý / Không đồng ý on the latest pending extension request; approval moves the deadline."""
    current = open_main(session, doc)
    pending = _pending_extensions(session, current) if current is not None else []
    if current is None or not pending:
        raise AssignmentError("Không có đề nghị gia hạn nào đang chờ quyết định.")
    ext = pending[-1]
    ext.state, ext.decided_by, ext.decided_at = ("approved" if approve else "refused"), by.email, at
    if approve:
        current.deadline_at = ext.new_deadline
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="extension.approve" if approve else "extension.refuse",
        details={"request": ext.id, "deadline": current.deadline_at.isoformat() if current.deadline_at else None},
    )
    return ext


def give_back(session: Session, doc: Document, *, by: Person, reason: str, at: dt.datetime, tz: ZoneInfo) -> None:
    """Trả lại: the assignee hands the document back to the clerk and leaders, with the reason."""
    current = _require_open_main(session, doc, "Văn bản không có nhiệm vụ đang mở để trả lại.")
    if not reason.strip():
        raise AssignmentError("Cần ghi lý do trả lại: «Trả lại: <lý do>».")
    current.status, current.done_at, current.done_by = "returned", at, by.email
    doc.status = "registered"
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="assignment.returned",
        details={"assignment": current.id, "reason": reason.strip()},
    )


def note_opinion(session: Session, doc: Document, *, by: Person, opinion: str, at: dt.datetime, tz: ZoneInfo) -> None:
    """Ý kiến alone: the leader's direction on the open assignment."""
    current = open_main(session, doc)
    if current is not None:
        current.opinion = (current.opinion + "\n" if current.opinion else "") + opinion
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="assignment.opinion",
        details={"opinion": opinion},
    )


def link_case(session: Session, doc: Document, *, by: Person, case_ref: str, at: dt.datetime, tz: ZoneInfo) -> None:
    """Vụ án: tie the document to a case file."""
    doc.case_ref = case_ref
    refresh_search_text(doc)
    audit.document_event(
        session,
        doc,
        at=at,
        tz=tz,
        actor=by.email,
        action="document.case",
        details={"case": case_ref},
    )
