"""A kill -9 soak on the real stack: 500 mixed messages, two workers, at least 50 SIGKILLs.

Two ``vanthu run`` processes share one deployment and its office mailbox. Mail is fed in batches while a
random worker is killed with SIGKILL every fraction of a second and started again, so every kill lands
while work is pending:

* phase 1: 300 ``Lấy số`` requests from six officers and 100 signed incoming documents from the police;
* phase 2 (it needs the numbers and the documents' tags of phase 1): 50 ``Hủy số`` of phase-1 numbers by
  their requesters, and 50 ``Giao:`` replies by the Viện trưởng to the notices of phase-1 documents.

In the end every message has exactly one final ledger outcome of its kind and left the INBOX once for
Processed; every request has exactly one distinct answer (a kill between SMTP acceptance and the commit
may send the *same* email again, so physical copies are bounded by the kills); the outgoing register holds
01..300 and the incoming register 01..100, without gaps or duplicates; and ``vanthu audit verify`` passes.
``VANTHU_SOAK_SEED=<seed>`` repeats the random draws.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from tests.e2ekit import VANTHU, Deployment, deploy
from tests.harness.mailstack import MailStack
from tests.support import LEADER, OFFICER, OFFICER2, incoming, request, trust_section
from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.tables import Document, MailLedger, OutboxMessage, Register, Unit

pytestmark = [pytest.mark.slow, pytest.mark.mail]

NUMBERS, DOCUMENTS, CANCELS, ASSIGNS = 300, 100, 50, 50
TOTAL = NUMBERS + DOCUMENTS + CANCELS + ASSIGNS
MIN_KILLS = 50
#: How long to wait between two kills (seconds), drawn uniformly.
KILL_GAP = (0.15, 0.7)
FINISH_TIMEOUT = 240.0
#: How long a worker may take to exit after SIGKILL.
KILL_WAIT = 30.0
SENDERS = (
    OFFICER,
    OFFICER2,
    "pvt.minh@vksquangninh.gov.vn",
    "truongphong.p2@vksquangninh.gov.vn",
    "chanhvp@vksquangninh.gov.vn",
)
ASSIGNEE = "Phạm Thị Lan"
GIVEN = re.compile(r"Đã cấp số (\d+)/BC-VKSQN")
ENV_PASSWORD = "VANTHU_TEST_IMAP_PASSWORD"


class Workers:
    """Two ``vanthu run`` processes on one deployment, each in its own process group; always cleaned up."""

    def __init__(self, deployment: Deployment, password: str, count: int = 2) -> None:
        self.deployment = deployment
        self.env = {**os.environ, ENV_PASSWORD: password, "PYTHONUNBUFFERED": "1"}
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.kills = 0

    def start(self, slot: int) -> None:
        with self.deployment.log.open("ab") as log:
            self.procs[slot] = subprocess.Popen(
                [str(VANTHU), "-c", str(self.deployment.config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def kill(self, slot: int) -> None:
        proc = self.procs[slot]
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(KILL_WAIT)  # bounded: TimeoutExpired fails the test
            self.kills += 1

    def terminate_all(self, timeout: float = 60.0) -> list[int]:
        """SIGTERM every worker and return the exit codes (a worker that hangs is killed and fails the test)."""
        codes = []
        for proc in self.procs:
            assert proc is not None
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                codes.append(proc.wait(timeout))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(KILL_WAIT)
                codes.append(-9)
        return codes

    def close(self) -> None:
        for slot in range(len(self.procs)):
            proc = self.procs[slot]
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(KILL_WAIT)


@contextmanager
def _workers(deployment: Deployment, password: str) -> Iterator[Workers]:
    workers = Workers(deployment, password)
    try:
        for slot in range(len(workers.procs)):
            workers.start(slot)
        yield workers
    finally:
        workers.close()


def _state(engine: Engine) -> tuple[int, int]:
    """(ledger rows in a final state, outbox rows still to send) — readable while the workers run."""
    with engine.connect() as conn:
        final = conn.execute(
            select(func.count()).select_from(MailLedger).where(MailLedger.state.in_(("done", "quarantined")))
        ).scalar_one()
        waiting = conn.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")))
        ).scalar_one()
    return int(final), int(waiting)


def _soak(
    stack: MailStack,
    workers: Workers,
    batches: list[list[EmailMessage]],
    kills_wanted: int,
    rng: random.Random,
    pending: Callable[[], bool],
) -> int:
    """Send each batch, then kill a random worker after a random gap and start it again; returns kills made.

    After the last batch, kills go on (while work is pending) until ``kills_wanted`` have been made.
    """
    made = 0
    queue = list(batches)
    while queue or (made < kills_wanted and pending()):
        if queue:
            _send_all(stack, queue.pop(0))
        time.sleep(rng.uniform(*KILL_GAP))  # the random wait IS the test: it picks the moment of the SIGKILL
        slot = rng.randrange(len(workers.procs))
        workers.kill(slot)
        workers.start(slot)
        made += 1
    return made


def _send_all(stack: MailStack, messages: list[EmailMessage]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(stack.send, m) for m in messages]:
            future.result()


def _batches(messages: list[EmailMessage], count: int) -> list[list[EmailMessage]]:
    size = max(1, -(-len(messages) // count))
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def _wait_until(engine: Engine, processed: int, timeout: float) -> None:
    """Until ``processed`` ledger rows are final and the outbox is empty (bounded; says what it saw)."""
    deadline = time.monotonic() + timeout
    seen = _state(engine)
    while seen != (processed, 0):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not finished within {timeout:.0f} s: (final ledger rows, outbox waiting) = {seen}")
        time.sleep(0.25)  # polling the database with a deadline
        seen = _state(engine)


def _replies(stack: MailStack, addresses: set[str]) -> dict[str, Counter[str]]:
    """For each In-Reply-To: how many copies of each distinct Message-ID arrived, over ``addresses``."""
    copies: dict[str, Counter[str]] = defaultdict(Counter)
    for address in sorted(addresses):
        for reply in stack.messages(address):
            copies[str(reply["In-Reply-To"])][str(reply["Message-ID"]) + " " + str(reply["Subject"])] += 1
    return copies


def _one_answer(copies: dict[str, Counter[str]], requests: list[EmailMessage], needle: str) -> int:
    """Assert every request got exactly one distinct answer containing ``needle``; return physical extras."""
    extras = 0
    for msg in requests:
        answers = {k: n for k, n in copies.get(str(msg["Message-ID"]), Counter()).items() if needle in k}
        assert len(answers) == 1, f"{msg['Subject']!r}: {len(answers)} distinct answers with {needle!r}: {answers}"
        extras += sum(answers.values()) - 1
    return extras


def test_kill_nine_soak_two_workers_mixed_mail(
    tmp_path: Path, db_url: str, mailstack: MailStack, pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    seed = int(os.environ.get("VANTHU_SOAK_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    print(f"\nsoak seed: {seed} (VANTHU_SOAK_SEED={seed} repeats the random draws)")
    monkeypatch.setenv(ENV_PASSWORD, mailstack.password)
    d = deploy(
        tmp_path,
        db_url,
        mailstack,
        extra_service="outbox_lease_seconds = 3\nretry_base_seconds = 1\nmax_attempts = 20\n",
        extra=trust_section(pki.root_pem, pki.crl_der),
    )
    officers = [d.addr(s) for s in SENDERS]
    police = [f"pc{i:02d}.{d.token}@congan.quangninh.gov.vn" for i in range(1, 5)]
    leader = d.addr(LEADER)
    numbers = [
        request(officers[i % len(officers)], f"Lấy số: Báo cáo kết quả công tác số {i + 1}", "Loại: BC\n", to=d.office)
        for i in range(NUMBERS)
    ]
    documents = [
        incoming(
            police[i % len(police)],
            f"Gửi thông báo số {i + 1}",
            [
                (
                    f"tb-{i + 1}.pdf",
                    pdfkit.valid(
                        pki,
                        DocText(doc_type="THÔNG BÁO", number=f"{i + 1}/TB-CSĐT", title=f"Về việc xác minh tin {i + 1}"),
                    ),
                )
            ],
            to=d.office,
        )
        for i in range(DOCUMENTS)
    ]
    phase1 = numbers + documents
    rng.shuffle(phase1)

    upgrade = subprocess.run(
        [str(VANTHU), "-c", str(d.config), "db", "upgrade"], capture_output=True, text=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    engine = create_engine(db_url)  # plain reads; the workers' own engines take the write locks
    try:
        with _workers(d, mailstack.password) as workers:
            kills1 = _soak(
                mailstack, workers, _batches(phase1, 35), 35, rng, lambda: _state(engine) != (len(phase1), 0)
            )
            _wait_until(engine, len(phase1), FINISH_TIMEOUT)
            print(f"phase 1: {len(phase1)} messages, {kills1} kills, {time.monotonic() - started:.1f} s")

            with engine.connect() as conn:
                given = dict(
                    conn.execute(
                        select(Document.source_message_id, Document.number)
                        .join(Register, Register.id == Document.register_id)
                        .where(Register.code == "HC")
                    ).all()
                )
                tags = list(
                    conn.execute(
                        select(Document.tag)
                        .join(Register, Register.id == Document.register_id)
                        .where(Register.direction == "in")
                        .order_by(Document.number)
                    ).scalars()
                )
            cancels = []
            for msg in numbers[:CANCELS]:
                number = given[str(msg["Message-ID"])]
                cancels.append(
                    request(
                        str(msg["From"]),
                        f"Hủy số {number:02d}/BC-VKSQN",
                        "Lý do: Báo cáo gộp vào báo cáo tháng\n",
                        to=d.office,
                    )
                )
            assigns = [
                request(
                    leader, f"Re: [{tag}] Văn bản đến", f"Giao: {ASSIGNEE}\nÝ kiến: Xử lý theo quy định\n", to=d.office
                )
                for tag in tags[:ASSIGNS]
            ]
            phase2 = cancels + assigns
            rng.shuffle(phase2)
            kills2 = _soak(
                mailstack,
                workers,
                _batches(phase2, 15),
                MIN_KILLS - kills1,
                rng,
                lambda: _state(engine) != (TOTAL, 0),
            )
            _wait_until(engine, TOTAL, FINISH_TIMEOUT)
            codes = workers.terminate_all()
            kills = workers.kills
        assert codes == [0, 0], f"a worker did not stop cleanly on SIGTERM: {codes}"
        print(f"phase 2: {len(phase2)} messages, {kills2} kills; {kills} kills in all")
        assert kills >= MIN_KILLS

        with engine.connect() as conn:
            outcomes = Counter(conn.execute(select(MailLedger.outcome)).scalars())
            ledger_rows = conn.execute(select(func.count()).select_from(MailLedger)).scalar_one()
            registers = defaultdict(list)
            for code, number, suffix, status in conn.execute(
                select(Register.code, Document.number, Document.suffix, Document.status)
                .join(Register, Register.id == Document.register_id)
                .join(Unit, Unit.id == Register.unit_id)
                .where(Unit.code == "VKSQN")
            ):
                registers[code].append((number, suffix, status))
            outbox = Counter(conn.execute(select(OutboxMessage.state)).scalars())
    finally:
        engine.dispose()

    # One final outcome per message, of the kind the message is.
    assert ledger_rows == TOTAL
    assert outcomes == {
        "number.given": NUMBERS,
        "intake.registered": DOCUMENTS,
        "cancel.done": CANCELS,
        "reply.assigned": ASSIGNS,
    }, outcomes
    assert set(outbox) == {"sent"}, outbox

    # Gapless numbers: 01..300 in HC (50 of them cancelled, still in the register), 01..100 incoming.
    hc = registers.pop("HC")
    assert sorted(n for n, _, _ in hc) == list(range(1, NUMBERS + 1))
    assert Counter(s for _, _, s in hc) == {"reserved": NUMBERS - CANCELS, "cancelled": CANCELS}
    [incoming_code] = registers
    assert sorted(n for n, _, _ in registers[incoming_code]) == list(range(1, DOCUMENTS + 1))

    # One distinct answer per request; physical copies (a resend of the same email) bounded by the kills.
    copies = _replies(mailstack, set(officers) | set(police) | {leader})
    extras = _one_answer(copies, numbers, "Đã cấp số")
    extras += _one_answer(copies, cancels, "Đã hủy số")
    extras += _one_answer(copies, documents, "số đến")
    extras += _one_answer(copies, assigns, "Đã giao xử lý")
    print(f"physical duplicate answers: {extras} (bound: {kills})")
    assert extras <= kills

    # The mailbox: every message left the INBOX exactly once, for Processed.
    assert mailstack.folder_uids(d.office, "INBOX") == []
    processed = Counter(str(m["Message-ID"]) for m in mailstack.messages(d.office, "Processed"))
    sent_ids = [str(m["Message-ID"]) for m in phase1 + phase2]
    assert sorted(processed) == sorted(sent_ids) and set(processed.values()) == {1}, (
        f"Processed holds {sum(processed.values())} messages for {len(sent_ids)} sent; "
        f"twice: {[k for k, n in processed.items() if n > 1][:3]}"
    )

    verify = subprocess.run(
        [str(VANTHU), "-c", str(d.config), "audit", "verify"], capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"{verify.stdout.strip()}; soak took {time.monotonic() - started:.1f} s")
