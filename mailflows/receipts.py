"""Receipts and status updates to the sender of an incoming document (Nghị định 30/2020 Điều 22).

Each carries the edXML status code in the subject and text, and the same status as a small XML part
(``trangthai.xml``) for the sender's document system.
"""

from __future__ import annotations

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.edxml import DESCRIPTIONS, REFUSED, REGISTERED, StatusMessage, status_xml
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, Unit


def _status_part(
    ctx: FlowContext, unit: Unit, code: str, description: str, doc: Document | None, orig_number: str
) -> dict[str, str]:
    xml = status_xml(
        StatusMessage(
            organ_id=ctx.settings.organ_id,
            organ_name=unit.name,
            organ_email=ctx.mailbox.address,
            response_code=orig_number,
            promulgation_date=doc.orig_date if doc is not None else None,
            document_id=(doc.tag or "") if doc is not None else "",
            status_code=code,
            description=description,
            at=ctx.now(),
        ),
        ctx.settings.tz,
    )
    return {"filename": "trangthai.xml", "content_type": "application/xml", "text": xml}


def send_registered(ctx: FlowContext, to: str, reply_to: ParsedMessage | None, unit: Unit, doc: Document) -> None:
    """Status 03: received and registered, with the số đến and date."""
    description = f"{DESCRIPTIONS[REGISTERED]}, số đến {doc.number_str} ngày {doc.doc_date:%d/%m/%Y}"
    enqueue(
        ctx,
        kind="receipt",
        to=to,
        template="incoming_receipt",
        reply_to=reply_to,
        document=doc,
        attachments=[_status_part(ctx, unit, REGISTERED, description, doc, doc.orig_number)],
        doc=doc,
        unit_name=unit.name,
        status_code=REGISTERED,
        status_text=DESCRIPTIONS[REGISTERED],
    )


def send_refused(
    ctx: FlowContext,
    to: str,
    reply_to: ParsedMessage | None,
    unit: Unit,
    *,
    subject: str,
    orig_number: str,
    reasons: list[str],
) -> None:
    """Status 02: refused and returned, with every reason."""
    description = f"{DESCRIPTIONS[REFUSED]}: " + "; ".join(reasons)
    enqueue(
        ctx,
        kind="receipt",
        to=to,
        template="incoming_returned",
        reply_to=reply_to,
        attachments=[_status_part(ctx, unit, REFUSED, description, None, orig_number)],
        unit_name=unit.name,
        request_subject=subject,
        orig_number=orig_number,
        reasons=reasons,
        status_code=REFUSED,
        status_text=DESCRIPTIONS[REFUSED],
    )


def send_status(ctx: FlowContext, to: str, unit: Unit, doc: Document, code: str) -> None:
    """A status update (04 phân công, 05 đang xử lý, 06 hoàn thành) to the sender of an incoming document.

    Nothing is sent for a document that came from an automatic sender (unless the intake policy's
    ``receipts_to_machines`` says so) or that someone in the directory forwarded: its original sender did
    not write to us.
    """
    sources = doc.field_sources or {}
    if sources.get("forwarded_by") or (sources.get("machine_sender") and not ctx.settings.intake.receipts_to_machines):
        return
    description = DESCRIPTIONS[code]
    enqueue(
        ctx,
        kind="status",
        to=to,
        template="status_update",
        document=doc,
        auto_submitted="auto-generated",
        attachments=[_status_part(ctx, unit, code, description, doc, doc.orig_number)],
        doc=doc,
        unit_name=unit.name,
        status_code=code,
        status_text=description,
    )
