"""After registration: apply the routing rules, record the assignments, and tell the people concerned.

The first matching rules name the assignee (a unit — its leaders are told — or a person), copies and the
legal deadline; with no matching rule the unit's leaders decide. Hỏa tốc and Thượng khẩn documents, and
deadlines under 24 hours, go out marked urgent with the deadline in the subject.
"""

from __future__ import annotations

from typing import Any

from vanthu.mailflows.context import FlowContext
from vanthu.models.deadlines import URGENT_LEVELS, Deadline, due, is_urgent
from vanthu.models.directory import find_unit, nearest_clerks, nearest_leaders, person_by_email
from vanthu.models.incoming import IncomingFile, add_assignment
from vanthu.models.outbox import enqueue
from vanthu.models.routing import IncomingFacts, route
from vanthu.models.tables import Document, Person, Unit


def _target(ctx: FlowContext, name: str) -> tuple[Unit | None, Person | None]:
    if "@" in name:
        return None, person_by_email(ctx.uow.session, name)
    return find_unit(ctx.uow.session, name), None


def _attachments(files: list[IncomingFile]) -> list[dict[str, str]]:
    return [{"filename": f.filename, "content_type": f.content_type, "sha256": f.sha256} for f in files]


def assign_and_notify(ctx: FlowContext, unit: Unit, doc: Document, files: list[IncomingFile], *, sender: str) -> None:
    session = ctx.uow.session
    now = ctx.now()
    tz = ctx.settings.tz
    facts = IncomingFacts(
        sender=sender,
        sender_domain=sender.rsplit("@", 1)[-1].lower() if "@" in sender else "",
        issuer=doc.issuer,
        doc_type=doc.type_name,
        summary=doc.summary,
        urgency=doc.urgency,
        case_ref=doc.case_ref,
    )
    decision = route(
        ctx.settings.rules, facts, received_at=doc.received_at or now, calendar=ctx.settings.calendar, tz=tz
    )
    deadline: Deadline | None = None
    if decision.deadline is not None:
        deadline = due(decision.deadline, doc.received_at or now, ctx.settings.calendar, tz)
    urgent = doc.urgency in URGENT_LEVELS or (deadline is not None and is_urgent(deadline, now))
    rule_names = ", ".join(decision.matched)
    common: dict[str, Any] = {
        "doc": doc,
        "deadline": deadline,
        "urgent": urgent,
        "rule_names": rule_names,
        "warnings": list(doc.warnings),
        "flags": list(decision.flags),
    }
    attachments = _attachments(files)
    told: set[str] = set()

    def tell(person: Person, role: str) -> None:
        if person.email in told:
            return
        told.add(person.email)
        enqueue(
            ctx,
            kind=f"incoming-{role}",
            to=person.email,
            template="incoming_assigned",
            document=doc,
            auto_submitted="auto-generated",
            priority="urgent" if urgent else "normal",
            attachments=attachments,
            person=person,
            role=role,
            **common,
        )

    assignee_unit, assignee_person = (None, None)
    if decision.assignee:
        assignee_unit, assignee_person = _target(ctx, decision.assignee)
    if assignee_unit is not None or assignee_person is not None:
        add_assignment(
            session,
            doc,
            role="main",
            unit=assignee_unit,
            person=assignee_person,
            deadline_at=deadline.due_at if deadline else None,
            deadline_label=deadline.rule.label if deadline else "",
            legal_basis=deadline.rule.legal_basis if deadline else "",
            rule_name=rule_names,
            actor="vanthu",
            at=now,
            tz=tz,
        )
        for person in [assignee_person] if assignee_person else nearest_leaders(ctx.uow.session, assignee_unit):  # type: ignore[arg-type]
            tell(person, "main")
    for copy in decision.copies:
        c_unit, c_person = _target(ctx, copy)
        if c_unit is None and c_person is None:
            continue
        add_assignment(
            session, doc, role="copy", unit=c_unit, person=c_person, rule_name=rule_names, actor="vanthu", at=now, tz=tz
        )
        for person in [c_person] if c_person else nearest_leaders(ctx.uow.session, c_unit):  # type: ignore[arg-type]
            tell(person, "copy")
    add_assignment(
        session,
        doc,
        role="decide",
        unit=unit,
        deadline_at=deadline.due_at if deadline else None,
        deadline_label=deadline.rule.label if deadline else "",
        legal_basis=deadline.rule.legal_basis if deadline else "",
        rule_name=rule_names or "mặc định: lãnh đạo đơn vị phân công",
        actor="vanthu",
        at=now,
        tz=tz,
    )
    for person in nearest_leaders(ctx.uow.session, unit):
        tell(person, "decide")
    for clerk in nearest_clerks(session, unit):
        enqueue(
            ctx,
            kind="incoming-clerk",
            to=clerk.email,
            template="incoming_clerk_copy",
            document=doc,
            auto_submitted="auto-generated",
            priority="urgent" if urgent else "normal",
            attachments=attachments,
            assignee=(assignee_person.full_name if assignee_person else assignee_unit.name if assignee_unit else ""),
            **common,
        )
