"""The dispatcher's table of (recogniser, handler) decides exactly as the branch chain it replaced.

``_chain`` below is the decision of the old ``dispatch._route``, branch for branch, reduced to the name of
the flow it chose. Every combination of the facts it looked at — a directory sender or not, machine-made
(and whether such a sender may carry a document), a PDF, a known document, authentication, and a subject
of each kind — must pick the same flow from :data:`mailflows.dispatch.ROUTES`.
"""

from __future__ import annotations

import itertools
from email.message import EmailMessage

import pytest

from tests.support import OFFICER, request
from vanthu.mailflows import incoming_cancel
from vanthu.mailflows.clerk_intake import is_paper_subject
from vanthu.mailflows.commands import Command, parse_subject
from vanthu.mailflows.dispatch import ROUTES, Mail, choose, is_forward
from vanthu.mailflows.hygiene import AUTOMATIC, REPORT, Machine
from vanthu.mailflows.message import ParsedMessage, parse
from vanthu.models.tables import Document, Person

SUBJECTS = [
    "Lấy số: Báo cáo công tác",
    "Hủy số đến 15",
    "Hủy số 15/QĐ-VKSQN",
    "Chèn số sau 15/QĐ-VKSQN",
    "Sổ: đến 11/2026",
    "Thống kê: 11/2026",
    "Tra cứu: 12/2026/HS",
    "Trợ giúp",
    "Re: [VTQ-2026-000004] Thư cách ly",
    "Giấy: Công văn của UBND",
    "Re: [VT-2026-000001] Văn bản đến",
    "Re: [VT-2026-000001] Lấy số: Báo cáo",
    "Fwd: Quyết định khởi tố",
    "Xin chào",
]
MACHINES = [None, Machine(AUTOMATIC, "no-reply sender"), Machine(REPORT, "delivery report")]


def _chain(m: Mail) -> str:
    """The old ``_route``'s decision, in its order."""
    if m.person is None:
        if m.machine is not None and not (m.machine.may_carry_document and m.has_pdf):
            return "stranger-machine"
        if m.document is not None:
            return "stranger-reply"
        return "stranger-intake"
    if m.machine is not None:
        return "machine"
    subject = parse_subject(m.msg.subject)
    if not m.authenticated:
        return "unauthenticated"
    if subject.tag and subject.tag.startswith("VTQ-"):
        return "quarantine-decision"
    if is_paper_subject(m.msg.subject):
        return "paper"
    if subject.command is Command.NUMBER:
        return "number"
    if subject.command is Command.CANCEL and incoming_cancel.is_incoming(subject.argument):
        return "incoming-cancel"
    named = {
        Command.CANCEL: "cancel",
        Command.INSERT: "insert",
        Command.REGISTER: "register",
        Command.STATS: "stats",
        Command.SEARCH: "search",
        Command.HELP: "help",
    }
    if subject.command in named:
        return named[subject.command]
    if m.document is not None:
        return "reply"
    if subject.command is None and is_forward(m.msg):
        return "forward"
    return "unknown-command"


def _message(subject: str, pdf: bool) -> ParsedMessage:
    msg: EmailMessage = request(OFFICER, subject, "Kính gửi.")
    if pdf:
        msg.add_attachment(b"%PDF-1.7\n%%EOF\n", maintype="application", subtype="pdf", filename="vb.pdf")
    return parse(msg.as_bytes())


def _mail(
    msg: ParsedMessage, person: Person | None, machine: Machine | None, authenticated: bool, doc: Document | None
) -> Mail:
    return Mail(msg=msg, person=person, machine=machine, authenticated=authenticated, find_document=lambda: doc)


def test_the_table_decides_as_the_chain_did() -> None:
    person, doc = Person(email=OFFICER, full_name="Phạm Thị Lan"), Document(tag="VT-2026-000001")
    messages = {(s, pdf): _message(s, pdf) for s in SUBJECTS for pdf in (False, True)}
    seen = set()
    for (subject, pdf), sender, machine, authenticated, known in itertools.product(
        messages, (None, person), MACHINES, (True, False), (None, doc)
    ):
        mail = _mail(messages[subject, pdf], sender, machine, authenticated, known)
        chosen = choose(mail).name
        expected = _chain(_mail(messages[subject, pdf], sender, machine, authenticated, known))
        assert chosen == expected, (subject, pdf, sender and sender.email, machine, authenticated, known)
        seen.add(chosen)
    assert seen == {r.name for r in ROUTES}  # every route is reached by some mail


def test_the_order_is_the_decision() -> None:
    assert [r.name for r in ROUTES] == [
        "stranger-machine",
        "stranger-reply",
        "stranger-intake",
        "machine",
        "unauthenticated",
        "quarantine-decision",
        "paper",
        "number",
        "incoming-cancel",
        "cancel",
        "insert",
        "register",
        "stats",
        "search",
        "help",
        "reply",
        "forward",
        "unknown-command",
    ]


@pytest.mark.parametrize(
    ("subject", "route"),
    [
        ("Hủy số đến 15", "incoming-cancel"),  # before the plain Hủy số
        ("Re: [VT-2026-000001] Lấy số: Báo cáo", "number"),  # a subject command wins over the tag
        ("Re: [VT-2026-000001] Văn bản đến", "reply"),
        ("Xin chào", "unknown-command"),
    ],
)
def test_examples(subject: str, route: str) -> None:
    person, doc = Person(email=OFFICER, full_name="Phạm Thị Lan"), Document(tag="VT-2026-000001")
    known = doc if "[VT-" in subject else None  # what thread lookup finds
    assert choose(_mail(_message(subject, False), person, None, True, known)).name == route


def test_the_document_is_looked_up_only_when_a_route_needs_it() -> None:
    calls: list[str] = []

    def find() -> Document | None:
        calls.append("looked up")
        return None

    person = Person(email=OFFICER, full_name="Phạm Thị Lan")
    mail = Mail(
        msg=_message("Lấy số: Báo cáo", False), person=person, machine=None, authenticated=True, find_document=find
    )
    assert choose(mail).name == "number" and calls == []
    mail = Mail(msg=_message("Xin chào", False), person=person, machine=None, authenticated=True, find_document=find)
    assert choose(mail).name == "unknown-command" and calls == ["looked up"]
