"""Turning an outbox row into the email that goes on the wire, identical on every resend."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from vanthu.mailflows.hygiene import LOOP_HEADER
from vanthu.models.tables import OutboxMessage
from vanthu.worker.blobstore import BlobStore

SENDER_NAME = "Văn thư"


def build(row: OutboxMessage, loop_id: str, files: BlobStore | None = None) -> EmailMessage:
    """The MIME message for ``row``: plain text and HTML alternatives, threading and loop headers.

    Every header comes from the stored row (the Date is the time the row was written), so a message
    sent again after a crash is the same email, with the same Message-ID.
    """
    msg = EmailMessage()
    msg["From"] = formataddr((SENDER_NAME, row.from_addr))
    msg["To"] = row.to_addr
    if row.cc_addrs:
        msg["Cc"] = ", ".join(row.cc_addrs)
    # Python's header folder can drop the space between two encoded words it splits (the decoder then
    # joins "văn bản 45/…" into "văn bản45/…"); email.header encodes the spaces inside the words.
    msg.set_raw("Subject", Header(row.subject, "utf-8", header_name="Subject").encode())
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = row.message_id
    if row.in_reply_to:
        msg["In-Reply-To"] = row.in_reply_to
    if row.references:
        msg["References"] = row.references
    msg["Auto-Submitted"] = row.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = loop_id
    msg["Content-Language"] = "vi"
    if row.priority == "urgent":
        msg["Importance"] = "high"
        msg["X-Priority"] = "1"
        msg["Priority"] = "urgent"
    msg.set_content(row.body_text, charset="utf-8")
    msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    for att in row.attachments:
        maintype, _, subtype = att["content_type"].partition("/")
        if "text" in att:
            msg.add_attachment(
                att["text"].encode("utf-8"),
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=att["filename"],
            )
        elif files is not None:
            msg.add_attachment(
                files.get(att["sha256"]),
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=att["filename"],
            )
        else:
            raise ValueError(f"attachment {att['filename']} needs the file store")
    return msg
