"""Handling a document by replying to vanthu's mail: Giao, Phối hợp, Hạn, Ý kiến, Chuyển, Xong, Gia hạn,
Đồng ý / Không đồng ý, Trả lại, Vụ án.

Commands are read from the lines above the quoted message (``Key: value`` lines, keys without
diacritics; ``Xong``, ``Hoàn thành``, ``Đồng ý``, ``Không đồng ý`` as a line of their own). Every refusal
says why; every step is audited by the domain, and the processed message by the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from mailflows.commands import fields
from mailflows.context import FlowContext
from mailflows.dates import end_of_day, parse_date
from mailflows.lookup import Target, resolve
from mailflows.message import ParsedMessage
from mailflows.people import clerks_of
from mailflows.receipts import send_status
from mailflows.replies import enqueue, reply_problem
from mailflows.routing_step import leaders_of
from models import assignments as work
from models.authority import holds, may_assign, may_close
from models.clock import local_date
from models.edxml import ASSIGNED, DONE, IN_PROGRESS
from models.tables import Assignment, Document, Person, Unit
from models.text import fold

_WORDS = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class ReplyCommand:
    values: dict[str, str]
    verbs: frozenset[str]  # folded lines standing alone: "xong", "hoan thanh", "dong y", "khong dong y"

    def get(self, *keys: str) -> str:
        for k in keys:
            v = self.values.get(k, "").strip()
            if v:
                return v
        return ""


def read_command(text: str) -> ReplyCommand:
    verbs = set()
    for line in text.splitlines():
        f = _WORDS.sub(" ", fold(line)).strip()
        if f in ("xong", "hoan thanh", "da xong", "dong y", "khong dong y", "tu choi"):
            verbs.add("khong dong y" if f == "tu choi" else ("xong" if f in ("hoan thanh", "da xong") else f))
    return ReplyCommand(fields(text), frozenset(verbs))


def _targets(ctx: FlowContext, text: str) -> tuple[list[Target], list[str]]:
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


def _people(ctx: FlowContext, target: Target) -> list[Person]:
    if target.person is not None:
        return [target.person]
    return leaders_of(ctx, target.unit) if target.unit is not None else []


def _files(ctx: FlowContext, doc: Document) -> list[dict[str, str]]:
    from models.tables import DocumentFile

    rows = ctx.uow.session.execute(select(DocumentFile).where(DocumentFile.document_id == doc.id)).scalars()
    return [{"filename": f.filename, "content_type": f.content_type, "sha256": f.sha256} for f in rows]


def _tell_assignee(ctx: FlowContext, doc: Document, a: Assignment, people: list[Person], role: str, by: Person) -> None:
    for p in people:
        enqueue(
            ctx,
            kind=f"assign-{role}",
            to=p.email,
            template="assignment_notice",
            document=doc,
            auto_submitted="auto-generated",
            attachments=_files(ctx, doc),
            person=p,
            doc=doc,
            assignment=a,
            role=role,
            by=by,
        )


def _confirm(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document, what: str, lines: list[str]) -> None:
    enqueue(
        ctx,
        kind="confirm",
        to=person.email,
        template="reply_confirm",
        reply_to=msg,
        document=doc,
        person=person,
        doc=doc,
        what=what,
        lines=lines,
    )


def _status_to_sender(ctx: FlowContext, doc: Document, code: str) -> None:
    if doc.direction == "in" and doc.sender_email and ctx.settings.intake.notify_sender_status:
        unit = ctx.uow.session.get(Unit, doc.unit_id)
        assert unit is not None
        send_status(ctx, doc.sender_email, unit, doc, code)


def _deadline(ctx: FlowContext, text: str) -> tuple[dt.datetime | None, str]:
    if not text:
        return None, ""
    day = parse_date(text, local_date(ctx.now(), ctx.settings.tz))
    if day is None:
        return None, f"Không hiểu ngày «{text}»: viết như 05/12, 5/12/2026 hoặc 05-12-2026."
    return end_of_day(day, ctx.settings.tz), ""


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document) -> str:
    """Carry out the commands of a reply about ``doc``; returns the outcome name."""
    cmd = read_command(msg.command_text)
    session = ctx.uow.session
    now, tz = ctx.now(), ctx.settings.tz
    name = person.full_name

    def refuse(reason: str, outcome: str) -> str:
        reply_problem(ctx, msg, person_name=name, reason=reason, document=doc)
        return outcome

    if doc.direction != "in":
        if cmd.values or cmd.verbs:
            return refuse(
                "Chỉ văn bản đến mới được giao, chuyển, gia hạn hay hoàn thành qua thư.", "reply.not-incoming"
            )
        return refuse("Thư trả lời không có lệnh nào. Gửi «Trợ giúp» để xem các lệnh.", "reply.no-command")
    current = work.open_main(session, doc)
    current_unit = current.unit_id if current else None
    can_lead = may_assign(person, doc, current_unit)
    is_holder = current is not None and holds(person, current.unit_id, current.person_id)
    done_lines: list[str] = []

    case = cmd.get("vu an", "vu viec")
    if case:
        if not (can_lead or is_holder or may_close(person, doc, current_unit, current.person_id if current else None)):
            return refuse("Đồng chí không có quyền gắn văn bản này vào hồ sơ vụ án.", "reply.refused.case")
        work.link_case(session, doc, by=person, case_ref=case, at=now, tz=tz)
        done_lines.append(f"Gắn vào hồ sơ vụ án {case}.")

    give = cmd.get("giao")
    if give:
        if not can_lead:
            return refuse(
                "Chỉ lãnh đạo đơn vị (hoặc cấp trên) được giao xử lý văn bản này; đồng chí không có quyền giao.",
                "reply.refused.not-leader",
            )
        targets, problems = _targets(ctx, give)
        deadline, bad_date = _deadline(ctx, cmd.get("han", "thoi han"))
        copies, copy_problems = _targets(ctx, cmd.get("phoi hop")) if cmd.get("phoi hop") else ([], [])
        problems += copy_problems + ([bad_date] if bad_date else [])
        if len(targets) != 1 or problems:
            reason = (
                " ".join(problems) or "«Giao:» cần đúng một đơn vị hoặc một người; người phối hợp ghi ở «Phối hợp:»."
            )
            return refuse(reason, "reply.assign-unclear")
        first_assignment = current is None or current.assigned_by == "vanthu"
        target = targets[0]
        a = work.assign(
            session,
            doc,
            by=person,
            unit=target.unit,
            person=target.person,
            deadline_at=deadline,
            opinion=cmd.get("y kien"),
            at=now,
            tz=tz,
        )
        _tell_assignee(ctx, doc, a, _people(ctx, target), "main", person)
        for c in copies:
            ca = work.add_copy(session, doc, by=person, unit=c.unit, person=c.person, at=now, tz=tz)
            _tell_assignee(ctx, doc, ca, _people(ctx, c), "copy", person)
        done_lines.append(
            f"Giao {target.label} xử lý"
            + (f", hạn {ctx.templates.format_datetime(a.deadline_at)}" if a.deadline_at else "")
            + "."
        )
        if copies:
            done_lines.append("Phối hợp: " + "; ".join(c.label for c in copies) + ".")
        if first_assignment:
            _status_to_sender(ctx, doc, ASSIGNED)
        _confirm(ctx, msg, person, doc, "assigned", done_lines)
        return "reply.assigned"

    forward_to = cmd.get("chuyen", "chuyen tiep")
    if forward_to:
        if not (can_lead or is_holder):
            return refuse(
                "Chỉ lãnh đạo hoặc người đang được giao xử lý văn bản mới được chuyển.", "reply.refused.forward"
            )
        targets, problems = _targets(ctx, forward_to)
        if len(targets) != 1 or problems:
            return refuse(
                " ".join(problems) or "«Chuyển:» cần đúng một đơn vị hoặc một người.", "reply.forward-unclear"
            )
        try:
            a = work.forward(
                session,
                doc,
                by=person,
                unit=targets[0].unit,
                person=targets[0].person,
                opinion=cmd.get("y kien"),
                at=now,
                tz=tz,
            )
        except work.AssignmentError as exc:
            return refuse(str(exc), "reply.forward-rejected")
        _tell_assignee(ctx, doc, a, _people(ctx, targets[0]), "main", person)
        _status_to_sender(ctx, doc, IN_PROGRESS)
        _confirm(ctx, msg, person, doc, "forwarded", [*done_lines, f"Chuyển {targets[0].label} xử lý."])
        return "reply.forwarded"

    if "xong" in cmd.verbs:
        if not may_close(person, doc, current_unit, current.person_id if current else None):
            return refuse(
                "Chỉ người được giao, lãnh đạo của họ hoặc văn thư mới được báo hoàn thành.", "reply.refused.close"
            )
        try:
            a = work.complete(session, doc, by=person, answer_number=cmd.get("van ban tra loi", "so"), at=now, tz=tz)
        except work.AssignmentError as exc:
            return refuse(str(exc), "reply.close-rejected")
        _status_to_sender(ctx, doc, DONE)
        line = "Hoàn thành" + (f", văn bản trả lời số {a.answer_number}" if a.answer_number else "") + "."
        if a.deadline_at is not None:
            line += " Đúng hạn." if now <= a.deadline_at else " Trễ hạn."
        assigner = session.execute(select(Person).where(Person.email == a.assigned_by)).scalar_one_or_none()
        for leader in [assigner] if assigner else leaders_of(ctx, doc.unit):
            if leader.email != person.email:
                _confirm(ctx, msg, leader, doc, "done", [f"{person.full_name}: {line}"])
        _confirm(ctx, msg, person, doc, "done", [*done_lines, line])
        return "reply.done"

    extend = cmd.get("gia han")
    if extend:
        if not is_holder:
            return refuse("Chỉ người đang được giao xử lý mới đề nghị gia hạn.", "reply.refused.extension")
        new, bad = _deadline(ctx, extend)
        if new is None:
            return refuse(bad, "reply.extension-unclear")
        try:
            ext = work.request_extension(
                session, doc, by=person, new_deadline=new, reason=cmd.get("ly do"), at=now, tz=tz
            )
        except work.AssignmentError as exc:
            return refuse(str(exc), "reply.extension-rejected")
        for leader in leaders_of(ctx, doc.unit):
            enqueue(
                ctx,
                kind="extension",
                to=leader.email,
                template="extension_request",
                document=doc,
                auto_submitted="auto-generated",
                person=leader,
                requester=person,
                doc=doc,
                ext=ext,
            )
        _confirm(
            ctx, msg, person, doc, "extension", [f"Đã gửi đề nghị gia hạn đến {ctx.templates.format_datetime(new)}."]
        )
        return "reply.extension-requested"

    if "dong y" in cmd.verbs or "khong dong y" in cmd.verbs:
        if not can_lead:
            return refuse("Chỉ lãnh đạo đơn vị mới quyết định gia hạn.", "reply.refused.decide")
        approve = "dong y" in cmd.verbs and "khong dong y" not in cmd.verbs
        try:
            ext = work.decide_extension(session, doc, by=person, approve=approve, at=now, tz=tz)
        except work.AssignmentError as exc:
            return refuse(str(exc), "reply.decide-rejected")
        requester = session.execute(select(Person).where(Person.email == ext.requested_by)).scalar_one_or_none()
        line = (
            ("Đồng ý gia hạn đến " if approve else "Không đồng ý gia hạn đến ")
            + ctx.templates.format_datetime(ext.new_deadline)
            + "."
        )
        if requester is not None:
            _confirm(ctx, msg, requester, doc, "extension-decided", [f"{person.full_name}: {line}"])
        _confirm(ctx, msg, person, doc, "extension-decided", [line])
        return "reply.extension-approved" if approve else "reply.extension-refused"

    back = cmd.get("tra lai")
    if back:
        if not is_holder:
            return refuse("Chỉ người đang được giao xử lý mới trả lại văn bản.", "reply.refused.give-back")
        try:
            work.give_back(session, doc, by=person, reason=back, at=now, tz=tz)
        except work.AssignmentError as exc:
            return refuse(str(exc), "reply.give-back-rejected")
        for p in clerks_of(session, doc.unit) + leaders_of(ctx, doc.unit):
            _confirm(ctx, msg, p, doc, "given-back", [f"{person.full_name} trả lại văn bản: {back}"])
        return "reply.given-back"

    opinion = cmd.get("y kien")
    if opinion:
        if not can_lead:
            return refuse("Chỉ lãnh đạo cho ý kiến chỉ đạo về văn bản.", "reply.refused.opinion")
        work.note_opinion(session, doc, by=person, opinion=opinion, at=now, tz=tz)
        if current is not None:
            holder = Target(
                unit=session.get(Unit, current.unit_id) if current.unit_id else None,
                person=session.get(Person, current.person_id) if current.person_id else None,
            )
            for p in _people(ctx, holder):
                _confirm(ctx, msg, p, doc, "opinion", [f"Ý kiến của {person.full_name}: {opinion}"])
        return "reply.opinion"

    if done_lines:
        _confirm(ctx, msg, person, doc, "case", done_lines)
        return "reply.case-linked"
    return refuse(
        "Thư trả lời không có lệnh nào (các lệnh viết ở đầu thư: «Giao: …», «Hạn: …», «Chuyển: …», «Xong», "
        "«Gia hạn: …», «Đồng ý», «Trả lại: …»).",
        "reply.no-command",
    )
