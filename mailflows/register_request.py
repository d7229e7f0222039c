"""``Sổ: <sổ> <kỳ>``: a clerk or leader gets a register for inspection, as XLSX and as printable PDF.

The register is named by its code (``Sổ: DEN 2026``, ``Sổ: HC 11/2026``) or by words, with or without
diacritics: ``đến`` (the incoming register), ``đi`` (the unit's outgoing register, when it has only one)
and ``theo dõi`` (the follow-up register of incoming documents); a ``Sổ: HC`` line in the body, as the
list of choices asks for, names it too. The period is a month (``11/2026``), a year (``2026``; the
register's own year for a procedural register) or two dates (``01/10/2026-31/10/2026``). The registers
are those of the sender's unit (a department's people get their parent unit's). A secret register is
never sent: it stays on paper.

Outcomes: ``register.sent`` (one reply with both files), ``register.refused`` (not a clerk or leader,
or a secret register) and ``register.unclear`` (register or period not understood, or several
registers fit; the reply says how to write it).
"""

from __future__ import annotations

import io
import logging
import re

from sqlalchemy import select

from vanthu.mailflows.commands import field, fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models import audit
from vanthu.models.authority import CLERK, LEADER
from vanthu.models.documents import issuing_unit
from vanthu.models.outbox import enqueue
from vanthu.models.registers_export import (
    RegisterChoiceError,
    RegisterExportError,
    RegisterKind,
    RegisterTable,
    SecretRegisterError,
    find_period,
    resolve_register,
    rows,
)
from vanthu.models.tables import Person, Register, Unit
from vanthu.models.text import fold
from vanthu.templates.register_pdf import FontMissingError, write_pdf
from vanthu.templates.register_xlsx import write_xlsx

log = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

HOW_TO = (
    "Viết sổ và kỳ cần xuất sau «Sổ:» trong tiêu đề, ví dụ: «Sổ: đến 11/2026» (sổ đăng ký văn bản đến "
    "tháng 11/2026), «Sổ: đi 2026», «Sổ: theo dõi 11/2026» (sổ theo dõi giải quyết văn bản đến), "
    "«Sổ: HC 01/10/2026-31/10/2026» (theo mã sổ và khoảng ngày). Viết không dấu cũng được."
)
NOT_ALLOWED = "Chỉ văn thư và lãnh đạo đơn vị được nhận sổ đăng ký văn bản qua thư điện tử."

# Words that may surround the register's name and say nothing about which register it is.
_FILLER = {"so", "dang", "ky", "van", "ban", "giai", "quyet", "cua", "xuat"}
_TOKEN = re.compile(r"[a-z0-9.]+")


def _unit_registers(ctx: FlowContext, unit: Unit) -> list[Register]:
    return list(
        ctx.uow.session.execute(select(Register).where(Register.unit_id == unit.id).order_by(Register.code)).scalars()
    )


def _which(words: str, registers: list[Register]) -> tuple[RegisterKind, Register | None] | None:
    """The register named by ``words`` (folded): a code of one of ``registers``, or đến / đi / theo dõi.

    ``None`` as the register means "the unit's only one of that kind"; None overall means not understood.
    """
    tokens = [t for t in _TOKEN.findall(fold(words)) if t not in _FILLER]
    follow_up = "theo" in tokens and "doi" in tokens
    if follow_up:
        tokens = [t for t in tokens if t not in ("theo", "doi")]
    by_code = {fold(r.code): r for r in registers}
    if any(t in by_code for t in tokens):
        return _coded(tokens, by_code, follow_up)
    return _named(tokens, follow_up)


def _coded(tokens: list[str], by_code: dict[str, Register], follow_up: bool) -> tuple[RegisterKind, Register] | None:
    """Exactly one register code among ``tokens`` (besides đến / đi): that register; else not understood."""
    coded = [by_code[t] for t in tokens if t in by_code]
    if len(coded) != 1 or not all(t in by_code or t in ("den", "di") for t in tokens):
        return None
    [reg] = coded
    if follow_up:
        return RegisterKind.FOLLOW_UP, reg
    return (RegisterKind.OUTGOING if reg.direction == "out" else RegisterKind.INCOMING), reg


def _named(tokens: list[str], follow_up: bool) -> tuple[RegisterKind, None] | None:
    """đến, đi, theo dõi (đến) without a code: the unit's only register of that kind."""
    if follow_up and tokens in ([], ["den"]):
        return RegisterKind.FOLLOW_UP, None
    if tokens == ["den"]:
        return RegisterKind.INCOMING, None
    if tokens == ["di"]:
        return RegisterKind.OUTGOING, None
    return None


def _render(table: RegisterTable) -> tuple[bytes, bytes | None, str]:
    """The XLSX bytes, the PDF bytes (None when the font is missing) and what went wrong with the PDF."""
    xlsx = io.BytesIO()
    write_xlsx(table, xlsx)
    pdf = io.BytesIO()
    try:
        write_pdf(table, pdf)
    except FontMissingError as exc:
        log.error("register PDF not made: %s", exc)
        return xlsx.getvalue(), None, str(exc)
    return xlsx.getvalue(), pdf.getvalue(), ""


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, argument: str) -> Outcome:
    """Answer ``Sổ: <register> <period>`` from ``person``; return the outcome name.

    Guarantees: exactly one reply is queued. A person who is neither a clerk nor a leader, or a secret
    register, gets a ``request_problem`` reply saying why (``register.refused``); an argument whose
    register or period cannot be understood, or that fits several registers, gets one explaining how
    to write it, with the registers to choose from (``register.unclear``). Otherwise the register of the
    sender's unit is rendered, both files are stored in ``ctx.files`` and attached to a
    ``register_reply`` (``register.sent``), and the export is audited.
    """
    session = ctx.uow.session
    if not person.active or not person.has_role(CLERK, LEADER):
        reply_problem(ctx, msg, person_name=person.full_name, reason=NOT_ALLOWED)
        return Outcome.REGISTER_REFUSED
    unit = issuing_unit(person.unit)
    registers = _unit_registers(ctx, unit)
    found = find_period(argument)
    # A «Sổ: HC» line in the body names the register too: it is what the list of choices asks for.
    body_register = field(fields(msg.command_text), "so")
    which = _which(f"{found[1]} {body_register}", registers) if found is not None else None
    if found is None or which is None:
        what = "kỳ" if found is None else "sổ"
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=f"Chưa rõ {what} cần xuất trong «{argument or msg.subject}». {HOW_TO}",
            choices=[f"{r.code} — {r.name}" for r in registers if not r.secret],
            choice_key="Sổ",
        )
        return Outcome.REGISTER_UNCLEAR
    period, _rest = found
    kind, register = which
    tz = ctx.settings.tz
    try:
        # The unit's register is found first: a year is the register's own year (from 1 December for a
        # procedural register).
        chosen = register if register is not None else resolve_register(session, unit, kind)
        start, end = period.dates(chosen)
        table = rows(session, chosen, kind, start, end, tz, now=ctx.now())
    except SecretRegisterError as exc:
        reply_problem(ctx, msg, person_name=person.full_name, reason=str(exc))
        return Outcome.REGISTER_REFUSED
    except RegisterChoiceError as exc:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=f"{exc} {HOW_TO}",
            choices=exc.choices,
            choice_key="Sổ",
        )
        return Outcome.REGISTER_UNCLEAR
    except RegisterExportError as exc:
        reply_problem(ctx, msg, person_name=person.full_name, reason=f"{exc} {HOW_TO}")
        return Outcome.REGISTER_UNCLEAR

    if ctx.files is None:
        raise RuntimeError("the register flow needs the file store (ctx.files)")
    xlsx, pdf, pdf_problem = _render(table)
    attachments = [{"filename": f"{table.file_stem}.xlsx", "content_type": XLSX_TYPE, "sha256": ctx.files.put(xlsx)}]
    if pdf is not None:
        attachments.append(
            {"filename": f"{table.file_stem}.pdf", "content_type": PDF_TYPE, "sha256": ctx.files.put(pdf)}
        )
    now = ctx.now()
    enqueue(
        ctx,
        kind="register",
        to=msg.sender,
        template="register_reply",
        reply_to=msg,
        attachments=attachments,
        person_name=person.full_name,
        table=table,
        count=len(table.rows),
        count_unit="số" if kind is RegisterKind.OUTGOING else "văn bản",
        filenames=[a["filename"] for a in attachments],
        pdf_problem=pdf_problem,
        generated_at=now,
    )
    audit.append(
        session,
        at=now,
        tz=tz,
        actor=person.email,
        action="register.export",
        object_type="register",
        object_id=f"{table.unit_code}/{table.register_code}",
        details={
            "kind": kind.value,
            "period": [start.isoformat(), end.isoformat()],
            "rows": len(table.rows),
            "files": [a["sha256"] for a in attachments],
        },
    )
    return Outcome.REGISTER_SENT
