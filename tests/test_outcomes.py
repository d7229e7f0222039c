"""Outcomes are an enumeration whose members decide the folder and the forgetting (issue 9, item 2).

The ledger, the audit log and the tests store and compare outcome strings; a member is its old string,
so what is stored stays what it was before the enumeration.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

from sqlalchemy import select

from tests.flowkit import ledger, send
from tests.support import OFFICER, request
from vanthu.mailflows.outcomes import Folder, Outcome, must_forget, pdf_problem
from vanthu.models.tables import MailLedger
from vanthu.worker.app import App
from vanthu.worker.processor import Processor

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "data" / "mail" / "corpus" / "expected.csv"

# Every outcome that sets the message aside, by its stored name. Everything else goes to the processed
# folder, except a retry, which stays in the inbox.
QUARANTINED = {
    "quarantined.unauthenticated",
    "quarantined.no-pdf",
    "quarantined.not-pdf",
    "quarantined.encrypted",
    "quarantined.too-large",
    "quarantined.unreadable",
    "quarantined.secret",
    "quarantined.malformed",
    "quarantined.failed",
    "already-quarantined",
}
STAYS = {"failed.attempt"}


def test_every_member_has_the_folder_its_name_always_meant() -> None:
    for member in Outcome:
        expected = (
            Folder.QUARANTINE if member.value in QUARANTINED else Folder.INBOX if member in STAYS else Folder.PROCESSED
        )
        assert member.folder is expected, member
        # The old rule, by prefix, agrees wherever it applied: nothing moved folder with the enumeration.
        if member.value.startswith("quarantined."):
            assert member.folder is Folder.QUARANTINE, member
    assert {m.value for m in Outcome if m.folder is Folder.QUARANTINE} == QUARANTINED


def test_only_a_secret_document_is_forgotten() -> None:
    assert [m for m in Outcome if m.secret] == [Outcome.SECRET]
    assert must_forget(Outcome.SECRET) and must_forget("quarantined.secret")  # a stored ledger string too
    assert not any(must_forget(m) for m in Outcome if m is not Outcome.SECRET)


def test_a_member_is_its_old_string() -> None:
    assert Outcome.NUMBER_GIVEN == "number.given" and f"{Outcome.NUMBER_GIVEN}" == "number.given"
    assert Outcome("reply.assigned") is Outcome.ASSIGNED
    assert len({m.value for m in Outcome}) == len(Outcome)  # no two members share a name
    for member in Outcome:
        assert member.ledger == ("malformed" if member is Outcome.MALFORMED else member.value)
        assert type(member.ledger) is str  # the ledger gets a plain string, not the member


def test_the_corpus_expects_only_members() -> None:
    with CORPUS.open(encoding="utf-8") as f:
        expected = {row["expected"] for row in csv.DictReader(f)}
    assert expected and expected <= {m.value for m in Outcome}


def test_pdf_problems_name_their_outcome() -> None:
    assert pdf_problem("not-pdf") is Outcome.NOT_PDF
    assert pdf_problem("encrypted") is Outcome.PDF_ENCRYPTED
    assert pdf_problem("too-large") is Outcome.PDF_TOO_LARGE
    assert pdf_problem("unreadable") is Outcome.PDF_UNREADABLE


def test_the_processor_moves_by_the_member(app: App) -> None:
    processor = Processor(app, app.config.mailboxes[0])
    mb = app.config.mailboxes[0]
    assert processor.folder_of(Outcome.NUMBER_GIVEN) == mb.processed
    assert processor.folder_of(Outcome.NO_PDF) == mb.quarantine
    assert processor.folder_of(Outcome.RETRY) is None


def test_the_ledger_stores_the_same_string_as_before(app: App) -> None:
    [result] = send(app, request(OFFICER, "Lấy số: Báo cáo công tác tháng", "Loại: BC\n"))
    assert result.outcome is Outcome.NUMBER_GIVEN and result.moved_to == app.config.mailboxes[0].processed
    [row] = ledger(app)
    assert row.outcome == "number.given" and type(row.outcome) is str
    with app.uow() as uow:
        stored = uow.session.execute(select(MailLedger.outcome).where(MailLedger.outcome == "number.given"))
        assert stored.scalar_one() == "number.given"


def _literal_outcomes(path: Path) -> list[tuple[int, str]]:
    """Outcome names spelt out — a string constant, or an f-string starting ``quarantined.``, ``search.`` … —
    in what a ``return`` or a ``CommandFailed(…)`` carries in ``path``."""
    names = {m.value for m in Outcome}
    prefixes = tuple({m.value.split(".")[0] + "." for m in Outcome if "." in m.value})
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        carriers: list[ast.AST] = []
        if isinstance(node, ast.Return) and node.value is not None:
            carriers.append(node.value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "CommandFailed":
            carriers.extend(node.args)
        for carrier in carriers:
            for inner in ast.walk(carrier):
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    if inner.value in names or inner.value in prefixes:
                        found.append((inner.lineno, inner.value))
                elif isinstance(inner, ast.JoinedStr) and inner.values:
                    head = inner.values[0]
                    if isinstance(head, ast.Constant) and str(head.value).startswith(prefixes):
                        found.append((inner.lineno, str(head.value)))
    return found


def test_no_flow_returns_a_string_literal_outcome() -> None:
    offenders = {}
    for folder in ("mailflows", "worker"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            hits = _literal_outcomes(path) if path.name != "outcomes.py" else []
            if hits:
                offenders[str(path.relative_to(ROOT))] = hits
    assert offenders == {}
