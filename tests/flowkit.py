"""Driving the real processor over a local mailbox, for flow tests without a mail server."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vanthu.models.tables import Document, MailLedger, OutboxMessage
from vanthu.worker.app import App
from vanthu.worker.local_source import LocalSource, deliver_local
from vanthu.worker.processor import Processor, Result

T = TypeVar("T")


def inbox_root(app: App) -> LocalSource:
    mb = app.config.mailboxes[0]
    return LocalSource(mb.name, app.config.data_path / f"mailboxes/{mb.name}", mb.inbox)


def send(app: App, *messages: EmailMessage) -> list[Result]:
    """Drop ``messages`` into the office mailbox and process everything waiting, in order."""
    source = inbox_root(app)
    for msg in messages:
        deliver_local(source.root, msg.as_bytes())
    return Processor(app, app.config.mailboxes[0]).drain(source)


def outbox(app: App) -> list[OutboxMessage]:
    with app.uow() as uow:
        return list(uow.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def replies_to(app: App, message_id: str) -> list[OutboxMessage]:
    return [r for r in outbox(app) if r.in_reply_to == message_id]


def documents(app: App) -> list[Document]:
    with app.uow() as uow:
        stmt = select(Document).options(joinedload(Document.register)).order_by(Document.id)
        return list(uow.session.execute(stmt).scalars())


def ledger(app: App) -> list[MailLedger]:
    with app.uow() as uow:
        return list(uow.session.execute(select(MailLedger).order_by(MailLedger.id)).scalars())


def rows(app: App, model: type[T]) -> list[T]:
    """Every row of ``model``'s table, in id order (detached, fully loaded)."""
    with app.uow() as uow:
        return list(uow.session.execute(select(model).order_by(model.id)).scalars())  # type: ignore[attr-defined]
