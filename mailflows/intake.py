"""Incoming documents: mail from outside the directory to a unit's official mailbox registers itself.

So does a document that someone in the directory forwards to the mailbox (``Fwd:`` with a PDF, or
``Vào sổ`` in the body); mail from automatic senders is registered too, only not answered.

The order of the checks is the order of the law's concerns:

1. a secret marking in the subject (or, once read, on page 1) → the message is not kept, not parsed
   further, set aside untouched, and the clerk is told to handle it on paper;
2. no PDF, or a PDF that cannot be read (broken, encrypted, not a PDF, too large) → quarantine, and
   the clerk decides (``Đăng ký`` or ``Trả lại``);
3. every signature is validated offline against the configured trust roots; the intake policy says
   whether an untrusted, unsigned or invalid document is registered with a warning or returned;
4. a document already registered (the same file, or the same number, symbol, date and issuer, all read from
   both documents' header blocks) is not registered twice: the clerk is told and the sender gets the
   existing receipt again; a doubtful match (numbers agree, something else unknown) is registered with a
   warning naming the other document;
5. otherwise it gets the next số đến, its files are kept, the routing rules assign it with a legal
   deadline, and the sender, the clerk, the assignees and the deciding leader are told.
"""

from __future__ import annotations

from dataclasses import dataclass

from vanthu.mailflows.commands import parse_subject, strip_prefixes
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.hygiene import Machine
from vanthu.mailflows.incoming_meta import (
    SECRECY_LEVELS,
    ForwardedHeader,
    IncomingMeta,
    forwarded_header,
    from_email,
    from_page_text,
    marking,
)
from vanthu.mailflows.message import Attachment, ParsedMessage
from vanthu.mailflows.outcomes import Outcome, pdf_problem
from vanthu.mailflows.quarantine import quarantine
from vanthu.mailflows.receipts import send_refused, send_registered
from vanthu.mailflows.replies import reply_problem
from vanthu.mailflows.routing_step import assign_and_notify
from vanthu.models import audit
from vanthu.models.clock import local_date
from vanthu.models.directory import nearest_clerks, unit_by_code
from vanthu.models.incoming import (
    IncomingFile,
    IncomingParticulars,
    SignatureRecord,
    find_duplicate,
    incoming_register,
    register_incoming,
)
from vanthu.models.numbering import register_year
from vanthu.models.outbox import enqueue
from vanthu.models.ports import PdfReportView
from vanthu.models.tables import Document, Person, Unit

READ_PROBLEMS = {
    "not-pdf": "Tệp đính kèm mang tên PDF nhưng không phải là tệp PDF.",
    "encrypted": "Tệp PDF được đặt mật khẩu, không đọc được.",
    "too-large": "Tệp PDF vượt quá dung lượng cho phép.",
    "unreadable": "Tệp PDF bị hỏng, không đọc được.",
}


def is_pdf(att: Attachment) -> bool:
    return (
        att.content_type == "application/pdf"
        or att.filename.lower().endswith(".pdf")
        or (att.content_type == "application/octet-stream" and att.data[:5] == b"%PDF-")
    )


@dataclass(frozen=True)
class SignatureVerdict:
    """The signature category of one document, and the warnings or reasons it gives."""

    category: str  # ok | untrusted | unsigned | invalid
    notes: tuple[str, ...]


def judge_signatures(reports: list[tuple[Attachment, PdfReportView]]) -> SignatureVerdict:
    """Sort the document into ok, untrusted, unsigned or invalid (the worst file decides)."""
    rank = {"ok": 0, "untrusted": 1, "unsigned": 2, "invalid": 3}
    worst = "ok"
    notes: list[str] = []
    for att, report in reports:
        name = att.filename
        if report.signature_fields == 0:
            notes.append(f"{name}: không có chữ ký số.")
            worst = max(worst, "unsigned", key=rank.__getitem__)
            continue
        if report.unsupported_signatures:
            notes.append(
                f"{name}: {report.unsupported_signatures} chữ ký dùng chuẩn không được hỗ trợ, chưa kiểm tra được."
            )
            worst = max(worst, "untrusted", key=rank.__getitem__)
        for sig in report.signatures:
            who = sig.signer_name or sig.field_name
            if not sig.intact or not sig.valid or sig.revoked or sig.problem in ("modified", "broken", "weak-hash"):
                why = {
                    "revoked": "chứng thư số đã bị thu hồi",
                    "modified": "văn bản bị sửa đổi sau khi ký",
                    "weak-hash": "chữ ký dùng thuật toán băm yếu (SHA-1)",
                }.get(sig.problem or "", "chữ ký không hợp lệ (nội dung không toàn vẹn)")
                if sig.revoked:
                    why = "chứng thư số đã bị thu hồi"
                notes.append(f"{name}: chữ ký của {who}: {why}.")
                worst = "invalid"
            elif sig.problem == "revocation-unknown":
                notes.append(
                    f"{name}: chữ ký của {who}: chưa kiểm tra được tình trạng thu hồi chứng thư "
                    "(danh sách thu hồi của hệ thống đã cũ; cần cập nhật tệp CRL)."
                )
                worst = max(worst, "untrusted", key=rank.__getitem__)
            elif not sig.trusted or sig.expired:
                why = (
                    "chứng thư số đã hết hạn"
                    if sig.expired
                    else "chứng thư số không thuộc tổ chức cung cấp dịch vụ tin cậy"
                )
                notes.append(f"{name}: chữ ký của {who}: {why}.")
                worst = max(worst, "untrusted", key=rank.__getitem__)
    return SignatureVerdict(worst, tuple(notes))


def signature_records(report: PdfReportView) -> tuple[SignatureRecord, ...]:
    return tuple(
        SignatureRecord(
            field_name=s.field_name,
            signer_name=s.signer_name,
            signer_org=s.signer_org or "",
            signing_time=s.signing_time,
            intact=s.intact,
            valid=s.valid,
            trusted=s.trusted,
            revoked=s.revoked,
            expired=s.expired,
            coverage=s.coverage,
            modification_level=s.modification_level,
            sub_filter=s.sub_filter,
            problem=s.problem or "",
            summary=s.summary,
        )
        for s in report.signatures
    )


def particulars(
    ctx: FlowContext, meta: IncomingMeta, sender: str, *, paper: bool, warnings: list[str], message_id: str
) -> IncomingParticulars:
    found = ctx.settings.doc_types.lookup(meta.doc_type) if meta.doc_type else []
    doc_type = found[0] if len(found) == 1 else None
    return IncomingParticulars(
        issuer=meta.issuer,
        orig_number=meta.number,
        orig_date=meta.date,
        type_key=doc_type.key if doc_type else "",
        type_name=doc_type.name if doc_type else meta.doc_type,
        summary=meta.summary,
        urgency=meta.urgency,
        case_ref=meta.case_ref,
        sender_email=sender,
        paper=paper,
        field_sources=dict(meta.sources),
        warnings=tuple(warnings),
        source_message_id=message_id,
    )


def set_aside_secret(ctx: FlowContext, msg: ParsedMessage, level: str) -> Outcome:
    """Set a message with secrecy marking ``level`` aside untouched, keeping only the fact; tell the clerk."""
    quarantine(
        ctx,
        sender=msg.sender,
        subject="",
        message_id="",
        reason_code="secret",
        reason=f"Dấu hiệu tài liệu {level}",
        folder=ctx.mailbox.quarantine_folder,
        marking=level,
    )
    return Outcome.SECRET


def handle(
    ctx: FlowContext,
    msg: ParsedMessage,
    *,
    machine: Machine | None = None,
    forwarder: Person | None = None,
) -> Outcome:
    """Register (or set aside, or return) the document in ``msg``; returns the outcome name.

    ``machine``: the sender is an automatic one (no-reply@, Auto-Submitted, a list …): the document is
    registered like any other, but no receipt or return notice goes back unless the intake policy's
    ``receipts_to_machines`` asks for it. ``forwarder``: someone in the directory forwarded a document she
    received herself; the issuer and date come from the PDF, else from the forwarded header block, the
    forwarder is recorded (audit, the document's notes) and told, and the original sender gets nothing.
    """
    assert ctx.pdf is not None and ctx.files is not None, "the worker must give intake its PDF service and store"
    level = marking(msg.subject, SECRECY_LEVELS, capitals_only=False)
    if level:
        return set_aside_secret(ctx, msg, level)
    reports, problem = _read_pdfs(ctx, msg)
    if problem is not None:
        return problem
    meta = from_page_text(reports[0][1].first_pages_text, ctx.settings.doc_types)
    if meta.secrecy:
        return set_aside_secret(ctx, msg, meta.secrecy)
    origin = _origin(
        msg, meta, machine=machine, forwarder=forwarder, receipts_to_machines=ctx.settings.intake.receipts_to_machines
    )
    verdict = judge_signatures(reports)
    policy = ctx.settings.intake
    action = {"ok": "register", "untrusted": policy.untrusted, "unsigned": policy.unsigned, "invalid": policy.invalid}[
        verdict.category
    ]
    unit = unit_by_code(ctx.uow.session, ctx.mailbox.unit_code)
    if action == "return":
        return _return(ctx, msg, unit, meta, verdict, origin, forwarder)
    outcome, doc = register(
        ctx,
        origin.sender,
        msg,
        unit,
        meta,
        _stored_files(ctx, msg, reports),
        warnings=[*origin.warnings, *verdict.notes],
        paper=False,
        actor=forwarder.email if forwarder is not None else msg.sender,
        receipt_to=origin.receipt_to,
        extra_sources=origin.sources,
    )
    if forwarder is not None:
        _tell_forwarder(ctx, msg, forwarder, doc, origin.sender, outcome)
    return outcome


def _read_pdfs(ctx: FlowContext, msg: ParsedMessage) -> tuple[list[tuple[Attachment, PdfReportView]], Outcome | None]:
    """Every PDF of ``msg`` with its report; or the outcome of setting the mail aside because it has no
    PDF, or one that cannot be read (the clerk is told)."""
    assert ctx.pdf is not None
    pdfs = [a for a in msg.attachments if is_pdf(a)]
    if not pdfs:
        quarantine(
            ctx,
            sender=msg.sender,
            subject=msg.subject,
            message_id=msg.message_id,
            reason_code="no-pdf",
            reason="Thư gửi đến hộp thư công vụ nhưng không kèm tệp PDF văn bản.",
            folder=ctx.mailbox.quarantine_folder,
        )
        return [], Outcome.NO_PDF
    reports = [(a, ctx.pdf.inspect(a.data)) for a in pdfs]
    for att, report in reports:
        if report.outcome != "ok":
            quarantine(
                ctx,
                sender=msg.sender,
                subject=msg.subject,
                message_id=msg.message_id,
                reason_code=report.outcome,
                reason=f"{att.filename}: {READ_PROBLEMS.get(report.outcome, report.outcome)}",
                folder=ctx.mailbox.quarantine_folder,
            )
            return reports, pdf_problem(report.outcome)
    return reports, None


@dataclass(frozen=True)
class _Origin:
    """Who the document is from, where its receipt goes ("" for none), and what the register notes of it."""

    sender: str
    receipt_to: str
    warnings: list[str]
    sources: dict[str, str]


def _origin(
    msg: ParsedMessage,
    meta: IncomingMeta,
    *,
    machine: Machine | None,
    forwarder: Person | None,
    receipts_to_machines: bool,
) -> _Origin:
    """Fill ``meta`` from the email (or the forwarded header block) and say who the document is from.

    A forward's original sender gets nothing; an automatic sender gets a receipt only if the policy says so.
    """
    sender, receipt_to = msg.sender, msg.sender
    warnings: list[str] = []
    sources: dict[str, str] = {}
    if forwarder is not None:
        fwd = forwarded_header(msg.body) or ForwardedHeader()
        if fwd.sent is not None:
            meta.set("date", fwd.sent, "forward")
        subject = fwd.subject or strip_prefixes(parse_subject(msg.subject).clean)
        from_email(subject, fwd.sender_name, fwd.sender or forwarder.email, meta, source="forward")
        sender, receipt_to = fwd.sender, ""
        sources["forwarded_by"] = forwarder.email
        warnings.append(f"Văn bản do {forwarder.full_name} ({forwarder.email}) chuyển tiếp vào hộp thư công vụ.")
    else:
        from_email(msg.subject, msg.sender_name, msg.sender, meta)
    if machine is not None:
        sources["machine_sender"] = machine.reason[:120]
        if not receipts_to_machines:
            receipt_to = ""
    return _Origin(sender, receipt_to, warnings, sources)


def _return(
    ctx: FlowContext,
    msg: ParsedMessage,
    unit: Unit,
    meta: IncomingMeta,
    verdict: SignatureVerdict,
    origin: _Origin,
    forwarder: Person | None,
) -> Outcome:
    """Refuse the document for its signatures: the forwarder or the sender is told why (if anyone may be)."""
    if forwarder is not None:
        reply_problem(
            ctx,
            msg,
            person_name=forwarder.full_name,
            reason="Văn bản chuyển tiếp không được vào sổ: " + " ".join(verdict.notes),
        )
    elif origin.receipt_to:
        send_refused(
            ctx, msg.sender, msg, unit, subject=msg.subject, orig_number=meta.number, reasons=list(verdict.notes)
        )
    _audit_returned(ctx, msg, list(verdict.notes), answered=bool(origin.receipt_to) or forwarder is not None)
    return Outcome.INTAKE_RETURNED


def _stored_files(
    ctx: FlowContext, msg: ParsedMessage, reports: list[tuple[Attachment, PdfReportView]]
) -> list[IncomingFile]:
    """Every attachment of ``msg`` put in the file store: the PDFs (with their signatures) first."""
    assert ctx.files is not None
    files = [
        IncomingFile(
            sha256=ctx.files.put(att.data),
            filename=att.filename,
            content_type="application/pdf",
            size=len(att.data),
            signatures=signature_records(report),
        )
        for att, report in reports
    ]
    for other in msg.attachments:
        if not is_pdf(other):
            files.append(IncomingFile(ctx.files.put(other.data), other.filename, other.content_type, len(other.data)))
    return files


def _tell_forwarder(
    ctx: FlowContext, msg: ParsedMessage, forwarder: Person, doc: Document, sender: str, outcome: Outcome
) -> None:
    audit.document_event(
        ctx.uow.session,
        doc,
        at=ctx.now(),
        tz=ctx.settings.tz,
        actor=forwarder.email,
        action="incoming.forwarded",
        details={"forwarder": forwarder.email, "original_sender": sender, "outcome": outcome},
    )
    enqueue(
        ctx,
        kind="forwarded",
        to=forwarder.email,
        template="paper_registered",
        reply_to=msg,
        document=doc,
        person=forwarder,
        doc=doc,
        duplicate=outcome is Outcome.INTAKE_DUPLICATE,
    )


def register(
    ctx: FlowContext,
    sender: str,
    msg: ParsedMessage | None,
    unit: Unit,
    meta: IncomingMeta,
    files: list[IncomingFile],
    *,
    warnings: list[str],
    paper: bool,
    actor: str,
    receipt_to: str | None = None,
    extra_sources: dict[str, str] | None = None,
) -> tuple[Outcome, Document]:
    """Register the document (or recognise a duplicate), route it and tell everyone.

    Returns the outcome name and the document (the existing one for a certain duplicate). A doubtful
    duplicate (:class:`models.incoming.DuplicateMatch`) is registered, with a warning naming the other
    document, which the clerk's copy shows. ``receipt_to`` "" sends no receipt; None sends it to ``sender``.
    """
    session = ctx.uow.session
    now = ctx.now()
    register_ = incoming_register(session, unit)
    if register_ is None:
        raise LookupError(f"unit {unit.code} has no incoming register")
    year = register_year(local_date(now, ctx.settings.tz), register_.year_start_month, register_.year_start_day)
    receipt_to = sender if receipt_to is None else receipt_to
    match = find_duplicate(
        session,
        register_,
        sha256s=[f.sha256 for f in files],
        orig_number=meta.number,
        issuer=meta.issuer,
        year=year,
        orig_date=meta.date,
        sources=meta.sources,
    )
    if match is not None and match.certain:
        duplicate = match.document
        # The receipt names the registered document's content: it goes again only to the address that sent it.
        resend = (
            bool(receipt_to)
            and ctx.settings.intake.notify_sender_status
            and receipt_to.lower() == (duplicate.sender_email or "").lower()
        )
        _tell_clerks_duplicate(ctx, unit, duplicate, sender or actor, receipt_resent=resend)
        if resend:
            send_registered(ctx, receipt_to, msg, unit, duplicate)
        return Outcome.INTAKE_DUPLICATE, duplicate
    if match is not None:
        other = match.document
        warnings = [
            *warnings,
            f"Có thể trùng với văn bản đến số {other.number_str} [{other.tag}] "
            f"({other.orig_number or 'chưa rõ số'}, {other.issuer or 'chưa rõ cơ quan ban hành'}, "
            f"vào sổ ngày {other.doc_date:%d/%m/%Y}): văn thư kiểm tra lại; nếu trùng, hủy văn bản này "
            "bằng thư «Hủy số đến» kèm số đến của nó và dòng «Lý do: …».",
        ]
    particulars_ = particulars(
        ctx, meta, sender, paper=paper, warnings=warnings, message_id=msg.message_id if msg else ""
    )
    if extra_sources:
        particulars_.field_sources.update(extra_sources)
    doc = register_incoming(
        session,
        register=register_,
        particulars=particulars_,
        files=files,
        actor=actor,
        at=now,
        tz=ctx.settings.tz,
    )
    if receipt_to and ctx.settings.intake.notify_sender_status:
        send_registered(ctx, receipt_to, msg, unit, doc)
    assign_and_notify(ctx, unit, doc, files, sender=sender)
    return Outcome.INTAKE_REGISTERED, doc


def _tell_clerks_duplicate(
    ctx: FlowContext, unit: Unit, doc: Document, sender: str, *, receipt_resent: bool = True
) -> None:
    for clerk in nearest_clerks(ctx.uow.session, unit):
        enqueue(
            ctx,
            kind="duplicate",
            to=clerk.email,
            template="incoming_duplicate",
            document=doc,
            auto_submitted="auto-generated",
            doc=doc,
            sender=sender,
            received_at=ctx.now(),
            receipt_resent=receipt_resent,
        )


def _audit_returned(ctx: FlowContext, msg: ParsedMessage, reasons: list[str], *, answered: bool = True) -> None:
    audit.append(
        ctx.uow.session,
        at=ctx.now(),
        tz=ctx.settings.tz,
        actor="vanthu",
        action="incoming.returned",
        object_type="message",
        object_id=ctx.sha256[:16],
        details={"sender": msg.sender, "subject": msg.subject[:300], "reasons": reasons, "answered": answered},
    )
