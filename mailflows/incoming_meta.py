"""Reading an incoming document's particulars from the text of its first page, and from the email.

Each field records where it came from (``pdf``, ``subject``, ``email``, ``clerk``), so the clerk can see
what was read and what was guessed. Text is NFC; patterns follow Nghị định 30/2020 Phụ lục I layouts:
``Số: 123/QĐ-CSĐT``, ``Quảng Ninh, ngày 05 tháng 4 năm 2026``, the type name in capitals, then
``Về việc …`` / ``V/v …``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from email.utils import parseaddr

from vanthu.models.doctypes import DocTypeCatalog
from vanthu.models.search import CASE_CODE
from vanthu.models.text import fold, nfc

URGENCIES = ("Hỏa tốc", "Thượng khẩn", "Khẩn")
SECRECY_LEVELS = ("Tuyệt mật", "Tối mật", "Mật")

_NUMBER = re.compile(r"\bS[ốo]\s*[:.]?\s*(\d{1,6}[a-z]?\s*/\s*[\wĐđ][\w\-.Đđ/]*)", re.IGNORECASE)
_DATE = re.compile(r"ng[àa]y\s+(\d{1,2})\s+th[áa]ng\s+(\d{1,2})\s+n[ăa]m\s+(\d{4})", re.IGNORECASE)
_SUMMARY = re.compile(r"^\s*(?:V/v|Về việc|Ve viec)\s*:?\s*(.+)$", re.IGNORECASE)
_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc", "doc lap tu do hanh phuc")
_LETTER = r"[^\W\d_]"


@dataclass
class IncomingMeta:
    """The particulars of an incoming document, each with its source."""

    issuer: str = ""
    number: str = ""  # số, ký hiệu as the issuer wrote it
    date: dt.date | None = None
    doc_type: str = ""  # type name, e.g. "Quyết định"
    summary: str = ""
    urgency: str = ""
    secrecy: str = ""
    case_ref: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: object, source: str) -> None:
        if value in ("", None) or getattr(self, name):
            return
        setattr(self, name, value)
        self.sources[name] = source


def _capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


# Words that make "mật" something else: bí mật (secret, the adjective), độ mật (the field name), mật khẩu
# (password), mật mã (cipher), mật ong (honey), mật thiết (close), mật ngọt, mật gấu.
_NOT_MARKING_BEFORE = ("bi", "do")
_NOT_MARKING_AFTER = ("khau", "ma", "ong", "thiet", "ngot", "gau")


def marking(text: str, levels: tuple[str, ...], *, capitals_only: bool) -> str:
    """The first of ``levels`` written as a word of its own in ``text`` (``MẬT``, ``Tối mật``), or "".

    On a page, markings are stamped in capitals, so ``capitals_only`` ignores ``bí mật`` in running text.
    In a subject the sender may write them in any case; there ``mật`` inside ``bí mật``, ``mật khẩu``,
    ``mật mã`` … is not a marking. A doubtful word counts as a marking: a secret document wrongly set
    aside costs the clerk a look, one wrongly kept breaks the law.
    """
    for level in levels:
        pattern = re.escape(level.upper() if capitals_only else level)
        flags = 0 if capitals_only else re.IGNORECASE
        for m in re.finditer(rf"(?<!{_LETTER}){pattern}(?!{_LETTER})", text, flags):
            if level == "Mật":
                before = fold(text[: m.start()]).split()[-1:]
                after = fold(text[m.end() :]).split()[:1]
                if before and before[0] in _NOT_MARKING_BEFORE:
                    continue
                if after and after[0].strip(".,;:()[]") in _NOT_MARKING_AFTER:
                    continue
            return level
    return ""


# Where the header block of a page ends at the latest (Nghị định 30 Phụ lục I puts issuer, number, place and
# date, and the motto, above the type name; a few more lines allow for stamps and two-line names).
HEADER_LINES = 16
# Title words of documents that are not in the catalog of outgoing types but arrive as incoming documents:
# an "ĐƠN ĐỀ NGHỊ" is a petition, not an issuing body.
_TITLE_WORDS = ("don", "to khai", "ban an", "ban kien nghi", "ban tu khai", "ban tuong trinh", "giay", "phieu")
_HEADER_NUMBER = re.compile(r"S[ốo]\s*[:.]?\s*(\d{1,6}[a-z]?\s*/\s*[\wĐđ][\w\-.Đđ/]*)", re.IGNORECASE)
_COLUMNS = re.compile(r"\s{2,}|\t")


def _segments(line: str) -> list[str]:
    """The columns of a line of extracted text (two-column headers come out joined by a wide gap)."""
    return [part.strip() for part in _COLUMNS.split(line.strip()) if part.strip()]


def _is_motto(text: str) -> bool:
    return any(fold(text).startswith(m) for m in _MOTTO)


def is_title_line(line: str, catalog: DocTypeCatalog) -> bool:
    """True for the type-name line under the header block: ``QUYẾT ĐỊNH``, ``CÔNG VĂN``, ``ĐƠN ĐỀ NGHỊ``."""
    if not _capitals(line) or _is_motto(line):
        return False
    folded = fold(line).rstrip(" :")
    heads = [fold(t.name) for t in catalog.types] + list(_TITLE_WORDS)
    return any(folded == h or folded.startswith(h + " ") for h in heads)


def header_block(lines: list[str], catalog: DocTypeCatalog) -> list[str]:
    """The lines above the document's type name (at most :data:`HEADER_LINES`): issuer, number, place and date.

    Running text never belongs to it, so a ``vụ án số 12/2026/HS`` in the body is not the document's number.
    """
    block: list[str] = []
    for line in lines[:HEADER_LINES]:
        if is_title_line(line, catalog):
            break
        block.append(line)
    return block


def header_number(block: list[str]) -> str:
    """The ``Số: 123/QĐ-CSĐT`` of a header block — only where a line or a column begins with ``Số`` — or ""."""
    for line in block:
        for segment in _segments(line):
            m = _HEADER_NUMBER.match(segment)
            if m:
                return re.sub(r"\s+", "", m.group(1)).rstrip(".,;")
    return ""


def header_issuer(block: list[str]) -> str:
    """The issuing body: the capitalised left-column lines at the top of the header block.

    Reading stops at the number line, at the first line in ordinary case that is not the motto (place and
    date, ``Kính gửi``…), so a title in capitals below them is never taken for the issuer.
    """
    found: list[str] = []
    for raw in block:
        segments = _segments(raw)
        if not segments:
            continue
        head = nfc(segments[0])
        if _HEADER_NUMBER.match(head):
            break
        if _is_motto(head):
            continue
        if not _capitals(head):
            break
        if marking(head, URGENCIES + SECRECY_LEVELS, capitals_only=True).upper() == head:
            continue
        found.append(head)
    return " - ".join(found[:3])


def from_page_text(text: str, catalog: DocTypeCatalog, meta: IncomingMeta | None = None) -> IncomingMeta:
    """Fill what the first page says; fields already set are kept.

    Number, issuer and date come only from the header block (:func:`header_block`), and are then recorded
    with the source ``pdf``: what :func:`models.incoming.find_duplicate` trusts. Urgency, secrecy and the
    case number may be anywhere on the page.
    """
    meta = meta or IncomingMeta()
    text = unicodedata.normalize("NFC", text[:200_000])
    raw_lines = [line for line in text.splitlines() if line.strip()]
    lines = [nfc(line) for line in raw_lines]
    block = header_block(raw_lines, catalog)
    meta.set("number", header_number(block), "pdf")
    date = _DATE.search("\n".join(block))
    if date:
        with contextlib.suppress(ValueError):
            meta.set("date", dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1))), "pdf")
    meta.set("urgency", marking(text, URGENCIES, capitals_only=True), "pdf")
    meta.set("secrecy", marking(text, SECRECY_LEVELS, capitals_only=True), "pdf")
    case = CASE_CODE.search(text)
    if case:
        meta.set("case_ref", case.group(1), "pdf")
    meta.set("issuer", header_issuer(block), "pdf")
    _type_and_summary(lines, catalog, meta)
    if not meta.summary:
        _summary_alone(lines, catalog, meta)
    if not meta.doc_type and meta.number and "/" in meta.number:
        code = meta.number.split("/", 1)[1].split("-", 1)[0]
        found = catalog.lookup(code)
        if len(found) == 1:
            meta.set("doc_type", found[0].name, "pdf")
    return meta


def _type_and_summary(lines: list[str], catalog: DocTypeCatalog, meta: IncomingMeta) -> None:
    """The first capitalised line naming a type of the catalogue, and the ``V/v``-style line just under it."""
    names = {fold(t.name): t.name for t in catalog.types}
    for i, line in enumerate(lines):
        if _capitals(line) and fold(line) in names:
            meta.set("doc_type", names[fold(line)], "pdf")
            for follow in lines[i + 1 : i + 4]:
                if _SUMMARY.match(follow):
                    about = follow.strip()
                    meta.set("summary", f"{names[fold(line)]} {about[0].lower()}{about[1:]}", "pdf")
                    break
            return


def _summary_alone(lines: list[str], catalog: DocTypeCatalog, meta: IncomingMeta) -> None:
    """The first summary line of the page, headed by the title line above it when there is one."""
    for i, line in enumerate(lines):
        if _SUMMARY.match(line):
            title = lines[i - 1] if i and is_title_line(lines[i - 1], catalog) else ""
            about = line.strip()
            meta.set("summary", f"{title.capitalize()} {about[0].lower()}{about[1:]}" if title else about, "pdf")
            return


def _subject_number(subject: str) -> str:
    """A document number written in a subject (``Công văn số 130/CV-CSĐT``), never a case number."""
    for m in _NUMBER.finditer(subject[:1000]):
        value = re.sub(r"\s+", "", m.group(1)).rstrip(".,;")
        if not CASE_CODE.fullmatch(value):
            return value
    for m in re.finditer(r"(?<![\w/])(\d{1,6}[a-z]?/[A-ZĐ][\w\-Đđ]*-[\w\-Đđ]+)", subject[:1000]):
        if not CASE_CODE.fullmatch(m.group(1)):
            return m.group(1)
    return ""


def from_email(
    subject: str, sender_name: str, sender: str, meta: IncomingMeta, *, source: str = "email"
) -> IncomingMeta:
    """Fill what is still missing from the email: the subject as summary, the sender as issuer.

    ``source`` names where the sender came from (``email``, or ``forward`` for a forwarded header block).
    """
    meta.set("urgency", marking(subject, URGENCIES, capitals_only=False), "subject")
    meta.set("secrecy", marking(subject, SECRECY_LEVELS, capitals_only=False), "subject")
    meta.set("number", _subject_number(subject), "subject")
    case = CASE_CODE.search(subject)
    if case:
        meta.set("case_ref", case.group(1), "subject")
    meta.set("summary", nfc(subject), "subject")
    meta.set("issuer", sender_name or sender.split("@", 1)[-1], source)
    return meta


@dataclass(frozen=True)
class ForwardedHeader:
    """The header block a mail program writes above a forwarded message (From, Date, Subject)."""

    sender_name: str = ""
    sender: str = ""
    sent: dt.date | None = None
    subject: str = ""


_FWD_FIELD = re.compile(
    r"^\s*\*?(From|Từ|De|Sent|Date|Đã gửi|Gửi|Ngày|Ngày gửi|Subject|Tiêu đề|Chủ đề|Objet)\*?\s*:\s*(.*)$",
    re.IGNORECASE,
)
_FWD_KEYS = {
    "from": "from",
    "tu": "from",
    "de": "from",
    "sent": "date",
    "date": "date",
    "da gui": "date",
    "gui": "date",
    "ngay": "date",
    "ngay gui": "date",
    "subject": "subject",
    "tieu de": "subject",
    "chu de": "subject",
    "objet": "subject",
}
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        )
    )
    for m in names
}
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_VN_DATE = re.compile(r"(?<!\d)(\d{1,2})\s+th[áa]ng\s+(\d{1,2})\s*(?:,|n[ăa]m)?\s*(\d{4})", re.IGNORECASE)
_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})", re.IGNORECASE)
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})", re.IGNORECASE)


def mail_date(text: str) -> dt.date | None:
    """The date a mail program wrote in a forwarded header (``Thu, 3 Dec 2026 at 09:12``,
    ``Thursday, December 3, 2026 9:12 AM``, ``03/12/2026 09:12``, ``Thứ Năm, 3 tháng 12, 2026``), or None."""
    text = text[:200]
    candidates: list[tuple[int, int, int]] = []
    if m := _VN_DATE.search(text):
        candidates.append((int(m.group(3)), int(m.group(2)), int(m.group(1))))
    if m := _NUMERIC_DATE.search(text):
        candidates.append((int(m.group(3)), int(m.group(2)), int(m.group(1))))
    if (m := _DAY_MONTH.search(text)) and m.group(2).lower() in _MONTHS:
        candidates.append((int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))))
    if (m := _MONTH_DAY.search(text)) and m.group(1).lower() in _MONTHS:
        candidates.append((int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))))
    for year, month, day in candidates:
        with contextlib.suppress(ValueError):
            return dt.date(year, month, day)
    return None


def forwarded_header(body: str) -> ForwardedHeader | None:
    """The first forwarded header block of ``body`` (Gmail, Outlook, Thunderbird, Apple Mail; English or
    Vietnamese labels), or None when the body quotes no message with a ``From:`` line."""
    values: dict[str, str] = {}
    for line in body[:50_000].splitlines()[:400]:
        m = _FWD_FIELD.match(line.lstrip("> "))
        if m is None:
            if values and not line.strip() and "subject" in values:
                break
            continue
        key = _FWD_KEYS.get(fold(m.group(1)))
        if key is None or key in values:
            continue
        if key != "from" and "from" not in values:
            continue
        values[key] = nfc(m.group(2))[:500]
    if "from" not in values:
        return None
    name, address = parseaddr(values["from"].replace("[mailto:", "<").replace("]", ">"))
    if "@" not in address:
        name, address = values["from"], ""
    return ForwardedHeader(
        sender_name=nfc(name.strip("\"' ")),
        sender=address.lower(),
        sent=mail_date(values.get("date", "")),
        subject=values.get("subject", ""),
    )
