"""The clerk's part of intake: paper documents by scan (``Giấy:``), and decisions on quarantined mail.

* A clerk emails a scan with a subject starting ``Giấy:`` (or containing ``[Giấy]``): the document gets
  the next số đến of the same incoming register, marked paper. ``Key: value`` lines give what the
  scan cannot: ``Số``, ``Ngày``, ``Cơ quan ban hành``, ``Loại``, ``Trích yếu``, ``Độ khẩn``, ``Vụ án``,
  and ``Email người gửi`` when the sender should get a receipt.
* A clerk replies to a quarantine notice (tag ``[VTQ-…]``) with ``Đăng ký`` — register the original
  message anyway, with the same ``Key: value`` lines overriding what was read — or ``Trả lại: lý do`` —
  return it to its sender with status 02 or, when no sender can be reached (none was readable, or it
  is not an address vanthu can send to), close it without a reply. A secret item cannot be
  registered: it stays on paper.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parseaddr

from sqlalchemy import select

from vanthu.mailflows.commands import fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.incoming_meta import URGENCIES, IncomingMeta, from_email, from_page_text
from vanthu.mailflows.intake import is_pdf, register
from vanthu.mailflows.message import ParsedMessage, reachable_address, salvage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.receipts import send_refused
from vanthu.mailflows.replies import reply_problem
from vanthu.models import audit
from vanthu.models.authority import CLERK, LEADER, governs
from vanthu.models.directory import unit_by_code
from vanthu.models.incoming import IncomingFile
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, Person, QuarantineItem, Unit
from vanthu.models.text import fold

_PAPER = re.compile(r"^\s*gi[aấ]y\s*:|\[\s*gi[aấ]y\s*\]", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def is_paper_subject(subject: str) -> bool:
    return bool(_PAPER.search(subject))


def _clerk_meta(values: dict[str, str], meta: IncomingMeta) -> IncomingMeta:
    """Fields the clerk typed win over what was read from the file or the email."""
    overrides = {
        "number": values.get("so") or values.get("so, ky hieu") or values.get("so ky hieu"),
        "issuer": values.get("co quan ban hanh") or values.get("noi gui") or values.get("tac gia"),
        "doc_type": values.get("loai") or values.get("loai van ban"),
        "summary": values.get("trich yeu"),
        "case_ref": values.get("vu an") or values.get("vu viec"),
    }
    for key, value in overrides.items():
        if value:
            setattr(meta, key, value)
            meta.sources[key] = "clerk"
    date = _DATE.match(values.get("ngay", "") or values.get("ngay van ban", ""))
    if date:
        try:
            meta.date = dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1)))
            meta.sources["date"] = "clerk"
        except ValueError:
            pass
    urgency = fold(values.get("do khan", ""))
    for level in URGENCIES:
        if urgency == fold(level):
            meta.urgency = level
            meta.sources["urgency"] = "clerk"
    return meta


def _is_clerk_of(person: Person, unit: Unit) -> bool:
    return person.has_role(CLERK, LEADER) and governs(person, unit)


def handle_paper(ctx: FlowContext, msg: ParsedMessage, person: Person) -> Outcome:
    """Register a scanned paper document sent by a clerk."""
    session = ctx.uow.session
    unit = unit_by_code(session, ctx.mailbox.unit_code)
    if not _is_clerk_of(person, unit):
        reply_problem(
            ctx, msg, person_name=person.full_name, reason="Chỉ văn thư, lãnh đạo đơn vị vào sổ văn bản giấy."
        )
        return Outcome.PAPER_REFUSED
    assert ctx.files is not None
    values = fields(msg.command_text)
    meta = IncomingMeta()
    pdfs = [a for a in msg.attachments if is_pdf(a)]
    if pdfs and ctx.pdf is not None:
        report = ctx.pdf.inspect(pdfs[0].data)
        if report.outcome == "ok":
            from_page_text(report.first_pages_text, ctx.settings.doc_types, meta)
    meta = _clerk_meta(values, meta)
    title = _PAPER.sub("", msg.subject).strip(" -:")
    if title:
        meta.set("summary", title, "subject")
    files = [IncomingFile(ctx.files.put(a.data), a.filename, a.content_type, len(a.data)) for a in msg.attachments]
    sender = values.get("email nguoi gui", "").lower()
    outcome, doc = register(
        ctx, sender, None, unit, meta, files, warnings=[], paper=True, actor=person.email, receipt_to=sender or ""
    )
    _confirm(ctx, msg, person, doc, outcome)
    return Outcome.PAPER_DUPLICATE if outcome is Outcome.INTAKE_DUPLICATE else Outcome.PAPER_REGISTERED


def _confirm(ctx: FlowContext, msg: ParsedMessage, person: Person, doc: Document, outcome: Outcome) -> None:
    enqueue(
        ctx,
        kind="paper",
        to=msg.sender,
        template="paper_registered",
        reply_to=msg,
        document=doc,
        person=person,
        doc=doc,
        duplicate=outcome is Outcome.INTAKE_DUPLICATE,
    )


def handle_decision(ctx: FlowContext, msg: ParsedMessage, person: Person, tag: str) -> Outcome:
    """Carry out the clerk's ``Đăng ký`` or ``Trả lại`` on quarantine item ``tag``.

    Every pending item that is not secret can be decided, whatever its original looks like:
    ``Đăng ký`` registers from what can be read of the original (see :func:`_register_item`), and
    ``Trả lại`` to an item whose sender cannot be reached closes it without a reply — the clerk's
    confirmation says so. A request that cannot be carried out is answered with the reason.
    """
    session = ctx.uow.session
    item = session.execute(select(QuarantineItem).where(QuarantineItem.tag == tag)).scalar_one_or_none()
    unit = session.get(Unit, item.unit_id) if item else None
    if item is None or unit is None or not _is_clerk_of(person, unit):
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=f"Không có thư [{tag}] nào thuộc thẩm quyền của đồng chí.",
        )
        return Outcome.DECISION_REFUSED
    if item.state != "pending":
        reply_problem(ctx, msg, person_name=person.full_name, reason=f"Thư [{tag}] đã được xử lý ({item.state}).")
        return Outcome.DECISION_ALREADY
    first = next((line.strip() for line in msg.command_text.splitlines() if line.strip()), "")
    verb = fold(first)
    if verb.startswith("tra lai"):
        reason = first.split(":", 1)[1].strip() if ":" in first else ""
        return _return_item(ctx, msg, person, unit, item, reason)
    if verb.startswith("dang ky"):
        if item.reason_code == "secret":
            reply_problem(
                ctx,
                msg,
                person_name=person.full_name,
                reason="Tài liệu mật không được vào sổ trên hệ thống; đồng chí xử lý trên giấy.",
            )
            return Outcome.DECISION_REJECTED
        return _register_item(ctx, msg, person, unit, item)
    reply_problem(
        ctx, msg, person_name=person.full_name, reason="Dòng đầu thư trả lời cần là «Đăng ký» hoặc «Trả lại: <lý do>»."
    )
    return Outcome.DECISION_UNCLEAR


def _return_item(
    ctx: FlowContext, msg: ParsedMessage, person: Person, unit: Unit, item: QuarantineItem, reason: str
) -> Outcome:
    """Return the original to its sender (status 02) or, when no sender can be reached, close the item.

    A return needs a reason, since the sender reads it; closing without a reply does not, and the
    reason given (if any) is kept in the audit log.
    """
    address = parseaddr(item.sender)[1].lower()
    now = ctx.now()
    if reachable_address(address):
        if not reason:
            reply_problem(ctx, msg, person_name=person.full_name, reason="Cần ghi lý do trả lại: «Trả lại: <lý do>».")
            return Outcome.DECISION_REJECTED
        send_refused(ctx, address, None, unit, subject=item.subject, orig_number="", reasons=[reason])
        state = "returned"
    else:
        state = "closed"
    item.state, item.decided_at, item.decided_by = state, now, person.email
    _audit(ctx, person, item, state, reason)
    enqueue(
        ctx,
        kind="decision",
        to=msg.sender,
        template="quarantine_decided",
        reply_to=msg,
        tag=item.tag,
        person=person,
        closed=state == "closed",
        sender=item.sender,
        request_subject=item.subject or "(không có tiêu đề)",
        reason=reason,
        decided_at=now,
    )
    return Outcome.DECISION_CLOSED if state == "closed" else Outcome.DECISION_RETURNED


def _original(ctx: FlowContext, item: QuarantineItem) -> ParsedMessage | None:
    """What can be read of the item's original message; None when vanthu never stored it."""
    if not item.sha256 or ctx.raw is None:
        return None
    try:
        raw = ctx.raw.get(item.sha256)
    except OSError:
        return None
    return salvage(raw)


def _register_item(ctx: FlowContext, msg: ParsedMessage, person: Person, unit: Unit, item: QuarantineItem) -> Outcome:
    """Register a quarantined message as incoming, from whatever of it can be read.

    The original is read tolerantly (a message the parser refused still gives its attachments and
    subject); the clerk's ``Key: value`` lines win over what was read, and ``Email người gửi`` names
    where the receipt goes when the original's sender cannot be reached. Without a stored original
    (a message too large to download) the document is registered from the clerk's lines alone. A
    document whose subject or first page carries a secrecy marking is not registered.
    """
    assert ctx.files is not None
    values = fields(msg.command_text)
    original = _original(ctx, item)
    warnings = [f"Văn thư quyết định vào sổ: {item.reason}"]
    meta = IncomingMeta()
    attachments = original.attachments if original is not None else ()
    pdfs = [a for a in attachments if is_pdf(a)]
    if pdfs and ctx.pdf is not None:
        report = ctx.pdf.inspect(pdfs[0].data)
        if report.outcome == "ok":
            from_page_text(report.first_pages_text, ctx.settings.doc_types, meta)
    meta = _clerk_meta(values, meta)
    if original is not None:
        from_email(original.subject or item.subject, original.sender_name, original.sender, meta)
    else:
        warnings.append("Hệ thống không lưu bản gốc của thư; vào sổ theo thông tin văn thư ghi.")
        from_email(item.subject, "", "", meta)
    if meta.secrecy:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=(
                f"Thư có dấu hiệu tài liệu «{meta.secrecy}»: tài liệu mật không được vào sổ trên hệ thống; "
                "đồng chí xử lý trên giấy."
            ),
        )
        return Outcome.DECISION_REJECTED
    sender = original.sender if original is not None else ""
    given = values.get("email nguoi gui", "").strip().lower()
    receipt_to = given if reachable_address(given) else sender
    if not receipt_to and item.sender:
        warnings.append(f"Không gửi được giấy báo nhận: địa chỉ người gửi «{item.sender}» không liên lạc được.")
    files = [IncomingFile(ctx.files.put(a.data), a.filename, a.content_type, len(a.data)) for a in attachments]
    outcome, doc = register(
        ctx,
        sender or receipt_to,
        original,
        unit,
        meta,
        files,
        warnings=warnings,
        paper=False,
        actor=person.email,
        receipt_to=receipt_to,
    )
    item.state, item.decided_at, item.decided_by, item.document_id = "registered", ctx.now(), person.email, doc.id
    _audit(ctx, person, item, "registered", outcome)
    _confirm(ctx, msg, person, doc, outcome)
    return Outcome.DECISION_REGISTERED


def _audit(ctx: FlowContext, person: Person, item: QuarantineItem, what: str, detail: str) -> None:
    audit.append(
        ctx.uow.session,
        at=ctx.now(),
        tz=ctx.settings.tz,
        actor=person.email,
        action=f"quarantine.{what}",
        object_type="quarantine",
        object_id=item.tag or item.id,
        details={"detail": detail},
    )
