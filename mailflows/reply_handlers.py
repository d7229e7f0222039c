"""One handler per reply command: a plain function of the command and the reply's :class:`Scope`.

A handler checks the sender's authority, carries the command out through the domain
(:mod:`models.assignments`, which audits every step), queues its notices and confirmations in the
outbox, and returns its :class:`~mailflows.outcomes.Outcome`. When the command cannot be carried out it
raises :class:`~mailflows.all_or_nothing.CommandFailed` with the reason for the sender (Vietnamese) and
the refusal's outcome, having changed nothing that the caller's savepoint would not roll back.
Handlers are run by :mod:`mailflows.reply_flow`, all or nothing; :data:`HANDLERS` maps each command
type to its handler.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from vanthu.mailflows.all_or_nothing import CommandFailed
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.dates import end_of_day, parse_date
from vanthu.mailflows.lookup import Target, resolve
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.receipts import send_status
from vanthu.mailflows.reply_commands import (
    Assign,
    Complete,
    DecideExtension,
    Forward,
    GiveBack,
    GiveOpinion,
    LinkCase,
    ReplyCommand,
    RequestExtension,
)
from vanthu.models import assignments as work
from vanthu.models.authority import holds, may_assign, may_close
from vanthu.models.clock import local_date
from vanthu.models.directory import nearest_clerks, nearest_leaders
from vanthu.models.edxml import ASSIGNED, DONE, IN_PROGRESS
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Assignment, Document, DocumentFile, Person, Unit


@dataclass
class Scope:
    """What every command of one reply works with: who wrote it, about which document, the state before it.

    ``can_lead``, ``is_holder`` and ``current`` are read once, before the first command, so every
    command of a reply is judged on the document as the sender saw it.
    """

    ctx: FlowContext
    msg: ParsedMessage
    person: Person
    doc: Document
    current: Assignment | None  # the open main assignment
    can_lead: bool
    is_holder: bool
    done_lines: list[str] = field(default_factory=list)  # what the commands carried out so far did

    @classmethod
    def of(cls, ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document) -> Scope:
        current = work.open_main(ctx.uow.session, doc)
        return cls(
            ctx=ctx,
            msg=msg,
            person=person,
            doc=doc,
            current=current,
            can_lead=may_assign(person, doc, current.unit_id if current else None),
            is_holder=current is not None and holds(person, current.unit_id, current.person_id),
        )

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now()

    @property
    def tz(self) -> ZoneInfo:
        return self.ctx.settings.tz

    @property
    def holder_id(self) -> int | None:
        return self.current.person_id if self.current else None

    @property
    def current_unit(self) -> int | None:
        return self.current.unit_id if self.current else None

    @property
    def may_close(self) -> bool:
        return may_close(self.person, self.doc, self.current_unit, self.holder_id)


# --- helpers shared by the handlers


def targets(ctx: FlowContext, text: str) -> tuple[list[Target], list[str]]:
    """The units or people named in ``text`` (separated by ``,`` ``;`` or ``và``), and a sentence for each
    name that names nobody or several."""
    found, problems = [], []
    for part in re.split(r"[,;]| và ", text):
        if not part.strip():
            continue
        target = resolve(ctx.uow.session, part)
        if target.found:
            found.append(target)
        elif target.choices:
            problems.append(f"«{part.strip()}» có thể là: " + "; ".join(target.choices) + ".")
        else:
            problems.append(f"Không tìm thấy đơn vị hoặc người «{part.strip()}» trong danh bạ.")
    return found, problems


def deadline(ctx: FlowContext, text: str) -> tuple[dt.datetime | None, str]:
    """The end of the day ``text`` names (local time), or None and why not; (None, "") for no text."""
    if not text:
        return None, ""
    day = parse_date(text, local_date(ctx.now(), ctx.settings.tz))
    if day is None:
        return None, f"Không hiểu ngày «{text}»: viết như 05/12, 5/12/2026 hoặc 05-12-2026."
    return end_of_day(day, ctx.settings.tz), ""


def _people(ctx: FlowContext, target: Target) -> list[Person]:
    if target.person is not None:
        return [target.person]
    return nearest_leaders(ctx.uow.session, target.unit) if target.unit is not None else []


def _files(ctx: FlowContext, doc: Document) -> list[dict[str, str]]:
    rows = ctx.uow.session.execute(select(DocumentFile).where(DocumentFile.document_id == doc.id)).scalars()
    return [{"filename": f.filename, "content_type": f.content_type, "sha256": f.sha256} for f in rows]


def _tell_assignee(s: Scope, a: Assignment, people: list[Person], role: str) -> None:
    for p in people:
        enqueue(
            s.ctx,
            kind=f"assign-{role}",
            to=p.email,
            template="assignment_notice",
            document=s.doc,
            auto_submitted="auto-generated",
            attachments=_files(s.ctx, s.doc),
            person=p,
            doc=s.doc,
            assignment=a,
            role=role,
            by=s.person,
        )


def confirm(s: Scope, person: Person, what: str, lines: list[str]) -> None:
    """Queue a ``reply_confirm`` to ``person`` about the scope's document, in reply to its message."""
    enqueue(
        s.ctx,
        kind="confirm",
        to=person.email,
        template="reply_confirm",
        reply_to=s.msg,
        document=s.doc,
        person=person,
        doc=s.doc,
        what=what,
        lines=lines,
    )


def _status_to_sender(s: Scope, code: str) -> None:
    doc = s.doc
    if doc.direction == "in" and doc.sender_email and s.ctx.settings.intake.notify_sender_status:
        unit = s.ctx.uow.session.get(Unit, doc.unit_id)
        assert unit is not None
        send_status(s.ctx, doc.sender_email, unit, doc, code)


def _person_by_email(s: Scope, email: str) -> Person | None:
    return s.ctx.uow.session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()


# --- the handlers


def link_case(cmd: LinkCase, s: Scope) -> Outcome:
    """Put the document in case file ``cmd.case_ref``: leaders, the holder, or whoever may close it."""
    if not (s.can_lead or s.is_holder or s.may_close):
        raise CommandFailed("Đồng chí không có quyền gắn văn bản này vào hồ sơ vụ án.", Outcome.CASE_REFUSED)
    work.link_case(s.ctx.uow.session, s.doc, by=s.person, case_ref=cmd.case_ref, at=s.now, tz=s.tz)
    s.done_lines.append(f"Gắn vào hồ sơ vụ án {cmd.case_ref}.")
    return Outcome.CASE_LINKED


def assign(cmd: Assign, s: Scope) -> Outcome:
    """Give the main assignment to exactly one unit or person, with copies to the ``Phối hợp`` ones.

    Refused unless the sender may assign; unclear (nothing changes) unless ``Giao`` names exactly one
    target and every copy and the deadline can be read. The assignees are told, the sender confirmed,
    and on the first assignment by a person the outside sender gets status 04.
    """
    ctx, session = s.ctx, s.ctx.uow.session
    if not s.can_lead:
        raise CommandFailed(
            "Chỉ lãnh đạo đơn vị (hoặc cấp trên) được giao xử lý văn bản này; đồng chí không có quyền giao.",
            Outcome.ASSIGN_REFUSED,
        )
    found, problems = targets(ctx, cmd.to)
    due, bad_date = deadline(ctx, cmd.deadline)
    copies, copy_problems = targets(ctx, cmd.copies) if cmd.copies else ([], [])
    problems += copy_problems + ([bad_date] if bad_date else [])
    if len(found) != 1 or problems:
        reason = " ".join(problems) or "«Giao:» cần đúng một đơn vị hoặc một người; người phối hợp ghi ở «Phối hợp:»."
        raise CommandFailed(reason, Outcome.ASSIGN_UNCLEAR)
    first_assignment = s.current is None or s.current.assigned_by == "vanthu"
    [target] = found
    a = work.assign(
        session,
        s.doc,
        by=s.person,
        unit=target.unit,
        person=target.person,
        deadline_at=due,
        opinion=cmd.opinion,
        at=s.now,
        tz=s.tz,
    )
    _tell_assignee(s, a, _people(ctx, target), "main")
    for c in copies:
        ca = work.add_copy(session, s.doc, by=s.person, unit=c.unit, person=c.person, at=s.now, tz=s.tz)
        _tell_assignee(s, ca, _people(ctx, c), "copy")
    when = f", hạn {ctx.templates.format_datetime(a.deadline_at)}" if a.deadline_at else ""
    s.done_lines.append(f"Giao {target.label} xử lý{when}.")
    if copies:
        s.done_lines.append("Phối hợp: " + "; ".join(c.label for c in copies) + ".")
    if first_assignment:
        _status_to_sender(s, ASSIGNED)
    confirm(s, s.person, "assigned", s.done_lines)
    return Outcome.ASSIGNED


def forward(cmd: Forward, s: Scope) -> Outcome:
    """Hand the open main assignment on to exactly one unit or person (leaders or the holder)."""
    ctx = s.ctx
    if not (s.can_lead or s.is_holder):
        raise CommandFailed(
            "Chỉ lãnh đạo hoặc người đang được giao xử lý văn bản mới được chuyển.", Outcome.FORWARD_REFUSED
        )
    found, problems = targets(ctx, cmd.to)
    if len(found) != 1 or problems:
        raise CommandFailed(
            " ".join(problems) or "«Chuyển:» cần đúng một đơn vị hoặc một người.", Outcome.FORWARD_UNCLEAR
        )
    [target] = found
    try:
        a = work.forward(
            ctx.uow.session,
            s.doc,
            by=s.person,
            unit=target.unit,
            person=target.person,
            opinion=cmd.opinion,
            at=s.now,
            tz=s.tz,
        )
    except work.AssignmentError as exc:
        raise CommandFailed(str(exc), Outcome.FORWARD_REJECTED) from exc
    _tell_assignee(s, a, _people(ctx, target), "main")
    _status_to_sender(s, IN_PROGRESS)
    confirm(s, s.person, "forwarded", [*s.done_lines, f"Chuyển {target.label} xử lý."])
    return Outcome.FORWARDED


def complete(cmd: Complete, s: Scope) -> Outcome:
    """Close the open main assignment; the assigner (or the unit's leaders) and the sender are told."""
    if not s.may_close:
        raise CommandFailed(
            "Chỉ người được giao, lãnh đạo của họ hoặc văn thư mới được báo hoàn thành.", Outcome.CLOSE_REFUSED
        )
    try:
        a = work.complete(s.ctx.uow.session, s.doc, by=s.person, answer_number=cmd.answer_number, at=s.now, tz=s.tz)
    except work.AssignmentError as exc:
        raise CommandFailed(str(exc), Outcome.CLOSE_REJECTED) from exc
    _status_to_sender(s, DONE)
    line = "Hoàn thành" + (f", văn bản trả lời số {a.answer_number}" if a.answer_number else "") + "."
    if a.deadline_at is not None:
        line += " Đúng hạn." if s.now <= a.deadline_at else " Trễ hạn."
    assigner = _person_by_email(s, a.assigned_by)
    for leader in [assigner] if assigner else nearest_leaders(s.ctx.uow.session, s.doc.unit):
        if leader.email != s.person.email:
            confirm(s, leader, "done", [f"{s.person.full_name}: {line}"])
    confirm(s, s.person, "done", [*s.done_lines, line])
    return Outcome.DONE


def request_extension(cmd: RequestExtension, s: Scope) -> Outcome:
    """Ask the unit's leaders for a later deadline (only the holder may)."""
    ctx = s.ctx
    if not s.is_holder:
        raise CommandFailed("Chỉ người đang được giao xử lý mới đề nghị gia hạn.", Outcome.EXTENSION_REFUSED_TO_ASK)
    new, bad = deadline(ctx, cmd.until)
    if new is None:
        raise CommandFailed(bad, Outcome.EXTENSION_UNCLEAR)
    try:
        ext = work.request_extension(
            ctx.uow.session, s.doc, by=s.person, new_deadline=new, reason=cmd.reason, at=s.now, tz=s.tz
        )
    except work.AssignmentError as exc:
        raise CommandFailed(str(exc), Outcome.EXTENSION_REJECTED) from exc
    for leader in nearest_leaders(ctx.uow.session, s.doc.unit):
        enqueue(
            ctx,
            kind="extension",
            to=leader.email,
            template="extension_request",
            document=s.doc,
            auto_submitted="auto-generated",
            person=leader,
            requester=s.person,
            doc=s.doc,
            ext=ext,
        )
    confirm(s, s.person, "extension", [f"Đã gửi đề nghị gia hạn đến {ctx.templates.format_datetime(new)}."])
    return Outcome.EXTENSION_REQUESTED


def decide_extension(cmd: DecideExtension, s: Scope) -> Outcome:
    """A leader approves or refuses the pending extension; the requester and the leader are told."""
    if not s.can_lead:
        raise CommandFailed("Chỉ lãnh đạo đơn vị mới quyết định gia hạn.", Outcome.DECIDE_REFUSED)
    try:
        ext = work.decide_extension(s.ctx.uow.session, s.doc, by=s.person, approve=cmd.approve, at=s.now, tz=s.tz)
    except work.AssignmentError as exc:
        raise CommandFailed(str(exc), Outcome.DECIDE_REJECTED) from exc
    verdict = "Đồng ý gia hạn đến " if cmd.approve else "Không đồng ý gia hạn đến "
    line = verdict + s.ctx.templates.format_datetime(ext.new_deadline) + "."
    requester = _person_by_email(s, ext.requested_by)
    if requester is not None:
        confirm(s, requester, "extension-decided", [f"{s.person.full_name}: {line}"])
    confirm(s, s.person, "extension-decided", [line])
    return Outcome.EXTENSION_APPROVED if cmd.approve else Outcome.EXTENSION_REFUSED


def give_back(cmd: GiveBack, s: Scope) -> Outcome:
    """The holder gives the document back; the unit's clerks and leaders are told why."""
    if not s.is_holder:
        raise CommandFailed("Chỉ người đang được giao xử lý mới trả lại văn bản.", Outcome.GIVE_BACK_REFUSED)
    session = s.ctx.uow.session
    try:
        work.give_back(session, s.doc, by=s.person, reason=cmd.reason, at=s.now, tz=s.tz)
    except work.AssignmentError as exc:
        raise CommandFailed(str(exc), Outcome.GIVE_BACK_REJECTED) from exc
    for p in nearest_clerks(session, s.doc.unit) + nearest_leaders(s.ctx.uow.session, s.doc.unit):
        confirm(s, p, "given-back", [f"{s.person.full_name} trả lại văn bản: {cmd.reason}"])
    return Outcome.GIVEN_BACK


def give_opinion(cmd: GiveOpinion, s: Scope) -> Outcome:
    """A leader's direction on the document, recorded and passed on to whoever holds it now."""
    if not s.can_lead:
        raise CommandFailed("Chỉ lãnh đạo cho ý kiến chỉ đạo về văn bản.", Outcome.OPINION_REFUSED)
    session = s.ctx.uow.session
    work.note_opinion(session, s.doc, by=s.person, opinion=cmd.text, at=s.now, tz=s.tz)
    if s.current is not None:
        holder = Target(
            unit=session.get(Unit, s.current.unit_id) if s.current.unit_id else None,
            person=session.get(Person, s.current.person_id) if s.current.person_id else None,
        )
        for p in _people(s.ctx, holder):
            confirm(s, p, "opinion", [f"Ý kiến của {s.person.full_name}: {cmd.text}"])
    return Outcome.OPINION


Handler = Callable[[Any, Scope], Outcome]

HANDLERS: dict[type[ReplyCommand], Handler] = {
    LinkCase: link_case,
    Assign: assign,
    Forward: forward,
    Complete: complete,
    RequestExtension: request_extension,
    DecideExtension: decide_extension,
    GiveBack: give_back,
    GiveOpinion: give_opinion,
}
"""The handler of each command type; every member of :data:`~mailflows.reply_commands.ReplyCommand` has one."""
