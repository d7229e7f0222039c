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

from models.doctypes import DocTypeCatalog
from models.search import CASE_CODE
from models.text import fold, nfc

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


def from_page_text(text: str, catalog: DocTypeCatalog, meta: IncomingMeta | None = None) -> IncomingMeta:
    """Fill what the first page says; fields already set are kept."""
    meta = meta or IncomingMeta()
    text = unicodedata.normalize("NFC", text)
    # Two-column headers (issuer left, national motto right) come out as one line with a wide gap.
    raw_lines = [line for line in text.splitlines() if line.strip()]
    lines = [nfc(line) for line in raw_lines]
    number = _NUMBER.search(text)
    if number:
        meta.set("number", re.sub(r"\s+", "", number.group(1)).rstrip(".,;"), "pdf")
    date = _DATE.search(text)
    if date:
        with contextlib.suppress(ValueError):
            meta.set("date", dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1))), "pdf")
    meta.set("urgency", marking(text, URGENCIES, capitals_only=True), "pdf")
    meta.set("secrecy", marking(text, SECRECY_LEVELS, capitals_only=True), "pdf")
    case = CASE_CODE.search(text)
    if case:
        meta.set("case_ref", case.group(1), "pdf")
    issuer_lines: list[str] = []
    for raw in raw_lines:
        if _NUMBER.search(raw):
            break
        head = nfc(re.split(r"\s{2,}|\t", raw.strip())[0])
        if (
            _capitals(head)
            and not any(fold(head).startswith(m) for m in _MOTTO)
            and marking(head, URGENCIES + SECRECY_LEVELS, capitals_only=True).upper() != head
        ):
            issuer_lines.append(head)
    if issuer_lines:
        meta.set("issuer", " - ".join(issuer_lines[:3]), "pdf")
    names = {fold(t.name): t.name for t in catalog.types}
    for i, line in enumerate(lines):
        if _capitals(line) and fold(line) in names:
            meta.set("doc_type", names[fold(line)], "pdf")
            for follow in lines[i + 1 : i + 4]:
                m = _SUMMARY.match(follow)
                if m:
                    about = follow.strip()
                    meta.set("summary", f"{names[fold(line)]} {about[0].lower()}{about[1:]}", "pdf")
                    break
            break
    if not meta.summary:
        for line in lines:
            m = _SUMMARY.match(line)
            if m:
                meta.set("summary", line.strip(), "pdf")
                break
    if not meta.doc_type and meta.number and "/" in meta.number:
        code = meta.number.split("/", 1)[1].split("-", 1)[0]
        found = catalog.lookup(code)
        if len(found) == 1:
            meta.set("doc_type", found[0].name, "pdf")
    return meta


def from_email(subject: str, sender_name: str, sender: str, meta: IncomingMeta) -> IncomingMeta:
    """Fill what is still missing from the email: the subject as summary, the sender as issuer."""
    meta.set("urgency", marking(subject, URGENCIES, capitals_only=False), "subject")
    meta.set("secrecy", marking(subject, SECRECY_LEVELS, capitals_only=False), "subject")
    number = _NUMBER.search(subject)
    if number:
        meta.set("number", re.sub(r"\s+", "", number.group(1)).rstrip(".,;"), "subject")
    case = CASE_CODE.search(subject)
    if case:
        meta.set("case_ref", case.group(1), "subject")
    meta.set("summary", nfc(subject), "subject")
    meta.set("issuer", sender_name or sender.split("@", 1)[-1], "email")
    return meta
