"""Handling a document by replying to vanthu's mail: Giao, Phối hợp, Hạn, Ý kiến, Chuyển, Xong, Gia hạn,
Đồng ý / Không đồng ý, Trả lại, Vụ án.

Commands are read from the lines above the quoted message (``Key: value`` lines, keys without
diacritics; ``Xong``, ``Hoàn thành``, ``Đồng ý``, ``Không đồng ý`` as a line of their own). Every refusal
says why; every step is audited by the domain, and the processed message by the dispatcher.

The commands of one reply are all or nothing (:mod:`mailflows.all_or_nothing`): if one cannot be
carried out, none changes anything, and the answer lists every command with what failed and why.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select

from vanthu.mailflows import all_or_nothing
from vanthu.mailflows.commands import fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.dates import end_of_day, parse_date
from vanthu.mailflows.lookup import Target, resolve
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.receipts import send_status
from vanthu.mailflows.replies import reply_problem
from vanthu.models import assignments as work
from vanthu.models.authority import holds, may_assign, may_close
from vanthu.models.clock import local_date
from vanthu.models.directory import nearest_clerks, nearest_leaders
from vanthu.models.edxml import ASSIGNED, DONE, IN_PROGRESS
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Assignment, Document, Person, Unit
from vanthu.models.text import fold

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
    return nearest_leaders(ctx.uow.session, target.unit) if target.unit is not None else []


def _files(ctx: FlowContext, doc: Document) -> list[dict[str, str]]:
    from vanthu.models.tables import DocumentFile

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


@dataclass
class _Reply:
    """What every command of one reply works with: who wrote it, about which document, the state before it."""

    ctx: FlowContext
    msg: ParsedMessage
    person: Person
    doc: Document
    cmd: ReplyCommand
    current: Assignment | None
    can_lead: bool
    is_holder: bool
    done_lines: list[str]  # what the commands carried out so far did, for the confirmation

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


_ONE_ACTION = (
    "Mỗi thư trả lời chỉ mang một lệnh xử lý (Giao, Chuyển, Xong, Gia hạn, Đồng ý/Không đồng ý, Trả lại, "
    "Ý kiến); lệnh này cần gửi trong một thư riêng."
)


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document) -> str:
    """Carry out the commands of a reply about ``doc``; returns the outcome name.

    All or nothing: the commands (``Vụ án:`` and at most one action command, with its parameters
    ``Hạn``, ``Phối hợp``, ``Ý kiến``, ``Lý do`` …) run through :func:`mailflows.all_or_nothing.run`.
    If every one works, their writes and notices stay and the outcome is the action's (or
    ``reply.case-linked``). If any fails, nothing of any of them stays — no database write, audit
    entry or notice — and the sender gets one answer listing every command with what failed and why;
    the outcome is the first failure's.
    """
    cmd = read_command(msg.command_text)
    session = ctx.uow.session

    if doc.direction != "in":
        if cmd.values or cmd.verbs:
            return _refuse(
                ctx,
                msg,
                person,
                doc,
                "Chỉ văn bản đến mới được giao, chuyển, gia hạn hay hoàn thành qua thư.",
                "reply.not-incoming",
            )
        return _refuse(
            ctx, msg, person, doc, "Thư trả lời không có lệnh nào. Gửi «Trợ giúp» để xem các lệnh.", "reply.no-command"
        )
    current = work.open_main(session, doc)
    reply = _Reply(
        ctx=ctx,
        msg=msg,
        person=person,
        doc=doc,
        cmd=cmd,
        current=current,
        can_lead=may_assign(person, doc, current.unit_id if current else None),
        is_holder=current is not None and holds(person, current.unit_id, current.person_id),
        done_lines=[],
    )
    commands = _commands(reply)
    if not commands:
        return _refuse(
            ctx,
            msg,
            person,
            doc,
            "Thư trả lời không có lệnh nào (các lệnh viết ở đầu thư: «Giao: …», «Hạn: …», «Chuyển: …», «Xong», "
            "«Gia hạn: …», «Đồng ý», «Trả lại: …»).",
            "reply.no-command",
        )
    batch = all_or_nothing.run(session, commands)
    if not batch.ok:
        first = batch.failures[0]
        if len(batch.results) == 1:
            return _refuse(ctx, msg, person, doc, first.reason, first.outcome)
        enqueue(
            ctx,
            kind="problem",
            to=msg.sender,
            template="reply_failed",
            reply_to=msg,
            document=doc,
            person_name=person.full_name,
            request_subject=msg.subject,
            results=batch.results,
        )
        return first.outcome
    outcomes = [r.outcome for r in batch.results]
    if outcomes == ["reply.case-linked"]:
        _confirm(ctx, msg, person, doc, "case", reply.done_lines)
    return outcomes[-1]


def _refuse(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document, reason: str, outcome: str) -> str:
    reply_problem(ctx, msg, person_name=person.full_name, reason=reason, document=doc)
    return outcome


def _commands(r: _Reply) -> list[all_or_nothing.Command]:
    """The reply's commands in the order they run: the case link first, then the action commands.

    ``Ý kiến`` is a parameter of ``Giao`` and ``Chuyển`` and a command of its own otherwise. A reply
    may carry one action command; each further one is listed as a command that fails (so the reply
    changes nothing) rather than being silently ignored.
    """
    cmd = r.cmd
    commands: list[all_or_nothing.Command] = []
    case = cmd.get("vu an", "vu viec")
    if case:
        commands.append(all_or_nothing.Command(f"Vụ án: {case}", lambda: _link_case(r, case)))
    actions: list[tuple[str, Callable[[_Reply], str]]] = []
    if cmd.get("giao"):
        actions.append((f"Giao: {cmd.get('giao')}", _assign))
    if cmd.get("chuyen", "chuyen tiep"):
        actions.append((f"Chuyển: {cmd.get('chuyen', 'chuyen tiep')}", _forward))
    if "xong" in cmd.verbs:
        actions.append(("Xong", _complete))
    if cmd.get("gia han"):
        actions.append((f"Gia hạn: {cmd.get('gia han')}", _extend))
    if "dong y" in cmd.verbs or "khong dong y" in cmd.verbs:
        approve = "dong y" in cmd.verbs and "khong dong y" not in cmd.verbs
        actions.append(("Đồng ý" if approve else "Không đồng ý", _decide))
    if cmd.get("tra lai"):
        actions.append((f"Trả lại: {cmd.get('tra lai')}", _give_back))
    if cmd.get("y kien") and not (cmd.get("giao") or cmd.get("chuyen", "chuyen tiep")):
        actions.append((f"Ý kiến: {cmd.get('y kien')}", _opinion))
    for i, (label, action) in enumerate(actions):
        commands.append(all_or_nothing.Command(label, _bind(action, r) if i == 0 else _second_action))
    return commands


def _bind(action: Callable[[_Reply], str], r: _Reply) -> Callable[[], str]:
    return lambda: action(r)


def _second_action() -> str:
    raise all_or_nothing.CommandFailed(_ONE_ACTION, "reply.several-actions")


def _link_case(r: _Reply, case: str) -> str:
    if not (r.can_lead or r.is_holder or may_close(r.person, r.doc, r.current_unit, r.holder_id)):
        raise all_or_nothing.CommandFailed(
            "Đồng chí không có quyền gắn văn bản này vào hồ sơ vụ án.", "reply.refused.case"
        )
    work.link_case(r.ctx.uow.session, r.doc, by=r.person, case_ref=case, at=r.now, tz=r.tz)
    r.done_lines.append(f"Gắn vào hồ sơ vụ án {case}.")
    return "reply.case-linked"


def _assign(r: _Reply) -> str:
    ctx, cmd, doc, person, session = r.ctx, r.cmd, r.doc, r.person, r.ctx.uow.session
    if not r.can_lead:
        raise all_or_nothing.CommandFailed(
            "Chỉ lãnh đạo đơn vị (hoặc cấp trên) được giao xử lý văn bản này; đồng chí không có quyền giao.",
            "reply.refused.not-leader",
        )
    targets, problems = _targets(ctx, cmd.get("giao"))
    deadline, bad_date = _deadline(ctx, cmd.get("han", "thoi han"))
    copies, copy_problems = _targets(ctx, cmd.get("phoi hop")) if cmd.get("phoi hop") else ([], [])
    problems += copy_problems + ([bad_date] if bad_date else [])
    if len(targets) != 1 or problems:
        reason = " ".join(problems) or "«Giao:» cần đúng một đơn vị hoặc một người; người phối hợp ghi ở «Phối hợp:»."
        raise all_or_nothing.CommandFailed(reason, "reply.assign-unclear")
    first_assignment = r.current is None or r.current.assigned_by == "vanthu"
    target = targets[0]
    a = work.assign(
        session,
        doc,
        by=person,
        unit=target.unit,
        person=target.person,
        deadline_at=deadline,
        opinion=cmd.get("y kien"),
        at=r.now,
        tz=r.tz,
    )
    _tell_assignee(ctx, doc, a, _people(ctx, target), "main", person)
    for c in copies:
        ca = work.add_copy(session, doc, by=person, unit=c.unit, person=c.person, at=r.now, tz=r.tz)
        _tell_assignee(ctx, doc, ca, _people(ctx, c), "copy", person)
    r.done_lines.append(
        f"Giao {target.label} xử lý"
        + (f", hạn {ctx.templates.format_datetime(a.deadline_at)}" if a.deadline_at else "")
        + "."
    )
    if copies:
        r.done_lines.append("Phối hợp: " + "; ".join(c.label for c in copies) + ".")
    if first_assignment:
        _status_to_sender(ctx, doc, ASSIGNED)
    _confirm(ctx, r.msg, person, doc, "assigned", r.done_lines)
    return "reply.assigned"


def _forward(r: _Reply) -> str:
    ctx, cmd, doc, person = r.ctx, r.cmd, r.doc, r.person
    if not (r.can_lead or r.is_holder):
        raise all_or_nothing.CommandFailed(
            "Chỉ lãnh đạo hoặc người đang được giao xử lý văn bản mới được chuyển.", "reply.refused.forward"
        )
    targets, problems = _targets(ctx, cmd.get("chuyen", "chuyen tiep"))
    if len(targets) != 1 or problems:
        raise all_or_nothing.CommandFailed(
            " ".join(problems) or "«Chuyển:» cần đúng một đơn vị hoặc một người.", "reply.forward-unclear"
        )
    try:
        a = work.forward(
            ctx.uow.session,
            doc,
            by=person,
            unit=targets[0].unit,
            person=targets[0].person,
            opinion=cmd.get("y kien"),
            at=r.now,
            tz=r.tz,
        )
    except work.AssignmentError as exc:
        raise all_or_nothing.CommandFailed(str(exc), "reply.forward-rejected") from exc
    _tell_assignee(ctx, doc, a, _people(ctx, targets[0]), "main", person)
    _status_to_sender(ctx, doc, IN_PROGRESS)
    _confirm(ctx, r.msg, person, doc, "forwarded", [*r.done_lines, f"Chuyển {targets[0].label} xử lý."])
    return "reply.forwarded"


def _complete(r: _Reply) -> str:
    ctx, doc, person, session, now = r.ctx, r.doc, r.person, r.ctx.uow.session, r.now
    if not may_close(person, doc, r.current_unit, r.holder_id):
        raise all_or_nothing.CommandFailed(
            "Chỉ người được giao, lãnh đạo của họ hoặc văn thư mới được báo hoàn thành.", "reply.refused.close"
        )
    try:
        a = work.complete(session, doc, by=person, answer_number=r.cmd.get("van ban tra loi", "so"), at=now, tz=r.tz)
    except work.AssignmentError as exc:
        raise all_or_nothing.CommandFailed(str(exc), "reply.close-rejected") from exc
    _status_to_sender(ctx, doc, DONE)
    line = "Hoàn thành" + (f", văn bản trả lời số {a.answer_number}" if a.answer_number else "") + "."
    if a.deadline_at is not None:
        line += " Đúng hạn." if now <= a.deadline_at else " Trễ hạn."
    assigner = session.execute(select(Person).where(Person.email == a.assigned_by)).scalar_one_or_none()
    for leader in [assigner] if assigner else nearest_leaders(ctx.uow.session, doc.unit):
        if leader.email != person.email:
            _confirm(ctx, r.msg, leader, doc, "done", [f"{person.full_name}: {line}"])
    _confirm(ctx, r.msg, person, doc, "done", [*r.done_lines, line])
    return "reply.done"


def _extend(r: _Reply) -> str:
    ctx, doc, person = r.ctx, r.doc, r.person
    if not r.is_holder:
        raise all_or_nothing.CommandFailed(
            "Chỉ người đang được giao xử lý mới đề nghị gia hạn.", "reply.refused.extension"
        )
    new, bad = _deadline(ctx, r.cmd.get("gia han"))
    if new is None:
        raise all_or_nothing.CommandFailed(bad, "reply.extension-unclear")
    try:
        ext = work.request_extension(
            ctx.uow.session, doc, by=person, new_deadline=new, reason=r.cmd.get("ly do"), at=r.now, tz=r.tz
        )
    except work.AssignmentError as exc:
        raise all_or_nothing.CommandFailed(str(exc), "reply.extension-rejected") from exc
    for leader in nearest_leaders(ctx.uow.session, doc.unit):
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
        ctx, r.msg, person, doc, "extension", [f"Đã gửi đề nghị gia hạn đến {ctx.templates.format_datetime(new)}."]
    )
    return "reply.extension-requested"


def _decide(r: _Reply) -> str:
    ctx, doc, person, session = r.ctx, r.doc, r.person, r.ctx.uow.session
    if not r.can_lead:
        raise all_or_nothing.CommandFailed("Chỉ lãnh đạo đơn vị mới quyết định gia hạn.", "reply.refused.decide")
    approve = "dong y" in r.cmd.verbs and "khong dong y" not in r.cmd.verbs
    try:
        ext = work.decide_extension(session, doc, by=person, approve=approve, at=r.now, tz=r.tz)
    except work.AssignmentError as exc:
        raise all_or_nothing.CommandFailed(str(exc), "reply.decide-rejected") from exc
    requester = session.execute(select(Person).where(Person.email == ext.requested_by)).scalar_one_or_none()
    line = (
        ("Đồng ý gia hạn đến " if approve else "Không đồng ý gia hạn đến ")
        + ctx.templates.format_datetime(ext.new_deadline)
        + "."
    )
    if requester is not None:
        _confirm(ctx, r.msg, requester, doc, "extension-decided", [f"{person.full_name}: {line}"])
    _confirm(ctx, r.msg, person, doc, "extension-decided", [line])
    return "reply.extension-approved" if approve else "reply.extension-refused"


def _give_back(r: _Reply) -> str:
    ctx, doc, person, session = r.ctx, r.doc, r.person, r.ctx.uow.session
    back = r.cmd.get("tra lai")
    if not r.is_holder:
        raise all_or_nothing.CommandFailed(
            "Chỉ người đang được giao xử lý mới trả lại văn bản.", "reply.refused.give-back"
        )
    try:
        work.give_back(session, doc, by=person, reason=back, at=r.now, tz=r.tz)
    except work.AssignmentError as exc:
        raise all_or_nothing.CommandFailed(str(exc), "reply.give-back-rejected") from exc
    for p in nearest_clerks(session, doc.unit) + nearest_leaders(ctx.uow.session, doc.unit):
        _confirm(ctx, r.msg, p, doc, "given-back", [f"{person.full_name} trả lại văn bản: {back}"])
    return "reply.given-back"


def _opinion(r: _Reply) -> str:
    ctx, doc, person, session = r.ctx, r.doc, r.person, r.ctx.uow.session
    opinion = r.cmd.get("y kien")
    if not r.can_lead:
        raise all_or_nothing.CommandFailed("Chỉ lãnh đạo cho ý kiến chỉ đạo về văn bản.", "reply.refused.opinion")
    work.note_opinion(session, doc, by=person, opinion=opinion, at=r.now, tz=r.tz)
    if r.current is not None:
        holder = Target(
            unit=session.get(Unit, r.current.unit_id) if r.current.unit_id else None,
            person=session.get(Person, r.current.person_id) if r.current.person_id else None,
        )
        for p in _people(ctx, holder):
            _confirm(ctx, r.msg, p, doc, "opinion", [f"Ý kiến của {person.full_name}: {opinion}"])
    return "reply.opinion"
