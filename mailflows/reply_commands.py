"""The commands of a reply about a document, as typed values: text in, commands out, nothing else.

A leader or assignee replies to vanthu's mail with lines above the quoted message: ``Key: value`` lines
(keys compared without diacritics and case: ``Giao``, ``Phối hợp``, ``Hạn``, ``Ý kiến``, ``Chuyển``,
``Gia hạn``, ``Lý do``, ``Trả lại``, ``Vụ án``, ``Văn bản trả lời``) and command words on a line of their
own (``Xong``, ``Hoàn thành``, ``Đã xong``, ``Đồng ý``, ``Không đồng ý``, ``Từ chối``). :func:`parse` turns
that text into one frozen dataclass per command, in the order the commands run; it reads nothing but the
text (no database, no clock): a date stays as written, and the handler reads it
(:mod:`mailflows.reply_handlers`).

Parameters belong to their command: ``Hạn`` and ``Phối hợp`` to ``Giao``; ``Ý kiến`` to ``Giao`` or
``Chuyển`` when there is one, and is a command of its own otherwise; ``Lý do`` to ``Gia hạn``; ``Văn bản
trả lời`` (or ``Số``) to ``Xong``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vanthu.mailflows.commands import field, fields
from vanthu.models.text import fold

_WORDS = re.compile(r"[^\w]+")

# A command word standing alone on a line (folded, punctuation removed) → the verb it means.
_VERBS = {
    "xong": "xong",
    "hoan thanh": "xong",
    "da xong": "xong",
    "dong y": "dong y",
    "khong dong y": "khong dong y",
    "tu choi": "khong dong y",
}


@dataclass(frozen=True)
class LinkCase:
    """``Vụ án: 12/2026/HS`` — put the document in a case file."""

    case_ref: str

    @property
    def label(self) -> str:
        return f"Vụ án: {self.case_ref}"


@dataclass(frozen=True)
class Assign:
    """``Giao: P2`` (with ``Hạn``, ``Phối hợp``, ``Ý kiến``) — the main assignment, and copies to others."""

    to: str
    deadline: str = ""  # as written: 05/12, 5/12/2026 …
    copies: str = ""  # ``Phối hợp``: units or people, separated by commas, semicolons or "và"
    opinion: str = ""

    @property
    def label(self) -> str:
        return f"Giao: {self.to}"


@dataclass(frozen=True)
class Forward:
    """``Chuyển: P3`` (with ``Ý kiến``) — hand the document on to another unit or person."""

    to: str
    opinion: str = ""

    @property
    def label(self) -> str:
        return f"Chuyển: {self.to}"


@dataclass(frozen=True)
class Complete:
    """``Xong`` / ``Hoàn thành`` (with ``Văn bản trả lời``) — close the open main assignment."""

    answer_number: str = ""

    @property
    def label(self) -> str:
        return "Xong"


@dataclass(frozen=True)
class RequestExtension:
    """``Gia hạn: 30/11/2026`` (with ``Lý do``) — ask the leaders for a later deadline."""

    until: str  # as written
    reason: str = ""

    @property
    def label(self) -> str:
        return f"Gia hạn: {self.until}"


@dataclass(frozen=True)
class DecideExtension:
    """``Đồng ý`` / ``Không đồng ý`` — a leader's decision on the pending extension request."""

    approve: bool

    @property
    def label(self) -> str:
        return "Đồng ý" if self.approve else "Không đồng ý"


@dataclass(frozen=True)
class GiveBack:
    """``Trả lại: <lý do>`` — the assignee gives the document back to the records office."""

    reason: str

    @property
    def label(self) -> str:
        return f"Trả lại: {self.reason}"


@dataclass(frozen=True)
class GiveOpinion:
    """``Ý kiến: …`` on its own — a leader's direction, passed on to whoever holds the document."""

    text: str

    @property
    def label(self) -> str:
        return f"Ý kiến: {self.text}"


ReplyCommand = LinkCase | Assign | Forward | Complete | RequestExtension | DecideExtension | GiveBack | GiveOpinion
"""Every command a reply can carry. All but :class:`LinkCase` are *actions*: a reply carries at most one."""


def is_action(command: ReplyCommand) -> bool:
    return not isinstance(command, LinkCase)


@dataclass(frozen=True)
class Reply:
    """What :func:`parse` read: the commands in the order they run, and whether the text said anything."""

    commands: tuple[ReplyCommand, ...]
    says_something: bool  # any ``Key: value`` line or command word at all, known or not

    @property
    def actions(self) -> tuple[ReplyCommand, ...]:
        return tuple(c for c in self.commands if is_action(c))


def verbs(text: str) -> frozenset[str]:
    """The command words standing alone on a line, normalised (``Hoàn thành`` → ``xong``)."""
    found = set()
    for line in text.splitlines():
        verb = _VERBS.get(_WORDS.sub(" ", fold(line)).strip())
        if verb:
            found.add(verb)
    return frozenset(found)


def parse(text: str) -> Reply:
    """Read the commands of a reply's own lines (``ParsedMessage.command_text``).

    Guarantees: the case link (if any) comes first, then every action in a fixed order — ``Giao``,
    ``Chuyển``, ``Xong``, ``Gia hạn``, ``Đồng ý``/``Không đồng ý``, ``Trả lại``, ``Ý kiến`` — whatever the
    order of the lines; each kind appears at most once (the first line of a key counts); ``Đồng ý``
    together with ``Không đồng ý`` is a refusal. Values are NFC and stripped.
    """
    values = fields(text)
    words = verbs(text)
    commands: list[ReplyCommand] = []
    case = field(values, "vu an", "vu viec")
    if case:
        commands.append(LinkCase(case))
    assign_to = field(values, "giao")
    forward_to = field(values, "chuyen", "chuyen tiep")
    opinion = field(values, "y kien")
    if assign_to:
        commands.append(
            Assign(
                assign_to,
                deadline=field(values, "han", "thoi han"),
                copies=field(values, "phoi hop"),
                opinion=opinion,
            )
        )
    if forward_to:
        commands.append(Forward(forward_to, opinion=opinion))
    if "xong" in words:
        commands.append(Complete(answer_number=field(values, "van ban tra loi", "so")))
    until = field(values, "gia han")
    if until:
        commands.append(RequestExtension(until, reason=field(values, "ly do")))
    if "dong y" in words or "khong dong y" in words:
        commands.append(DecideExtension(approve="khong dong y" not in words))
    give_back = field(values, "tra lai")
    if give_back:
        commands.append(GiveBack(give_back))
    if opinion and not (assign_to or forward_to):
        commands.append(GiveOpinion(opinion))
    return Reply(tuple(commands), says_something=bool(values or words))
