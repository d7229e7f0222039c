"""Putting outgoing mail into the outbox, inside the caller's transaction (a flow's or a report job's).

Every message gets a stable Message-ID stored with it (a resend after a crash is the same email),
``In-Reply-To`` the triggering message, and ``References`` starting with a per-document pseudo-ID so
that mail programs group one document's mail. A per-address cap stops runaway replies — loops with
machines at outside addresses: past it, the row is kept as ``suppressed``, audited, logged at WARNING and
listed in the next daily digest ("thư bị giữ lại"), never sent. Mail to people in the directory about a
document or a quarantined message (clerk copies, quarantine and assignment notices, leaders' notices,
confirmations) is never held back.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import func, select

from vanthu.models import audit
from vanthu.models.directory import person_by_email
from vanthu.models.ports import MailContext, MailReference
from vanthu.models.tables import Document, OutboxMessage

log = logging.getLogger(__name__)


def document_thread_id(tag: str, domain: str) -> str:
    """The pseudo Message-ID that every mail about one document references first."""
    return f"<{tag.lower()}@{domain}>"


def new_message_id(kind: str, tag: str | None, domain: str) -> str:
    """A new Message-ID; every one vanthu writes starts ``<vt-`` (``<vt-2026-000123-number-…@domain>``)."""
    ident = tag.lower() if tag else "vt-msg"
    return f"<{ident}-{kind}-{uuid.uuid4().hex[:16]}@{domain}>"


def enqueue(
    ctx: MailContext,
    *,
    kind: str,
    to: str,
    template: str,
    reply_to: MailReference | None = None,
    document: Document | None = None,
    auto_submitted: str = "auto-replied",
    tag: str | None = None,
    priority: str = "normal",
    attachments: list[dict[str, str]] | None = None,
    **variables: Any,
) -> OutboxMessage:
    """Render ``template`` and queue it for ``to`` in ``ctx``'s transaction; returns the outbox row (flushed,
    not committed: it is sent only if the caller commits).

    ``ctx`` is any :class:`~vanthu.models.ports.MailContext` (a flow's context, a report job's); the row is
    stamped with ``ctx.now()``, never the real clock, and comes from ``ctx.mailbox.address``. ``reply_to``
    (the message answered) gives ``In-Reply-To`` and the tail of ``References``. Mail past the per-address
    cap is kept as ``suppressed`` (see the module's docstring) rather than raising.

    ``tag`` (default: the document's) goes into the subject by the template and heads ``References``.
    ``attachments`` are dicts ``{"filename", "content_type", "sha256"}`` naming a file in the file store,
    or ``{"filename", "content_type", "text"}`` carrying a small text part.
    """
    session = ctx.uow.session
    now = ctx.now()
    if tag is None and document is not None:
        tag = document.tag
    rendered = ctx.templates.render(template, tag=tag, mailbox_address=ctx.mailbox.address, **variables)
    domain = ctx.settings.mail_domain
    refs: list[str] = []
    if tag:
        refs.append(document_thread_id(tag, domain))
    if reply_to is not None:
        refs.extend(r for r in reply_to.references if r not in refs)
        if reply_to.message_id and reply_to.message_id not in refs:
            refs.append(reply_to.message_id)
    row = OutboxMessage(
        message_id=new_message_id(kind, tag, domain),
        kind=kind,
        from_addr=ctx.mailbox.address,
        to_addr=to.lower(),
        cc_addrs=[],
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        in_reply_to=reply_to.message_id if reply_to is not None else "",
        references=" ".join(refs[-20:]),
        auto_submitted=auto_submitted,
        priority=priority,
        attachments=list(attachments or []),
        document_id=document.id if document is not None else None,
        ledger_id=ctx.ledger_id,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    if not _exempt(ctx, to.lower(), tag=tag, auto_submitted=auto_submitted) and _over_cap(ctx, to.lower(), now):
        log.warning(
            "outbox: held back %s mail to %s (over %d an hour): %s",
            kind,
            to.lower(),
            ctx.settings.reply_cap_per_hour,
            rendered.subject[:200],
        )
        row.state = "suppressed"
        row.last_error = f"more than {ctx.settings.reply_cap_per_hour} messages to this address in one hour"
        audit.append(
            session,
            at=now,
            tz=ctx.settings.tz,
            actor="vanthu",
            action="mail.suppressed",
            object_type="address",
            object_id=to.lower(),
            details={"kind": kind, "subject": rendered.subject},
        )
    session.add(row)
    session.flush()
    return row


def _exempt(ctx: MailContext, to: str, *, tag: str | None, auto_submitted: str) -> bool:
    """True for mail the cap never holds back: to an active person in the directory, about a document or
    a quarantined message (it carries a tag), or a notice vanthu generates itself (``auto-generated``)."""
    if not tag and auto_submitted != "auto-generated":
        return False
    return person_by_email(ctx.uow.session, to) is not None


def _over_cap(ctx: MailContext, to: str, now: dt.datetime) -> bool:
    count = ctx.uow.session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.to_addr == to,
            OutboxMessage.created_at > now - dt.timedelta(hours=1),
            OutboxMessage.state != "suppressed",
            OutboxMessage.kind.notin_(("report", "digest", "reminder", "escalation", "weekly")),
        )
    ).scalar_one()
    return int(count) >= ctx.settings.reply_cap_per_hour
