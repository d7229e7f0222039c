"""Housekeeping, every 15 minutes: report the backlog so that trouble shows in the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select

from vanthu.models.tables import MailLedger, OutboxMessage
from vanthu.models.uow import UnitOfWork

log = logging.getLogger(__name__)


def backlog(new_uow: Callable[[], UnitOfWork]) -> dict[str, int]:
    """Counts of messages awaiting a retry, mails waiting to go out, and mails that could not be delivered."""
    with new_uow() as uow:
        s = uow.session

        def count(model: type[MailLedger] | type[OutboxMessage], *where: object) -> int:
            return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())  # type: ignore[arg-type]

        figures = {
            "awaiting_retry": count(MailLedger, MailLedger.state == "failed"),
            "mail_waiting": count(OutboxMessage, OutboxMessage.state.in_(("pending", "sending"))),
            "undeliverable": count(OutboxMessage, OutboxMessage.state == "failed"),
        }
    log.info(
        "housekeeping: %(awaiting_retry)s messages awaiting retry, %(mail_waiting)s mails waiting, "
        "%(undeliverable)s undeliverable",
        figures,
    )
    return figures
