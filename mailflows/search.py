"""``Tra cứu``: search documents by case, number, sender or words, and get the list back by reply.

``Tra cứu: 12/2026/HS`` answers with the case file: every document of the case in date order, with
its status and whether its deadline was met. ``Tra cứu: 15/QĐ-VKSQN``, ``Tra cứu: số đến 15``,
``Tra cứu: pc01@congan.quangninh.gov.vn`` and ``Tra cuu khoi to bi can`` list what matches. Only the
documents of the units the sender may see are searched, and secret documents never appear.
"""

from __future__ import annotations

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models.outbox import enqueue
from vanthu.models.search import LIMIT, QueryKind, search, timeline
from vanthu.models.tables import Person

HOW_TO = (
    "Chưa có nội dung cần tra cứu. Viết điều cần tìm ngay sau «Tra cứu:» trong tiêu đề, ví dụ: "
    "«Tra cứu: 12/2026/HS» (hồ sơ vụ án: mọi văn bản của vụ án theo thứ tự ngày, kèm thời hạn); "
    "«Tra cứu: 15/QĐ-VKSQN» (số, ký hiệu văn bản đi, hoặc số của cơ quan ban hành như 123/QĐ-CSĐT); "
    "«Tra cứu: số đến 15» (văn bản đến theo số đến); "
    "«Tra cứu: pc01@congan.quangninh.gov.vn» (văn bản do địa chỉ thư này gửi); "
    "«Tra cứu: khởi tố bị can» (các từ có trong trích yếu, cơ quan ban hành; viết không dấu cũng được)."
)

_OUTCOMES = {
    QueryKind.CASE: Outcome.SEARCH_CASE,
    QueryKind.NUMBER: Outcome.SEARCH_NUMBER,
    QueryKind.SENDER: Outcome.SEARCH_SENDER,
    QueryKind.WORDS: Outcome.SEARCH_WORDS,
}


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    """Run the query in the subject for ``person`` and queue one reply; return the outcome name.

    An empty query gets a reply explaining the forms of query (``search.empty-query``). Otherwise exactly
    one ``search_results`` reply is queued, also when nothing matched, and the outcome names the kind of
    query: ``search.case``, ``search.number``, ``search.sender`` or ``search.words``.
    """
    session = ctx.uow.session
    result = search(session, person, argument, limit=LIMIT)
    if result.kind is QueryKind.EMPTY:
        reply_problem(ctx, msg, person_name=person.full_name, reason=HOW_TO)
        return Outcome.SEARCH_EMPTY_QUERY
    now = ctx.now()
    is_case = result.kind is QueryKind.CASE
    heading = f"Hồ sơ vụ án {result.label}" if is_case else f"Kết quả tra cứu «{result.query}»"
    enqueue(
        ctx,
        kind="search",
        to=msg.sender,
        template="search_results",
        reply_to=msg,
        person_name=person.full_name,
        heading=heading,
        query=result.query,
        is_case=is_case,
        rows=timeline(session, result.documents, now, tz=ctx.settings.tz),
        total=result.total,
        searched_at=now,
    )
    return _OUTCOMES[result.kind]
