"""Turning an outbox row into the email that goes on the wire, identical on every resend."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from mailflows.hygiene import LOOP_HEADER
from models.tables import OutboxMessage

SENDER_NAME = "Văn thư"


def build(row: OutboxMessage, loop_id: str) -> EmailMessage:
    """The MIME message for ``row``: plain text and HTML alternatives, threading and loop headers.

    Every header comes from the stored row (the Date is the time the row was written), so a message
    sent again after a crash is the same email, with the same Message-ID.
    """
    msg = EmailMessage()
    msg["From"] = formataddr((SENDER_NAME, row.from_addr))
    msg["To"] = row.to_addr
    if row.cc_addrs:
        msg["Cc"] = ", ".join(row.cc_addrs)
    msg["Subject"] = row.subject
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
    msg.set_content(row.body_text, charset="utf-8")
    msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    return msg
