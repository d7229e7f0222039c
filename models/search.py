"""Tra cứu: finding documents by case, number, sender or words, and telling each one's story.

Pure domain queries over the caller's session. Every query is confined to the units a person may see
(:func:`searchable_units`) and never returns a secret document: the title and case of those stay on
the paper register, and not even their existence is disclosed by a search.

Results are ordered by document date, then id. At most ``limit`` documents are returned — the most
recent ones — together with the total count of matches.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from vanthu.models.authority import CLERK, LEADER
from vanthu.models.documents import issuing_unit
from vanthu.models.tables import Assignment, Document, Person, Unit
from vanthu.models.text import fold, nfc

LIMIT = 50

# --- case codes ------------------------------------------------------------------------------------------

# Kinds of case in a case code ``<số thụ lý>/<năm>/<loại>``: criminal (first instance, appeal), civil,
# administrative, business, labour, family, and the generic "vụ án"/"vụ việc". Longer codes come first so
# that ``HSST`` is never read as ``HS``.
CASE_TYPES = ("HSST", "HSPT", "HS", "DS", "HC", "KDTM", "LĐ", "HNGĐ", "VA", "VV")

# A case code as written in a document or a subject (``12/2026/HS``), with its diacritics.
CASE_CODE = re.compile(r"\b(\d{1,5}/\d{4}/(?:" + "|".join(CASE_TYPES) + r"))\b")

_FOLDED_CASE_TYPES = {fold(t): t for t in CASE_TYPES}
# The same in folded text (``12/2026/hs``, ``3/2026/ld``), any case and diacritics having been folded away.
_FOLDED_CASE = re.compile(r"(?<!\d)0*(\d{1,5})/(\d{4})/(" + "|".join(_FOLDED_CASE_TYPES) + r")(?![a-z0-9])")


@dataclass(frozen=True)
class CaseCode:
    """A case code reduced to what identifies it: ``12/2026/HS`` and ``012/2026/hs`` are equal."""

    number: int
    year: int
    kind: str  # one of CASE_TYPES, with diacritics

    def __str__(self) -> str:
        return f"{self.number}/{self.year}/{self.kind}"


_JOINERS = re.compile(r"\s*([/-])\s*")


def _compact(text: str) -> str:
    """Folded, with the spaces around ``/`` and ``-`` removed (``12 / 2026 / HS`` → ``12/2026/hs``)."""
    return _JOINERS.sub(r"\1", fold(text))


def case_codes(text: str) -> list[CaseCode]:
    """Every case code in ``text``, written with or without diacritics, in any case."""
    return [
        CaseCode(int(m.group(1)), int(m.group(2)), _FOLDED_CASE_TYPES[m.group(3)])
        for m in _FOLDED_CASE.finditer(_compact(text))
    ]


def _whole_case_code(query: str) -> CaseCode | None:
    m = _FOLDED_CASE.fullmatch(_compact(query))
    return CaseCode(int(m.group(1)), int(m.group(2)), _FOLDED_CASE_TYPES[m.group(3)]) if m else None


# --- document numbers ------------------------------------------------------------------------------------

# ``số đến 15`` (optionally ``/2026`` or ``năm 2026`` for the register year), folded.
_ARRIVAL = re.compile(r"so\s*den\s*:?\s*0*(\d{1,6})(?:\s*(?:/|nam)\s*(\d{4}))?")
# ``15/QĐ-VKSQN``, ``01a/BC-VKSQN``, ``123/QĐ-CSĐT``, ``12/VKSQN-VP``, folded; the symbol has a letter.
_NUMBER = re.compile(r"(?:so\s*:?\s*)?0*(\d{1,6})([a-z]?)/(\S*[a-z]\S*)")


@dataclass(frozen=True)
class NumberKey:
    """A number and symbol reduced to what identifies them: ``01/QĐ-VKSQN`` equals ``1/qd-vksqn``."""

    number: int
    suffix: str
    symbol: str  # folded, without spaces


def number_key(text: str) -> NumberKey | None:
    """The key of a number written ``15/QĐ-VKSQN`` (or ``Số: 15/QĐ-VKSQN``), else None."""
    m = _NUMBER.fullmatch(_compact(text))
    return NumberKey(int(m.group(1)), m.group(2), m.group(3)) if m else None


@dataclass(frozen=True)
class ArrivalKey:
    """An incoming document's số đến, and the register year when the query gave one."""

    number: int
    year: int | None


def arrival_key(text: str) -> ArrivalKey | None:
    """The key of ``số đến 15`` (``so den 15``, ``Số đến: 15/2026``), else None."""
    m = _ARRIVAL.fullmatch(_compact(text))
    if not m:
        return None
    return ArrivalKey(int(m.group(1)), int(m.group(2)) if m.group(2) else None)


# --- queries ---------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[^@\s<>\"'(),;:]+@[^@\s<>\"'(),;:]+\.[a-z]{2,}")
_PUNCTUATION = ".,;:!?\"'«»“”‘’()[]{}<>"


class QueryKind(enum.Enum):
    """What a Tra cứu query asks for; the value names the flow's outcome (``search.case`` …)."""

    EMPTY = "empty-query"
    CASE = "case"
    NUMBER = "number"
    SENDER = "sender"
    WORDS = "words"


def _email_of(query: str) -> str | None:
    text = query.strip().strip("<>").removeprefix("mailto:").lower()
    return text if _EMAIL.fullmatch(text) else None


def query_words(query: str) -> list[str]:
    """The folded words of ``query`` without surrounding punctuation (``«Lệnh bắt»,`` → ``lenh``, ``bat``)."""
    words = (w.strip(_PUNCTUATION) for w in fold(query).split())
    return [w for w in words if w]


def classify(query: str) -> QueryKind:
    """Decide what ``query`` is, in this order: nothing, an email address, a case code, a number, words.

    A case code is the whole query (``12/2026/HS``, ``5/2026/HSPT``, ``3/2026/LD``); a number is ``số đến
    15`` or a number with a symbol that has a letter (``15/QĐ-VKSQN``, ``01a/BC-VKSQN``, ``123/QĐ-CSĐT``).
    Diacritics and case do not matter.
    """
    if not query_words(query):
        return QueryKind.EMPTY
    if _email_of(query) is not None:
        return QueryKind.SENDER
    if _whole_case_code(query) is not None:
        return QueryKind.CASE
    if arrival_key(query) is not None or number_key(query) is not None:
        return QueryKind.NUMBER
    return QueryKind.WORDS


def searchable_units(session: Session, person: Person) -> list[int]:
    """The ids of the units whose documents ``person`` may find, sorted; empty for an inactive person.

    That is the person's issuing unit (a department counts as its parent) and every unit below it,
    except that regional procuracies below a province, and the units below them, are seen only by the
    province's leaders and clerks. Nobody sees another province's or a sibling regional unit's documents.
    """
    if not person.active:
        return []
    base = issuing_unit(person.unit)
    sees_regional = base.level == "province" and person.has_role(CLERK, LEADER)
    children: dict[int, list[Unit]] = {}
    for unit in session.execute(select(Unit).order_by(Unit.id)).scalars():
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit)
    found = {base.id}
    stack = [base]
    while stack:
        for child in children.get(stack.pop().id, []):
            if child.id in found or (child.level == "regional" and not sees_regional):
                continue
            found.add(child.id)
            stack.append(child)
    return sorted(found)


@dataclass(frozen=True)
class Found:
    """At most ``limit`` matching documents (the most recent), in date-then-id order, and how many matched."""

    documents: list[Document]
    total: int


def _visible(unit_ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(Document.unit_id.in_(list(unit_ids)), Document.secret.is_(False))


def _sort_key(doc: Document) -> tuple[dt.date, int]:
    return (doc.doc_date, doc.id)


def _capped(docs: list[Document], limit: int) -> Found:
    docs = sorted(docs, key=_sort_key)
    return Found(docs[-limit:] if limit > 0 else [], len(docs))


def _candidates(session: Session, unit_ids: Sequence[int], *conditions: ColumnElement[bool]) -> list[Document]:
    stmt = select(Document).options(selectinload(Document.unit)).where(_visible(unit_ids), *conditions)
    return list(session.execute(stmt).scalars())


def by_case(session: Session, unit_ids: Sequence[int], query: str, *, limit: int = LIMIT) -> Found:
    """The visible, non-secret documents of the case named by ``query`` (``12/2026/HS``).

    A document belongs to the case when its ``case_ref`` holds that code, compared without diacritics,
    case or leading zeros. A query that is not a case code finds nothing.
    """
    code = _whole_case_code(query)
    if code is None:
        return Found([], 0)
    rough = _candidates(session, unit_ids, Document.case_ref.like(f"%{code.number}/{code.year}/%"))
    return _capped([d for d in rough if code in case_codes(d.case_ref)], limit)


def by_number(session: Session, unit_ids: Sequence[int], query: str, *, limit: int = LIMIT) -> Found:
    """The visible, non-secret documents carrying the number in ``query``, in every register year.

    ``số đến 15`` finds incoming documents by arrival number (``số đến 15/2026``: in register year 2026).
    A number with its symbol finds outgoing documents by ``number_str`` (``01/QĐ-VKSQN``) and incoming
    ones by the issuer's number (``orig_number``, ``123/QĐ-CSĐT``); diacritics, case, spaces and leading
    zeros do not matter. A query that is neither finds nothing.
    """
    arrival = arrival_key(query)
    if arrival is not None:
        conditions = [Document.direction == "in", Document.number == arrival.number, Document.suffix == ""]
        if arrival.year is not None:
            conditions.append(Document.register_year == arrival.year)
        return _capped(_candidates(session, unit_ids, *conditions), limit)
    key = number_key(query)
    if key is None:
        return Found([], 0)
    rough = _candidates(
        session,
        unit_ids,
        or_(
            and_(Document.direction == "out", Document.number == key.number, Document.suffix == key.suffix),
            func.lower(Document.orig_number).like(f"%{key.number}{key.suffix}%/%"),
        ),
    )
    matching = [
        d
        for d in rough
        if (d.direction == "out" and number_key(d.number_str) == key)
        or (d.orig_number and number_key(d.orig_number) == key)
    ]
    return _capped(matching, limit)


def by_sender(session: Session, unit_ids: Sequence[int], query: str, *, limit: int = LIMIT) -> Found:
    """The visible, non-secret documents sent from the address in ``query`` (case-insensitive).

    That is incoming documents whose sender is that address, and outgoing documents whose number that
    person (a directory member) asked for. A query that is not an address finds nothing.
    """
    email = _email_of(query)
    if email is None:
        return Found([], 0)
    requester_ids = select(Person.id).where(Person.email == email).scalar_subquery()
    rough = _candidates(
        session,
        unit_ids,
        or_(func.lower(Document.sender_email) == email, Document.requester_id == requester_ids),
    )
    return _capped(rough, limit)


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def by_words(session: Session, unit_ids: Sequence[int], query: str, *, limit: int = LIMIT) -> Found:
    """The visible, non-secret documents whose search text contains every folded word of ``query``.

    Words are matched anywhere in ``Document.search_text`` (number, symbols, issuer, type, summary, case
    and sender, lower-case ASCII), so ``khoi to`` finds ``Khởi tố``. A query without words finds nothing.
    """
    words = query_words(query)
    if not words:
        return Found([], 0)
    conditions = [_visible(unit_ids)] + [Document.search_text.like(f"%{_like_escaped(w)}%", escape="\\") for w in words]
    total = session.execute(select(func.count()).select_from(Document).where(*conditions)).scalar_one()
    if limit <= 0:
        return Found([], int(total))
    newest = (
        session.execute(
            select(Document)
            .options(selectinload(Document.unit))
            .where(*conditions)
            .order_by(Document.doc_date.desc(), Document.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return Found(sorted(newest, key=_sort_key), int(total))


@dataclass(frozen=True)
class SearchResult:
    """What a query found: its kind, a label for headings, the documents shown and the total matched."""

    kind: QueryKind
    query: str  # NFC, as typed
    label: str  # the canonical case code for a case query (``12/2026/HS``), else the query
    documents: list[Document]
    total: int


def search(session: Session, person: Person, query: str, *, limit: int = LIMIT) -> SearchResult:
    """Classify ``query`` and run it within :func:`searchable_units` of ``person``.

    Never returns a secret document nor one of a unit the person may not see.
    """
    query = nfc(query)
    kind = classify(query)
    if kind is QueryKind.EMPTY:
        return SearchResult(kind, query, query, [], 0)
    unit_ids = searchable_units(session, person)
    run = {
        QueryKind.CASE: by_case,
        QueryKind.NUMBER: by_number,
        QueryKind.SENDER: by_sender,
        QueryKind.WORDS: by_words,
    }[kind]
    found = run(session, unit_ids, query, limit=limit)
    code = _whole_case_code(query) if kind is QueryKind.CASE else None
    return SearchResult(kind, query, str(code) if code else query, found.documents, found.total)


# --- timeline --------------------------------------------------------------------------------------------

STATUS_NAMES = {
    "reserved": "đã cấp số",
    "issued": "đã phát hành",
    "cancelled": "đã hủy",
    "registered": "đã vào sổ",
    "assigned": "đã phân công",
    "done": "hoàn thành",
}

ON_TIME = "đúng hạn"
IN_TIME = "còn hạn"
NO_DEADLINE = "không có hạn"
DONE_UNKNOWN = "hoàn thành (không rõ thời điểm)"


@dataclass(frozen=True)
class TimelineRow:
    """One document as a line of a case file or a search result."""

    document_id: int
    tag: str
    direction: str  # "đến" | "đi"
    number: str  # "số đến 01" for incoming, the number and symbol for outgoing
    doc_date: dt.date  # arrival date (incoming) or date the number was given (outgoing)
    orig_number: str  # the issuer's number (incoming), else ""
    orig_date: dt.date | None  # the issuer's date (incoming), else None
    party: str  # the issuer (incoming) or the issuing unit's name (outgoing)
    type_name: str
    summary: str
    case_ref: str
    status: str  # in Vietnamese, see STATUS_NAMES
    deadline_at: dt.datetime | None  # of the latest main assignment that is open or done
    deadline_status: str  # ON_TIME, IN_TIME, NO_DEADLINE, DONE_UNKNOWN or "trễ hạn N ngày/giờ"
    late: bool


def late_text(deadline: dt.datetime, at: dt.datetime, tz: dt.tzinfo) -> str:
    """``trễ hạn N giờ`` when ``at`` is less than a day past ``deadline`` (at least 1), else ``trễ hạn N ngày``.

    Days are calendar days in ``tz`` between the deadline and ``at``: a deadline ending at 23:59:59 on
    the 10th and work finished on the 12th is two days late.
    """
    late = at - deadline
    if late < dt.timedelta(days=1):
        return f"trễ hạn {max(1, round(late.total_seconds() / 3600))} giờ"
    days = (at.astimezone(tz).date() - deadline.astimezone(tz).date()).days
    return f"trễ hạn {max(1, days)} ngày"


def deadline_status(doc: Document, main: Assignment | None, now: dt.datetime, tz: dt.tzinfo) -> tuple[str, bool]:
    """The deadline status of ``doc`` given its main assignment, and whether it is late.

    Done (the assignment or the document) at or before the deadline → ``đúng hạn``; done after it, or
    still open past it at ``now`` → ``trễ hạn N ngày/giờ``; open with the deadline ahead → ``còn hạn``;
    no assignment or no deadline → ``không có hạn``.
    """
    if main is None or main.deadline_at is None:
        return NO_DEADLINE, False
    deadline = main.deadline_at
    if main.status == "done" or doc.status == "done":
        done_at = main.done_at or doc.done_at
        if done_at is None:
            return DONE_UNKNOWN, False
        if done_at <= deadline:
            return ON_TIME, False
        return late_text(deadline, done_at, tz), True
    if now > deadline:
        return late_text(deadline, now, tz), True
    return IN_TIME, False


def main_assignments(session: Session, docs: Sequence[Document]) -> dict[int, Assignment]:
    """For each document that has one, its latest (by assignment time, then id) open or done main assignment."""
    ids = [d.id for d in docs]
    if not ids:
        return {}
    rows = session.execute(
        select(Assignment)
        .where(
            Assignment.document_id.in_(ids),
            Assignment.role == "main",
            Assignment.status.in_(("open", "done")),
        )
        .order_by(Assignment.assigned_at, Assignment.id)
    ).scalars()
    return {a.document_id: a for a in rows}


def timeline(
    session: Session, docs: Sequence[Document], now: dt.datetime, *, tz: dt.tzinfo | None = None
) -> list[TimelineRow]:
    """One row per document, in the order given, with its status and deadline status at ``now``.

    ``tz`` (default: the zone of ``now``) is where "days late" are counted.
    """
    zone = tz or now.tzinfo or dt.UTC
    mains = main_assignments(session, docs)
    rows: list[TimelineRow] = []
    for doc in docs:
        incoming = doc.direction == "in"
        main = mains.get(doc.id)
        status_text, late = deadline_status(doc, main, now, zone)
        rows.append(
            TimelineRow(
                document_id=doc.id,
                tag=doc.tag or "",
                direction="đến" if incoming else "đi",
                number=f"số đến {doc.number_str}" if incoming else doc.number_str,
                doc_date=doc.doc_date,
                orig_number=doc.orig_number if incoming else "",
                orig_date=doc.orig_date if incoming else None,
                party=doc.issuer if incoming else doc.unit.name,
                type_name=doc.type_name,
                summary=doc.summary,
                case_ref=doc.case_ref,
                status=STATUS_NAMES.get(doc.status, doc.status),
                deadline_at=main.deadline_at if main is not None else None,
                deadline_status=status_text,
                late=late,
            )
        )
    return rows
