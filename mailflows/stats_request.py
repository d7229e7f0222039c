"""``Thống kê``: a clerk or leader asks for the statistics of a period and gets them back as an XLSX.

``Thống kê: 11/2026`` (a month), ``Thống kê: 2026`` (a year), ``Thống kê: 01/10/2026-31/10/2026`` (a range
of days; also with spaces or ``đến``). The figures cover the units whose documents the sender may search
(:func:`models.search.searchable_units`): their own unit and the units below it. The reply carries the
headline figures in its body and the workbook (sheets ``Tổng hợp``, ``Theo cán bộ``, ``Theo năm``) as an
attachment kept in the file store.
"""

from __future__ import annotations

import io

from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models import audit
from vanthu.models.authority import CLERK, LEADER
from vanthu.models.clock import local_date
from vanthu.models.documents import issuing_unit
from vanthu.models.outbox import enqueue
from vanthu.models.search import searchable_units
from vanthu.models.statistics import SIGNED_DEFINITION, SIGNED_NOT_BUILT, Statistics, compute, parse_period
from vanthu.models.tables import Person
from vanthu.templates.statistics_xlsx import write_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NOT_ALLOWED = (
    "Số liệu thống kê chỉ gửi cho văn thư và lãnh đạo đơn vị; trong danh bạ, đồng chí không có vai trò văn thư "
    "hay lãnh đạo. Nếu cần số liệu, đề nghị đồng chí liên hệ văn thư hoặc lãnh đạo đơn vị."
)

PERIOD_FORMS = (
    "Viết kỳ thống kê ngay sau «Thống kê:» trong tiêu đề, ví dụ: "
    "«Thống kê: 11/2026» (một tháng); "
    "«Thống kê: 2026» (một năm); "
    "«Thống kê: 01/10/2026-31/10/2026» hoặc «Thống kê: 01/10/2026 đến 31/10/2026» (từ ngày đến ngày). "
    "Cũng được: «Thống kê: 2020-2023» (nhiều năm), «tháng này», «tháng trước», «năm nay», «năm trước»; "
    "viết không dấu cũng được."
)


def _number(n: int) -> str:
    """``1.234``: thousands separated by dots, as Vietnamese documents write them."""
    return f"{n:,}".replace(",", ".")


def _decimal(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _percent(x: float | None) -> str:
    return "chưa có số liệu" if x is None else f"{_decimal(100 * x)}%"


def _hours(x: float | None) -> str:
    return "chưa có số liệu" if x is None else f"{_decimal(x)} giờ"


def headline(stats: Statistics) -> list[str]:
    """The figures that go into the body of the reply, one line each, in Vietnamese."""
    u, a = stats.unit_total, stats.assignee_total
    return [
        f"Văn bản đến: {_number(u.incoming)} (điện tử {_number(u.incoming_electronic)}, "
        f"nền giấy {_number(u.incoming_paper)}).",
        f"Văn bản đi đã cấp số: {_number(u.outgoing)}; số đã hủy: {_number(u.cancelled)}; "
        f"đã ký số: {_number(u.signed)} (tỷ lệ {_percent(u.signed_share)}).",
        f"Văn bản đến trong kỳ đã giao xử lý: {_number(u.assigned)}; hoàn thành {_number(u.done)}, "
        f"trong đó trễ hạn {_number(u.done_late)}; quá hạn chưa xong {_number(u.open_overdue)}; "
        f"tỷ lệ trễ hạn {_percent(u.overdue_rate)}.",
        f"Thời gian trung vị từ khi văn bản đến đến khi giao xử lý: {_hours(u.median_hours_to_assign)}; "
        f"từ khi giao đến khi hoàn thành: {_hours(u.median_hours_to_finish)}.",
        f"Lần giao xử lý chính trong kỳ: {_number(a.received)}; hoàn thành {_number(a.done)} "
        f"(đúng hạn {_number(a.on_time)}, trễ hạn {_number(a.late)}); đang xử lý {_number(a.open)}, "
        f"trong đó quá hạn {_number(a.open_overdue)}.",
    ]


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    """Send ``person`` the statistics of the period named in ``argument``; return the outcome name.

    Someone who is neither clerk nor leader gets a refusal saying why (``stats.refused``); a period that
    cannot be read gets the accepted forms (``stats.bad-period``). Otherwise the workbook is stored with
    ``ctx.files``, exactly one ``stats_reply`` with it attached is queued, an audit entry records the
    report, and the outcome is ``stats.sent``.
    """
    if not person.has_role(CLERK, LEADER):
        reply_problem(ctx, msg, person_name=person.full_name, reason=NOT_ALLOWED)
        return Outcome.STATS_REFUSED
    now, tz = ctx.now(), ctx.settings.tz
    period = parse_period(argument, local_date(now, tz))
    if period is None:
        given = argument.strip()
        reason = (f"Không hiểu kỳ thống kê «{given}». " if given else "Chưa có kỳ thống kê. ") + PERIOD_FORMS
        reply_problem(ctx, msg, person_name=person.full_name, reason=reason)
        return Outcome.STATS_BAD_PERIOD
    if ctx.files is None:
        raise RuntimeError("the file store is not configured: the statistics workbook cannot be kept")
    session = ctx.uow.session
    unit = issuing_unit(person.unit)
    unit_ids = searchable_units(session, person)
    stats = compute(session, unit_ids, period, tz, now)
    buffer = io.BytesIO()
    write_xlsx(stats, buffer, unit_name=unit.name)
    sha256 = ctx.files.put(buffer.getvalue())
    filename = f"thong-ke-{period.slug}.xlsx"
    notes = [SIGNED_DEFINITION] + ([SIGNED_NOT_BUILT] if stats.unit_total.signed == 0 else [])
    enqueue(
        ctx,
        kind="stats",
        to=msg.sender,
        template="stats_reply",
        reply_to=msg,
        attachments=[{"filename": filename, "content_type": XLSX_TYPE, "sha256": sha256}],
        person_name=person.full_name,
        unit_name=unit.name,
        unit_names=[u.name for u in stats.units],
        period_label=period.label,
        start=period.start,
        end=period.end,
        generated_at=now,
        lines=headline(stats),
        notes=notes,
        filename=filename,
    )
    audit.append(
        session,
        at=now,
        tz=tz,
        actor=person.email,
        action="stats.sent",
        object_type="report",
        object_id=f"{unit.code}:{period.slug}",
        details={
            "period": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "units": unit_ids,
            "file": sha256,
            "incoming": stats.unit_total.incoming,
            "outgoing": stats.unit_total.outgoing,
        },
    )
    return Outcome.STATS_SENT
