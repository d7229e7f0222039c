"""The email language: which command a subject carries, and the ``Key: value`` lines of a body.

Commands are Vietnamese words recognised with or without diacritics and in any case. Reply and
forward prefixes (``Re:``, ``Fwd:``, ``TL:``, ``Trả lời:``, ``Chuyển tiếp:`` …) are ignored. The tag
``[VT-2026-000123]`` ties a reply to its document.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from vanthu.models.text import fold, nfc

TAG = re.compile(r"\[(VTQ?-\d{4}-\d{6,})\]", re.IGNORECASE)
_PREFIX = re.compile(
    r"^\s*(?:re|fw|fwd|tl|tr|aw|wg|sv|vs|trả lời|tra loi|chuyển tiếp|chuyen tiep|phản hồi|phan hoi)"
    r"\s*(?:\[\d+\])?\s*:\s*",
    re.IGNORECASE,
)

# A forward: ``Fwd:``, ``Fw:``, ``WG:``, ``TR:``, and Vietnamese Outlook's ``CT:`` / ``Chuyển tiếp:``
# (its ``TL:``, trả lời, is a reply).
FORWARD_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs)\s*:\s*)*(?:fw|fwd|tr|wg|chuyển tiếp|chuyen tiep|ct)\s*(?:\[\d+\])?\s*:",
    re.IGNORECASE,
)


class Command(enum.Enum):
    NUMBER = "lay so"
    CANCEL = "huy so"
    INSERT = "chen so"
    HELP = "tro giup"
    SEARCH = "tra cuu"
    STATS = "thong ke"
    REGISTER = "so"


# Spellings that name each command, with diacritics. A typed word matches when it equals the word with
# its diacritics or with none at all (``Lấy số``, ``LAY SO``, ``lấy so``), but not another word that
# folds the same (``Lấy sổ`` — "take the notebook" — is not a command).
_SPELLINGS: tuple[tuple[Command, tuple[str, ...]], ...] = (
    (Command.NUMBER, ("lấy số", "xin số", "cấp số")),
    (Command.CANCEL, ("hủy số", "huỷ số")),
    (Command.INSERT, ("chèn số",)),
    (Command.HELP, ("trợ giúp", "hướng dẫn", "help")),
    (Command.SEARCH, ("tra cứu", "tìm kiếm")),
    (Command.STATS, ("thống kê",)),
    (Command.REGISTER, ("sổ",)),
)


_WORD = re.compile(r"[^\s:.,;-]+")


def _word_matches(typed: str, canonical: str) -> bool:
    typed = typed.lower()
    return typed == canonical or typed == fold(canonical)


def _starts_with(words: list[str], spelling: str) -> bool:
    wanted = spelling.split()
    return len(words) >= len(wanted) and all(_word_matches(w, c) for w, c in zip(words, wanted, strict=False))


@dataclass(frozen=True)
class Subject:
    command: Command | None
    argument: str  # what follows the command word, NFC, without a leading colon
    tag: str | None  # ``VT-2026-000123`` when the subject carries one
    clean: str  # the subject without prefixes and tag, NFC


def strip_prefixes(subject: str) -> str:
    """``Re: TL: Fwd: x`` → ``x``, with or without diacritics, in any case."""
    s = nfc(subject)
    while m := _PREFIX.match(s):
        s = s[m.end() :]
    return s


def parse_subject(subject: str) -> Subject:
    """Find the tag and the command of a subject line."""
    tag_match = TAG.search(subject)
    tag = tag_match.group(1).upper() if tag_match else None
    without_tag = TAG.sub(" ", subject)
    clean = strip_prefixes(without_tag)
    tokens = list(_WORD.finditer(clean))[:3]
    words = [t.group(0) for t in tokens]
    for command, spellings in _SPELLINGS:
        for spelling in spellings:
            if command is Command.REGISTER and not re.match(r"^\s*\S+\s*:", clean):
                continue  # "Sổ: đến 11/2026" needs its colon: a subject starting "So sánh …" is no command
            if _starts_with(words, spelling):
                rest = clean[tokens[len(spelling.split()) - 1].end() :]
                return Subject(command, rest.lstrip(" :.-").strip(), tag, clean)
    return Subject(None, clean, tag, clean)


_FIELD = re.compile(r"^\s*([^\W\d_][\w ]{0,40}?)\s*:\s*(.*?)\s*$")


def fields(text: str) -> dict[str, str]:
    """``Key: value`` lines as a dict keyed by the folded key (``Người ký`` → ``nguoi ky``).

    The first occurrence of a key wins; values are NFC.
    """
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _FIELD.match(line)
        if not m:
            continue
        key = fold(m.group(1))
        if key not in out:
            out[key] = nfc(m.group(2))
    return out


def field(values: dict[str, str], *names: str) -> str:
    """The first non-empty value among folded ``names`` (``field(f, "ly do", "reason")``)."""
    for name in names:
        value = values.get(name, "").strip()
        if value:
            return value
    return ""
