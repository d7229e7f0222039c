"""A reply from outside the directory about one of our documents: attached to it and sent on.

A police investigator answering our receipt keeps its tag (``Re: [VT-2026-000010] …``). That mail is not a
stranger's: its files are stored with the document, the step is audited, and the text and files go to
whoever holds the document now (the person, or the leaders of the unit, given its open main assignment),
or to the unit's clerks when nobody does. The outside sender gets no automatic answer, and nothing of
the reply can change the document: commands are read only from people in the directory.
"""

from __future__ import annotations

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.incoming_meta import SECRECY_LEVELS, from_page_text, marking
from vanthu.mailflows.intake import is_pdf, set_aside_secret
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.models import assignments as work
from vanthu.models import audit
from vanthu.models.directory import nearest_clerks, nearest_leaders
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, DocumentFile, Person, Unit

ATTACHED = Outcome.REPLY_ATTACHED
MAX_QUOTED_CHARS = 8000


def recipients(ctx: FlowContext, doc: Document) -> list[Person]:
    """Who is told of the reply: the current assignee (a person, or its unit's leaders), else the clerks."""
    session = ctx.uow.session
    current = work.open_main(session, doc)
    people: list[Person] = []
    if current is not None and current.person_id is not None:
        person = session.get(Person, current.person_id)
        if person is not None and person.active:
            people = [person]
    elif current is not None and current.unit_id is not None:
        unit = session.get(Unit, current.unit_id)
        people = nearest_leaders(ctx.uow.session, unit) if unit is not None else []
    if not people:
        unit = session.get(Unit, doc.unit_id)
        people = nearest_clerks(session, unit) if unit is not None else []
    return people


def handle(ctx: FlowContext, msg: ParsedMessage, doc: Document) -> Outcome:
    """Attach ``msg`` (from outside the directory, about ``doc``) to the document and send it on.

    Guarantees: a secret marking (subject or page 1 of a PDF) sets the mail aside untouched as any secret
    document; otherwise every attachment is stored and recorded as a file of ``doc``, one audit entry
    names the sender and the files, and each recipient gets the text and the files. Nothing goes back.
    """
    assert ctx.files is not None, "the worker must give the flow its file store"
    level = marking(msg.subject, SECRECY_LEVELS, capitals_only=False)
    if not level and ctx.pdf is not None:
        for att in msg.attachments:
            if is_pdf(att):
                report = ctx.pdf.inspect(att.data)
                if report.outcome == "ok":
                    level = from_page_text(report.first_pages_text, ctx.settings.doc_types).secrecy
                if level:
                    break
    if level:
        return set_aside_secret(ctx, msg, level)
    session = ctx.uow.session
    files: list[dict[str, str]] = []
    for att in msg.attachments:
        sha = ctx.files.put(att.data)
        session.add(
            DocumentFile(
                document_id=doc.id,
                sha256=sha,
                filename=att.filename[:255],
                content_type=att.content_type[:128],
                size=len(att.data),
            )
        )
        files.append({"filename": att.filename, "content_type": att.content_type, "sha256": sha})
    session.flush()
    people = recipients(ctx, doc)
    audit.document_event(
        session,
        doc,
        at=ctx.now(),
        tz=ctx.settings.tz,
        actor=msg.sender,
        action="incoming.reply-attached",
        details={
            "sender": msg.sender,
            "subject": msg.subject[:300],
            "message": ctx.sha256,
            "files": [f["sha256"] for f in files],
            "sent_on_to": [p.email for p in people],
        },
    )
    text = msg.body.strip()
    for person in people:
        enqueue(
            ctx,
            kind="outside-reply",
            to=person.email,
            template="outside_reply",
            document=doc,
            auto_submitted="auto-generated",
            attachments=files,
            person=person,
            doc=doc,
            sender=msg.sender,
            sender_name=msg.sender_name,
            request_subject=msg.subject,
            received_at=ctx.now(),
            text=text[:MAX_QUOTED_CHARS],
            cut=len(text) > MAX_QUOTED_CHARS,
            filenames=[f["filename"] for f in files],
        )
    return ATTACHED
