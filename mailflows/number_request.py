"""``Lấy số``: an officer asks for a document number and gets it back by reply.

The document type comes from the ``Loại:`` line (code or name), else from the title catalog, else
from the first words of the title. The register follows from the type (configuration), the
``Độ mật:`` line (secret register) and, when several registers take the type, from ``Sổ:`` or the
catalog's category. Anything missing or ambiguous gets a reply listing the choices.
"""

from __future__ import annotations

from vanthu.mailflows.commands import field, fields
from vanthu.mailflows.context import FlowContext
from vanthu.mailflows.message import ParsedMessage
from vanthu.mailflows.outcomes import Outcome
from vanthu.mailflows.replies import reply_problem
from vanthu.models import documents
from vanthu.models.catalog import Title
from vanthu.models.directory import drafter_symbol
from vanthu.models.doctypes import DocType
from vanthu.models.documents import NumberRequest
from vanthu.models.outbox import enqueue
from vanthu.models.tables import Person, Register
from vanthu.models.text import fold

SECRECY = ("mat", "toi mat", "tuyet mat")
SECRET_PLACEHOLDER = "(văn bản mật — trích yếu ghi trên sổ giấy)"


def _choose_type(ctx: FlowContext, given: str, title: str, matched: Title | None) -> list[DocType]:
    catalog = ctx.settings.doc_types
    if given:
        return catalog.lookup(given)
    if matched is not None:
        found = catalog.lookup(matched.type_code) if matched.type_code else catalog.lookup("Công văn")
        if found:
            return found
    return catalog.from_title(title)


def _choose_register(registers: list[Register], wanted: str, matched: Title | None) -> tuple[list[Register], str]:
    if wanted:
        w = fold(wanted)
        chosen = [r for r in registers if fold(r.code) == w or fold(r.name) == w]
        return chosen, "" if chosen else f"Đơn vị không có sổ «{wanted}» nhận loại văn bản này."
    if len(registers) > 1 and matched is not None:
        by_category = [r for r in registers if r.category == matched.category]
        if by_category:
            return by_category, ""
    return registers, ""


def _with_diacritics(title: str, matched: Title | None) -> str:
    """A title typed without diacritics that starts with a catalog title gets the catalog's spelling.

    ``quyet dinh phe chuan lenh tam giam bi can A`` → ``Quyết định phê chuẩn lệnh tạm giam bi can A``: the
    register shows the standard title properly; what follows it stays as typed.
    """
    if matched is None or fold(title) != title.lower():
        return title
    standard = fold(matched.title)
    if not fold(title).startswith(standard):
        return title
    return matched.title + title[len(standard) :]


def handle(ctx: FlowContext, msg: ParsedMessage, person: Person, title: str) -> Outcome:
    """Reserve a number for the request in ``msg``; queue the reply. Returns the outcome name."""
    values = fields(msg.command_text)
    title = title or field(values, "trich yeu", "ten van ban")
    if not title:
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason="Thiếu tên loại và trích yếu văn bản: viết sau «Lấy số:» trong tiêu đề.",
            show_help=True,
        )
        return Outcome.NUMBER_MISSING_TITLE
    matched = ctx.settings.titles.match(title)
    types = _choose_type(ctx, field(values, "loai", "loai van ban"), title, matched)
    if len(types) != 1:
        given = field(values, "loai", "loai van ban")
        reason = (
            f"Loại văn bản «{given}» có nhiều nghĩa."
            if len(types) > 1 and given
            else f"Không rõ loại văn bản «{given}»."
            if given
            else "Chưa rõ loại văn bản: thêm dòng «Loại: …» (mã hoặc tên loại)."
        )
        options = types or list(ctx.settings.doc_types.types)
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=reason,
            choices=[f"{t.code or '(không mã)'} — {t.name}" for t in options],
            choice_key="Loại",
        )
        return Outcome.NUMBER_TYPE_UNCLEAR
    doc_type = types[0]
    secret = fold(field(values, "do mat", "mat")) in SECRECY
    session = ctx.uow.session
    registers = documents.candidate_registers(session, person.unit, doc_type, secret=secret)
    registers, why = _choose_register(registers, field(values, "so", "so van ban"), matched)
    if len(registers) != 1:
        all_regs = documents.candidate_registers(session, person.unit, doc_type, secret=secret)
        reason = why or (
            f"Đơn vị có nhiều sổ nhận {doc_type.name}: thêm dòng «Sổ: …»."
            if registers
            else f"Đơn vị chưa có sổ nào nhận {doc_type.name}{' mật' if secret else ''}; xin liên hệ văn thư."
        )
        reply_problem(
            ctx,
            msg,
            person_name=person.full_name,
            reason=reason,
            choices=[f"{r.code} — {r.name}" for r in all_regs],
            choice_key="Sổ",
        )
        return Outcome.NUMBER_REGISTER_UNCLEAR
    register = registers[0]
    title = _with_diacritics(title, matched)
    if register.secret:
        # The number of a secret document is metadata the law wants in its own series; its title and
        # case are not: they stay on paper, and nothing of them is stored or mailed back.
        title = SECRET_PLACEHOLDER
        values = {k: v for k, v in values.items() if k not in ("vu an", "vu viec", "ma vu an")}
    doc = documents.reserve(
        session,
        NumberRequest(
            register=register,
            unit=person.unit,
            doc_type=doc_type,
            summary=title,
            requester=person,
            drafter=drafter_symbol(person),
            signer_name=field(values, "nguoi ky"),
            case_ref=field(values, "vu an", "vu viec", "ma vu an"),
            source_message_id=msg.message_id,
        ),
        at=ctx.now(),
        tz=ctx.settings.tz,
    )
    enqueue(
        ctx,
        kind="number",
        to=msg.sender,
        template="number_given",
        reply_to=msg,
        document=doc,
        person=person,
        doc=doc,
        register=register,
        matched=matched if not register.secret else None,
    )
    return Outcome.NUMBER_GIVEN
