"""``Chèn số``: a clerk or leader gives an inserted number (``15a``) after a number already given.

Used when a document must go between two issued numbers; audited with the reason.
"""

from __future__ import annotations

import re

from vanthu.mailflows.commands import field, fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models import documents
from vanthu.models.authority import may_insert, unit_chain
from vanthu.models.directory import drafter_symbol
from vanthu.models.numbering import NumberingError, parse_number
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Person

_AFTER = re.compile(r"^\s*(?:sau|after)\s+(?:số\s+|so\s+)?", re.IGNORECASE)


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    values = fields(msg.command_text)
    text = _AFTER.sub("", argument)
    parsed = parse_number(text)
    if parsed is None:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Chưa rõ chèn sau số nào: viết «Chèn số sau 15/QĐ-VKSQN» trong tiêu đề.",
        )
        return Outcome.INSERT_MISSING_NUMBER
    session = ctx.uow.session
    found = documents.find_by_number(session, unit_chain(person.unit), parsed)
    if len(found) != 1:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=(
                f"Không tìm thấy số «{text}» trong các sổ của đơn vị."
                if not found
                else f"Có nhiều văn bản mang số «{text}»: ghi đủ ký hiệu."
            ),
            choices=[d.number_str for d in found],
            choice_key="Số",
        )
        return Outcome.INSERT_NOT_FOUND if not found else Outcome.INSERT_AMBIGUOUS
    after = found[0]
    if not may_insert(person, after.unit):
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Chỉ văn thư và lãnh đạo đơn vị được chèn số.",
        )
        return Outcome.INSERT_REFUSED
    given_type = field(values, "loai", "loai van ban")
    types = ctx.settings.doc_types.lookup(given_type) if given_type else []
    if not types:
        same = ctx.settings.doc_types.get(after.type_code)
        types = [same] if same is not None else []
    if len(types) != 1:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Chưa rõ loại văn bản của số chèn: thêm dòng «Loại: …».",
            choices=[f"{t.code or '(không mã)'} — {t.name}" for t in types],
            choice_key="Loại",
        )
        return Outcome.INSERT_TYPE_UNCLEAR
    try:
        doc = documents.insert_after(
            session,
            after,
            by=person,
            doc_type=types[0],
            summary=field(values, "trich yeu", "ten van ban") or after.summary,
            reason=field(values, "ly do"),
            drafter=drafter_symbol(person),
            at=ctx.now(),
            tz=ctx.settings.tz,
            source_message_id=msg.message_id,
        )
    except NumberingError as exc:
        reply_problem(ctx, msg, person_name=person.full_name, reason=str(exc))
        return Outcome.INSERT_REJECTED
    enqueue(
        ctx,
        kind="insert",
        to=msg.sender,
        template="number_given",
        reply_to=msg,
        document=doc,
        person=person,
        doc=doc,
        register=doc.register,
    )
    return Outcome.INSERT_GIVEN
