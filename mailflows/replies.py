"""Answers to requests that cannot be carried out; the mail itself is queued by ``models.outbox``."""

from __future__ import annotations

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, OutboxMessage


def reply_problem(
    ctx: FlowContext,
    msg: ParsedMessage,
    *,
    person_name: str,
    reason: str,
    choices: list[str] | None = None,
    choice_key: str = "",
    show_help: bool = False,
    document: Document | None = None,
) -> OutboxMessage:
    """Answer a request that cannot be carried out, saying why and, when it helps, what to choose."""
    return enqueue(
        ctx,
        kind="problem",
        to=msg.sender,
        template="request_problem",
        reply_to=msg,
        document=document,
        person_name=person_name,
        request_subject=msg.subject,
        reason=reason,
        choices=choices or [],
        choice_key=choice_key,
        show_help=show_help,
    )
