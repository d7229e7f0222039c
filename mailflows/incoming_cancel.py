"""``Hủy số đến 15``: a clerk or a leader takes a registered incoming document out of the open work.

Junk that got a số đến (spam with an unsigned PDF) or a mis-registered document is cancelled by mail,
with a reason: the entry stays in the register as cancelled (who, when, why), its open assignments are
closed as cancelled, the step is audited, and the sender and the people who held the document are told.
"""

from __future__ import annotations

import re

from vanthu.mailflows.commands import field, fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models.authority import CLERK, LEADER, governs
from vanthu.models.clock import local_date
from vanthu.models.directory import nearest_leaders, unit_by_code
from vanthu.models.incoming import IncomingError, cancel_incoming, find_arrival, incoming_register
from vanthu.models.numbering import register_year
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Document, Person, Unit
from vanthu.models.text import fold

DONE = Outcome.INCOMING_CANCELLED
_ARRIVAL = re.compile(r"^den\s*(?:so\s*)?[:.]?\s*(\d{1,6})([a-z]?)(?:\s*(?:/|nam)\s*(\d{4}))?\s*$")


def is_incoming(argument: str) -> bool:
    """True for the argument of ``Hủy số đến …`` (``đến 15``, ``den 15/2026``), not ``Hủy số 15/QĐ-…``."""
    folded = fold(argument[:200])
    return folded == "den" or folded.startswith(("den ", "den:"))


def _tell(
    ctx: FlowContext, person: Person, msg: ParsedMessage | None, *, by: Person, doc: Document, notice: bool
) -> None:
    enqueue(
        ctx,
        kind="incoming-cancel",
        to=person.email,
        template="incoming_cancelled",
        reply_to=msg,
        document=doc,
        auto_submitted="auto-generated" if notice else "auto-replied",
        person=person,
        by=by,
        doc=doc,
        notice=notice,
    )


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    """Cancel the incoming document the subject names; returns the outcome name."""
    session = ctx.uow.session
    m = _ARRIVAL.match(fold(argument[:200]))
    if m is None:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Chưa rõ số đến cần hủy: viết «Hủy số đến 15» (hoặc «Hủy số đến 15/2026») trong tiêu đề.",
        )
        return Outcome.CANCEL_INCOMING_MISSING_NUMBER
    unit = unit_by_code(session, ctx.mailbox.unit_code)
    register = incoming_register(session, unit)
    if register is None:
        raise LookupError(f"unit {unit.code} has no incoming register")
    if m.group(3):
        year = int(m.group(3))
    else:
        today = local_date(ctx.now(), ctx.settings.tz)
        year = register_year(today, register.year_start_month, register.year_start_day)
    doc = find_arrival(session, register, year, int(m.group(1)), m.group(2))
    if doc is None:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=f"Không có văn bản đến số {int(m.group(1)):02d}{m.group(2)} năm {year} trong {register.name}.",
        )
        return Outcome.CANCEL_INCOMING_NOT_FOUND
    if not (person.has_role(CLERK, LEADER) and governs(person, doc.unit)):
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=f"Chỉ văn thư hoặc lãnh đạo đơn vị được hủy văn bản đến số {doc.number_str}.",
            document=doc,
        )
        return Outcome.CANCEL_INCOMING_REFUSED
    try:
        closed = cancel_incoming(
            session, doc, by=person, reason=field(fields(msg.command_text), "ly do"), at=ctx.now(), tz=ctx.settings.tz
        )
    except IncomingError as exc:
        reply_problem(ctx, msg, person_name=person.full_name, reason=str(exc), document=doc)
        return Outcome.CANCEL_INCOMING_REJECTED
    _tell(ctx, person, msg, by=person, doc=doc, notice=False)
    told = {person.email}
    for a in closed:
        if a.role == "decide":
            continue
        holders: list[Person] = []
        if a.person_id is not None:
            holder = session.get(Person, a.person_id)
            holders = [holder] if holder is not None and holder.active else []
        elif a.unit_id is not None:
            held_by = session.get(Unit, a.unit_id)
            holders = nearest_leaders(ctx.uow.session, held_by) if held_by is not None else []
        for p in holders:
            if p.email not in told:
                told.add(p.email)
                _tell(ctx, p, None, by=person, doc=doc, notice=True)
    return DONE
