"""Which document a reply is about: the subject's tag first, then In-Reply-To/References in the outbox.

A tag proves nothing about who may act: the flows check the sender's authority over the document found.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.mailflows.commands import parse_subject
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.tables import Document, OutboxMessage


def document_of(session: Session, msg: ParsedMessage) -> Document | None:
    tag = parse_subject(msg.subject).tag
    if tag and tag.startswith("VT-"):
        doc = session.execute(select(Document).where(Document.tag == tag)).scalar_one_or_none()
        if doc is not None:
            return doc
    ids = [i for i in (msg.in_reply_to, *reversed(msg.references)) if i]
    if not ids:
        return None
    row = session.execute(
        select(OutboxMessage.document_id)
        .where(OutboxMessage.message_id.in_(ids), OutboxMessage.document_id.is_not(None))
        .limit(1)
    ).first()
    return session.get(Document, row[0]) if row else None
