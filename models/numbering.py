"""Document numbers: register years, the number format, and gapless allocation.

Rules (Nghị định 30/2020 Điều 15; QĐ 393/QĐ-VKSTC Điều 9):

* every register has its own counter per register year; the year starts on the register's own
  month-day (1 January for administrative registers, 1 December of the previous year for the
  procuracy's procedural registers) and is named by the calendar year it ends in;
* a number is given inside the transaction that records the document, so a rolled-back request
  leaves no gap, and the counter row is locked so two requests never get the same number;
* a number is never reused: a cancelled number stays in the register as cancelled;
* an inserted number (``15a``) goes between two numbers already given.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vanthu.models.tables import Counter, Document, Register


class NumberingError(Exception):
    """A numbering request that cannot be honoured; ``str(exc)`` is the reason, in Vietnamese."""


def register_year(local_date: dt.date, start_month: int, start_day: int) -> int:
    """The register year ``local_date`` falls in, named by the calendar year the register year ends in.

    >>> register_year(dt.date(2026, 11, 30), 12, 1), register_year(dt.date(2026, 12, 1), 12, 1)
    (2026, 2027)
    """
    if (start_month, start_day) == (1, 1):
        return local_date.year
    if (local_date.month, local_date.day) >= (start_month, start_day):
        return local_date.year + 1
    return local_date.year


def format_number(number: int, suffix: str = "") -> str:
    """``5`` → ``05``; ``15, 'a'`` → ``15a``: a leading zero below 10, as Phụ lục I shows."""
    return f"{number:02d}{suffix}"


def number_string(register: Register, number: int, suffix: str, *, type_code: str, symbol: str, drafter: str) -> str:
    """The full number and symbol, e.g. ``05/QĐ-VKSQN`` or, for a công văn, ``12/VKSQN-VP``."""
    pattern = register.pattern if type_code else register.untyped_pattern
    text = pattern.format(number=format_number(number, suffix), type=type_code, symbol=symbol, drafter=drafter)
    # A pattern with an empty part (a unit without drafting departments) must not leave "--" or "-".
    return re.sub(r"-{2,}", "-", text).rstrip("-")


_NUMBER = re.compile(r"^\s*(?:số\s*:?\s*)?0*(\d{1,6})([a-z]?)\s*(?:/\s*(\S.*?))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedNumber:
    number: int
    suffix: str
    symbol: str  # what follows the slash, as written (may be empty)


def parse_number(text: str) -> ParsedNumber | None:
    """Parse ``15/QĐ-VKSQN``, ``Số: 05/QĐ-VKSQN`` or ``15a``; None if it is not a number."""
    m = _NUMBER.match(text)
    if not m:
        return None
    return ParsedNumber(int(m.group(1)), m.group(2).lower(), (m.group(3) or "").strip())


def next_number(session: Session, register_id: int, year: int) -> int:
    """Take the next number of one register year, locking its counter row until the caller commits.

    PostgreSQL: ``UPDATE … RETURNING`` holds the row lock; concurrent callers wait and then see the
    new value. SQLite: the session runs in an immediate transaction (see ``models.db``), so there is
    only one writer at a time. A missing year row is created with ``ON CONFLICT DO NOTHING`` so that
    two first allocations of a year do not both insert it.
    """
    stmt = (
        update(Counter)
        .where(Counter.register_id == register_id, Counter.year == year)
        .values(last_value=Counter.last_value + 1)
        .returning(Counter.last_value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is not None:
        return int(value)
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Counter)
    session.execute(
        ins.values(register_id=register_id, year=year, last_value=0).on_conflict_do_nothing(
            index_elements=["register_id", "year"]
        )
    )
    return int(session.execute(stmt).scalar_one())


def next_suffix(session: Session, register_id: int, year: int, number: int) -> str:
    """The next free letter after ``number`` in that register year (``a``, then ``b`` …)."""
    used = set(
        session.execute(
            select(Document.suffix).where(
                Document.register_id == register_id,
                Document.register_year == year,
                Document.number == number,
            )
        ).scalars()
    )
    for letter in string.ascii_lowercase:
        if letter not in used:
            return letter
    raise NumberingError(f"Đã hết số chèn sau số {format_number(number)}.")


def last_number(session: Session, register_id: int, year: int) -> int:
    """The last number given in that register year (0 if none)."""
    value = session.execute(
        select(Counter.last_value).where(Counter.register_id == register_id, Counter.year == year)
    ).scalar_one_or_none()
    return int(value or 0)


def check_insert_allowed(session: Session, register_id: int, year: int, after: int) -> None:
    """An inserted number goes between two numbers already given; otherwise the next number is used."""
    if after >= last_number(session, register_id, year):
        raise NumberingError(
            f"Số {format_number(after)} là số cuối cùng của sổ; không cần chèn số, hãy lấy số tiếp theo."
        )


__all__ = [
    "NumberingError",
    "ParsedNumber",
    "check_insert_allowed",
    "format_number",
    "last_number",
    "next_number",
    "next_suffix",
    "number_string",
    "parse_number",
    "register_year",
]
