"""``Trợ giúp``, and the answer to a command vanthu does not know: the list of commands."""

from __future__ import annotations

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Person


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, *, unknown_command: bool) -> None:
    enqueue(
        ctx,
        kind="help",
        to=msg.sender,
        template="help",
        reply_to=msg,
        person_name=person.full_name,
        request_subject=msg.subject,
        unknown_command=unknown_command,
    )
