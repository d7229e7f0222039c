"""``Hủy số``: the requester, a clerk or a leader cancels a reserved number, with a reason.

The number stays in the register as cancelled (who, when, why) and is never given again.
"""

from __future__ import annotations

from vanthu.mailflows.commands import field, fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models import documents
from vanthu.models.authority import may_cancel, unit_chain
from vanthu.models.numbering import NumberingError, parse_number
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Person


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    values = fields(msg.command_text)
    parsed = parse_number(argument or field(values, "so"))
    if parsed is None:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Chưa rõ số cần hủy: viết «Hủy số 15/QĐ-VKSQN» trong tiêu đề.",
        )
        return Outcome.CANCEL_MISSING_NUMBER
    session = ctx.uow.session
    units = unit_chain(person.unit)
    found = documents.find_by_number(session, units, parsed)
    if len(found) != 1:
        reason = (
            f"Không tìm thấy số «{argument}» trong các sổ của đơn vị."
            if not found
            else (f"Có nhiều văn bản mang số «{argument}»: ghi đủ ký hiệu, ví dụ «Hủy số {found[0].number_str}».")
        )
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=reason,
            choices=[d.number_str for d in found],
            choice_key="Số",
        )
        return Outcome.CANCEL_NOT_FOUND if not found else Outcome.CANCEL_AMBIGUOUS
    doc = found[0]
    if not may_cancel(person, doc):
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=(
                f"Đồng chí không có quyền hủy số {doc.number_str}: chỉ người đã lấy số, "
                "văn thư hoặc lãnh đạo đơn vị được hủy."
            ),
            document=doc,
        )
        return Outcome.CANCEL_REFUSED
    try:
        documents.cancel(session, doc, by=person, reason=field(values, "ly do"), at=ctx.now(), tz=ctx.settings.tz)
    except NumberingError as exc:
        reply_problem(ctx, msg, person_name=person.full_name, reason=str(exc), document=doc)
        return Outcome.CANCEL_REJECTED
    enqueue(
        ctx,
        kind="cancel",
        to=msg.sender,
        template="number_cancelled",
        reply_to=msg,
        document=doc,
        person=person,
        doc=doc,
        register=doc.register,
    )
    return Outcome.CANCEL_DONE
