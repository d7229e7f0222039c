"""The real-world mail corpus on the real stack: every message gets exactly the outcome its table says.

tests/data/mail/corpus/ holds bounces, auto-replies, read receipts, spam complaints, spam, mailing-list
mail, odd charsets, malformed MIME and mail from real mail programs, most of them taken from the test
suites of other mail libraries (SOURCES.md says where each file comes from) and a few written to
reproduce what police, courts and our own staff send. expected.csv gives each file's expected ledger
outcome, whether vanthu may answer its sender at all, and for messages with odd charsets the subject
the ledger must store.

All of them are APPENDed, in the table's order, to a fresh deployment's office INBOX on Dovecot; the
worker runs once as a real ``vanthu run --once`` process; then every message must have exactly one
ledger row (matched by UID and by the SHA-256 of the bytes the server returns), with the expected
outcome (and subject, where the table gives one); no reply may go to a sender the table says must not
be answered; the INBOX must be empty and the audit chain must verify. A mismatch prints one line per
message: file, expected, got.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.utils import getaddresses
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models.tables import MailLedger, OutboxMessage
from tests.e2ekit import VANTHU, Deployment, WorkerProcess, deploy
from tests.harness.mailstack import MailStack

pytestmark = pytest.mark.mail

CORPUS = Path(__file__).parent / "data" / "mail" / "corpus"
TABLE = CORPUS / "expected.csv"
OFFICE_EXAMPLE = "vanthu@vksquangninh.gov.vn"
MAILBOX = "vksqn"  # the mailbox name tests/support.write_config gives the office mailbox
WORKER_TIMEOUT = 150.0


@dataclass(frozen=True)
class Row:
    file: str
    category: str
    expected: str
    may_reply: bool
    subject: str  # when given, the subject the ledger must store (decoded, NFC)
    note: str


def load_table() -> list[Row]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = [
            Row(
                file=r["file"],
                category=r["category"],
                expected=r["expected"],
                may_reply={"yes": True, "no": False}[r["reply_to_sender"]],
                subject=r["subject"],
                note=r["note"],
            )
            for r in csv.DictReader(fh)
        ]
    return rows


def test_table_and_corpus_agree() -> None:
    """Every corpus file is in the table exactly once and vice versa; the corpus is big enough."""
    rows = load_table()
    names = [r.file for r in rows]
    assert len(names) == len(set(names)), "a file is listed twice in expected.csv"
    on_disk = {p.name for p in CORPUS.glob("*.eml")}
    assert set(names) == on_disk, f"only in table: {set(names) - on_disk}; only on disk: {on_disk - set(names)}"
    assert len(rows) >= 60
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    missing = [n for n in names if f"`{n}`" not in sources]
    assert not missing, f"not attributed in SOURCES.md: {missing}"
    for r in rows:
        assert r.expected and re.fullmatch(r"[a-z]+\.[a-z0-9.-]+", r.expected), r
        machine = r.category in {"bounce", "auto-reply", "read-receipt", "arf", "list"}
        if machine or r.expected == "quarantined.no-pdf":
            assert not r.may_reply, f"{r.file}: machine-generated or stranger mail must never be answered"
        assert (CORPUS / r.file).stat().st_size < 200_000, r.file


def _personalise(raw: bytes, deployment: Deployment) -> bytes:
    """Give the directory's example addresses (and the office's) this deployment's unique addresses."""
    for example, actual in sorted(deployment.people.items(), key=lambda kv: -len(kv[0])):
        raw = re.sub(rb"(?<![\w.+-])" + re.escape(example.encode()), actual.encode(), raw, flags=re.IGNORECASE)
    return re.sub(
        rb"(?<![\w.+-])" + re.escape(OFFICE_EXAMPLE.encode()), deployment.office.encode(), raw, flags=re.IGNORECASE
    )


def _addresses(raw: bytes) -> set[str]:
    """Every address a reply to this message could be sent to: From, Reply-To, Sender, Return-Path."""
    try:
        msg = message_from_bytes(raw, policy=email_policy.compat32)
        values = [str(v) for name in ("From", "Reply-To", "Sender", "Return-Path") for v in msg.get_all(name, [])]
    except Exception:  # noqa: BLE001 - the corpus is meant to break parsers; then there is no one to answer
        return set()
    return {addr.lower() for _, addr in getaddresses(values) if "@" in addr}


def _append_all(stack: MailStack, office: str, messages: Iterable[bytes]) -> list[int]:
    """APPEND each message to the office INBOX, in order; return the UIDs the server gave them."""
    uids: list[int] = []
    with stack.imap(office) as client:
        for raw in messages:
            response = client.append("INBOX", raw, flags=())
            found = re.search(rb"APPENDUID \d+ (\d+)", response)
            assert found is not None, f"Dovecot gave no APPENDUID: {response!r}"
            uids.append(int(found.group(1)))
    return uids


def _stored_sha256(stack: MailStack, office: str, uids: list[int]) -> dict[int, str]:
    """SHA-256 of each message's bytes as the server returns them (what the worker stores and claims)."""
    with stack.imap(office) as client:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
    return {int(uid): hashlib.sha256(data[b"BODY[]"]).hexdigest() for uid, data in fetched.items()}


def _ledger_outcome(row: MailLedger) -> str:
    if row.state == "failed":
        return f"failed (attempt {row.attempts}: {row.last_error[:80]})"
    if row.state == "processing":
        return "processing (never finished)"
    outcome = row.outcome
    # The processor writes "malformed" into the ledger for the outcome it reports as quarantined.malformed.
    if row.state == "quarantined" and not outcome.startswith("quarantined."):
        outcome = f"quarantined.{outcome}"
    return outcome


def test_real_world_corpus_on_the_real_stack(tmp_path: Path, db_url: str, mailstack: MailStack) -> None:
    started = time.monotonic()
    rows = load_table()
    deployment = deploy(tmp_path, db_url, mailstack)  # reports off: deploy() switches them off
    raws = [_personalise((CORPUS / r.file).read_bytes(), deployment) for r in rows]
    uids = _append_all(mailstack, deployment.office, raws)
    sha_by_uid = _stored_sha256(mailstack, deployment.office, uids)
    assert sorted(sha_by_uid) == sorted(uids)

    worker = WorkerProcess(deployment, "--once").start()
    try:
        code = worker.wait(WORKER_TIMEOUT)
    finally:
        worker.kill()
    assert code == 0, worker.log_text()[-4000:]
    worked = time.monotonic() - started

    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            ledger = list(session.scalars(select(MailLedger).where(MailLedger.mailbox == MAILBOX)))
            outbox = list(session.scalars(select(OutboxMessage)))
    finally:
        engine.dispose()

    problems: list[str] = []
    by_uid: dict[int, list[MailLedger]] = {}
    for lrow in ledger:
        by_uid.setdefault(int(lrow.uid), []).append(lrow)
    unknown = sorted(set(by_uid) - set(uids))
    if unknown:
        problems.append(f"ledger rows for UIDs that were never appended: {unknown}")

    # Addresses that no reply may reach: senders of messages that must not be answered, unless another
    # message of the corpus that may be answered comes from the same address.
    # A reply triggered by such a message must not reach its sender whatever else that sender sent.
    senders = {r.file: _addresses(raw) for r, raw in zip(rows, raws, strict=True)}
    allowed = set().union(*(senders[r.file] for r in rows if r.may_reply))
    forbidden = set().union(*(senders[r.file] - allowed for r in rows if not r.may_reply))

    diffs: list[tuple[str, str, str]] = []
    ledger_ids: dict[int, Row] = {}
    for r, uid in zip(rows, uids, strict=True):
        found = by_uid.get(uid, [])
        if len(found) != 1:
            diffs.append((r.file, r.expected, f"{len(found)} ledger rows for UID {uid}"))
            continue
        [lrow] = found
        ledger_ids[lrow.id] = r
        if lrow.sha256 != sha_by_uid[uid]:
            diffs.append((r.file, r.expected, f"ledger sha256 {lrow.sha256[:12]} ≠ stored {sha_by_uid[uid][:12]}"))
            continue
        got = _ledger_outcome(lrow)
        if got != r.expected:
            diffs.append((r.file, r.expected, f"{got}  (From {lrow.sender or '?'})"))
        if r.subject and lrow.subject != r.subject:
            diffs.append((r.file, f"subject {r.subject!r}", f"subject {lrow.subject!r}"))

    answered: list[str] = []
    for out in outbox:
        recipients = {out.to_addr.lower(), *(a.lower() for a in out.cc_addrs)}
        source = ledger_ids.get(out.ledger_id) if out.ledger_id is not None else None
        own = senders[source.file] if source is not None and not source.may_reply else set()
        hit = recipients & (forbidden | own)
        if hit:
            origin = source.file if source is not None else "(no ledger row)"
            answered.append(f"  {out.kind} {out.subject[:60]!r} to {sorted(hit)} — triggered by {origin}")
    if answered:
        problems.append("replies to senders that must never be answered:\n" + "\n".join(answered))

    left = mailstack.folder_uids(deployment.office, "INBOX")
    if left:
        stuck = [r.file for r, uid in zip(rows, uids, strict=True) if uid in left]
        problems.append(f"{len(left)} message(s) still in the INBOX: {stuck}")

    verify = subprocess.run(
        [str(VANTHU), "-c", str(deployment.config), "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "VANTHU_TEST_IMAP_PASSWORD": mailstack.password},
    )
    if verify.returncode != 0:
        problems.append(f"vanthu audit verify exited {verify.returncode}: {verify.stdout}{verify.stderr}")

    if diffs:
        width = max(len(f) for f, _, _ in diffs)
        lines = [f"  {'file'.ljust(width)}  {'expected':28}  got"] + [
            f"  {f.ljust(width)}  {e:28}  {g}" for f, e, g in diffs
        ]
        problems.insert(0, f"{len(diffs)} differences from expected.csv ({len(rows)} messages):\n" + "\n".join(lines))
    print(
        f"corpus: {len(rows)} messages, {len(diffs)} differences from expected.csv, {len(outbox)} outbox rows; "
        f"worker done after {worked:.1f} s, test {time.monotonic() - started:.1f} s"
    )
    assert not problems, "\n\n".join(problems)
